"""The audit log and statistics for coordinators (api.md, "GET /v1/coord/audit",
"POST /v1/coord/audit/verify", "GET /v1/coord/stats").

The module has its own database and server (feedworld.build): the tests
tamper with the audit chain and back-date incidents, which the session
database shared by every other module must never see. Expected figures are
computed here from the database rows, independently of the server's SQL.

Written from api.md; nothing here reads server/.
"""

import datetime
import json
import math
import secrets

import pytest

import feedworld
from conftest import assert_problem, psql, run_isacd
from coordapi import new_coordinator
from feedworld import SECTOR_A, SECTOR_B, SECTOR_LONE

UTC = datetime.timezone.utc
SEVERITIES = ["low", "medium", "high", "critical"]

# (sector, tlp, severity, weeks before the current one); GREEN below "high" publishes at once
INCIDENTS = [
    (SECTOR_A, "GREEN", "low", 0),
    (SECTOR_A, "GREEN", "low", 2),
    (SECTOR_A, "GREEN", "medium", 5),
    (SECTOR_A, "AMBER", "high", 2),        # held for review: never published
    (SECTOR_B, "GREEN", "low", 1),
    (SECTOR_B, "GREEN", "low", 20),        # outside 12 weeks, inside 26
    (SECTOR_B, "RED", "critical", 0),      # withheld: never published
    (SECTOR_LONE, "GREEN", "low", 0),
]


def this_monday():
    today = datetime.datetime.now(UTC).date()
    return today - datetime.timedelta(days=today.weekday())


def week_start(weeks_ago):
    return this_monday() - datetime.timedelta(weeks=weeks_ago)


@pytest.fixture(scope="module")
def world(databases, server_factory):
    w = feedworld.build(databases, server_factory, "insight")
    w.sub = new_coordinator(w.db, w.base, kind="subscriber")
    w.incidents = []  # (incident id, sector, severity, weeks ago, published)
    for sector, tlp, severity, ago in INCIDENTS:
        if tlp == "GREEN":
            pub = w.publish(sector, tlp, severity=severity)
            iid = w.coord.bulletin(pub.bulletin_id)["incident_id"]
        else:
            iid = w.submit(sector, tlp, severity=severity)
            b = w.coord.wait_bulletins([iid])[iid]["bulletin"]
            assert b["status"] in ("pending_review", "withheld"), b
        w.incidents.append((iid, sector, severity, ago, tlp == "GREEN"))
    # back-date after the bulletins exist: Wednesday noon (UTC) of the week
    for iid, _, _, ago, _ in w.incidents:
        if ago > 0:
            at = datetime.datetime.combine(week_start(ago), datetime.time(12), UTC) \
                + datetime.timedelta(days=2)
            psql(w.db, f"UPDATE incidents SET created_at = '{at.isoformat()}' WHERE id = '{iid}'")
    return w


def audit_rows(w, where="true"):
    """{seq: (at, actor, action, subject, detail text, hash hex)} straight from the table."""
    rows = psql(w.db, "SELECT seq, to_char(at AT TIME ZONE 'UTC',"
                      " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), actor, action, subject, detail,"
                      f" encode(hash, 'hex') FROM audit_log WHERE {where} ORDER BY seq DESC")
    return {int(r[0]): tuple(r[1:]) for r in rows}


def page_all(w, query="", limit=7):
    """Every entry from the head through `before`, page by page; returns (entries, pages)."""
    entries, pages, before = [], 0, None
    for _ in range(1000):
        q = f"limit={limit}" + (f"&before={before}" if before is not None else "") + query
        r = w.coord.get("/v1/coord/audit?" + q)
        assert r.status == 200, r
        page = r.json()
        assert set(page) == {"entries", "next_before"}, page
        assert len(page["entries"]) <= limit
        pages += 1
        entries += page["entries"]
        before = page["next_before"]
        if before is None:
            return entries, pages
        assert before == page["entries"][-1]["seq"], page
    raise AssertionError("the audit log did not end within 1000 pages")


def check_entry(e, row):
    at, actor, action, subject, detail, hash_hex = row
    assert set(e) == {"seq", "at", "actor", "action", "subject", "detail", "hash"}, e
    assert (e["at"], e["actor"], e["action"], e["subject"], e["hash"]) == \
        (at, actor, action, subject, hash_hex), (e, row)
    assert isinstance(e["detail"], dict) and e["detail"] == json.loads(detail), (e, detail)


# ---------------------------------------------------------------- audit listing


def test_audit_pages_cover_every_entry_once_newest_first(world):
    entries, pages = page_all(world)
    seqs = [e["seq"] for e in entries]
    head = seqs[0]
    rows = audit_rows(world, f"seq <= {head}")
    assert seqs == list(rows), "every entry exactly once, newest first"
    assert pages == math.ceil(len(rows) / 7), "no empty page after a full last one"
    assert len(rows) > 20
    for e in entries:
        check_entry(e, rows[e["seq"]])


