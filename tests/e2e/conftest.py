"""Session fixtures for the black-box suite: a real isacd on a real PostgreSQL.

tests/e2e/run.sh (through tests/lib/with-pg.sh) provides a throw-away
cluster in ISACD_TEST_DSN and the binary in ISACD_BIN. Each session makes
its own database on that cluster (e2e_<random>, dropped at the end), runs
`isacd migrate`, and serves it on a free loopback port. Nothing here
skips when something is missing: a suite that cannot reach its server
fails, it never passes.
"""

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid

import nacl.signing
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import signing  # noqa: E402

MAX_BODY_BYTES = 65536
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0
CLI_TIMEOUT_S = 30.0

# Servers started by this session, for the log tail shown on a failure.
_SERVERS = []
# Every signature an Operator made this session (base64), for the log hygiene check.
SENT_SIGNATURES = []


def _require_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(
            f"{name} is not set: run the suite through tests/e2e/run.sh (make e2e)", returncode=3
        )
    return value


def dsn_with_db(dsn, dbname):
    """The same cluster DSN naming database `dbname`."""
    p = urllib.parse.urlsplit(dsn)
    return urllib.parse.urlunsplit((p.scheme, p.netloc, "/" + dbname, p.query, p.fragment))


def psql(dsn, query, timeout=CLI_TIMEOUT_S):
    """Run one SQL text with psql; rows as lists of strings (unaligned, no header)."""
    r = subprocess.run(
        ["psql", dsn, "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e",
         "-v", "ON_ERROR_STOP=1", "-c", query],
        capture_output=True, text=True, timeout=timeout,
    )
    if r.returncode != 0:
        raise AssertionError(f"psql failed ({r.returncode}): {r.stderr.strip()}\nquery: {query}")
    out = r.stdout
    if out.endswith("\n"):
        out = out[:-1]
    if out == "":
        return []
    return [row.split("\x1f") for row in out.split("\x1e") if row != ""]


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def isacd_env(dsn, **extra):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("ISACD_") and not k.startswith("ISACD_TEST") and k != "ISACD_BIN":
            del env[k]
    env["ISACD_DATABASE_URL"] = dsn
    env["ISACD_LOG_LEVEL"] = "info"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_isacd(dsn, *args, timeout=CLI_TIMEOUT_S, env_extra=None, input=None):
    """Run the isacd binary with a database; returns the CompletedProcess."""
    return subprocess.run(
        [os.environ["ISACD_BIN"], *args],
        env=isacd_env(dsn, **(env_extra or {})),
        capture_output=True, text=True, timeout=timeout, input=input,
    )


