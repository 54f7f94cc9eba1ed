"""The coordinator API end to end (api.md, "Coordinators: bearer tokens" to
"PUT /v1/coord/orgs/{id}/profile"): bearer tokens and roles, the triage
queue with its filters and keyset pages, incidents with their reports
re-verified, bulletin review (edit, approve, reject), the indicator view,
organizations and their anonymization profiles, and the audit trail of every
coordinator action.

Runs on the session server (default policy: ISACD_K=5, review from "high");
what must tamper with stored rows gets its own database and server. Titles
carry a per-run marker so that the queue's filters can be checked exactly
while other modules add incidents of their own.

Written from api.md; nothing here reads server/.
"""

import json
import secrets
import threading
import urllib.parse
import uuid

import pytest

from conftest import admin_json, assert_problem, migrate, psql, valid_report
from coordapi import new_coordinator, server_key, the_incident, verify_bulletin_signature

MARK = f"coordq{secrets.token_hex(4)}"


def report_doc(title, **overrides):
    """A valid report (conftest.valid_report) titled `title`, with overrides."""
    return valid_report(title=title, **overrides)


def submit(op, doc):
    r, body = op.post_report(doc)
    assert r.status == 201, r
    return r.json(), body


@pytest.fixture(scope="module")
def coord(dsn, base_url):
    return new_coordinator(dsn, base_url)


@pytest.fixture(scope="module")
def queue(coord, operator):
    """Five incidents from two operators, titled with MARK, with their bulletins made:
    {name: {"incident": id, "op": Operator, "doc": ..., "bulletin": {...}}}."""
    water = operator(sector="water", region="kinki")
    gas = operator(sector="gas", region="chubu")
    plan = {
        "water-amber-high": (water, dict(sector="water", tlp="AMBER", severity="high",
                                         phase="early_warning")),
        "water-green-low": (water, dict(sector="water", tlp="GREEN", severity="low",
                                        phase="final")),
        "gas-red-critical": (gas, dict(sector="gas", tlp="RED", severity="critical",
                                       phase="notification")),
        "gas-green-medium": (gas, dict(sector="gas", tlp="GREEN", severity="medium",
                                       phase="notification")),
        "gas-amber-low": (gas, dict(sector="gas", tlp="AMBER", severity="low", phase="final")),
    }
    out = {}
    for name, (op, fields) in plan.items():
        suffix = " 知多LNG基地の制御網" if name == "gas-amber-low" else ""
        doc = report_doc(f"{MARK} {name} incident{suffix}", **fields)
        a, _ = submit(op, doc)
        out[name] = {"incident": a["incident_id"], "op": op, "doc": doc}
    seen = coord.wait_bulletins([v["incident"] for v in out.values()])
    for v in out.values():
        v["bulletin"] = seen[v["incident"]]["bulletin"]
    return out


def list_incidents(coord, **params):
    q = urllib.parse.urlencode(params)
    r = coord.get("/v1/coord/incidents" + (f"?{q}" if q else ""))
    assert r.status == 200, (params, r)
    return r.json()


# ---------------------------------------------------------------- authentication


def all_endpoints(coord, queue):
    """(method, path, body) of every coordinator endpoint, on real ids."""
    item = queue["water-amber-high"]
    bid = item["bulletin"]["id"]
    return [
        ("GET", "/v1/coord/incidents", None),
        ("GET", f"/v1/coord/incidents/{item['incident']}", None),
        ("GET", f"/v1/coord/bulletins/{bid}", None),
        ("GET", f"/v1/coord/bulletins/{bid}/bundle", None),
        ("PATCH", f"/v1/coord/bulletins/{bid}", {"summary": "edited without a token"}),
        ("POST", f"/v1/coord/bulletins/{bid}/approve", None),
        ("POST", f"/v1/coord/bulletins/{bid}/reject", {"reason": "no token"}),
        ("GET", "/v1/coord/indicators", None),
        ("GET", f"/v1/coord/orgs/{item['op'].org_id}", None),
        ("PUT", f"/v1/coord/orgs/{item['op'].org_id}/profile", {"terms": ["no token"]}),
    ]


def test_no_token_is_authentication_required(coord, queue):
    for method, path, body in all_endpoints(coord, queue):
        r = coord.request(method, path, body, token=None)
        assert_problem(r, 401, "authentication-required")
        r = coord.request(method, path, body, token=None,
                          headers=[("Authorization", "Basic ZTJlOmUyZQ==")])
        assert r.status == 401, (method, path, r)
    b = coord.bulletin(queue["water-amber-high"]["bulletin"]["id"])
    assert b["status"] == "pending_review" and b["version"] == 1, "a refused request changed it"


def test_unknown_token_is_invalid(coord, queue):
    for token in ("isacd_" + secrets.token_urlsafe(32), coord.token + "x", coord.token[:-1],
                  "x"):
        for method, path, body in all_endpoints(coord, queue):
            assert_problem(coord.request(method, path, body, token=token), 401, "token-invalid")


def test_revoked_token_is_invalid(coord, dsn, base_url):
    c = new_coordinator(dsn, base_url)
    assert c.get("/v1/coord/incidents?limit=1").status == 200
    admin_json(dsn, "token-revoke", "--id", c.token_id)
    assert_problem(c.get("/v1/coord/incidents?limit=1"), 401, "token-invalid")
    assert coord.get("/v1/coord/incidents?limit=1").status == 200, "revoked the wrong token"


