"""The coordinators' live stream, GET /v1/coord/stream (api.md), end to end.

A module world (feedworld.py) on its own database, so that the audit log
holds only what this module does: a server with a 1 s heartbeat, a
coordinator, operators and subscribers; a second instance with room for two
streams and no heartbeat to speak of (its streams can only be woken by the
audit log's NOTIFY). Every event is checked against the audit_log row it
stands for, read with psql (conftest's `sql` helper, on this module's
database). The SSE client (sse.py) reads raw bytes with a deadline on every
read.

Written from api.md, not from server/. Must never: pass when no event came
(every wait fails loudly), or wait without a bound.
"""

import json
import re
import time
from datetime import datetime

import pytest

import feedworld
import sse
from conftest import admin_json, assert_problem, psql
from coordapi import new_coordinator
from feedworld import SECTOR_A, SECTOR_B

ARRIVAL_S = 2.0        # an audit entry reaches a stream this soon after its commit
HEARTBEAT_S = 1
WAIT_S = 20.0          # the worker's events (a bulletin after a report) within this
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


@pytest.fixture(scope="module")
def world(databases, server_factory):
    w = feedworld.build(databases, server_factory, "cstream",
                        {"ISACD_STREAM_HEARTBEAT_S": HEARTBEAT_S, "ISACD_MAX_STREAMS": 32})
    w.add_subscriber("green", ["CLEAR", "GREEN"])
    w.streams = []
    yield w
    for s in w.streams:
        s.close()
    assert w.server.stop() == 0, w.server.log_tail()


def connect(w, token="coord", base=None, **kw):
    """GET /v1/coord/stream (token: "coord" for the world's coordinator); closed with the module."""
    s = sse.open_stream(base or w.base, w.coord.token if token == "coord" else token,
                        path="/v1/coord/stream", **kw)
    w.streams.append(s)
    return s


def opened(w, **kw):
    s = connect(w, **kw)
    assert s.status == 200, s
    return s


def head(w):
    return int(psql(w.db, "SELECT coalesce(max(seq), 0) FROM audit_log")[0][0])


def audit_rows(w, after, upto):
    """The audit_log rows after..upto as the events' data must be, in seq order."""
    rows = psql(w.db, "SELECT seq, (extract(epoch FROM at) * 1000000)::bigint, actor, action,"
                      f" subject, detail FROM audit_log WHERE seq > {int(after)}"
                      f" AND seq <= {int(upto)} ORDER BY seq")
    return [{"seq": int(seq), "at_us": int(at), "actor": actor, "action": action,
             "subject": subject, "detail": json.loads(detail)}
            for seq, at, actor, action, subject, detail in rows]


def as_row(e):
    """An event as an audit_log row (checking its shape on the way)."""
    assert e.event == "audit", e
    d = e.json()
    assert list(d) == ["seq", "at", "actor", "action", "subject", "detail"], d
    assert e.id == str(d["seq"]), (e.id, d)
    assert RFC3339_UTC.match(d["at"]), d["at"]
    at = datetime.fromisoformat(d["at"])
    at_us = int(at.timestamp()) * 1000000 + at.microsecond
    assert isinstance(d["detail"], dict), d
    return {"seq": d["seq"], "at_us": at_us, "actor": d["actor"], "action": d["action"],
            "subject": d["subject"], "detail": d["detail"]}


def events_upto(stream, last_seq, timeout=WAIT_S):
    """Events until the one with seq last_seq; fails on a gap past it or a timeout."""
    got = []
    deadline = time.monotonic() + timeout
    while not got or int(got[-1].id) < last_seq:
        e = stream.next_event(max(0.0, deadline - time.monotonic()))
        assert e is not None, (f"no event up to seq {last_seq} within {timeout} s "
                               f"(closed={stream.closed}); got {[x.id for x in got]}")
        got.append(e)
    return got


def check_exact(w, evs, after):
    """evs are exactly the audit entries after `after`, in order, none twice, none missing."""
    seqs = [int(e.id) for e in evs]
    assert all(b > a for a, b in zip(seqs, seqs[1:])), seqs
    assert [as_row(e) for e in evs] == audit_rows(w, after, seqs[-1]), seqs


def issue_token(w, org_id, label="e2e cstream"):
    """One synchronous audit entry (token.issued) through the coordinator API."""
    r = w.coord.post(f"/v1/coord/orgs/{org_id}/tokens", {"label": label})
    assert r.status == 201, r
    return r.json()


# ---------------------------------------------------------------- the stream's shape


