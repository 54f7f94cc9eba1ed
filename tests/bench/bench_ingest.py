"""Ingest and read figures for isacd (make bench).

Starts one isacd against the throw-away cluster of tests/lib/with-pg.sh,
registers a few operators, then measures on 127.0.0.1 only, each phase
bounded in count and time:
  - GET /healthz (the HTTP floor),
  - POST /v1/reports, signed, from several client threads (the ingest path:
    signature, digest, validation, one transaction, receipt),
  - signed GET /v1/reports/{id},
  - how long the worker needs to turn the reports into bulletins after the
    ingest phase (anonymize, STIX, store; it runs alongside ingest too),
  - paging a subscriber through the JSON feed and a TAXII collection from
    the first page to the last (keyset: the last page should cost what the
    first does),
and the server's peak resident memory. Prints a table; exits non-zero only
if the server misbehaves (a non-2xx answer), never for being slow.

Note: the client signs in Python, so on a 2-core machine client and server
share the CPU; the figures are a floor for the server, not a ceiling.
"""

import argparse
import json
import os
import pathlib
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import nacl.signing  # noqa: E402

import signing  # noqa: E402

BIN = os.environ["ISACD_BIN"]
DSN = os.environ["ISACD_TEST_DSN"]

REPORT = {
    "title": "Ransomware on billing servers",
    "summary": "Encrypted billing servers; initial access via a phishing e-mail. " * 8,
    "incident_type": "ransomware",
    "severity": "low",
    "sector": "electric_power",
    "detected_at": "2026-11-25T06:10:00Z",
    "phase": "early_warning",
    "tlp": "GREEN",  # published at once, so the feeds have something to page
    "impact": {"class": "moderate", "description": "Billing delayed"},
    "indicators": [
        {"type": "ipv4", "value": f"203.0.113.{i}", "role": "attacker"} for i in range(1, 21)
    ],
    "attack_techniques": ["T1486", "T1566.001"],
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env, *args):
    out = subprocess.run([BIN, *args], env=env, check=True, capture_output=True, text=True,
                         timeout=30)
    return json.loads(out.stdout)


def rss_kib(pid, field):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def percentiles(samples_s):
    ms = sorted(x * 1000 for x in samples_s)
    def pct(p):
        return ms[min(len(ms) - 1, int(p / 100 * len(ms)))]
    return statistics.median(ms), pct(95), pct(99)


def run_phase(name, threads, per_thread, make_request, deadline_s):
    """Run make_request(thread_index, i) from `threads` threads; return figures."""
    lat, errors, lock = [], [], threading.Lock()
    stop_at = time.monotonic() + deadline_s

    def worker(t):
        for i in range(per_thread):
            if time.monotonic() > stop_at:
                return
            t0 = time.perf_counter()
            status = make_request(t, i)
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)
                if status // 100 != 2:
                    errors.append(status)

    t0 = time.perf_counter()
    ths = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    wall = time.perf_counter() - t0
    p50, p95, p99 = percentiles(lat)
    print(f"{name:<34} {len(lat):>6} req {len(lat) / wall:>8.1f} req/s   "
          f"p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms   errors {len(errors)}")
    return errors


def page_through(url_of, token, seconds):
    """GET pages until the last; returns (pages, items, first-page ms, last-page ms)."""
    import urllib.request
    pages, items, times, cursor = 0, 0, [], None
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        req = urllib.request.Request(url_of(cursor), headers={
            "Authorization": f"Bearer {token}", "Accept": "application/taxii+json;version=2.1"})
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=30) as r:
            body = json.loads(r.read())
        times.append((time.perf_counter() - t0) * 1000)
        pages += 1
        got = body.get("bulletins", body.get("objects", []))
        items += len(got)
        cursor = body.get("next") if "objects" in body else body.get("next_cursor")
        if not got or not body.get("more", False):
            break
    return pages, items, times[0], times[-1], statistics.median(times)


