"""The live stream, GET /v1/stream (tests/e2e/STREAM_API.md), end to end.

A module world (feedworld.py) on its own database: a server with a 1 s
heartbeat for most tests, a second instance on the same database with room
for two streams only (the limit, and a stream on another instance than the
one that publishes), and a third that is stopped with streams open. The SSE
client (sse.py) reads raw bytes with a deadline on every read.

Written from the stream's documentation and api.md, not from server/. Must
never: pass when no event came (every wait fails loudly), or wait without
a bound.
"""

import json
import os
import signal
import time
import uuid

import pytest

import feedworld
import sse
from conftest import admin_json, assert_problem, free_port, run_isacd
from feedworld import SECTOR_A, SECTOR_B, feed_all, keys

ARRIVAL_S = 2.0        # a stream sees a publication this soon after it is published
HEARTBEAT_S = 1


@pytest.fixture(scope="module")
def world(databases, server_factory):
    w = feedworld.build(databases, server_factory, "stream",
                        {"ISACD_STREAM_HEARTBEAT_S": HEARTBEAT_S, "ISACD_MAX_STREAMS": 32})
    w.add_subscriber("clear", ["CLEAR"])
    w.add_subscriber("green", ["CLEAR", "GREEN"])
    w.add_subscriber("amberA", ["CLEAR", "GREEN", "AMBER"], [SECTOR_A])
    w.add_subscriber("other", ["CLEAR", "GREEN"])
    w.streams = []
    yield w
    for s in w.streams:
        s.close()
    assert w.server.stop() == 0, w.server.log_tail()


def connect(w, sub, base=None, **kw):
    """An open stream of subscriber `sub` (a name), closed with the module."""
    s = sse.open_stream(base or w.base, w.subs[sub].api.token, **kw)
    w.streams.append(s)
    return s


def opened(w, sub, **kw):
    s = connect(w, sub, **kw)
    assert s.status == 200, s
    return s


def bulletin_events(stream, n, timeout=ARRIVAL_S + 8):
    evs = stream.events(n, timeout)
    assert all(e.event == "bulletin" for e in evs), [e.event for e in evs]
    return evs


def event_keys(evs):
    return [(e.json()["id"], e.json()["version"]) for e in evs]


# ---------------------------------------------------------------- the stream's shape


def test_stream_answers_an_event_stream(world):
    s = opened(world, "green")
    assert s.header("Content-Type").split(";")[0].strip() == "text/event-stream", s.headers
    assert s.header("Cache-Control") == "no-store", s.headers
    assert len(s.header("X-Request-Id") or "") == 32, s.headers
    assert s.quiet_for(0.3) == []
    assert s.retry is not None and 1000 <= s.retry <= 60000, s.retry
    assert not s.closed


def test_new_bulletins_arrive_in_order_and_only_where_entitled(world):
    w = world
    before = w.publish(SECTOR_A, "GREEN")          # published before the streams: never sent
    streams = {name: opened(w, name) for name in ("clear", "green", "amberA")}
    pubs = [w.publish(SECTOR_A, "CLEAR"), w.publish(SECTOR_B, "GREEN"),
            w.publish(SECTOR_A, "AMBER"), w.publish(SECTOR_B, "AMBER"),
            w.publish(SECTOR_A, "GREEN", severity="medium")]
    for name, s in streams.items():
        want = w.visible(w.subs[name], pubs)
        assert want, name
        evs = bulletin_events(s, len(want))
        assert event_keys(evs) == [p.key for p in want], name
        assert before.key not in event_keys(evs)
        for e, p in zip(evs, want):
            # each within ARRIVAL_S of its publication (or of connecting, for the first)
            assert e.at - p.published_at <= ARRIVAL_S, (name, e.at - p.published_at)
        assert s.quiet_for(0.5) == [], name   # and nothing else


