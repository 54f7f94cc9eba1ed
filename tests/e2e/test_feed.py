"""The subscriber's JSON feed (GET /v1/bulletins, bundle_url) and subscriber
management (/v1/coord/subscribers, subscriptions, recipients), end to end.

One module world (feedworld.py, ISACD_K=2) on its own database: subscribers
cleared CLEAR only, GREEN, AMBER of sector A, AMBER of sector B, AMBER+STRICT
without sectors and AMBER+STRICT of sector A; and one bulletin of every kind
the entitlement table of api.md tells apart, including TLP:AMBER from a
sector too small to publish (generalized: named recipients only), named
recipients without the clearance, and a TLP:RED report. Every subscriber
keeps a live stream (GET /v1/stream) open while they are published, so the
same matrix is checked on the JSON feed, on the bundle URLs and on the
stream.

Written from api.md, not from server/. Must never: pass when the world could
not be built, or wait without a bound.
"""

import json
import time
import uuid

import pytest

import feedworld
import sse
from conftest import assert_problem, psql, run_isacd
from feedworld import SECTOR_A, SECTOR_B, SECTOR_LONE, SEVERITIES, entitled, feed_all, keys

SUBSCRIBERS = {
    "clear": (["CLEAR"], []),
    "green": (["CLEAR", "GREEN"], []),
    "amberA": (["CLEAR", "GREEN", "AMBER"], [SECTOR_A]),
    "amberB": (["CLEAR", "GREEN", "AMBER"], [SECTOR_B]),
    "strict": (["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"], []),
    "strictA": (["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"], [SECTOR_A]),
}
ALL = set(SUBSCRIBERS)

# kind: (sector, tlp, named recipients or None, who may read it) — api.md's table by hand
KINDS = {
    "clear": (SECTOR_A, "CLEAR", None, ALL),
    "green": (SECTOR_B, "GREEN", None, ALL - {"clear"}),
    "amberA": (SECTOR_A, "AMBER", None, {"amberA", "strictA"}),
    "amberB": (SECTOR_B, "AMBER", None, {"amberB"}),
    # named: strict (cleared) and green (not cleared for AMBER)
    "amber_named": (SECTOR_B, "AMBER", ["strict", "green"], {"amberB", "strict"}),
    # the sector is generalized (one operator): the sector's subscribers never learn it
    "amber_lone": (SECTOR_LONE, "AMBER", None, set()),
    "amber_lone_named": (SECTOR_LONE, "AMBER", ["amberA"], {"amberA"}),
    # named: strict (cleared) and amberA (not cleared for AMBER+STRICT)
    "strict": (SECTOR_A, "AMBER+STRICT", ["strict", "amberA"], {"strict"}),
    "strict_unnamed": (SECTOR_A, "AMBER+STRICT", None, set()),
}


@pytest.fixture(scope="module")
def world(databases, server_factory):
    # a heartbeat far away: the streams below can only learn of publications by NOTIFY
    w = feedworld.build(databases, server_factory, "feed", {"ISACD_STREAM_HEARTBEAT_S": 300})
    for name, (clearance, sectors) in SUBSCRIBERS.items():
        w.add_subscriber(name, clearance, sectors)
    w.streams = {n: sse.open_stream(w.base, w.subs[n].api.token) for n in SUBSCRIBERS}
    for name, s in w.streams.items():
        assert s.status == 200, (name, s)
    w.kinds = {}
    for kind, (sector, tlp, named, _) in KINDS.items():
        w.kinds[kind] = w.publish(sector, tlp, recipients=named)
    # for the filters: other severities and types
    w.kinds["green_medium_A"] = w.publish(SECTOR_A, "GREEN", severity="medium")
    w.kinds["clear_phishing_B"] = w.publish(SECTOR_B, "CLEAR", incident_type="phishing")
    iid = w.submit(SECTOR_A, "RED")
    w.red = w.coord.wait_bulletins([iid])[iid]["bulletin"]
    # what each stream received (judged in test_streams_carry_the_same_matrix)
    w.stream_events = {}
    deadline = time.monotonic() + 10
    for name, s in w.streams.items():
        want = len(w.visible(w.subs[name]))
        got = w.stream_events[name] = []
        while len(got) < want:
            e = s.next_event(max(0.0, deadline - time.monotonic()))
            if e is None:
                break
            got.append(e)
        got += s.quiet_for(0.3)
    yield w
    for s in w.streams.values():
        s.close()
    assert w.server.stop() == 0, w.server.log_tail()