def feed_figures(env, base, seconds, failures):
    """Page a subscriber through the JSON feed and a TAXII collection, first to last page."""
    import urllib.parse
    sub = cli(env, "admin", "org-create", "--kind", "subscriber", "--name", "Bench Subscriber")
    token = cli(env, "admin", "token-issue", "--org", sub["id"])["token"]
    cli(env, "admin", "subscriber-set", "--org", sub["id"], "--clearance", "CLEAR,GREEN")
    q = urllib.parse.quote
    pages, items, first, last, median = page_through(
        lambda c: f"{base}/v1/bulletins?limit=50" + (f"&cursor={q(c)}" if c else ""), token,
        seconds)
    print(f"{'JSON feed, 50 per page':<34} {items:>6} bulletins in {pages} pages;"
          f" first page {first:6.2f} ms, median {median:6.2f} ms, last {last:6.2f} ms")
    if items == 0:
        failures.append("JSON feed empty")
    green = "ad0652c7-28a7-4806-967c-c41ee839aabd"  # the TLP:GREEN collection
    for attempt in ("", " (again)"):
        pages, items, first, last, median = page_through(
            lambda c: f"{base}/taxii2/api/collections/{green}/objects/?limit=200"
                      + (f"&next={q(c)}" if c else ""), token, seconds)
        print(f"{'TAXII objects, 200 per page' + attempt:<34} {items:>6} objects in {pages}"
              f" pages; first page {first:6.2f} ms, median {median:6.2f} ms, last {last:6.2f} ms")
    if items == 0:
        failures.append("TAXII collection empty")


