"""Reporting deadlines, regimes and indicator correlation (api.md, "Reporting
regimes and deadlines", and the `deadline`/`deadlines`/`indicators` members
of GET /v1/coord/incidents and GET /v1/coord/incidents/{id}).

Deadlines run from the first report's `detected_at`, so each state is made
by submitting signed reports whose `detected_at` lies the right distance in
the past; the server's own clock receives them "now". Closing an incident
has no endpoint yet, so the waived state closes one in SQL. Titles carry a
per-run marker so that the queue's `overdue` filter can be checked exactly
while other modules add incidents of their own.

The migration backfill test builds a database at 0005 by applying the
migration files itself (recording their SHA-256 as `isacd migrate` does),
stores incidents and reports the way 0005 knew them, then lets
`isacd migrate` apply 0006.

Written from api.md; nothing here reads server/.
"""

import datetime as dt
import hashlib
import json
import os
import secrets
import subprocess
import urllib.parse
import uuid

import pytest

from conftest import admin_json, assert_problem, psql, run_isacd, sql_value, valid_report
from coordapi import new_coordinator

MARK = f"deadl{secrets.token_hex(4)}"
HOUR = dt.timedelta(hours=1)
DEFAULT = {"early_warning_s": 86400, "notification_s": 259200, "final_s": 2592000}
MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")


def utc_now():
    return dt.datetime.now(dt.timezone.utc)


def rfc3339(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s):
    assert isinstance(s, str) and s.endswith("Z"), s
    return dt.datetime.fromisoformat(s[:-1] + "+00:00")


@pytest.fixture(scope="module")
def coord(dsn, base_url):
    return new_coordinator(dsn, base_url)


def submit(op, detected, phase="early_warning", incident_id=None, title=None, **fields):
    """POST a report detected at `detected` (datetime or text); returns the acceptance."""
    doc = valid_report(title=title or f"{MARK} {phase} incident",
                       detected_at=detected if isinstance(detected, str) else rfc3339(detected),
                       occurred_at=None, phase=phase, incident_id=incident_id, **fields)
    r, _ = op.post_report(doc)
    assert r.status == 201, r
    return r.json()


def queue(coord, **params):
    r = coord.get("/v1/coord/incidents?" + urllib.parse.urlencode(params))
    assert r.status == 200, (params, r)
    return r.json()


def queue_item(coord, incident_id, title):
    """The queue's item of one incident (found by its unique title)."""
    items = [i for i in queue(coord, q=title, limit=100)["incidents"] if i["id"] == incident_id]
    assert len(items) == 1, (incident_id, title)
    return items[0]


def states(view):
    return [(d["phase"], d["state"]) for d in view["deadlines"]]


# ---------------------------------------------------------------- defaults


def test_default_regime_is_24h_72h_30d(coord, operator, sql):
    regimes = coord.ok("GET", "/v1/coord/regimes")["regimes"]
    default = [g for g in regimes if g["name"] == "default"]
    assert default == [dict(name="default", organizations=default[0]["organizations"], **DEFAULT)]
    assert [g["name"] for g in regimes] == sorted(g["name"] for g in regimes)

    op = operator()
    assert sql_value(sql(f"SELECT regime FROM organizations WHERE id = '{op.org_id}'")) \
        == "default"
    detected = (utc_now() - 2 * HOUR).replace(microsecond=0)
    title = f"{MARK} defaults {uuid.uuid4().hex[:8]}"
    a = submit(op, detected, title=title)
    view = coord.incident(a["incident_id"])
    due = {d["phase"]: parse(d["due_at"]) for d in view["deadlines"]}
    assert due == {"early_warning": detected + dt.timedelta(hours=24),
                   "notification": detected + dt.timedelta(hours=72),
                   "final": detected + dt.timedelta(days=30)}
    d = view["deadline"]
    assert d["regime"] == "default" and parse(d["detected_at"]) == detected
    assert d["next_phase"] == "notification" and d["overdue"] is False
    assert parse(d["due_at"]) == detected + dt.timedelta(hours=72)
    # the queue item carries the same deadline object
    assert queue_item(coord, a["incident_id"], title)["deadline"] == d