def readers_of(w, pub):
    return {n for n, s in w.subs.items() if n in SUBSCRIBERS and entitled(s, pub)}


# ---------------------------------------------------------------- entitlement


def test_the_model_restates_the_table(world):
    """feedworld.entitled (used below for every expectation) agrees with KINDS by hand."""
    for kind, (_, _, _, who) in KINDS.items():
        assert readers_of(world, world.kinds[kind]) == who, kind


def test_red_is_never_published(world):
    assert world.red["status"] == "withheld", world.red
    for name in SUBSCRIBERS:
        items, _ = feed_all(world.subs[name])
        assert world.red["id"] not in {i["id"] for i in items}
        r = world.subs[name].api.get(f"/v1/bulletins/{world.red['id']}/versions/1/bundle")
        assert_problem(r, 404, "not-found")


def test_feed_holds_exactly_the_entitled_bulletins_in_order(world):
    for name in SUBSCRIBERS:
        sub = world.subs[name]
        items, _ = feed_all(sub)
        assert keys(items) == [p.key for p in world.visible(sub)], name
        for kind, (_, _, _, who) in KINDS.items():
            assert (world.kinds[kind].key in keys(items)) == (name in who), (name, kind)


def test_feed_items_describe_the_publication(world):
    sub = world.subs["strict"]
    items, _ = feed_all(sub)
    by_key = {(i["id"], i["version"]): i for i in items}
    for kind in ("clear", "amber_named", "strict"):
        pub = world.kinds[kind]
        item = by_key[pub.key]
        assert item["tlp"] == pub.tlp and item["severity"] == pub.severity
        assert item["incident_type"] == pub.incident_type
        assert item["sector"] == pub.sector, (kind, item["sector"])
        assert item["bundle_url"] == f"/v1/bulletins/{pub.bulletin_id}/versions/{pub.version}/bundle"
        assert item["signature"]["alg"] == "ed25519"
        assert item["bundle"]["type"] == "bundle"
    # the generalized sector is not published
    items, _ = feed_all(world.subs["amberA"])
    lone = [i for i in items if (i["id"], i["version"]) == world.kinds["amber_lone_named"].key]
    assert len(lone) == 1 and lone[0]["sector"] is None, lone


def test_bundle_urls_answer_only_the_entitled(world):
    for kind, (_, _, _, who) in KINDS.items():
        pub = world.kinds[kind]
        url = f"/v1/bulletins/{pub.bulletin_id}/versions/{pub.version}/bundle"
        for name in SUBSCRIBERS:
            r = world.subs[name].api.get(url)
            if name in who:
                assert r.status == 200, (kind, name, r)
                assert r.header("Content-Type").startswith("application/stix+json")
                assert r.header("Isacd-Signature"), r.headers
                assert json.loads(r.body)["type"] == "bundle"
            else:
                assert_problem(r, 404, "not-found")
        # a version that does not exist is the same 404
        r = world.subs["strict"].api.get(
            f"/v1/bulletins/{pub.bulletin_id}/versions/{pub.version + 1}/bundle")
        assert_problem(r, 404, "not-found")


def test_streams_carry_the_same_matrix(world):
    for name in SUBSCRIBERS:
        sub = world.subs[name]
        evs = world.stream_events[name]
        assert all(e.event == "bulletin" for e in evs)
        assert [(e.json()["id"], e.json()["version"]) for e in evs] == \
            [p.key for p in world.visible(sub)], name