def test_audit_before_starts_below_the_given_seq(world):
    rows = list(audit_rows(world))
    mid = rows[len(rows) // 2]
    r = world.coord.get(f"/v1/coord/audit?before={mid}&limit=3")
    assert r.status == 200, r
    assert [e["seq"] for e in r.json()["entries"]] == [s for s in rows if s < mid][:3]
    r = world.coord.get("/v1/coord/audit?before=1")
    assert r.status == 200 and r.json() == {"entries": [], "next_before": None}, r
    # the default page is 50 entries
    r = world.coord.get("/v1/coord/audit")
    assert [e["seq"] for e in r.json()["entries"]] == rows[:50]


def test_audit_action_filter_exact_and_prefix(world):
    exact, _ = page_all(world, "&action=report.received", limit=200)
    want = audit_rows(world, "action = 'report.received'")
    assert [e["seq"] for e in exact] == list(want) and len(want) == len(INCIDENTS)
    for e in exact:
        check_entry(e, want[e["seq"]])
        assert e["detail"], e  # a report's entry says what was received

    prefixed, pages = page_all(world, "&action=bulletin.", limit=3)
    want = audit_rows(world, "action LIKE 'bulletin.%'")
    assert [e["seq"] for e in prefixed] == list(want) and pages > 1
    assert len({row[2] for row in want.values()}) > 1, "several bulletin.* actions"

    # without the trailing dot the value is an exact action, not a prefix
    r = world.coord.get("/v1/coord/audit?action=bulletin")
    assert r.status == 200 and r.json()["entries"] == [], r
    # '_' is not a wildcard
    r = world.coord.get("/v1/coord/audit?action=report_received")
    assert r.status == 200 and r.json()["entries"] == [], r


@pytest.mark.parametrize("param,value", [
    ("limit", "0"), ("limit", "201"), ("limit", "x"), ("limit", "-1"), ("limit", "5a"),
    ("before", "0"), ("before", "-3"), ("before", "x"), ("before", "9" * 30),
    ("action", ""), ("action", "Report.received"), ("action", "report received"),
    ("action", ".report"), ("action", "a" * 65), ("action", "report.%"),
])
def test_audit_bad_query(world, param, value):
    r = world.coord.get(f"/v1/coord/audit?{param}={value.replace(' ', '%20')}")
    p = assert_problem(r, 400, "bad-query")
    assert p["detail"].startswith(param + ":"), p


# ---------------------------------------------------------------- verification


def verify(w):
    r = w.coord.post("/v1/coord/audit/verify")
    assert r.status == 200, r
    out = r.json()
    assert set(out) == {"ok", "checked", "first_bad_seq", "head_seq"}, out
    return out


def test_verify_ok_then_tampered_then_restored(world):
    head = int(psql(world.db, "SELECT max(seq) FROM audit_log")[0][0])
    out = verify(world)
    assert out == {"ok": True, "checked": head, "first_bad_seq": None, "head_seq": head}, out
    assert int(psql(world.db, "SELECT max(seq) FROM audit_log")[0][0]) == head, \
        "verifying is not audited"

    # alter one entry in the middle of the chain
    seq = int(psql(world.db, "SELECT min(seq) FROM audit_log WHERE action = 'report.received'"
                             f" AND seq > {head // 2}")[0][0])
    original = psql(world.db, f"SELECT detail FROM audit_log WHERE seq = {seq}")[0][0]
    tampered = json.dumps({"tampered": secrets.token_hex(4)})

    def set_detail(text):
        quoted = text.replace("'", "''")
        psql(world.db, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
                       f" UPDATE audit_log SET detail = '{quoted}' WHERE seq = {seq};"
                       " ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")

    set_detail(tampered)
    try:
        out = verify(world)
        assert out == {"ok": False, "checked": seq - 1, "first_bad_seq": seq,
                       "head_seq": head}, (seq, out)
        # the same check as the command line's
        cli = run_isacd(world.db, "audit", "verify")
        assert cli.returncode == 1 and json.loads(cli.stdout)["broken_at_seq"] == seq, cli.stdout
        # the listing shows the row as it is now stored
        r = world.coord.get(f"/v1/coord/audit?before={seq + 1}&limit=1")
        assert r.json()["entries"][0]["detail"] == json.loads(tampered), r.json()
    finally:
        set_detail(original)
    out = verify(world)
    assert out["ok"] is True and out["first_bad_seq"] is None and out["checked"] == head, out


# ---------------------------------------------------------------- statistics


def stats(w, query=""):
    r = w.coord.get("/v1/coord/stats" + query)
    assert r.status == 200, r
    s = r.json()
    assert set(s) == {"generated_at", "weeks", "sectors", "severity", "publication",
                      "incidents"}, s
    return s


def percentile_cont(values, fraction):
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    v = sorted(values)
    if not v:
        return None
    pos = fraction * (len(v) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def expected(w, weeks):
    mondays = [week_start(weeks - 1 - i) for i in range(weeks)]
    inside = [(s, sev, ago) for _, s, sev, ago, _ in w.incidents if ago < weeks]
    sectors = []
    for sector in {s for s, _, _ in inside}:
        counts = [sum(1 for s, _, ago in inside if s == sector and ago == weeks - 1 - i)
                  for i in range(weeks)]
        sectors.append({"sector": sector, "counts": counts, "total": sum(counts)})
    sectors.sort(key=lambda x: (-x["total"], x["sector"]))
    severity = [{"severity": v, "count": sum(1 for _, sev, _ in inside if sev == v)}
                for v in SEVERITIES]
    return [m.isoformat() for m in mondays], sectors, severity, len(inside)


def publication_samples(w, weeks):
    """First publication minus incident creation, from the rows, for bulletins first
    published inside the window."""
    lo = datetime.datetime.combine(week_start(weeks - 1), datetime.time(0), UTC).timestamp()
    hi = datetime.datetime.combine(this_monday() + datetime.timedelta(weeks=1),
                                   datetime.time(0), UTC).timestamp()
    rows = psql(w.db, "SELECT extract(epoch FROM min(p.published_at)),"
                      " extract(epoch FROM i.created_at) FROM publications p"
                      " JOIN bulletins b ON b.id = p.bulletin_id"
                      " JOIN incidents i ON i.id = b.incident_id GROUP BY b.id, i.created_at")
    return [float(first) - float(created) for first, created in rows
            if lo <= float(first) < hi]


@pytest.mark.parametrize("weeks", [12, 26, 1, 104])
def test_stats_per_sector_week_severity_and_publication(world, weeks):
    s = stats(world, f"?weeks={weeks}")
    mondays, sectors, severity, n = expected(world, weeks)
    assert s["weeks"] == mondays
    assert s["sectors"] == sectors
    assert s["severity"] == severity
    assert s["incidents"] == n
    samples = publication_samples(world, weeks)
    assert len(samples) == sum(1 for *_, published in world.incidents if published)
    pub = s["publication"]
    assert pub["samples"] == len(samples)
    assert pub["median_s"] == pytest.approx(percentile_cont(samples, 0.5), abs=1e-3)
    assert pub["p90_s"] == pytest.approx(percentile_cont(samples, 0.9), abs=1e-3)
    # the back-dated incidents took weeks to be published, the others less than a minute
    assert max(samples) > 19 * 7 * 86400 and min(samples) < 60
    gen = datetime.datetime.fromisoformat(s["generated_at"].replace("Z", "+00:00"))
    assert abs((datetime.datetime.now(UTC) - gen).total_seconds()) < 60


def test_stats_default_is_twelve_weeks(world):
    s = stats(world)
    assert s["weeks"] == expected(world, 12)[0]
    assert [x["sector"] for x in s["sectors"]] == [SECTOR_A, SECTOR_B, SECTOR_LONE]
    assert s["sectors"][0]["counts"][-6:] == [1, 0, 0, 2, 0, 1]  # weeks 5, 2 and 0 ago


def test_stats_ties_are_ordered_by_sector(world):
    # this week each sector has one incident: equal totals list by sector name
    s = stats(world, "?weeks=1")
    assert [x["total"] for x in s["sectors"]] == [1, 1, 1]
    assert [x["sector"] for x in s["sectors"]] == sorted([SECTOR_A, SECTOR_B, SECTOR_LONE])
    assert [x["counts"] for x in s["sectors"]] == [[1], [1], [1]]


@pytest.mark.parametrize("value", ["0", "105", "x", "", "-1", "12abc", "1.5", "9" * 40])
def test_stats_weeks_validation(world, value):
    p = assert_problem(world.coord.get(f"/v1/coord/stats?weeks={value}"), 400, "bad-query")
    assert p["detail"].startswith("weeks:"), p


# ---------------------------------------------------------------- who may ask

ENDPOINTS = [("GET", "/v1/coord/audit"), ("POST", "/v1/coord/audit/verify"),
             ("GET", "/v1/coord/stats")]


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_coordinators_only(world, method, path):
    assert_problem(world.coord.request(method, path, token=None), 401, "authentication-required")
    assert_problem(world.sub.request(method, path), 403, "forbidden")
    assert_problem(world.coord.request(method, path, token="not-a-token"), 401, "token-invalid")