def test_subscriber_token_is_forbidden(coord, queue, dsn, base_url):
    sub = new_coordinator(dsn, base_url, kind="subscriber")
    for method, path, body in all_endpoints(coord, queue):
        assert_problem(sub.request(method, path, body), 403, "forbidden")
    b = coord.bulletin(queue["water-amber-high"]["bulletin"]["id"])
    assert b["status"] == "pending_review" and b["version"] == 1


def test_operator_signature_is_no_token(queue):
    op = queue["water-amber-high"]["op"]
    assert_problem(op.get("/v1/coord/incidents"), 401, "authentication-required")
    assert_problem(op.get(f"/v1/coord/incidents/{queue['water-amber-high']['incident']}"),
                   401, "authentication-required")


# ---------------------------------------------------------------- the queue


def test_incident_list_items(coord, queue):
    items = {i["id"]: i for i in list_incidents(coord, q=MARK)["incidents"]}
    assert set(items) == {v["incident"] for v in queue.values()}
    for name, v in queue.items():
        i = items[v["incident"]]
        doc = v["doc"]
        for k in ("title", "sector", "severity", "incident_type", "phase", "tlp"):
            assert i[k] == doc[k], (name, k, i)
        assert i["status"] == "open" and i["report_count"] == 1, i
        assert i["organization"] == {"id": v["op"].org_id, "name": v["op"].name}, i
        assert i["bulletin"]["id"] == v["bulletin"]["id"], i
        assert i["bulletin"]["version"] >= 1 and i["bulletin"]["status"] in (
            "pending_review", "published", "rejected", "withheld"), i
        assert i["created_at"] <= i["updated_at"], i


def test_responses_are_not_cached(coord, queue):
    bid = queue["water-amber-high"]["bulletin"]["id"]
    for path in ("/v1/coord/incidents?limit=1", f"/v1/coord/bulletins/{bid}",
                 f"/v1/coord/bulletins/{bid}/bundle", f"/v1/coord/bulletins/{uuid.uuid4()}"):
        r = coord.get(path)
        assert r.header("Cache-Control") == "no-store", (path, r.headers)
        assert r.header("X-Request-Id"), (path, r.headers)


def test_incident_list_filters(coord, queue):
    def ids(**params):
        return {i["id"] for i in list_incidents(coord, q=MARK, **params)["incidents"]}

    def expect(pred):
        return {v["incident"] for v in queue.values() if pred(v)}

    assert ids(sector="water") == expect(lambda v: v["doc"]["sector"] == "water")
    assert ids(sector="gas") == expect(lambda v: v["doc"]["sector"] == "gas")
    assert ids(sector="finance") == set()
    for sev in ("low", "medium", "high", "critical"):
        assert ids(severity=sev) == expect(lambda v: v["doc"]["severity"] == sev), sev
    for phase in ("early_warning", "notification", "final"):
        assert ids(phase=phase) == expect(lambda v: v["doc"]["phase"] == phase), phase
    assert ids(status="open") == expect(lambda v: True)
    assert ids(status="closed") == set()
    # api.md's policy at the session server's defaults (review from "high").
    assert ids(review="pending_review") == {queue[n]["incident"] for n in (
        "water-amber-high", "gas-amber-low")}
    assert ids(review="published") == {queue[n]["incident"] for n in (
        "water-green-low", "gas-green-medium")}
    assert ids(review="withheld") == {queue["gas-red-critical"]["incident"]}
    assert ids(review="rejected") == set()
    assert ids(review="none") == set()
    assert ids(sector="gas", review="published", phase="notification") == {
        queue["gas-green-medium"]["incident"]}

    # Without q, a filter holds for every item of the whole queue.
    for params, check in (({"sector": "gas"}, lambda i: i["sector"] == "gas"),
                          ({"severity": "critical"}, lambda i: i["severity"] == "critical"),
                          ({"phase": "final"}, lambda i: i["phase"] == "final"),
                          ({"review": "withheld"},
                           lambda i: i["bulletin"] and i["bulletin"]["status"] == "withheld"),
                          ({"review": "none"}, lambda i: i["bulletin"] is None)):
        items = list_incidents(coord, limit=100, **params)["incidents"]
        assert all(check(i) for i in items), (params, [i for i in items if not check(i)][:3])


def test_incident_list_text_search(coord, queue):
    got = list_incidents(coord, q=f"{MARK} gas-amber")["incidents"]
    assert [i["id"] for i in got] == [queue["gas-amber-low"]["incident"]]
    assert list_incidents(coord, q=f"{MARK}-nothing-like-this")["incidents"] == []
    got = list_incidents(coord, q="知多LNG基地", limit=100)["incidents"]
    assert queue["gas-amber-low"]["incident"] in {i["id"] for i in got}, got
    assert all("知多LNG基地" in i["title"] for i in got), got
    # LIKE wildcards in q are text, not patterns.
    for wild in ("%", "_", "\\"):
        got = list_incidents(coord, q=wild, limit=100)["incidents"]
        assert all(wild in i["title"] for i in got), (wild, [i["title"] for i in got][:3])
    # q matches the title, not the summary (every queue item's summary holds this phrase).
    mine = {v["incident"] for v in queue.values()}
    got = list_incidents(coord, q="isolated within 25 minutes", limit=100)["incidents"]
    assert not mine & {i["id"] for i in got}, got