def test_feed_needs_a_subscriber_token(world):
    w = world
    assert_problem(w.coord.get("/v1/bulletins", token=None), 401, "authentication-required")
    assert_problem(w.coord.get("/v1/bulletins", token="nope"), 401, "token-invalid")
    assert_problem(w.coord.get("/v1/bulletins"), 403, "forbidden")
    pub = w.kinds["clear"]
    assert_problem(w.coord.get(f"/v1/bulletins/{pub.bulletin_id}/versions/1/bundle"), 403,
                   "forbidden")
    assert_problem(w.subs["strict"].api.get("/v1/coord/subscribers/" + w.subs["strict"].org_id),
                   403, "forbidden")


# ---------------------------------------------------------------- cursors and paging


def test_limit_is_bounded(world):
    api = world.subs["green"].api
    for bad in ("0", "201", "x", "-1", "1.5", ""):
        assert_problem(api.get(f"/v1/bulletins?limit={bad}"), 400, "bad-query")
    r = api.get("/v1/bulletins?limit=200")
    assert r.status == 200, r
    r = api.get("/v1/bulletins?limit=1")
    assert r.status == 200 and len(r.json()["bulletins"]) == 1 and r.json()["more"] is True


def test_cursor_is_bound_to_the_subscriber_and_the_subscription(world):
    w = world
    green, clear = w.subs["green"], w.subs["clear"]
    r = green.api.get("/v1/bulletins?limit=1")
    cursor = r.json()["next_cursor"]
    assert cursor
    assert green.api.get(f"/v1/bulletins?cursor={cursor}").status == 200
    assert_problem(clear.api.get(f"/v1/bulletins?cursor={cursor}"), 400, "bad-query")
    altered = cursor[:-2] + ("AB" if cursor[-2:] != "AB" else "BA")
    assert_problem(green.api.get(f"/v1/bulletins?cursor={altered}"), 400, "bad-query")
    assert_problem(green.api.get("/v1/bulletins?cursor=garbage"), 400, "bad-query")
    r = w.coord.post(f"/v1/coord/subscribers/{green.org_id}/subscriptions", {})
    sid = r.json()["id"]
    assert_problem(green.api.get(f"/v1/bulletins?subscription={sid}&cursor={cursor}"), 400,
                   "bad-query")
    sub_cursor = green.api.get(f"/v1/bulletins?subscription={sid}&limit=1").json()["next_cursor"]
    assert green.api.get(f"/v1/bulletins?subscription={sid}&cursor={sub_cursor}").status == 200
    assert_problem(green.api.get(f"/v1/bulletins?cursor={sub_cursor}"), 400, "bad-query")


def test_paging_while_publications_are_added_returns_each_once(world):
    w = world
    sub = w.subs["green"]
    seen, cursor, added = [], None, 0
    for i in range(200):
        q = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = sub.api.get(f"/v1/bulletins?{q}")
        assert r.status == 200, r
        page = r.json()
        seen += keys(page["bulletins"])
        cursor = page["next_cursor"]
        if i % 2 == 0 and added < 4:   # publish between pages, visible and not
            w.publish(SECTOR_A if added % 2 else SECTOR_B, ["GREEN", "AMBER"][added % 2])
            added += 1
        elif added == 4 and not page["more"]:
            break
    assert len(seen) == len(set(seen)), "an item came twice"
    assert seen == [p.key for p in w.visible(sub)]
    # the last cursor goes on from there later
    p = w.publish(SECTOR_B, "CLEAR")
    r = sub.api.get(f"/v1/bulletins?cursor={cursor}")
    assert keys(r.json()["bulletins"]) == [p.key]


# ---------------------------------------------------------------- subscriptions narrow


def narrowed(pubs, min_severity="low", types=(), sectors=()):
    return [p for p in pubs
            if SEVERITIES.index(p.severity) >= SEVERITIES.index(min_severity)
            and (not types or p.incident_type in types)
            and (not sectors or p.sector in sectors)]