class IsacdServer:
    """One `isacd serve` process on a free loopback port, logging to a file."""

    def __init__(self, dsn, workdir, name, max_body_bytes=MAX_BODY_BYTES, key_path=None,
                 env_extra=None):
        self.dsn = dsn
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.key_path = key_path or os.path.join(workdir, f"{name}.server.key")
        self.max_body_bytes = max_body_bytes
        self.env_extra = env_extra or {}
        self.proc = None
        self.port = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, port=None):
        last = ""
        for _ in range(3):
            self.port = port or free_port()
            env = isacd_env(
                self.dsn,
                ISACD_LISTEN="127.0.0.1",
                ISACD_PORT=self.port,
                ISACD_PUBLIC_URL=self.base_url,
                ISACD_SERVER_KEY=self.key_path,
                ISACD_MAX_BODY_BYTES=self.max_body_bytes,
                ISACD_THREADS=4,
                **self.env_extra,
            )
            log = open(self.log_path, "ab")
            log.write(f"--- isacd serve on port {self.port}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [os.environ["ISACD_BIN"], "serve"], env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
            )
            log.close()
            if self._wait_healthy():
                if self not in _SERVERS:
                    _SERVERS.append(self)
                return self
            last = self.log_tail()
            if self.proc.poll() is None:
                self.kill()
            if port is not None:
                break
        raise AssertionError(f"isacd {self.name} did not become healthy:\n{last}")

    def _wait_healthy(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                r = self.get("/healthz", timeout=2)
                if r.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def get(self, path, headers=(), timeout=10):
        msg = signing.new_message(self.base_url, "GET", path)
        msg.headers.extend(headers)
        return signing.send(msg, timeout=timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM and wait (bounded); returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)
                return "timeout"
        return self.proc.returncode

    def kill(self):
        """SIGKILL, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError as e:
            return f"(no log: {e})"
        return "\n".join(lines[-n:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in _SERVERS:
            if srv.alive() or srv.proc.returncode not in (0, -signal.SIGKILL):
                rep.sections.append((f"isacd {srv.name} log tail", srv.log_tail()))


# ---------------------------------------------------------------- databases


class Databases:
    """Databases made on the test cluster by this session; all dropped at the end."""

    def __init__(self, cluster_dsn):
        self.cluster_dsn = cluster_dsn
        self.names = []

    def create(self, prefix="e2e"):
        name = f"{prefix}_{secrets.token_hex(6)}"
        psql(self.cluster_dsn, f"CREATE DATABASE {name}")
        self.names.append(name)
        return dsn_with_db(self.cluster_dsn, name)

    def drop_all(self):
        for name in reversed(self.names):
            psql(self.cluster_dsn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.names.clear()


@pytest.fixture(scope="session")
def databases():
    _require_env("ISACD_BIN")
    dbs = Databases(_require_env("ISACD_TEST_DSN"))
    yield dbs
    dbs.drop_all()


def migrate(dsn):
    r = run_isacd(dsn, "migrate")
    assert r.returncode == 0, f"isacd migrate failed: {r.stdout}{r.stderr}"
    return json.loads(r.stdout)


@pytest.fixture(scope="session")
def dsn(databases):
    """The session database, migrated."""
    d = databases.create()
    migrate(d)
    return d


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("isacd"))


@pytest.fixture(scope="session")
def server(dsn, workdir):
    srv = IsacdServer(dsn, workdir, "main").start()
    yield srv
    code = srv.stop()
    assert code == 0, f"isacd serve exited {code} on SIGTERM:\n{srv.log_tail()}"


@pytest.fixture(scope="session")
def server_factory(dsn, workdir):
    """Start more servers on the session database; each is stopped at the end."""
    started = []

    def make(name, **kw):
        srv = IsacdServer(kw.pop("dsn", dsn), workdir, name, **kw)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def base_url(server):
    return server.base_url


@pytest.fixture(scope="session")
def sql(dsn):
    """sql(query) → rows (lists of strings) from the session database."""
    return lambda query: psql(dsn, query)


def sql_value(rows):
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


@pytest.fixture(scope="session")
def isacd(dsn):
    """isacd(*args, dsn=None) → CompletedProcess of the binary on a database."""
    def run(*args, dsn_override=None, **kw):
        return run_isacd(dsn_override or dsn, *args, **kw)

    return run


def admin_json(dsn, *args):
    r = run_isacd(dsn, "admin", *args)
    assert r.returncode == 0, f"isacd admin {' '.join(args)} → {r.returncode}: {r.stdout}{r.stderr}"
    return json.loads(r.stdout)


@pytest.fixture(scope="session")
def admin(dsn):
    """admin(*args) → the parsed JSON of a successful `isacd admin` command."""
    return lambda *args: admin_json(dsn, *args)


# ---------------------------------------------------------------- reports


def valid_report(**overrides):
    """A small valid report body (as a dict); overrides replace members, None removes."""
    doc = {
        "title": "Ransomware on engineering workstations",
        "summary": "Six workstations encrypted; isolated within 25 minutes.",
        "incident_type": "ransomware",
        "severity": "high",
        "sector": "electric_power",
        "detected_at": "2026-11-25T06:10:00Z",
        "occurred_at": "2026-11-25T05:42:00+00:00",
        "phase": "early_warning",
        "tlp": "AMBER",
        "impact": {"class": "moderate", "services": ["remote switching"], "outage_minutes": 0},
        "indicators": [
            {"type": "ipv4", "value": "203.0.113.45", "role": "attacker"},
            {"type": "sha256", "value": "ab" * 32, "role": "attacker"},
        ],
        "attack_techniques": ["T1486", "T1566.001"],
        "contacts": [{"name": "Hanako Sato", "email": "soc@example.jp"}],
    }
    for k, v in overrides.items():
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = v
    return doc


def body_of(doc):
    return doc if isinstance(doc, bytes) else json.dumps(doc).encode()


class Operator:
    """An operator organization with one registered Ed25519 key."""

    def __init__(self, base_url, org_id, name, key_id, signing_key):
        self.base_url = base_url
        self.org_id = org_id
        self.name = name
        self.key_id = key_id
        self.key = signing_key

    def message(self, method, path, body=None, **kw):
        return signing.new_message(self.base_url, method, path, body, **kw)

    def sign(self, msg, components=None, label="sig1", **param_kw):
        """Sign and attach; msg.sig is the Signature. A random nonce is added unless
        nonce=None: identical requests in one second would otherwise carry identical
        signature bytes, which the server rightly refuses as replays."""
        param_kw.setdefault("keyid", self.key_id)
        param_kw.setdefault("nonce", secrets.token_hex(8))
        sig = signing.sign(msg, self.key, components=components, label=label, **param_kw)
        msg.sig = sig
        SENT_SIGNATURES.append(base64.b64encode(sig.signature).decode())
        return signing.attach(msg, sig)

    def request(self, method, path, body=None, components=None, **param_kw):
        """Build and sign a request (not sent)."""
        return self.sign(self.message(method, path, body), components=components, **param_kw)

    def post_report(self, doc=None, **param_kw):
        """Sign and POST a report (dict or exact bytes); returns (Response, body bytes)."""
        body = body_of(valid_report() if doc is None else doc)
        r = signing.send(self.request("POST", "/v1/reports", body, **param_kw))
        return r, body

    def get(self, path, **param_kw):
        return signing.send(self.request("GET", path, **param_kw))


@pytest.fixture(scope="session")
def operator_factory(dsn):
    """make(base_url, db=None) → an Operator registered in db (default: the session database)."""
    def make(base_url, sector="electric_power", region="kanto", db=None):
        db = db or dsn
        name = f"e2e operator {uuid.uuid4().hex[:12]}"
        org = admin_json(db, "org-create", "--kind", "operator", "--name", name,
                         "--sector", sector, "--region", region)
        key = nacl.signing.SigningKey.generate()
        key_id = f"e2e-{secrets.token_hex(6)}"
        pub = base64.b64encode(bytes(key.verify_key)).decode()
        added = admin_json(db, "key-add", "--org", org["id"], "--public-key", pub,
                           "--key-id", key_id)
        assert added["key_id"] == key_id
        return Operator(base_url, org["id"], name, key_id, key)

    return make


@pytest.fixture(scope="session")
def operator(operator_factory, base_url):
    """operator() → a new Operator of the session server, with a fresh key."""
    return lambda **kw: operator_factory(base_url, **kw)


TABLES = ("reports", "incidents", "outbox", "audit_log", "seen_signatures")


def table_counts(dsn):
    q = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)
    return {name: int(n) for name, n in psql(dsn, q)}


def wait_for(what, predicate, timeout, poll=0.05):
    """predicate() until truthy (returned), or fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


def assert_problem(r, status, slug, pointer=None):
    """r is an RFC 9457 problem of this status and slug (and pointer, if given)."""
    assert r.status == status, r
    assert (r.header("Content-Type") or "").startswith("application/problem+json"), r.headers
    p = r.json()
    assert p["type"] == f"urn:isacd:problem:{slug}", p
    assert p["status"] == status, p
    assert isinstance(p.get("title"), str) and p["title"], p
    assert "detail" not in p or (isinstance(p["detail"], str) and p["detail"]), p
    assert p.get("request_id") == r.header("X-Request-Id"), (p, r.headers)
    if pointer is not None:
        assert p.get("pointer") == pointer, p
    return p