def test_detected_at_offset_is_read_as_an_instant(coord, operator, sql):
    op = operator()
    a = submit(op, "2026-01-02T09:30:00.1234569+09:00")
    view = coord.incident(a["incident_id"])
    assert view["deadline"]["detected_at"] == "2026-01-02T00:30:00.123456Z"
    stored = sql_value(sql("SELECT to_char(detected_at AT TIME ZONE 'UTC',"
                           " 'YYYY-MM-DD HH24:MI:SS.US') FROM incidents"
                           f" WHERE id = '{a['incident_id']}'"))
    assert stored == "2026-01-02 00:30:00.123456"


# ---------------------------------------------------------------- states


def test_each_state(coord, operator, sql):
    op = operator(sector="water", region="kinki")
    now = utc_now()

    fresh = submit(op, now - 2 * HOUR)                       # early warning in time
    late_ew = submit(op, now - 30 * HOUR)                    # early warning after 24 h
    overdue = submit(op, now - 100 * HOUR)                   # notification past its 72 h
    notified = submit(op, now - 50 * HOUR)
    submit(op, now - 50 * HOUR, "notification", notified["incident_id"])
    late_notif = submit(op, now - 100 * HOUR)
    submit(op, now - 100 * HOUR, "notification", late_notif["incident_id"])
    all_late = submit(op, now - 31 * 24 * HOUR, "final")     # everything, all at once, late
    closed = submit(op, now - 100 * HOUR)
    sql(f"UPDATE incidents SET status = 'closed' WHERE id = '{closed['incident_id']}'")

    def view(a):
        return coord.incident(a["incident_id"])

    v = view(fresh)
    assert states(v) == [("early_warning", "met"), ("notification", "due"), ("final", "due")]
    assert v["deadlines"][0]["reported_at"] == v["created_at"]
    assert v["deadlines"][1]["reported_at"] is None
    assert (v["deadline"]["next_phase"], v["deadline"]["overdue"]) == ("notification", False)

    v = view(late_ew)
    assert states(v) == [("early_warning", "late"), ("notification", "due"), ("final", "due")]

    v = view(overdue)
    assert states(v) == [("early_warning", "late"), ("notification", "overdue"),
                         ("final", "due")]
    assert (v["deadline"]["next_phase"], v["deadline"]["overdue"]) == ("notification", True)
    assert parse(v["deadline"]["due_at"]) < utc_now()

    v = view(notified)
    assert states(v) == [("early_warning", "late"), ("notification", "met"), ("final", "due")]
    assert v["deadlines"][1]["reported_at"] == v["reports"][1]["received_at"]
    assert (v["deadline"]["next_phase"], v["deadline"]["overdue"]) == ("final", False)
    assert parse(v["deadline"]["due_at"]) == parse(v["deadline"]["detected_at"]) \
        + dt.timedelta(days=30)

    v = view(late_notif)
    assert states(v) == [("early_warning", "late"), ("notification", "late"), ("final", "due")]
    assert v["deadline"]["overdue"] is False

    v = view(all_late)
    assert states(v) == [("early_warning", "late"), ("notification", "late"),
                         ("final", "late")]
    assert {d["reported_at"] for d in v["deadlines"]} == {v["created_at"]}
    assert v["deadline"]["next_phase"] is None and v["deadline"]["due_at"] is None
    assert v["deadline"]["overdue"] is False

    v = view(closed)
    assert v["status"] == "closed"
    assert states(v) == [("early_warning", "late"), ("notification", "waived"),
                         ("final", "waived")]
    assert v["deadline"]["next_phase"] is None and v["deadline"]["overdue"] is False

    # the stored columns the queue reads
    rows = sql("SELECT id, notification_at IS NOT NULL, final_at IS NOT NULL FROM incidents"
               f" WHERE id IN ('{notified['incident_id']}', '{all_late['incident_id']}',"
               f" '{fresh['incident_id']}')")
    assert {r[0]: (r[1], r[2]) for r in rows} == {
        fresh["incident_id"]: ("f", "f"), notified["incident_id"]: ("t", "f"),
        all_late["incident_id"]: ("t", "t")}