def test_event_data_is_the_feed_item_and_its_id_a_feed_cursor(world):
    w = world
    s = opened(w, "green")
    p1, p2 = w.publish(SECTOR_A, "GREEN"), w.publish(SECTOR_B, "CLEAR")
    e1, e2 = bulletin_events(s, 2)
    items, _ = feed_all(w.subs["green"])
    by_key = {(i["id"], i["version"]): i for i in items}
    assert e1.json() == by_key[p1.key]
    assert e2.json() == by_key[p2.key]
    assert set(e1.json()) >= {"id", "version", "published_at", "tlp", "severity",
                              "incident_type", "sector", "signature", "bundle_url", "bundle"}
    assert e1.id and e2.id and e1.id != e2.id
    # the id continues the JSON feed right after its event
    r = w.subs["green"].api.get(f"/v1/bulletins?cursor={e1.id}")
    assert r.status == 200, r
    assert keys(r.json()["bulletins"])[:1] == [p2.key]
    r = w.subs["green"].api.get(f"/v1/bulletins?cursor={e2.id}")
    assert r.status == 200 and r.json()["bulletins"] == [], r


def test_last_event_id_resumes_with_exactly_the_missed_events(world):
    w = world
    s = opened(w, "green")
    w.publish(SECTOR_A, "GREEN")
    (seen,) = bulletin_events(s, 1)
    s.close()
    missed = [w.publish(SECTOR_B, "GREEN"), w.publish(SECTOR_A, "AMBER"),
              w.publish(SECTOR_A, "CLEAR")]
    want = w.visible(w.subs["green"], missed)
    assert len(want) == 2
    r = opened(w, "green", last_event_id=seen.id)
    evs = bulletin_events(r, len(want))
    assert event_keys(evs) == [p.key for p in want]
    assert r.quiet_for(1.5) == []
    # and it goes on live after the catch-up
    live = w.publish(SECTOR_B, "CLEAR")
    assert event_keys(bulletin_events(r, 1)) == [live.key]


def test_a_feed_cursor_works_as_last_event_id(world):
    w = world
    _, cursor = feed_all(w.subs["green"])
    p = w.publish(SECTOR_B, "GREEN")
    s = opened(w, "green", last_event_id=cursor)
    assert event_keys(bulletin_events(s, 1)) == [p.key]


def test_a_long_catch_up_comes_whole_and_in_order(world):
    w = world
    _, cursor = feed_all(w.subs["clear"])
    pubs = [w.publish(SECTOR_A if i % 2 else SECTOR_B, "CLEAR") for i in range(20)]
    s = opened(w, "clear", last_event_id=cursor)
    assert event_keys(bulletin_events(s, 20)) == [p.key for p in pubs]
    assert s.quiet_for(0.5) == []


def test_subscription_filters_the_stream(world):
    w = world
    green = w.subs["green"]
    r = w.coord.post(f"/v1/coord/subscribers/{green.org_id}/subscriptions",
                     {"sectors": [SECTOR_B], "min_severity": "medium"})
    assert r.status == 201, r
    sid = r.json()["id"]
    s = opened(w, "green", path=f"/v1/stream?subscription={sid}")
    pubs = [w.publish(SECTOR_A, "GREEN", severity="medium"), w.publish(SECTOR_B, "GREEN"),
            w.publish(SECTOR_B, "GREEN", severity="medium"), w.publish(SECTOR_B, "AMBER",
                                                                       severity="medium")]
    evs = bulletin_events(s, 1)
    assert event_keys(evs) == [pubs[2].key]
    assert s.quiet_for(1.0) == []
    # an id of the filtered stream resumes only with the same subscription
    bad = connect(w, "green", last_event_id=evs[0].id)
    assert_problem(bad, 400, "bad-query")
    ok = opened(w, "green", path=f"/v1/stream?subscription={sid}", last_event_id=evs[0].id)
    assert ok.quiet_for(0.5) == []


# ---------------------------------------------------------------- refusals