@pytest.mark.parametrize("who,filters", [
    ("amberA", {"sectors": [SECTOR_B]}),
    ("amberA", {"sectors": [SECTOR_A, SECTOR_B], "min_severity": "medium"}),
    ("strict", {"incident_types": ["phishing"]}),
    ("strict", {"incident_types": ["ransomware"], "sectors": [SECTOR_B]}),
    ("clear", {"sectors": [SECTOR_A]}),            # never widens to AMBER of sector A
    ("green", {"min_severity": "critical"}),
    ("strictA", {}),
])
def test_subscription_filters_narrow_never_widen(world, who, filters):
    w = world
    sub = w.subs[who]
    r = w.coord.post(f"/v1/coord/subscribers/{sub.org_id}/subscriptions", filters)
    assert r.status == 201, r
    sid = r.json()["id"]
    items, _ = feed_all(sub, subscription=sid)
    want = narrowed(w.visible(sub), filters.get("min_severity", "low"),
                    filters.get("incident_types", ()), filters.get("sectors", ()))
    assert keys(items) == [p.key for p in want]
    everything, _ = feed_all(sub)
    assert set(keys(items)) <= set(keys(everything))


def test_subscription_must_be_the_subscribers_own_and_live(world):
    w = world
    amber, green = w.subs["amberA"], w.subs["green"]
    sid = w.coord.post(f"/v1/coord/subscribers/{amber.org_id}/subscriptions",
                       {"sectors": [SECTOR_A]}).json()["id"]
    p = assert_problem(green.api.get(f"/v1/bulletins?subscription={sid}"), 400, "bad-query")
    assert "subscription" in p.get("detail", "")
    assert_problem(green.api.get(f"/v1/bulletins?subscription={uuid.uuid4()}"), 400, "bad-query")
    assert_problem(green.api.get("/v1/bulletins?subscription=nope"), 400, "bad-query")
    assert amber.api.get(f"/v1/bulletins?subscription={sid}").status == 200
    assert w.coord.request("DELETE", f"/v1/coord/subscriptions/{sid}").status == 200
    assert_problem(amber.api.get(f"/v1/bulletins?subscription={sid}"), 400, "bad-query")


# ---------------------------------------------------------------- subscriber management


def audit_rows(w, subject):
    return psql(w.db, "SELECT actor, action, detail FROM audit_log"
                      f" WHERE subject = '{subject}' ORDER BY seq")


def test_set_and_view_a_subscriber_with_audit(world):
    w = world
    sub = w.add_subscriber("managed", ["CLEAR"])
    body = {"clearance": ["CLEAR", "GREEN", "AMBER"], "sectors": [SECTOR_B, SECTOR_A]}
    r = w.coord.put(f"/v1/coord/subscribers/{sub.org_id}", body)
    assert r.status == 200, r
    v = r.json()
    assert v["org_id"] == sub.org_id and v["name"].startswith("e2e managed")
    assert v["clearance"] == body["clearance"] and v["sectors"] == body["sectors"]
    assert v["subscriptions"] == []
    assert w.coord.get(f"/v1/coord/subscribers/{sub.org_id}").json() == v
    rows = audit_rows(w, sub.org_id)
    assert [r[1] for r in rows if r[1] != "org.created"] == ["subscriber.set", "subscriber.set"]
    actor, _, detail = rows[-1]
    assert actor == f"token:{w.coord.token_id}"
    d = json.loads(detail)
    assert d["by_org"] == w.coord.org_id and d["clearance"] == body["clearance"]


def test_clearance_changes_apply_to_the_feed_at_once(world):
    w = world
    sub = w.add_subscriber("late", ["CLEAR"])
    amber = w.kinds["amberA"]
    url = f"/v1/bulletins/{amber.bulletin_id}/versions/{amber.version}/bundle"
    assert keys(feed_all(sub)[0]) == [p.key for p in w.visible(sub)]
    assert_problem(sub.api.get(url), 404, "not-found")
    for clearance, sectors in ((["CLEAR", "GREEN", "AMBER"], [SECTOR_A]), (["GREEN"], [])):
        r = w.coord.put(f"/v1/coord/subscribers/{sub.org_id}",
                        {"clearance": clearance, "sectors": sectors})
        assert r.status == 200, r
        sub.clearance, sub.sectors = clearance, sectors
        assert keys(feed_all(sub)[0]) == [p.key for p in w.visible(sub)]
        assert (sub.api.get(url).status == 200) == entitled(sub, amber)