def test_a_follow_up_keeps_the_first_detected_at(coord, operator):
    op = operator()
    first = utc_now().replace(microsecond=0) - 10 * HOUR
    a = submit(op, first)
    submit(op, first + 5 * HOUR, "notification", a["incident_id"])
    submit(op, first + 6 * HOUR, "final", a["incident_id"])
    v = coord.incident(a["incident_id"])
    assert parse(v["deadline"]["detected_at"]) == first
    assert states(v) == [("early_warning", "met"), ("notification", "met"), ("final", "met")]
    # reported_at is each phase's first report
    assert [d["reported_at"] for d in v["deadlines"]] == \
        [r["received_at"] for r in v["reports"]]


# ---------------------------------------------------------------- queue filter


def test_overdue_filter_pages(coord, operator):
    op = operator(sector="gas", region="chubu")
    tag = f"{MARK}-filter"
    now = utc_now()
    want_overdue = [submit(op, now - 80 * HOUR, title=f"{tag} o{i}")["incident_id"]
                    for i in range(5)]
    want_fine = [submit(op, now - 1 * HOUR, title=f"{tag} f{i}")["incident_id"]
                 for i in range(3)]

    def walk(**params):
        seen, cursor, pages = [], None, 0
        while True:
            p = dict(q=tag, limit=2, **params)
            if cursor:
                p["cursor"] = cursor
            page = queue(coord, **p)
            assert len(page["incidents"]) <= 2
            seen += page["incidents"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                return seen, pages

    items, pages = walk(overdue="true")
    assert [i["id"] for i in items] == list(reversed(want_overdue))  # newest first, no dups
    assert pages == 3
    assert all(i["deadline"]["overdue"] is True and i["deadline"]["next_phase"] == "notification"
               for i in items)

    items, pages = walk(overdue="false")
    assert [i["id"] for i in items] == list(reversed(want_fine))
    assert pages == 2
    assert all(i["deadline"]["overdue"] is False for i in items)

    items, _ = walk()
    assert {i["id"] for i in items} == set(want_overdue + want_fine)

    # the filter combines with the others
    assert queue(coord, q=tag, overdue="true", sector="water")["incidents"] == []

    for bad in ("yes", "1", "TRUE"):
        r = coord.get("/v1/coord/incidents?" + urllib.parse.urlencode({"overdue": bad}))
        p = assert_problem(r, 400, "bad-query")
        assert "overdue" in p.get("detail", ""), p


# ---------------------------------------------------------------- regimes


def test_custom_regime_moves_due_at(coord, operator, sql):
    op = operator()
    assert coord.ok("GET", f"/v1/coord/orgs/{op.org_id}")["regime"] == "default"
    name = f"strict-{secrets.token_hex(3)}"
    body = {"early_warning_s": 3600, "notification_s": 7200, "final_s": 86400}

    r = coord.put(f"/v1/coord/regimes/{name}", body)
    assert r.status == 200, r
    assert r.json() == dict(name=name, organizations=0, **body)

    detected = (utc_now() - 3 * HOUR).replace(microsecond=0)
    title = f"{MARK} custom {uuid.uuid4().hex[:8]}"
    a = submit(op, detected, title=title)
    before = coord.incident(a["incident_id"])
    assert parse(before["deadline"]["due_at"]) == detected + dt.timedelta(hours=72)
    assert before["deadline"]["overdue"] is False

    r = coord.put(f"/v1/coord/orgs/{op.org_id}/regime", {"regime": name})
    assert r.status == 200, r
    assert r.json() == {"org_id": op.org_id, "regime": name}
    assert coord.ok("GET", f"/v1/coord/orgs/{op.org_id}")["regime"] == name
    assert coord.ok("GET", f"/v1/coord/orgs/{coord.org_id}")["regime"] is None


    after = coord.incident(a["incident_id"])
    assert after["deadline"]["regime"] == name
    assert parse(after["deadline"]["due_at"]) == detected + dt.timedelta(hours=2)
    assert after["deadline"]["overdue"] is True
    assert states(after) == [("early_warning", "late"), ("notification", "overdue"),
                             ("final", "due")]
    assert [parse(d["due_at"]) - detected for d in after["deadlines"]] == \
        [dt.timedelta(seconds=s) for s in body.values()]
    assert queue_item(coord, a["incident_id"], title)["deadline"] == after["deadline"]
    assert [i["id"] for i in queue(coord, q=title, overdue="true")["incidents"]] == \
        [a["incident_id"]]

    listed = {g["name"]: g for g in coord.ok("GET", "/v1/coord/regimes")["regimes"]}
    assert listed[name] == dict(name=name, organizations=1, **body)

    # replacing the regime moves the deadline again
    body2 = {"early_warning_s": 3600, "notification_s": 4 * 3600, "final_s": 86400}
    assert coord.put(f"/v1/coord/regimes/{name}", body2).json() == \
        dict(name=name, organizations=1, **body2)
    assert parse(coord.incident(a["incident_id"])["deadline"]["due_at"]) == \
        detected + dt.timedelta(hours=4)
    assert coord.incident(a["incident_id"])["deadline"]["overdue"] is False

    audit = sql("SELECT action, subject, actor, detail FROM audit_log"
                f" WHERE (action = 'regime.set' AND subject = '{name}')"
                f" OR (action = 'org.regime' AND subject = '{op.org_id}') ORDER BY seq")
    assert [(a_, s) for a_, s, _, _ in audit] == [("regime.set", name), ("org.regime", op.org_id),
                                                 ("regime.set", name)]
    assert all(actor == f"token:{coord.token_id}" for _, _, actor, _ in audit)
    details = [json.loads(d) for _, _, _, d in audit]
    assert details[0] == dict(by_org=coord.org_id, **body)
    assert details[1] == {"regime": name, "previous": "default", "by_org": coord.org_id}


def test_regime_put_validation(coord, sql):
    name = f"valid-{secrets.token_hex(3)}"
    good = dict(DEFAULT)

    def put(body, n=name):
        return coord.put(f"/v1/coord/regimes/{n}", body)

    cases = [
        ({**good, "early_warning_s": 300000}, 422, "validation-failed", "/notification_s"),
        ({**good, "final_s": 3600}, 422, "validation-failed", "/final_s"),
        ({**good, "early_warning_s": 0}, 422, "validation-failed", "/early_warning_s"),
        ({**good, "final_s": 31536001}, 422, "validation-failed", "/final_s"),
        ({**good, "notification_s": -5}, 422, "validation-failed", "/notification_s"),
        ({**good, "final_s": "30d"}, 422, "wrong-type", "/final_s"),
        ({"early_warning_s": 1, "notification_s": 2}, 422, "missing-field", "/final_s"),
        ({**good, "extra": 1}, 422, "unknown-field", "/extra"),
    ]
    for body, status, slug, pointer in cases:
        assert_problem(put(body), status, slug, pointer)
    for bad in ("Upper", "has%20space", "x" * 33, "dot.name", "%C3%A9t%C3%A9"):
        p = assert_problem(put(good, bad), 422, "validation-failed")
        assert "name" in p["detail"], p
    assert sql_value(sql("SELECT count(*) FROM reporting_regimes WHERE name LIKE 'valid-%'"
                         " OR name LIKE 'x%' OR name = 'Upper'")) == "0"

    # the bounds themselves are accepted, equal durations too
    edge = {"early_warning_s": 1, "notification_s": 1, "final_s": 31536000}
    r = put(edge)
    assert r.status == 200 and r.json() == dict(name=name, organizations=0, **edge), r
    assert put({**edge, "early_warning_s": 2}).status == 422
    assert sql_value(sql("SELECT early_warning_s || '/' || notification_s || '/' || final_s"
                         f" FROM reporting_regimes WHERE name = '{name}'")) == "1/1/31536000"


def test_org_regime_refusals(coord, dsn, operator, sql):
    sub = admin_json(dsn, "org-create", "--kind", "subscriber", "--name",
                     f"e2e deadlines sub {uuid.uuid4().hex[:8]}")
    p = assert_problem(coord.put(f"/v1/coord/orgs/{sub['id']}/regime", {"regime": "default"}),
                       409, "conflict")
    assert "operator" in p["detail"], p
    assert_problem(coord.put(f"/v1/coord/orgs/{coord.org_id}/regime", {"regime": "default"}),
                   409, "conflict")

    op = operator()
    for regime in ("no-such-regime", "Not A Name", "x" * 40):
        assert_problem(coord.put(f"/v1/coord/orgs/{op.org_id}/regime", {"regime": regime}),
                       422, "validation-failed", "/regime")
    assert_problem(coord.put(f"/v1/coord/orgs/{op.org_id}/regime", {}), 422, "missing-field",
                   "/regime")
    assert_problem(coord.put(f"/v1/coord/orgs/{op.org_id}/regime", {"regime": 7}), 422,
                   "wrong-type", "/regime")
    assert_problem(coord.put(f"/v1/coord/orgs/{uuid.uuid4()}/regime", {"regime": "default"}),
                   404, "not-found")
    assert_problem(coord.put("/v1/coord/orgs/not-a-uuid/regime", {"regime": "default"}),
                   404, "not-found")
    assert sql_value(sql(f"SELECT regime FROM organizations WHERE id = '{op.org_id}'")) \
        == "default"
    assert sql_value(sql("SELECT count(*) FROM audit_log WHERE action = 'org.regime'"
                         f" AND subject IN ('{op.org_id}', '{sub['id']}')")) == "0"


def test_regime_endpoints_need_a_coordinator(coord, dsn, operator):
    sub = new_coordinator(dsn, coord.base_url, kind="subscriber")
    op = operator()
    calls = [("GET", "/v1/coord/regimes", None),
             ("PUT", "/v1/coord/regimes/default", DEFAULT),
             ("PUT", f"/v1/coord/orgs/{op.org_id}/regime", {"regime": "default"})]
    for method, path, body in calls:
        assert_problem(coord.request(method, path, body, token=None), 401,
                       "authentication-required")
        assert_problem(sub.request(method, path, body), 403, "forbidden")


# ---------------------------------------------------------------- correlation


def test_indicator_correlation_counts(coord, operator):
    power = operator(sector="electric_power", region="kanto")
    water = operator(sector="water", region="kinki")
    shared = secrets.token_hex(32)
    mine = f"only-{secrets.token_hex(6)}.example"
    now = utc_now()

    a = submit(power, now - HOUR, indicators=[
        {"type": "sha256", "value": shared, "role": "attacker"},
        {"type": "domain", "value": mine, "role": "attacker"}])
    b = submit(water, now - HOUR, sector="water", indicators=[
        {"type": "sha256", "value": shared.upper(), "role": "attacker"}])
    submit(water, now - HOUR, "notification", b["incident_id"], sector="water", indicators=[
        {"type": "sha256", "value": shared, "role": "attacker"}])
    coord.wait_bulletins({a["incident_id"]: 1, b["incident_id"]: 2})

    inds = {i["value"].lower(): i for i in coord.incident(a["incident_id"])["indicators"]}
    assert set(inds) == {shared, mine}
    assert inds[shared] == {"type": "sha256", "value": shared, "role": "attacker", "reports": 3,
                            "operators": 2, "incidents": 2,
                            "sectors": ["electric_power", "water"]}
    assert inds[mine] == {"type": "domain", "value": mine, "role": "attacker", "reports": 1,
                          "operators": 1, "incidents": 1, "sectors": ["electric_power"]}

    other = coord.incident(b["incident_id"])["indicators"]
    assert len(other) == 1 and other[0]["value"].lower() == shared
    assert {k: other[0][k] for k in ("reports", "operators", "incidents")} == \
        {"reports": 3, "operators": 2, "incidents": 2}


# ---------------------------------------------------------------- CLI


def test_admin_regime_set_and_org_regime(dsn, isacd, coord, operator, sql):
    name = f"cli-{secrets.token_hex(3)}"
    out = admin_json(dsn, "regime-set", "--name", name, "--early-warning", "12h",
                     "--notification", "2d", "--final", "2592000s")
    assert out == {"name": name, "early_warning_s": 43200, "notification_s": 172800,
                   "final_s": 2592000, "organizations": 0}
    out = admin_json(dsn, "regime-set", "--name", name, "--early-warning", "90m",
                     "--notification", "2d", "--final", "30d")
    assert out["early_warning_s"] == 5400

    op = operator()
    assert admin_json(dsn, "org-regime", "--org", op.org_id, "--regime", name) == \
        {"org_id": op.org_id, "regime": name}
    assert sql_value(sql(f"SELECT regime FROM organizations WHERE id = '{op.org_id}'")) == name
    assert sql_value(sql("SELECT count(*) FROM audit_log WHERE actor = 'cli' AND"
                         f" ((action = 'regime.set' AND subject = '{name}') OR"
                         f" (action = 'org.regime' AND subject = '{op.org_id}'))")) == "3"
    assert {g["name"]: g["organizations"]
            for g in coord.ok("GET", "/v1/coord/regimes")["regimes"]}[name] == 1

    def refused(*args, slug):
        r = isacd("admin", *args)
        assert r.returncode == 1, (args, r.returncode, r.stdout, r.stderr)
        assert json.loads(r.stdout)["type"] == f"urn:isacd:problem:{slug}", r.stdout

    full = ["--name", name, "--early-warning", "1h", "--notification", "2h"]
    for bad in ("24", "h", "24x", "-1h", "1.5h", "24H", "1234567890s", " 1h", "1h "):
        refused("regime-set", *full, "--final", bad, slug="validation-failed")
    refused("regime-set", *full, "--final", "30m", slug="validation-failed")      # order
    refused("regime-set", *full, "--final", "366d", slug="validation-failed")     # bound
    refused("regime-set", "--name", "Bad Name", "--early-warning", "1h", "--notification",
            "2h", "--final", "3h", slug="validation-failed")
    sub = admin_json(dsn, "org-create", "--kind", "subscriber", "--name",
                     f"e2e cli regime sub {uuid.uuid4().hex[:8]}")
    refused("org-regime", "--org", sub["id"], "--regime", name, slug="conflict")
    refused("org-regime", "--org", op.org_id, "--regime", "no-such-regime",
            slug="validation-failed")
    refused("org-regime", "--org", str(uuid.uuid4()), "--regime", name, slug="not-found")
    assert sql_value(sql(f"SELECT early_warning_s FROM reporting_regimes WHERE name = '{name}'")) \
        == "5400"

    for args in (["regime-set", "--name", name, "--early-warning", "1h"],
                 ["org-regime", "--org", op.org_id],
                 ["regime-set", "--nom", "x"]):
        r = isacd("admin", *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)

    r = isacd("admin", "--help")
    assert r.returncode == 0 and "regime-set" in r.stdout and "org-regime" in r.stdout


# ---------------------------------------------------------------- migration


def migration_files():
    return sorted(f for f in os.listdir(MIGRATIONS) if f.endswith(".sql"))


def apply_until(db, last_version):
    """Apply migrations 0001..last_version by hand, recorded as `isacd migrate` records them."""
    psql(db, "CREATE TABLE schema_migrations (version integer PRIMARY KEY CHECK (version > 0),"
             " name text NOT NULL, checksum bytea NOT NULL CHECK (length(checksum) = 32),"
             " applied_at timestamptz NOT NULL DEFAULT now())")
    files = migration_files()
    assert files[5] == "0006_deadlines.sql", files
    for f in files[:last_version]:
        path = os.path.join(MIGRATIONS, f)
        with open(path, "rb") as fh:
            data = fh.read()
        r = subprocess.run(["psql", db, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", path],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        psql(db, "INSERT INTO schema_migrations (version, name, checksum) VALUES"
                 f" ({int(f[:4])}, '{f[5:-4]}', '\\x{hashlib.sha256(data).hexdigest()}')")


def test_migration_backfills_incident_times(databases):
    db = databases.create("e2e_backfill")
    apply_until(db, 5)
    org, key = str(uuid.uuid4()), f"k-{secrets.token_hex(4)}"
    psql(db, f"INSERT INTO organizations (id, kind, name, sector, region) VALUES ('{org}',"
             " 'operator', 'backfill op', 'water', 'kinki');"
             f" INSERT INTO operator_keys (key_id, org_id, public_key) VALUES ('{key}', '{org}',"
             " decode(repeat('11', 32), 'hex'))")
    # incident: [(phase, detected_at in the body, received_at)], in arrival order
    plan = {
        "ew only": [("early_warning", "2026-03-01T10:00:00Z", "2026-03-01 12:00:00+00")],
        "offset": [("early_warning", "2026-03-01T19:00:00.1234567+09:00",
                    "2026-03-01 12:00:00+00"),
                   ("notification", "2026-03-05T00:00:00Z", "2026-03-02 08:00:00+00")],
        "final first": [("final", "2026-02-01t00:00:00z", "2026-03-03 00:00:00+00")],
        "big offset": [("early_warning", "2026-03-01T20:30:00+20:30", "2026-03-01 01:00:00+00"),
                       ("final", "2026-03-01T00:00:00Z", "2026-03-09 00:00:00+00"),
                       ("notification", "2026-03-01T00:00:00Z", "2026-03-10 00:00:00+00"),
                       ("final", "2026-03-01T00:00:00Z", "2026-03-11 00:00:00+00")],
    }
    ids = {}
    for label, reports in plan.items():
        iid = ids[label] = str(uuid.uuid4())
        first = reports[0][2]
        psql(db, "INSERT INTO incidents (id, org_id, created_at, updated_at, title, sector,"
                 " severity, incident_type, phase, tlp, report_count) VALUES"
                 f" ('{iid}', '{org}', '{first}', '{reports[-1][2]}', 'backfill {label}',"
                 f" 'water', 'high', 'ransomware', '{reports[-1][0]}', 'GREEN', {len(reports)})")
        for phase, detected, received in reports:
            body = json.dumps(valid_report(detected_at=detected, occurred_at=None, phase=phase))
            body = body.replace("'", "''")
            psql(db, "INSERT INTO reports (id, incident_id, org_id, key_id, received_at, phase,"
                     " severity, tlp, body, body_sha256, signature_input, signature,"
                     " signature_base, content_digest, receipt_sig) VALUES"
                     f" ('{uuid.uuid4()}', '{iid}', '{org}', '{key}', '{received}', '{phase}',"
                     f" 'high', 'GREEN', convert_to('{body}', 'UTF8'),"
                     " decode(repeat('22', 32), 'hex'), 'sig1=()', 'sig1=:AA==:', 'base',"
                     " 'sha-256=:AA==:', decode(repeat('33', 64), 'hex'))")

    r = run_isacd(db, "migrate")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"applied": len(migration_files()) - 5}

    fmt = "'YYYY-MM-DD HH24:MI:SS.US'"
    rows = psql(db, f"SELECT id, to_char(detected_at AT TIME ZONE 'UTC', {fmt}),"
                    f" coalesce(to_char(notification_at AT TIME ZONE 'UTC', {fmt}), '-'),"
                    f" coalesce(to_char(final_at AT TIME ZONE 'UTC', {fmt}), '-') FROM incidents")
    got = {r[0]: tuple(r[1:]) for r in rows}
    assert got == {
        ids["ew only"]: ("2026-03-01 10:00:00.000000", "-", "-"),
        ids["offset"]: ("2026-03-01 10:00:00.123456", "2026-03-02 08:00:00.000000", "-"),
        ids["final first"]: ("2026-02-01 00:00:00.000000", "2026-03-03 00:00:00.000000",
                             "2026-03-03 00:00:00.000000"),
        ids["big offset"]: ("2026-03-01 00:00:00.000000", "2026-03-09 00:00:00.000000",
                            "2026-03-09 00:00:00.000000"),
    }
    assert psql(db, "SELECT name, early_warning_s, notification_s, final_s"
                    " FROM reporting_regimes") == [["default", "86400", "259200", "2592000"]]
    assert sql_value(psql(db, f"SELECT regime FROM organizations WHERE id = '{org}'")) \
        == "default"
    # the states of a backfilled incident, read the way the views read them
    rows = psql(db, "SELECT d.phase, d.state FROM incidents i JOIN organizations o ON"
                    " o.id = i.org_id JOIN reporting_regimes g ON g.name = o.regime,"
                    " incident_deadlines(i.detected_at, i.created_at, i.notification_at,"
                    " i.final_at, i.status, g.early_warning_s, g.notification_s, g.final_s) d"
                    f" WHERE i.id = '{ids['offset']}' ORDER BY d.ord")
    final_due = dt.datetime(2026, 3, 31, 10, 0, 0, 123456, tzinfo=dt.timezone.utc)
    assert rows == [["early_warning", "met"], ["notification", "met"],
                    ["final", "overdue" if utc_now() > final_due else "due"]]