def test_bad_last_event_id_is_refused_before_the_stream(world):
    w = world
    s = opened(w, "green")
    w.publish(SECTOR_A, "CLEAR")
    (e,) = bulletin_events(s, 1)
    flipped = e.id[:-3] + ("A" if e.id[-3] != "A" else "B") + e.id[-2:]
    for bad in ("garbage", "0", "12345", flipped, e.id + "AA", "x" * 3500):
        p = assert_problem(connect(w, "green", last_event_id=bad), 400, "bad-query")
        assert "Last-Event-ID" in p.get("detail", ""), p
    # issued to another subscriber: not yours
    p = assert_problem(connect(w, "other", last_event_id=e.id), 400, "bad-query")
    assert "Last-Event-ID" in p.get("detail", ""), p
    # a subscription that is not the subscriber's
    p = assert_problem(connect(w, "green", path=f"/v1/stream?subscription={uuid.uuid4()}"),
                       400, "bad-query")
    assert "subscription" in p.get("detail", ""), p
    assert_problem(connect(w, "green", path="/v1/stream?subscription=x"), 400, "bad-query")


def test_stream_needs_a_subscriber_token(world):
    w = world
    assert_problem(sse.open_stream(w.base, None), 401, "authentication-required")
    assert_problem(sse.open_stream(w.base, "not-a-token"), 401, "token-invalid")
    assert_problem(sse.open_stream(w.base, w.coord.token), 403, "forbidden")
    r = w.coord.post("/v1/stream")
    assert_problem(r, 405, "method-not-allowed")


# ---------------------------------------------------------------- liveness and lifetime


def test_idle_stream_gets_heartbeats_and_stays_open(world):
    s = opened(world, "clear")
    assert s.quiet_for(3.5 * HEARTBEAT_S) == []
    assert len(s.comments) >= 2, s.comments
    assert not s.closed


def test_revoking_the_token_ends_its_streams(world):
    w = world
    sub = w.subs["other"]
    tok = admin_json(w.db, "token-issue", "--org", sub.org_id, "--label", "e2e stream")
    s = sse.open_stream(w.base, tok["token"])
    w.streams.append(s)
    assert s.status == 200, s
    assert s.quiet_for(0.3) == []
    admin_json(w.db, "token-revoke", "--id", tok["id"])
    assert s.wait_closed(3 * HEARTBEAT_S + 2), "the stream outlived its token"


def test_revoking_the_subscription_ends_its_streams(world):
    w = world
    sub = w.subs["other"]
    r = w.coord.post(f"/v1/coord/subscribers/{sub.org_id}/subscriptions", {})
    assert r.status == 201, r
    sid = r.json()["id"]
    s = opened(w, "other", path=f"/v1/stream?subscription={sid}")
    assert w.coord.request("DELETE", f"/v1/coord/subscriptions/{sid}").status == 200
    assert s.wait_closed(3 * HEARTBEAT_S + 2), "the stream outlived its subscription"


def _cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_many_idle_streams_neither_pin_threads_nor_spin(world):
    """ISACD_THREADS is 4: twelve idle streams must leave every thread free and the CPU idle."""
    w = world
    streams = [opened(w, "green") for _ in range(12)]
    t0 = time.monotonic()
    for path in ("/healthz", "/v1/bulletins?limit=1"):
        r = w.subs["green"].api.get(path)
        assert r.status == 200, r
    assert time.monotonic() - t0 < 2.0
    cpu0 = _cpu_seconds(w.server.proc.pid)
    time.sleep(3)
    used = _cpu_seconds(w.server.proc.pid) - cpu0
    assert used < 1.0, f"the server used {used:.2f} s of CPU in 3 s with idle streams"
    p = w.publish(SECTOR_B, "GREEN")
    for s in streams:
        assert event_keys(bulletin_events(s, 1)) == [p.key]
        s.close()