@pytest.mark.parametrize("body,status,slug,pointer", [
    ({"clearance": ["CLEAR", "RED"]}, 422, "not-in-vocabulary", "/clearance/1"),
    ({"clearance": ["TLP:RED"]}, 422, "not-in-vocabulary", "/clearance/0"),
    ({}, 422, "missing-field", "/clearance"),
    ({"clearance": "CLEAR"}, 422, "wrong-type", "/clearance"),
    ({"clearance": ["CLEAR"] * 5}, 422, "too-long", "/clearance"),
    ({"clearance": ["CLEAR"], "sectors": ["atlantis"]}, 422, "not-in-vocabulary", "/sectors/0"),
    ({"clearance": ["CLEAR"], "sectors": [SECTOR_A] * 16}, 422, "too-long", "/sectors"),
    ({"clearance": ["CLEAR"], "colour": "red"}, 422, "unknown-field", "/colour"),
])
def test_subscriber_bounds(world, body, status, slug, pointer):
    w = world
    sub = w.subs["clear"]
    assert_problem(w.coord.put(f"/v1/coord/subscribers/{sub.org_id}", body), status, slug,
                   pointer)
    v = w.coord.get(f"/v1/coord/subscribers/{sub.org_id}").json()
    assert v["clearance"] == ["CLEAR"], v      # nothing changed


def test_subscriber_must_be_a_subscriber_organization(world):
    w = world
    for org in (w.operator(SECTOR_A).org_id, w.coord.org_id, str(uuid.uuid4()), "not-a-uuid"):
        assert_problem(w.coord.put(f"/v1/coord/subscribers/{org}", {"clearance": ["CLEAR"]}),
                       404, "not-found")
        assert_problem(w.coord.get(f"/v1/coord/subscribers/{org}"), 404, "not-found")
        assert_problem(w.coord.post(f"/v1/coord/subscribers/{org}/subscriptions", {}), 404,
                       "not-found")


def test_subscriptions_add_list_delete_with_audit(world):
    w = world
    sub = w.add_subscriber("subs", ["CLEAR", "GREEN"])
    body = {"min_severity": "medium", "incident_types": ["phishing", "ransomware"],
            "sectors": [SECTOR_A], "webhook_url": "https://hooks.example/isacd"}
    r = w.coord.post(f"/v1/coord/subscribers/{sub.org_id}/subscriptions", body)
    assert r.status == 201, r
    v = r.json()
    sid = v["id"]
    assert uuid.UUID(sid)
    (listed,) = v["subscriptions"]
    assert listed["id"] == sid and listed["min_severity"] == "medium"
    assert listed["incident_types"] == body["incident_types"]
    assert listed["sectors"] == body["sectors"] and listed["webhook_url"] == body["webhook_url"]
    r2 = w.coord.post(f"/v1/coord/subscribers/{sub.org_id}/subscriptions", {})
    assert r2.status == 201
    defaults = [s for s in r2.json()["subscriptions"] if s["id"] == r2.json()["id"]][0]
    assert defaults["min_severity"] == "low" and defaults["incident_types"] == []
    assert defaults["sectors"] == [] and defaults["webhook_url"] is None
    r = w.coord.request("DELETE", f"/v1/coord/subscriptions/{sid}")
    assert r.status == 200 and r.json() == {"id": sid, "revoked": True}, r
    assert_problem(w.coord.request("DELETE", f"/v1/coord/subscriptions/{sid}"), 404, "not-found")
    assert_problem(w.coord.request("DELETE", f"/v1/coord/subscriptions/{uuid.uuid4()}"), 404,
                   "not-found")
    assert_problem(w.coord.request("DELETE", "/v1/coord/subscriptions/x"), 404, "not-found")
    left = w.coord.get(f"/v1/coord/subscribers/{sub.org_id}").json()["subscriptions"]
    assert [s["id"] for s in left] == [r2.json()["id"]]
    rows = audit_rows(w, sid)
    assert [r[1] for r in rows] == ["subscription.added", "subscription.revoked"]
    for actor, _, detail in rows:
        assert actor == f"token:{w.coord.token_id}"
        d = json.loads(detail)
        assert d["org_id"] == sub.org_id and d["by_org"] == w.coord.org_id