def test_coord_stream_answers_an_event_stream(world):
    s = opened(world)
    assert s.header("Content-Type").split(";")[0].strip() == "text/event-stream", s.headers
    assert s.header("Cache-Control") == "no-store", s.headers
    assert s.quiet_for(0.3) == []     # nothing from before it was opened
    assert s.retry is not None and 1000 <= s.retry <= 60000, s.retry
    assert not s.closed


def test_a_report_and_its_bulletin_arrive_as_audit_events(world):
    w = world
    coord = opened(w)
    feed = sse.open_stream(w.base, w.subs["green"].api.token)   # a subscriber alongside
    w.streams.append(feed)
    assert feed.status == 200, feed
    start = head(w)
    pub = w.publish(SECTOR_A, "GREEN")
    # the report's receipt, then the worker's bulletin
    evs = events_upto(coord, head(w))
    check_exact(w, evs, start)
    rows = [as_row(e) for e in evs]
    received = [r for r in rows if r["action"] == "report.received"]
    assert len(received) == 1, rows
    assert received[0]["actor"].startswith("key:"), received
    # published by the worker, or approved when policy held it for review
    published = [r for r in rows if r["action"] in ("bulletin.published", "bulletin.approved")]
    assert [r["subject"] for r in published] == [pub.bulletin_id], rows
    assert rows.index(received[0]) < rows.index(published[0])
    # the entry arrived soon after the stream's NOTIFY, not at some later poll
    assert evs[-1].at - pub.published_at <= ARRIVAL_S
    # and the subscriber's stream goes on as before
    (b,) = feed.events(1, ARRIVAL_S + 8)
    assert b.event == "bulletin" and b.json()["id"] == pub.bulletin_id, b
    assert coord.quiet_for(0.5) == []


def test_each_audited_action_is_one_event(world):
    w = world
    s = opened(w)
    start = head(w)
    issued = issue_token(w, w.subs["green"].org_id)
    r = w.coord.request("DELETE", f"/v1/coord/tokens/{issued['id']}")
    assert r.status == 200, r
    r = w.coord.put(f"/v1/coord/subscribers/{w.subs['green'].org_id}",
                    {"clearance": ["CLEAR", "GREEN"], "sectors": []})
    assert r.status == 200, r
    evs = s.events(3, ARRIVAL_S + 3)
    check_exact(w, evs, start)
    assert [e.json()["action"] for e in evs] == ["token.issued", "token.revoked",
                                                  "subscriber.set"]
    assert all(e.json()["actor"] == f"token:{w.coord.token_id}" for e in evs)
    assert evs[0].json()["subject"] == issued["id"]
    assert s.quiet_for(0.5) == []


# ---------------------------------------------------------------- resuming


def test_last_event_id_resumes_with_exactly_the_missed_entries(world):
    w = world
    s = opened(w)
    issue_token(w, w.subs["green"].org_id)
    (seen,) = s.events(1, ARRIVAL_S + 3)
    s.close()
    for i in range(3):
        issue_token(w, w.subs["green"].org_id, label=f"missed {i}")
    w.submit(SECTOR_B, "CLEAR")            # and whatever the worker does with it
    upto = head(w)
    r = opened(w, last_event_id=seen.id)
    evs = events_upto(r, upto)
    assert int(evs[0].id) == int(seen.id) + 1
    check_exact(w, evs, int(seen.id))
    # it goes on live after the catch-up, with nothing twice and nothing missing
    issued = issue_token(w, w.subs["green"].org_id, label="live")
    later = events_upto(r, head(w))
    check_exact(w, evs + later, int(seen.id))
    assert issued["id"] in [e.json()["subject"] for e in later], [e.data for e in later]


def test_resuming_from_zero_replays_the_whole_log_in_order(world):
    """Far more entries than one batch: they come whole, in order, then the stream idles."""
    w = world
    for i in range(20):
        issue_token(w, w.subs["green"].org_id, label=f"bulk {i}")
    upto = head(w)
    assert upto > 20, upto
    s = opened(w, last_event_id="0")
    evs = events_upto(s, upto, timeout=10)
    assert int(evs[0].id) == 1
    check_exact(w, evs, 0)
    assert s.quiet_for(0.5) == []


def test_resuming_at_the_head_sends_only_what_comes_next(world):
    w = world
    at = head(w)
    s = opened(w, last_event_id=str(at))
    assert s.quiet_for(0.5) == []
    issued = issue_token(w, w.subs["green"].org_id)
    (e,) = s.events(1, ARRIVAL_S + 3)
    assert int(e.id) == at + 1 and e.json()["subject"] == issued["id"], e
    check_exact(w, [e], at)
    # an empty Last-Event-ID counts as absent: from the end
    s2 = opened(w, last_event_id="")
    assert s2.quiet_for(0.3) == []