def coord_figures(env, base, seconds, failures):
    """Page a coordinator through the queue, the bulletin list and the audit log,
    and time the statistics, at the size the ingest phase left."""
    import urllib.parse
    import urllib.request
    org = cli(env, "admin", "org-create", "--kind", "coordinator", "--name", "Bench Coordinator")
    token = cli(env, "admin", "token-issue", "--org", org["id"])["token"]
    q = urllib.parse.quote

    def get(url):
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=30) as r:
            body = json.loads(r.read())
        return body, (time.perf_counter() - t0) * 1000

    def walk(label, path, items_key, next_key, next_param):
        pages, items, times, pos = 0, 0, [], None
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            sep = "&" if "?" in path else "?"
            body, ms = get(base + path + (f"{sep}{next_param}={q(str(pos))}" if pos else ""))
            times.append(ms)
            pages += 1
            items += len(body[items_key])
            pos = body.get(next_key)
            if pos is None:
                break
        print(f"{label:<34} {items:>6} {items_key} in {pages} pages; first page {times[0]:6.2f} ms,"
              f" median {statistics.median(times):6.2f} ms, last {times[-1]:6.2f} ms")
        if items == 0:
            failures.append(f"{label}: empty")

    walk("coord queue, 50 per page", "/v1/coord/incidents?limit=50", "incidents",
         "next_cursor", "cursor")
    walk("coord queue, overdue=false filter", "/v1/coord/incidents?limit=50&overdue=false", "incidents",
         "next_cursor", "cursor")
    walk("coord bulletin list, 50 per page", "/v1/coord/bulletins?limit=50", "bulletins",
         "next_cursor", "cursor")
    walk("coord audit log, 200 per page", "/v1/coord/audit?limit=200", "entries",
         "next_before", "before")
    times = [get(base + "/v1/coord/stats?weeks=104")[1] for _ in range(5)]
    print(f"{'coord stats, 104 weeks (5 runs)':<34} median {statistics.median(times):6.2f} ms,"
          f" max {max(times):6.2f} ms")
    req = urllib.request.Request(base + "/v1/coord/audit/verify", method="POST", data=b"",
                                 headers={"Authorization": f"Bearer {token}"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:
        v = json.loads(r.read())
    print(f"{'coord audit chain verification':<34} {v['checked']:>6} entries in"
          f" {(time.perf_counter() - t0) * 1000:8.1f} ms; ok {v['ok']}")
    if not v["ok"]:
        failures.append("audit chain broken")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--reports", type=int, default=250, help="reports per thread")
    ap.add_argument("--seconds", type=float, default=40, help="time bound per phase")
    args = ap.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="isacd-bench."))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ISACD_DATABASE_URL=DSN, ISACD_PORT=str(port), ISACD_PUBLIC_URL=base,
               ISACD_SERVER_KEY=str(work / "server.key"), ISACD_LOG_LEVEL="warn",
               ISACD_THREADS="4")
    subprocess.run([BIN, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    operators = []
    for t in range(args.threads):
        org = cli(env, "admin", "org-create", "--kind", "operator", "--name", f"Bench Op {t}",
                  "--sector", "electric_power", "--region", "kanto")
        key = nacl.signing.SigningKey.generate()
        pub = key.verify_key.encode(encoder=nacl.encoding.Base64Encoder).decode()
        cli(env, "admin", "key-add", "--org", org["id"], "--public-key", pub, "--key-id",
            f"bench-{t}")
        operators.append((f"bench-{t}", key))

    server = subprocess.Popen([BIN, "serve"], env=env, stderr=open(work / "serve.log", "wb"))
    failures = []
    try:
        for _ in range(100):
            try:
                if signing.send(signing.new_message(base, "GET", "/healthz")).status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        body = json.dumps(REPORT).encode()
        ids = [[] for _ in operators]

        def health(t, i):
            return signing.send(signing.new_message(base, "GET", "/healthz")).status

        def post(t, i):
            kid, key = operators[t]
            msg = signing.new_message(base, "POST", "/v1/reports", body)
            signing.attach(msg, signing.sign(msg, key, keyid=kid, nonce=os.urandom(12).hex()))
            r = signing.send(msg)
            if r.status == 201:
                ids[t].append(r.json()["id"])
            return r.status

        def get(t, i):
            kid, key = operators[t]
            if not ids[t]:
                return 200
            msg = signing.new_message(base, "GET", f"/v1/reports/{ids[t][i % len(ids[t])]}")
            signing.attach(msg, signing.sign(msg, key, keyid=kid, nonce=os.urandom(12).hex()))
            return signing.send(msg).status

        print(f"isacd bench: {args.threads} client threads, server ISACD_THREADS=4, "
              f"report body {len(body)} bytes, {os.cpu_count()} cores")
        print("PostgreSQL: throw-away cluster with fsync off (PG_FAST); commits on real disks"
              " cost an fsync each")
        failures += run_phase("GET /healthz", args.threads, args.reports, health, args.seconds)
        failures += run_phase("POST /v1/reports (signed)", args.threads, args.reports, post,
                              args.seconds)
        failures += run_phase("GET /v1/reports/{id} (signed)", args.threads, args.reports, get,
                              args.seconds)
        drain_t0 = time.perf_counter()
        pending = -1
        while time.perf_counter() - drain_t0 < args.seconds:
            pending = int(subprocess.run(
                ["psql", DSN, "-At", "-c", "SELECT count(*) FROM outbox WHERE done_at IS NULL"],
                check=True, capture_output=True, text=True, timeout=30).stdout)
            if pending == 0:
                break
            time.sleep(0.2)
        made = int(subprocess.run(
            ["psql", DSN, "-At", "-c", "SELECT count(*) FROM bulletin_versions"],
            check=True, capture_output=True, text=True, timeout=30).stdout)
        print(f"{'worker: bulletin versions made':<34} {made:>6} in total; outbox drained"
              f" {pending == 0} {time.perf_counter() - drain_t0:6.2f} s after the ingest phase")
        if pending != 0:
            failures.append("outbox not drained")
        feed_figures(env, base, args.seconds, failures)
        coord_figures(env, base, args.seconds, failures)
        print(f"{'server peak RSS (VmHWM)':<34} {rss_kib(server.pid, 'VmHWM') / 1024:8.1f} MiB;"
              f" now {rss_kib(server.pid, 'VmRSS') / 1024:.1f} MiB")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    if failures:
        print(f"bench: {len(failures)} requests failed: {sorted(set(failures))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