@pytest.mark.parametrize("query, param", [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=-1", "limit"), ("limit=ten", "limit"),
    ("limit=", "limit"), ("limit=1.5", "limit"),
    ("sector=energy", "sector"), ("sector=WATER", "sector"), ("severity=extreme", "severity"),
    ("phase=draft", "phase"), ("status=archived", "status"), ("review=approved", "review"),
    ("q=" + "x" * 201, "q"), ("cursor=not-a-cursor", "cursor"),
])
def test_incident_list_bad_query(coord, query, param):
    p = assert_problem(coord.get(f"/v1/coord/incidents?{query}"), 400, "bad-query")
    assert param in p.get("detail", ""), p


def test_incident_list_limit_bounds_accepted(coord, queue):
    assert len(list_incidents(coord, q=MARK, limit=1)["incidents"]) == 1
    assert len(list_incidents(coord, q=MARK, limit=100)["incidents"]) == len(queue)
    assert len(list_incidents(coord, q="x" * 200)["incidents"]) == 0


def walk(coord, limit, max_pages=200, **params):
    """Every page of the queue: (items in order, number of pages)."""
    items, cursor, pages = [], None, 0
    while True:
        extra = dict(params, limit=limit)
        if cursor is not None:
            extra["cursor"] = cursor
        page = list_incidents(coord, **extra)
        pages += 1
        assert len(page["incidents"]) <= limit
        items += page["incidents"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
        assert page["incidents"], "an empty page with a next cursor"
        assert pages < max_pages, "the queue does not end"


def test_keyset_pagination_returns_each_incident_once(coord, operator):
    mark = f"{MARK}page{secrets.token_hex(3)}"
    op = operator(sector="ports", region="shikoku")
    made = [submit(op, report_doc(f"{mark} #{n}", sector="ports"))[0]["incident_id"]
            for n in range(7)]
    items, pages = walk(coord, 3, q=mark)
    assert pages == 3, pages
    ids = [i["id"] for i in items]
    assert sorted(ids) == sorted(made) and len(set(ids)) == 7, ids
    keys = [(i["created_at"], i["id"]) for i in items]
    assert [i["created_at"] for i in items] == sorted((i["created_at"] for i in items),
                                                      reverse=True), keys
    assert ids == list(reversed(made)), "newest first"

    # The whole queue, over several pages, holds every incident exactly once.
    everything, _ = walk(coord, 100)
    all_ids = [i["id"] for i in everything]
    assert len(all_ids) == len(set(all_ids)), "an incident appeared on two pages"
    assert set(made) <= set(all_ids)


def test_tampered_cursor_is_refused(coord, operator):
    mark = f"{MARK}cur{secrets.token_hex(3)}"
    op = operator(sector="ports", region="shikoku")
    for n in range(3):
        submit(op, report_doc(f"{mark} #{n}", sector="ports"))
    cursor = list_incidents(coord, q=mark, limit=1)["next_cursor"]
    assert isinstance(cursor, str) and cursor, cursor
    assert list_incidents(coord, q=mark, limit=1, cursor=cursor)["incidents"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    tampered = [cursor + "AAAA", cursor[:-4]]
    # (Not the last character: in unpadded base64 it may carry bits no byte uses.)
    for pos in (0, len(cursor) // 2, len(cursor) - 2):
        c = cursor[pos]
        other = alphabet[(alphabet.find(c) + 1) % len(alphabet)] if c in alphabet else "A"
        tampered.append(cursor[:pos] + other + cursor[pos + 1:])
    accepted = []
    for bad in tampered:
        r = coord.get(f"/v1/coord/incidents?q={mark}&limit=1&cursor={bad}")
        if r.status != 400:
            accepted.append(f"{cursor} -> {bad}: {r.status} {r.body[:160]!r}")
        else:
            assert_problem(r, 400, "bad-query")
    assert not accepted, "tampered cursors accepted:\n" + "\n".join(accepted)


# ---------------------------------------------------------------- one incident


def test_incident_view_reverifies_reports(coord, operator, admin, dsn):
    op = operator(sector="medical", region="tohoku")
    first_doc = report_doc(f"{MARK} view", sector="medical")
    first, first_body = submit(op, first_doc)
    follow_doc = report_doc(f"{MARK} view update", sector="medical", phase="notification",
                            incident_id=first["incident_id"])
    follow, follow_body = submit(op, follow_doc)
    inc = coord.wait_bulletins([first["incident_id"]], version=2)[first["incident_id"]]
    assert inc["id"] == first["incident_id"]
    assert inc["organization"] == {"id": op.org_id, "name": op.name, "sector": "medical",
                                   "region": "tohoku"}, inc["organization"]
    assert inc["report_count"] == 2 and inc["phase"] == "notification", inc
    assert [r["id"] for r in inc["reports"]] == [first["id"], follow["id"]]
    for rep, sent, doc, body in ((inc["reports"][0], first, first_doc, first_body),
                                 (inc["reports"][1], follow, follow_doc, follow_body)):
        assert rep["verification"] == {"signature_valid": True, "digest_valid": True,
                                       "key_revoked": False}, rep["verification"]
        assert rep["report"] == json.loads(body) == doc
        assert rep["receipt"] == sent["receipt"]
        assert rep["key_id"] == op.key_id and rep["received_at"] == sent["received_at"]
        assert rep["signature_input"].startswith("sig1=(") and rep["signature"].startswith("sig1=:")
        assert rep["phase"] == doc["phase"] and rep["tlp"] == doc["tlp"]
    assert inc["bulletin"]["version"] == 2 and inc["bulletin"]["incident_id"] == inc["id"]

    admin("key-revoke", "--key-id", op.key_id)
    inc = coord.incident(first["incident_id"])
    for rep in inc["reports"]:
        assert rep["verification"] == {"signature_valid": True, "digest_valid": True,
                                       "key_revoked": True}, rep["verification"]

    assert_problem(coord.get(f"/v1/coord/incidents/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(coord.get(f"/v1/coord/bulletins/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(coord.get(f"/v1/coord/bulletins/{uuid.uuid4()}/bundle"), 404, "not-found")
    assert_problem(coord.get(f"/v1/coord/orgs/{uuid.uuid4()}"), 404, "not-found")


def test_tampered_stored_report_fails_reverification(databases, server_factory,
                                                     operator_factory):
    db = databases.create("e2e_coord_tamper")
    migrate(db)
    srv = server_factory("coord-tamper", dsn=db).start()
    c = new_coordinator(db, srv.base_url)
    op = operator_factory(srv.base_url, db=db)
    a, _ = submit(op, report_doc("tamper: base"))
    b, _ = submit(op, report_doc("tamper: body"))
    c.wait_bulletins([a["incident_id"], b["incident_id"]])
    # Triggers off for the edit: this simulates someone altering the table underneath.
    psql(db, "SET session_replication_role = replica; "
             f"UPDATE reports SET signature_base = replace(signature_base, '\"@method\": POST', "
             f"'\"@method\": PUT') WHERE id = '{a['id']}'; "
             f"UPDATE reports SET body = body || '\\x20'::bytea WHERE id = '{b['id']}'")
    assert psql(db, f"SELECT signature_base LIKE '%\"@method\": PUT%' FROM reports"
                    f" WHERE id = '{a['id']}'") == [["t"]]
    ra = c.incident(a["incident_id"])["reports"][0]
    assert ra["verification"] == {"signature_valid": False, "digest_valid": True,
                                  "key_revoked": False}, ra["verification"]
    rb = c.incident(b["incident_id"])["reports"][0]
    assert rb["verification"]["digest_valid"] is False, rb["verification"]
    assert rb["verification"]["key_revoked"] is False


# ---------------------------------------------------------------- review


def pending_bulletin(coord, op, title, **fields):
    """A new AMBER report's bulletin, pending review at version 1."""
    fields.setdefault("tlp", "AMBER")
    a, _ = submit(op, report_doc(title, **fields))
    inc = coord.wait_bulletins([a["incident_id"]])[a["incident_id"]]
    b = inc["bulletin"]
    assert b["status"] == "pending_review" and b["version"] == 1, b
    return b


def test_edit_is_scrubbed_again(coord, operator):
    op = operator(sector="water", region="kinki")
    b = pending_bulletin(coord, op, f"{MARK} edit", sector="water")
    email = f"soc-{secrets.token_hex(3)}@water-utility.example"
    summary = (f"Corrected summary from {op.name}: write to {email} or call 03-1234-9876. "
               "The loader beaconed to 203.0.113.45.")
    r = coord.patch(f"/v1/coord/bulletins/{b['id']}", {"summary": summary,
                                                        "title": f"{MARK} edited by {op.name}"})
    assert r.status == 200, r
    e = r.json()
    assert e["id"] == b["id"] and e["version"] == 2 and e["status"] == "pending_review", e
    assert e.get("published_version") is None, e
    draft = e["draft"]
    for leak in (op.name, email, "03-1234-9876"):
        assert leak not in draft["summary"] and leak not in draft["title"], (leak, draft)
    assert "[redacted]" in draft["summary"] and "203.0.113.45" in draft["summary"], draft
    originals = {(x["field"], x["original"]) for x in draft["redactions"]}
    assert ("/summary", email) in originals, draft["redactions"]
    assert ("/summary", op.name) in originals, draft["redactions"]
    assert ("/title", op.name) in originals, draft["redactions"]
    assert e["versions"][-1]["version"] == 2 and e["versions"][-1]["source"] == "edit", e
    assert e["signature"] is None


    bundle = coord.bundle(b["id"])
    assert bundle.header("Isacd-Bulletin-Version") == "2" and not bundle.header("Isacd-Signature")
    text = bundle.body.decode()
    for leak in (op.name, email, "03-1234-9876"):
        assert leak.lower() not in text.lower(), leak
    inc = the_incident(json.loads(bundle.body))
    v1 = the_incident(b["stix"])
    assert inc["id"] == v1["id"] and inc["modified"] > v1["modified"], (inc, v1)
    assert coord.bulletin(b["id"])["version"] == 2

    # impact_description is editable too, and scrubbed.
    r = coord.patch(f"/v1/coord/bulletins/{b['id']}",
                    {"impact_description": f"Ask {email} for details."})
    assert r.status == 200 and r.json()["version"] == 3, r
    assert email not in json.dumps(r.json()["stix"]), r.json()["stix"]
    # a second edit of the summary: the first edit's summary redactions go with its text
    r2 = coord.patch(f"/v1/coord/bulletins/{b['id']}", {"summary": "Plain text, nothing to hide."})
    assert r2.status == 200, r2
    again = {(x["field"], x["original"]) for x in r2.json()["draft"]["redactions"]}
    assert not any(f == "/summary" for f, _ in again), r2.json()["draft"]["redactions"]
    assert ("/title", op.name) in again, r2.json()["draft"]["redactions"]


@pytest.mark.parametrize("body, status, slug, pointer", [
    ({"title": ""}, 422, "too-short", "/title"),
    ({"title": "t" * 201}, 422, "too-long", "/title"),
    ({"summary": 5}, 422, "wrong-type", "/summary"),
    ({"summary": "s" * 20001}, 422, "too-long", "/summary"),
    ({"impact_description": ""}, 422, "too-short", "/impact_description"),
    ({"colour": "blue"}, 422, "unknown-field", "/colour"),
    (b'{"summary": "x",}', 400, "malformed-json", None),
    (b'{"summary": "x", "summary": "y"}', 400, "malformed-json", None),
])
def test_edit_is_validated(coord, queue, body, status, slug, pointer):
    bid = queue["gas-amber-low"]["bulletin"]["id"]
    before = coord.bulletin(bid)["version"]
    assert_problem(coord.patch(f"/v1/coord/bulletins/{bid}", body), status, slug, pointer)
    assert coord.bulletin(bid)["version"] == before
    assert_problem(coord.patch(f"/v1/coord/bulletins/{uuid.uuid4()}", {"summary": "x"}),
                   404, "not-found")


def test_approve_publishes_once(coord, operator):
    op = operator(sector="water", region="kinki")
    b = pending_bulletin(coord, op, f"{MARK} approve", sector="water")
    r = coord.post(f"/v1/coord/bulletins/{b['id']}/approve")
    assert r.status == 200, r
    a = r.json()
    assert a["status"] == "published" and a["published_version"] == a["version"] == 1, a
    key = server_key(coord.base_url)
    assert a["signature"]["alg"] == "ed25519" and a["signature"]["key_id"] == key["key_id"]
    bundle = coord.bundle(b["id"])
    assert bundle.header("Isacd-Signature") == a["signature"]["value"]
    assert bundle.header("Isacd-Signature-Key") == key["key_id"]
    assert verify_bulletin_signature(key["public_key"], bundle.body, a["signature"]["value"])
    assert a["versions"][0]["published_at"] is not None, a["versions"]
    assert_problem(coord.post(f"/v1/coord/bulletins/{b['id']}/approve"), 409, "conflict")
    assert_problem(coord.post(f"/v1/coord/bulletins/{uuid.uuid4()}/approve"), 404, "not-found")

    # An edit of a published bulletin is a new version to review; version 1 stays published.
    r = coord.patch(f"/v1/coord/bulletins/{b['id']}", {"title": f"{MARK} approve, amended"})
    assert r.status == 200, r
    e = r.json()
    assert e["status"] == "pending_review" and e["version"] == 2, e
    assert e["published_version"] == 1, e
    r = coord.post(f"/v1/coord/bulletins/{b['id']}/approve")
    assert r.status == 200 and r.json()["published_version"] == 2, r


def test_reject_keeps_the_reason(coord, operator):
    op = operator(sector="water", region="kinki")
    b = pending_bulletin(coord, op, f"{MARK} reject", sector="water")
    for body, slug in (({}, "missing-field"), ({"reason": ""}, "too-short"),
                       ({"reason": "r" * 2001}, "too-long"), ({"reason": 7}, "wrong-type")):
        assert_problem(coord.post(f"/v1/coord/bulletins/{b['id']}/reject", body), 422, slug)
    reason = "Duplicate of an earlier bulletin; 重複のため"
    r = coord.post(f"/v1/coord/bulletins/{b['id']}/reject", {"reason": reason})
    assert r.status == 200, r
    j = r.json()
    assert j["status"] == "rejected" and j["reject_reason"] == reason, j
    assert j["signature"] is None and j.get("published_version") is None, j
    g = coord.bulletin(b["id"])
    assert g["status"] == "rejected" and g["reject_reason"] == reason, g
    assert_problem(coord.post(f"/v1/coord/bulletins/{b['id']}/reject", {"reason": "again"}),
                   409, "conflict")
    assert not coord.bundle(b["id"]).header("Isacd-Signature")
    assert_problem(coord.post(f"/v1/coord/bulletins/{uuid.uuid4()}/reject", {"reason": "x"}),
                   404, "not-found")
    # A later edit makes a new version to review.
    r = coord.patch(f"/v1/coord/bulletins/{b['id']}", {"summary": "Rewritten for review."})
    assert r.status == 200, r
    assert r.json()["status"] == "pending_review" and r.json()["version"] == 2, r.json()


def test_concurrent_approvals_publish_once(coord, operator, sql):
    op = operator(sector="water", region="kinki")
    b = pending_bulletin(coord, op, f"{MARK} race", sector="water")
    barrier = threading.Barrier(6)
    results = []

    def approve():
        barrier.wait(timeout=10)
        results.append(coord.post(f"/v1/coord/bulletins/{b['id']}/approve"))

    threads = [threading.Thread(target=approve) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    statuses = sorted(r.status for r in results)
    assert statuses == [200] + [409] * 5, [(r.status, r.body[:120]) for r in results]
    after = coord.bulletin(b["id"])
    assert after["status"] == "published" and after["version"] == 1, after
    assert len(sql(f"SELECT 1 FROM audit_log WHERE actor = 'token:{coord.token_id}'"
                   f" AND (subject LIKE '%{b['id']}%' OR detail LIKE '%{b['id']}%')")) == 1


def test_withheld_refuses_review(coord, queue):
    bid = queue["gas-red-critical"]["bulletin"]["id"]
    b = coord.bulletin(bid)
    assert b["status"] == "withheld" and b["signature"] is None, b
    assert_problem(coord.post(f"/v1/coord/bulletins/{bid}/approve"), 409, "conflict")
    assert_problem(coord.post(f"/v1/coord/bulletins/{bid}/reject", {"reason": "x"}), 409,
                   "conflict")
    assert_problem(coord.patch(f"/v1/coord/bulletins/{bid}", {"summary": "x"}), 409, "conflict")
    after = coord.bulletin(bid)
    assert after["status"] == "withheld" and after["version"] == b["version"], after


# ---------------------------------------------------------------- indicators


def test_indicator_view_counts_operators(coord, operator):
    domain = f"c2-{secrets.token_hex(5)}.example.net"
    water = operator(sector="water", region="kinki")
    gas = operator(sector="gas", region="chubu")
    inds = [{"type": "domain", "value": domain, "role": "attacker"}]
    made = [submit(water, report_doc(f"{MARK} ind w1", sector="water", indicators=inds))[0],
            submit(water, report_doc(f"{MARK} ind w2", sector="water", indicators=inds))[0],
            submit(gas, report_doc(f"{MARK} ind g1", sector="gas", indicators=inds))[0]]
    coord.wait_bulletins([m["incident_id"] for m in made])
    r = coord.get(f"/v1/coord/indicators?q={domain}")
    assert r.status == 200, r
    got = [i for i in r.json()["indicators"] if i["value"] == domain]
    assert len(got) == 1, r.json()
    i = got[0]
    assert i["type"] == "domain" and i["reports"] == 3 and i["operators"] == 2, i
    assert sorted(i["sectors"]) == ["gas", "water"], i
    assert sorted(i["incidents"]) == sorted(m["incident_id"] for m in made), i
    assert sorted((o["id"], o["name"]) for o in i["organizations"]) == sorted(
        [(water.org_id, water.name), (gas.org_id, gas.name)]), i
    assert r.json()["next_cursor"] is None

    for query, param in (("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
                         ("q=" + "x" * 201, "q"), ("cursor=nope", "cursor")):
        r = coord.get(f"/v1/coord/indicators?{query}")
        assert r.status == 400, (query, r)
        assert param in assert_problem(r, 400, "bad-query").get("detail", ""), query


def test_indicator_view_pages(coord, operator):
    tag = secrets.token_hex(4)
    op = operator(sector="gas", region="chubu")
    values = [f"c2-{tag}-{n}.example.org" for n in range(5)]
    a, _ = submit(op, report_doc(f"{MARK} ind pages", sector="gas", indicators=[
        {"type": "domain", "value": v, "role": "attacker"} for v in values]))
    coord.wait_bulletins([a["incident_id"]])
    seen, cursor = [], None
    for _ in range(10):
        path = f"/v1/coord/indicators?q=c2-{tag}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = coord.ok("GET", path)
        assert len(page["indicators"]) <= 2
        seen += [i["value"] for i in page["indicators"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(values), seen


# ---------------------------------------------------------------- organizations


def test_org_view(coord, operator):
    op = operator(sector="railways", region="hokkaido")
    o = coord.ok("GET", f"/v1/coord/orgs/{op.org_id}")
    assert o["id"] == op.org_id and o["kind"] == "operator" and o["name"] == op.name, o
    assert o["sector"] == "railways" and o["region"] == "hokkaido", o
    assert o["profile"] == {"domains": [], "ranges": [], "terms": []}, o
    assert [k["key_id"] for k in o["keys"]] == [op.key_id], o
    assert o["keys"][0]["revoked_at"] is None and o["keys"][0]["created_at"], o


def test_profile_replace_and_bounds(coord, operator):
    op = operator(sector="railways", region="hokkaido")
    path = f"/v1/coord/orgs/{op.org_id}/profile"
    body = {"domains": ["Rail-Ops.EXAMPLE", "tetsudo.example"],
            "ranges": ["198.51.100.0/24", "2001:db8:10::/48", "192.0.2.7"],
            "terms": ["Project Kestrel", "北海鉄道"]}
    r = coord.put(path, body)
    assert r.status == 200, r
    p = r.json()["profile"]
    assert sorted(p["domains"]) == ["rail-ops.example", "tetsudo.example"], p
    assert sorted(p["terms"]) == sorted(body["terms"]), p
    assert len(p["ranges"]) == 3 and "198.51.100.0/24" in p["ranges"], p
    assert r.json()["id"] == op.org_id
    assert coord.ok("GET", f"/v1/coord/orgs/{op.org_id}")["profile"] == p

    # A present list replaces, an absent one stays.
    r = coord.put(path, {"terms": ["Project Heron"]})
    assert r.status == 200, r
    p2 = r.json()["profile"]
    assert p2["terms"] == ["Project Heron"] and p2["domains"] == p["domains"], p2
    assert p2["ranges"] == p["ranges"], p2
    current = p2

    hundred = [f"d{n}.example" for n in range(100)]
    cases = [
        ({"domains": hundred + ["d100.example"]}, "too-long", "/domains"),
        ({"ranges": [f"192.0.2.{n}" for n in range(101)]}, "too-long", "/ranges"),
        ({"terms": [f"term {n}" for n in range(501)]}, "too-long", "/terms"),
        ({"ranges": ["198.51.100.0/24", "198.51.100.0/33"]}, "validation-failed", "/ranges/1"),
        ({"ranges": ["300.1.1.1"]}, "validation-failed", "/ranges/0"),
        ({"ranges": ["2001:db8::/129"]}, "validation-failed", "/ranges/0"),
        ({"ranges": ["kanto"]}, "validation-failed", "/ranges/0"),
        ({"domains": ["not a domain"]}, "validation-failed", "/domains/0"),
        ({"domains": ["ok.example", "-bad-.example"]}, "validation-failed", "/domains/1"),
        ({"terms": [""]}, "too-short", "/terms/0"),
        ({"terms": ["t" * 201]}, "too-long", "/terms/0"),
        ({"terms": "Project"}, "wrong-type", "/terms"),
        ({"domains": [5]}, "wrong-type", "/domains/0"),
        ({"colour": ["blue"]}, "unknown-field", "/colour"),
    ]
    for bad, slug, pointer in cases:
        assert_problem(coord.put(path, bad), 422, slug, pointer)
    assert_problem(coord.put(path, b"[1, 2"), 400, "malformed-json")
    assert coord.ok("GET", f"/v1/coord/orgs/{op.org_id}")["profile"] == current, \
        "a refused PUT changed the profile"
    # The upper bounds themselves are accepted.
    r = coord.put(path, {"domains": hundred, "terms": ["t" * 200] + [f"x{n}" for n in range(499)]})
    assert r.status == 200, r
    assert len(r.json()["profile"]["domains"]) == 100 and len(r.json()["profile"]["terms"]) == 500
    assert_problem(coord.put(f"/v1/coord/orgs/{uuid.uuid4()}/profile", {"terms": ["x"]}), 404,
                   "not-found")


@pytest.mark.parametrize("body", [
    {"domains": ["Dup.example", "dup.example"]},
    {"domains": ["dup.example."]},
    {"ranges": ["192.0.2.7", "192.0.2.7/32"]},
    {"ranges": ["198.51.100.7/24"]},
    {"ranges": ["2001:DB8::1", "2001:db8:0:0::1"]},
    {"terms": ["Kestrel", "Kestrel"]},
    {"terms": ["Kestrel", "KESTREL"]},
])
def test_profile_odd_but_plausible_input(coord, operator, body):
    """Profiles are pasted by people: duplicates, host bits, spellings. The answer is the
    stored profile or a 422 naming the field, never a 500, and what is stored has no doubles."""
    op = operator(sector="railways", region="hokkaido")
    r = coord.put(f"/v1/coord/orgs/{op.org_id}/profile", body)
    assert r.status in (200, 422), r
    if r.status == 422:
        assert_problem(r, 422, r.json()["type"].rsplit(":", 1)[1])
        return
    p = r.json()["profile"]
    assert p == coord.ok("GET", f"/v1/coord/orgs/{op.org_id}")["profile"]
    for k in ("domains", "ranges", "terms"):
        assert len(p[k]) == len(set(p[k])), p
    assert len({d.rstrip(".") for d in p["domains"]}) == len(p["domains"]), p


def test_profile_applies_to_new_bulletins(coord, operator):
    op = operator(sector="railways", region="hokkaido")
    term = f"Project-Kestrel-{secrets.token_hex(3)}"
    domain = f"rail-{secrets.token_hex(3)}.example"
    r = coord.put(f"/v1/coord/orgs/{op.org_id}/profile",
                  {"terms": [term], "domains": [domain], "ranges": ["198.51.100.64/26"]})
    assert r.status == 200, r
    summary = (f"{term} servers at ops.{domain} (198.51.100.70) were encrypted; "
               "C2 at 203.0.113.45.")
    a, _ = submit(op, report_doc(f"{MARK} profile", sector="railways", summary=summary,
                                 tlp="GREEN", severity="low",
                                 indicators=[{"type": "domain", "value": f"cdn.{domain}",
                                              "role": "attacker"},
                                             {"type": "ipv4", "value": "203.0.113.45",
                                              "role": "attacker"}]))
    b = coord.wait_bulletins([a["incident_id"]])[a["incident_id"]]["bulletin"]
    reasons = {x["original"]: x["reason"] for x in b["draft"]["redactions"]}
    assert reasons.get(term) == "term", b["draft"]["redactions"]
    assert any(domain in o for o in reasons), b["draft"]["redactions"]
    assert any("198.51.100.70" in o for o in reasons), b["draft"]["redactions"]
    dropped = {d["value"]: d["reason"] for d in b["draft"]["dropped_indicators"]}
    assert dropped.get(f"cdn.{domain}") == "own-domain", b["draft"]["dropped_indicators"]
    text = coord.bundle(b["id"]).body.decode().lower()
    for leak in (term.lower(), domain, "198.51.100.70"):
        assert leak not in text, leak
    assert "203.0.113.45" in text


# ---------------------------------------------------------------- audit


def test_coordinator_actions_are_audited(dsn, base_url, operator, isacd, sql):
    c = new_coordinator(dsn, base_url)
    op = operator(sector="water", region="kinki")
    edited = pending_bulletin(c, op, f"{MARK} audit edit", sector="water")
    rejected = pending_bulletin(c, op, f"{MARK} audit reject", sector="water")
    assert c.patch(f"/v1/coord/bulletins/{edited['id']}", {"summary": "Audited edit."}).status \
        == 200
    assert c.post(f"/v1/coord/bulletins/{edited['id']}/approve").status == 200
    assert c.post(f"/v1/coord/bulletins/{rejected['id']}/reject",
                  {"reason": "audit test"}).status == 200
    assert c.put(f"/v1/coord/orgs/{op.org_id}/profile", {"terms": ["Audit Term"]}).status == 200
    actor = f"token:{c.token_id}"
    rows = sql(f"SELECT action, subject, detail FROM audit_log WHERE actor = '{actor}'"
               " ORDER BY seq")
    assert len(rows) >= 4, rows

    def about(ident):
        return [r for r in rows if ident in r[1] or ident in r[2]]

    assert len(about(edited["id"])) >= 2, ("edit and approve", rows)
    assert len({r[0] for r in about(edited["id"])}) >= 2, ("edit and approve differ", rows)
    assert about(rejected["id"]), ("reject", rows)
    assert about(op.org_id), ("profile", rows)
    # A refused action leaves no trace.
    n = len(rows)
    assert c.post(f"/v1/coord/bulletins/{edited['id']}/approve").status == 409
    assert c.put(f"/v1/coord/orgs/{op.org_id}/profile", {"terms": [""]}).status == 422
    assert len(sql(f"SELECT 1 FROM audit_log WHERE actor = '{actor}'")) == n
    r = isacd("audit", "verify")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert json.loads(r.stdout)["ok"] is True
    # api.md: written "with the token id and the organization".
    nameless = [row for row in rows if c.org_id not in row[1] and c.org_id not in row[2]]
    assert not nameless, f"audit rows name no coordinator organization ({c.org_id}): {nameless}"


def test_coordinator_issues_and_revokes_tokens(coord, sql, dsn, operator, base_url):
    """Tokens through the API: shown once, stored hashed, work, revocable, audited;
    operators get none."""
    sub_org = admin_json(dsn, "org-create", "--kind", "subscriber",
                         "--name", f"e2e token sub {uuid.uuid4().hex[:8]}")["id"]
    r = coord.post(f"/v1/coord/orgs/{sub_org}/tokens", {"label": "api-issued"})
    assert r.status == 201, r
    issued = r.json()
    assert set(issued) == {"id", "org_id", "token"} and issued["org_id"] == sub_org
    token = issued["token"]
    # stored only as its hash
    assert sql(f"SELECT count(*) FROM tokens WHERE id = '{issued['id']}'"
               f" AND token_hash = sha256('{token}'::bytea) AND label = 'api-issued'") == [["1"]]
    sub = type(coord)(base_url, token)
    assert sub.get("/v1/bulletins").status == 200
    assert sub.get("/v1/coord/incidents").status == 403  # a subscriber's token
    r = coord.request("DELETE", f"/v1/coord/tokens/{issued['id']}")
    assert r.status == 200, r
    assert_problem(sub.get("/v1/bulletins"), 401, "token-invalid")
    assert_problem(coord.request("DELETE", f"/v1/coord/tokens/{issued['id']}"), 404, "not-found")
    actions = sql(f"SELECT action, actor FROM audit_log WHERE subject = '{issued['id']}'"
                  " ORDER BY seq")
    assert actions == [["token.issued", f"token:{coord.token_id}"],
                       ["token.revoked", f"token:{coord.token_id}"]], actions
    # operators sign; they get no bearer token
    op = operator()
    assert_problem(coord.post(f"/v1/coord/orgs/{op.org_id}/tokens"), 403, "forbidden")
    assert_problem(coord.post(f"/v1/coord/orgs/{uuid.uuid4()}/tokens"), 404, "not-found")
    assert_problem(coord.post(f"/v1/coord/orgs/{sub_org}/tokens", {"label": ""}), 422,
                   "too-short", "/label")