# ---------------------------------------------------------------- refusals


def test_bad_last_event_id_is_refused_before_the_stream(world):
    w = world
    end = head(w)
    for bad in ("abc", "-1", "1.5", "0x10", "1e3", str(end + 1), str(end + 100000),
                "9" * 19, "9" * 40, "x" * 3500):
        p = assert_problem(connect(w, last_event_id=bad), 400, "bad-query")
        assert "Last-Event-ID" in p.get("detail", ""), (bad, p)
    # a subscriber stream's id (a feed cursor) is not an audit seq either
    p = assert_problem(connect(w, last_event_id="ZmVlZCB2MXwx"), 400, "bad-query")
    assert "Last-Event-ID" in p.get("detail", ""), p


def test_coord_stream_needs_a_coordinator_token(world):
    w = world
    assert_problem(connect(w, token=None), 401, "authentication-required")
    assert_problem(connect(w, token="not-a-token"), 401, "token-invalid")
    assert_problem(connect(w, token=w.subs["green"].api.token), 403, "forbidden")
    assert_problem(w.coord.post("/v1/coord/stream"), 405, "method-not-allowed")
    # and the subscriber's stream still refuses a coordinator
    assert_problem(sse.open_stream(w.base, w.coord.token), 403, "forbidden")


# ---------------------------------------------------------------- liveness and lifetime


def test_idle_coord_stream_gets_heartbeats(world):
    s = opened(world)
    assert s.quiet_for(3.5 * HEARTBEAT_S) == []
    assert len(s.comments) >= 2, s.comments
    assert not s.closed


@pytest.mark.parametrize("how", ["api", "cli"])
def test_revoking_the_token_ends_the_stream(world, how):
    w = world
    other = new_coordinator(w.db, w.base)
    tok = admin_json(w.db, "token-issue", "--org", other.org_id, "--label", "e2e cstream")
    s = connect(w, token=tok["token"])
    assert s.status == 200, s
    assert s.quiet_for(0.3) == []
    if how == "api":
        r = w.coord.request("DELETE", f"/v1/coord/tokens/{tok['id']}")
        assert r.status == 200, r
    else:
        admin_json(w.db, "token-revoke", "--id", tok["id"])
    assert s.wait_closed(HEARTBEAT_S + 2), "the stream outlived its token"
    assert_problem(connect(w, token=tok["token"]), 401, "token-invalid")


def test_slots_count_both_kinds_and_notify_wakes_coord_streams(world, server_factory):
    """A second instance with two slots and a heartbeat of minutes: a coordinator's stream
    and a subscriber's take both, a third of either kind is refused; only the NOTIFYs of
    the audit log and of publications can wake them; SIGTERM ends them."""
    w = world
    small = server_factory("cstream-small", dsn=w.db,
                           env_extra={"ISACD_K": feedworld.K,
                                      "ISACD_REVIEW_SEVERITY": feedworld.REVIEW_SEVERITY,
                                      "ISACD_MAX_STREAMS": 2,
                                      "ISACD_STREAM_HEARTBEAT_S": 300}).start()
    coord = opened(w, base=small.base_url)
    feed = sse.open_stream(small.base_url, w.subs["green"].api.token)
    w.streams.append(feed)
    assert feed.status == 200, feed
    p = assert_problem(connect(w, base=small.base_url), 503, "unavailable")
    assert "2" in p.get("detail", ""), p
    third = sse.open_stream(small.base_url, w.subs["green"].api.token)
    w.streams.append(third)
    assert_problem(third, 503, "unavailable")
    assert small.get("/healthz").status == 200       # ordinary requests still pass
    # (the listener looks once, a second after it starts: let that pass)
    assert coord.quiet_for(1.5) == []
    # an entry written through the other instance wakes this one's coordinator stream
    start = head(w)
    t0 = time.monotonic()
    issued = issue_token(w, w.subs["green"].org_id)
    (e,) = coord.events(1, ARRIVAL_S)
    assert e.at - t0 <= ARRIVAL_S and e.json()["subject"] == issued["id"], e
    check_exact(w, [e], start)
    assert feed.quiet_for(0.3) == []                  # an audit entry is no bulletin
    pub = w.publish(SECTOR_B, "GREEN")
    (b,) = feed.events(1, ARRIVAL_S)
    assert b.json()["id"] == pub.bulletin_id, b
    check_exact(w, [e] + events_upto(coord, head(w)), start)
    assert small.stop() == 0, small.log_tail()
    assert coord.wait_closed(5) and feed.wait_closed(5)
    assert "stream(s) still sending" not in small.log_tail(200)