def test_stream_limit_and_another_instance(world, server_factory):
    """Beyond ISACD_MAX_STREAMS: 503. A slot comes back once a client has gone. And a
    stream on this second instance hears what the first one publishes."""
    w = world
    small = server_factory("stream-small", dsn=w.db,
                           env_extra={"ISACD_K": feedworld.K, "ISACD_MAX_STREAMS": 2,
                                      "ISACD_STREAM_HEARTBEAT_S": HEARTBEAT_S}).start()
    a = opened(w, "green", base=small.base_url)
    b = opened(w, "clear", base=small.base_url)
    p = assert_problem(connect(w, "green", base=small.base_url), 503, "unavailable")
    assert "2" in p.get("detail", ""), p
    r = small.get("/healthz")      # ordinary requests still pass
    assert r.status == 200
    pub = w.publish(SECTOR_A, "CLEAR")
    assert event_keys(bulletin_events(a, 1)) == [pub.key]
    assert event_keys(bulletin_events(b, 1)) == [pub.key]
    a.close()
    deadline = time.monotonic() + 3 * HEARTBEAT_S + 3
    while True:
        c = connect(w, "green", base=small.base_url)
        if c.status == 200:
            break
        assert_problem(c, 503, "unavailable")
        assert time.monotonic() < deadline, "the slot of a closed stream never came back"
        time.sleep(0.2)
    assert small.stop() == 0


def test_sigterm_ends_open_streams_and_exits_cleanly(world, server_factory):
    w = world
    srv = server_factory("stream-stop", dsn=w.db,
                         env_extra={"ISACD_K": feedworld.K,
                                    "ISACD_STREAM_HEARTBEAT_S": 300}).start()
    idle = opened(w, "green", base=srv.base_url)
    busy = opened(w, "clear", base=srv.base_url)
    assert idle.quiet_for(0.3) == [] and busy.quiet_for(0.1) == []
    # no heartbeat for minutes: only the NOTIFY of the publication can wake these
    p = w.publish(SECTOR_B, "GREEN")
    (e,) = bulletin_events(idle, 1, timeout=ARRIVAL_S)
    assert event_keys([e]) == [p.key] and e.at - p.published_at <= ARRIVAL_S
    assert busy.quiet_for(0.3) == []
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    assert idle.wait_closed(10) and busy.wait_closed(10)
    assert srv.proc.wait(timeout=15) == 0, srv.log_tail()
    assert time.monotonic() - t0 < 8, "shutdown with open streams took too long"
    assert "stream(s) still sending" not in srv.log_tail(200)


def test_bad_stream_settings_are_refused_at_start(world):
    for name, value in (("ISACD_MAX_STREAMS", "0"), ("ISACD_MAX_STREAMS", "100000"),
                        ("ISACD_STREAM_HEARTBEAT_S", "0"), ("ISACD_STREAM_HEARTBEAT_S", "x")):
        r = run_isacd(world.db, "serve", timeout=20,
                      env_extra={"ISACD_LISTEN": "127.0.0.1", "ISACD_PORT": str(free_port()),
                                 "ISACD_SERVER_KEY": os.path.join(os.environ.get(
                                     "ISACD_TEST_TMP", "/tmp"), f"k{uuid.uuid4().hex}"),
                                 name: value})
        assert r.returncode != 0, (name, value)
        assert name in r.stdout + r.stderr, (name, value, r.stderr[-500:])


def test_every_server_log_line_is_json(world):
    """Streams that clients dropped mid-response make libmicrohttpd speak; its
    messages too must be JSON log lines (server/http.c's logger), not free text."""
    with open(world.server.log_path, encoding="utf-8", errors="replace") as f:
        lines = [ln for ln in f.read().splitlines() if not ln.startswith("--- isacd serve")]
    assert lines
    bad = []
    for ln in lines:
        try:
            assert isinstance(json.loads(ln), dict)
        except (ValueError, AssertionError):
            bad.append(ln)
    assert bad == [], bad[:5]
