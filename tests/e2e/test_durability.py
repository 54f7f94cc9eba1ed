"""A 201 means committed (api.md): acknowledged reports survive a SIGKILL of isacd
(server/report.c, db.c).

A second isacd serves the session database on its own port. Reports go in
sequentially and then from several threads; the server is killed while the
threads are still sending; after a restart every acknowledged report must
be readable by its owner, byte for byte, and the audit chain must verify.
"""

import base64
import hashlib
import json
import threading
import time
import uuid

import nacl.signing
import signing
from conftest import (IsacdServer, assert_problem, dsn_with_db, migrate, psql, run_isacd,
                      table_counts, valid_report)

THREADS = 4
PER_THREAD = 10
SEQUENTIAL = 10
KILL_AFTER_ACKS = 20
DEADLINE_S = 30


def test_acknowledged_reports_survive_sigkill(server_factory, operator_factory, dsn, sql):
    srv = server_factory("crash").start()
    op = operator_factory(srv.base_url)
    key_before = srv.get("/v1/server-key").json()
    acked = {}          # report id -> the exact body bytes acknowledged
    statuses = []       # every HTTP status received before the kill
    lock = threading.Lock()
    enough = threading.Event()

    def submit(tag):
        doc = valid_report(title=f"durable {tag}", summary=f"{uuid.uuid4()} " * 3)
        r, sent = op.post_report(doc)
        with lock:
            statuses.append(r.status)
            if r.status == 201:
                acked[r.json()["id"]] = sent
                if len(acked) >= KILL_AFTER_ACKS:
                    enough.set()
        return r

    for i in range(SEQUENTIAL):
        assert submit(f"seq {i}").status == 201

    killed = threading.Event()

    def worker(t):
        for j in range(PER_THREAD):
            try:
                submit(f"thread {t} #{j}")
            except OSError:  # the server died under us: expected after the kill
                if not killed.is_set():
                    raise
                return

    errors = []

    def guarded(t):
        try:
            worker(t)
        except Exception as e:  # noqa: BLE001 — reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(t,), daemon=True) for t in range(THREADS)]
    for th in threads:
        th.start()
    assert enough.wait(DEADLINE_S), f"only {len(acked)} reports acknowledged"
    killed.set()
    srv.kill()
    assert srv.proc.returncode == -9
    for th in threads:
        th.join(DEADLINE_S)
        assert not th.is_alive(), "a client thread hung after the kill"
    assert not errors, errors
    assert set(statuses) == {201}, statuses  # nothing but 201 before the kill
    assert len(acked) < SEQUENTIAL + THREADS * PER_THREAD, "the kill came after the last report"
    print(f"{len(acked)} reports acknowledged before SIGKILL")

    srv.start()  # same database, same server key file, a new port
    op.base_url = srv.base_url
    assert srv.get("/v1/server-key").json() == key_before
    assert len(acked) >= KILL_AFTER_ACKS

    stored = dict(sql(f"SELECT id, encode(sha256(body), 'hex') FROM reports"
                      f" WHERE org_id = '{op.org_id}'"))
    for rid, sent in acked.items():
        assert stored.get(rid) == hashlib.sha256(sent).hexdigest(), rid
        g = op.get(f"/v1/reports/{rid}")
        assert g.status == 200, g
        v = g.json()
        assert v["report"] == json.loads(sent)
        assert v["receipt"]["report_sha256"] == hashlib.sha256(sent).hexdigest()
        msg = (b"isacd receipt v1\x00" + rid.encode() + hashlib.sha256(sent).digest()
               + v["receipt"]["received_at"].encode())
        nacl.signing.VerifyKey(base64.b64decode(key_before["public_key"])).verify(
            msg, base64.b64decode(v["receipt"]["signature"]))

    # All or nothing per report, crash or not: each stored report has its incident,
    # its outbox job and its audit entry.
    ids = ", ".join(f"'{i}'" for i in stored)
    assert sql(f"SELECT count(*) FROM outbox WHERE subject_id IN ({ids})") == [[str(len(stored))]]
    assert sql(f"SELECT count(*) FROM audit_log WHERE action = 'report.received'"
               f" AND subject IN ({ids})") == [[str(len(stored))]]
    assert sql(f"SELECT count(*) FROM reports r JOIN incidents i ON i.id = r.incident_id"
               f" WHERE r.id IN ({ids}) AND i.report_count = 1") == [[str(len(stored))]]

    r = run_isacd(dsn, "audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["ok"] is True

    # The restarted server takes new reports, and stops cleanly.
    assert submit("after restart").status == 201
    assert srv.stop() == 0, srv.log_tail()


def test_concurrent_follow_ups_and_replays(operator, sql):
    """The incident row lock and the replay guard hold under concurrency."""
    op = operator()
    r, _ = op.post_report()
    assert r.status == 201, r
    incident = r.json()["incident_id"]
    results = []
    lock = threading.Lock()

    def follow(i):
        res, _ = op.post_report(valid_report(incident_id=incident, title=f"follow-up {i}",
                                             phase="notification"))
        with lock:
            results.append(res.status)

    threads = [threading.Thread(target=follow, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(DEADLINE_S)
    assert results == [201] * 6, results
    inc = op.get(f"/v1/incidents/{incident}").json()
    assert inc["report_count"] == 7 and len(inc["reports"]) == 7, inc

    # The very same signed request, six times at once: exactly one is accepted.
    msg = op.request("POST", "/v1/reports", json.dumps(valid_report(title="raced")).encode())
    replies = []

    def fire():
        res = signing.send(msg)
        with lock:
            replies.append(res)

    threads = [threading.Thread(target=fire) for _ in range(6)]
    start = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join(DEADLINE_S)
    assert time.monotonic() - start < DEADLINE_S
    codes = sorted(res.status for res in replies)
    assert codes == [201] + [401] * 5, replies
    assert all(res.json()["type"] == "urn:isacd:problem:signature-replayed"
               for res in replies if res.status == 401)
    assert sql(f"SELECT count(*) FROM reports WHERE org_id = '{op.org_id}'"
               f" AND signature = '{msg.header('Signature')}'") == [["1"]]


def test_database_connections_dropped_under_the_server(databases, workdir, operator_factory):
    """PostgreSQL kills every session (a restart or failover): the server stays up,
    answers 503 at worst (never 500) while its threads reconnect, then serves again."""
    db = databases.create("e2e_drop")
    migrate(db)
    srv = IsacdServer(db, workdir, "drop").start()
    try:
        op = operator_factory(srv.base_url, db=db)
        for _ in range(8):  # every HTTP thread opens its connection
            r, _ = op.post_report()
            assert r.status == 201, r
        killed = psql(db, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                          " WHERE datname = current_database() AND pid <> pg_backend_pid()")
        assert int(killed[0][0]) >= 1
        before = table_counts(db)
        statuses = []
        for _ in range(4 * 4):
            r, _ = op.post_report()
            statuses.append(r.status)
            if r.status == 503:
                assert_problem(r, 503, "unavailable")
        assert set(statuses) <= {201, 503}, statuses
        assert statuses.count(503) <= 4, f"more 503s than HTTP threads: {statuses}"
        assert statuses[-8:] == [201] * 8, statuses
        assert table_counts(db)["reports"] == before["reports"] + statuses.count(201)
        assert srv.get("/readyz").status == 200
    finally:
        assert srv.stop() == 0, srv.log_tail()


def test_database_unreachable(databases, workdir, operator):
    """A server whose database does not exist is alive, not ready, and refuses signed
    requests with 503 rather than an authentication error or a 500."""
    missing = dsn_with_db(databases.cluster_dsn, "e2e_does_not_exist")
    srv = IsacdServer(missing, workdir, "nodb").start()
    try:
        assert srv.get("/healthz").status == 200
        assert_problem(srv.get("/readyz"), 503, "unavailable")
        op = operator()
        op.base_url = srv.base_url
        r, _ = op.post_report()
        assert_problem(r, 503, "unavailable")
        assert_problem(op.get(f"/v1/reports/{uuid.uuid4()}"), 503, "unavailable")
    finally:
        assert srv.stop() == 0, srv.log_tail()