@pytest.mark.parametrize("body,slug,pointer", [
    ({"min_severity": "extreme"}, "not-in-vocabulary", "/min_severity"),
    ({"incident_types": ["ransomware"] * 13}, "too-long", "/incident_types"),
    ({"incident_types": ["knitting"]}, "not-in-vocabulary", "/incident_types/0"),
    ({"sectors": [SECTOR_A] * 16}, "too-long", "/sectors"),
    ({"webhook_url": "ftp://hooks.example/x"}, "validation-failed", "/webhook_url"),
    ({"webhook_url": "https://hooks.example/a b"}, "validation-failed", "/webhook_url"),
    ({"webhook_url": "https://"}, "too-short", "/webhook_url"),
    ({"webhook_url": "https://h.example/" + "a" * 2048}, "too-long", "/webhook_url"),
    ({"tlp": "RED"}, "unknown-field", "/tlp"),
])
def test_subscription_bounds(world, body, slug, pointer):
    w = world
    sub = w.subs["green"]
    before = w.coord.get(f"/v1/coord/subscribers/{sub.org_id}").json()["subscriptions"]
    assert_problem(w.coord.post(f"/v1/coord/subscribers/{sub.org_id}/subscriptions", body),
                   422, slug, pointer)
    assert w.coord.get(f"/v1/coord/subscribers/{sub.org_id}").json()["subscriptions"] == before


def test_recipients_refuse_what_is_not_a_subscriber(world):
    w = world
    pub = w.kinds["amberB"]
    url = f"/v1/coord/bulletins/{pub.bulletin_id}/recipients"
    before = len(audit_rows(w, pub.bulletin_id))
    for orgs in ([w.operator(SECTOR_A).org_id], [str(uuid.uuid4())],
                 [w.subs["green"].org_id, w.subs["green"].org_id]):
        assert_problem(w.coord.put(url, {"orgs": orgs}), 422, "validation-failed", "/orgs")
    assert_problem(w.coord.put(url, {"orgs": ["x"]}), 422, "validation-failed", "/orgs/0")
    assert_problem(w.coord.put(url, {"orgs": [str(uuid.uuid4())] * 1001}), 422, "too-long",
                   "/orgs")
    assert_problem(w.coord.put(url, {}), 422, "missing-field", "/orgs")
    assert_problem(w.coord.put(f"/v1/coord/bulletins/{uuid.uuid4()}/recipients", {"orgs": []}),
                   404, "not-found")
    assert len(audit_rows(w, pub.bulletin_id)) == before
    # nothing changed: amberB alone still reads it
    assert w.subs["strict"].api.get(
        f"/v1/bulletins/{pub.bulletin_id}/versions/{pub.version}/bundle").status == 404


def test_naming_recipients_after_publication_opens_the_bulletin_to_them(world):
    w = world
    pub = w.kinds["strict_unnamed"]
    url = f"/v1/bulletins/{pub.bulletin_id}/versions/{pub.version}/bundle"
    strict = w.subs["strict"]
    assert_problem(strict.api.get(url), 404, "not-found")
    r = w.coord.put(f"/v1/coord/bulletins/{pub.bulletin_id}/recipients",
                    {"orgs": [strict.org_id]})
    assert r.status == 200 and r.json() == {"bulletin_id": pub.bulletin_id, "recipients": 1}, r
    assert strict.api.get(url).status == 200
    assert pub.key in keys(feed_all(strict)[0])
    rows = audit_rows(w, pub.bulletin_id)
    assert rows[-1][1] == "bulletin.recipients"
    assert json.loads(rows[-1][2])["orgs"] == [strict.org_id]
    # and closed again
    r = w.coord.put(f"/v1/coord/bulletins/{pub.bulletin_id}/recipients", {"orgs": []})
    assert r.status == 200 and r.json()["recipients"] == 0
    assert_problem(strict.api.get(url), 404, "not-found")
    pub.recipients = []


def test_audit_chain_still_verifies(world):
    r = run_isacd(world.db, "audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["ok"] is True
