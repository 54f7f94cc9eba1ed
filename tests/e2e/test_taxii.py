"""The TAXII 2.1 read side end to end (api.md, "TAXII 2.1"): discovery, the
API root, the four TLP collections, objects, manifest, object by id and
versions; keyset pages by `next` and by added_after, also while bulletins
are being published; the entitlement matrix (CLEAR-only, GREEN, AMBER of
two sectors, named AMBER+STRICT recipients); `next` bound to its
collection, subscriber and filters; Accept and media types; Basic and
Bearer authentication; TAXII error bodies.

Each module world has its own database and server (ISACD_K=2, so that two
operators of a sector get it published and TLP:AMBER reaches that sector's
subscribers). Written from api.md; nothing here reads server/.

Must never: talk to anything but 127.0.0.1, or loop without a bound.
"""

import base64
import re
import secrets
import threading
import time
import urllib.parse
import uuid

import pytest

import signing
from conftest import admin_json, migrate, psql, valid_report
from coordapi import new_coordinator

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
COLLECTIONS = {
    "CLEAR": "a0895a52-1e8a-4748-9375-6e28f123d1ab",
    "GREEN": "ad0652c7-28a7-4806-967c-c41ee839aabd",
    "AMBER": "c422fb49-c815-4178-b745-83a589c3156b",
    "AMBER+STRICT": "15f4ec62-ce6e-43fe-8cb0-587cf4c5da2c",
}
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
MAX_PAGES = 500


# ---------------------------------------------------------------- client


class Taxii:
    """A TAXII 2.1 reader with a subscriber token (Bearer, or Basic with the token as password)."""

    def __init__(self, base_url, token, name="", basic=False):
        self.base_url = base_url
        self.token = token
        self.name = name
        self.basic = basic

    def auth_header(self):
        if self.basic:
            cred = base64.b64encode(f"{self.name or 'x'}:{self.token}".encode()).decode()
            return ("Authorization", f"Basic {cred}")
        return ("Authorization", f"Bearer {self.token}")

    def get(self, path, params=None, accept=TAXII, auth="default", method="GET"):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        msg = signing.new_message(self.base_url, method, path, digest=False)
        if auth == "default":
            msg.headers.append(self.auth_header())
        elif auth is not None:
            msg.headers.append(("Authorization", auth))
        if accept is not None:
            msg.headers.append(("Accept", accept))
        return signing.send(msg, timeout=30)

    def ok(self, path, params=None, **kw):
        r = self.get(path, params, **kw)
        assert r.status == 200, (self.name, path, params, r)
        assert r.header("Content-Type") == TAXII, r.headers
        return r

    def page(self, collection, kind="objects", params=None, object_id=None):
        return self.ok(taxii_path(collection, kind, object_id), params)

    def all(self, collection, kind="objects", params=None, object_id=None, limit=None):
        """Every item of a listing, following `next`; (items, pages)."""
        params = dict(params or {})
        if limit is not None:
            params["limit"] = limit
        key = "versions" if kind == "versions" else "objects"
        items, pages = [], []
        for _ in range(MAX_PAGES):
            r = self.page(collection, kind, params, object_id)
            env = r.json()
            pages.append(r)
            items.extend(env.get(key, []))
            if not env["more"]:
                assert "next" not in env, env
                return items, pages
            params["next"] = env["next"]
        raise AssertionError("more than MAX_PAGES pages")


def taxii_path(collection, kind="objects", object_id=None):
    base = f"/taxii2/api/collections/{COLLECTIONS.get(collection, collection)}/"
    if kind == "collection":
        return base
    if kind == "manifest":
        return base + "manifest/"
    if kind == "object":
        return base + f"objects/{object_id}/"
    if kind == "versions":
        return base + f"objects/{object_id}/versions/"
    return base + "objects/"


def new_subscriber(db, base_url, clearance, sectors=(), basic=False):
    name = f"e2e subscriber {uuid.uuid4().hex[:12]}"
    org = admin_json(db, "org-create", "--kind", "subscriber", "--name", name)
    tok = admin_json(db, "token-issue", "--org", org["id"], "--label", "taxii")
    args = ["subscriber-set", "--org", org["id"], "--clearance", ",".join(clearance)]
    if sectors:
        args += ["--sectors", ",".join(sectors)]
    admin_json(db, *args)
    t = Taxii(base_url, tok["token"], name, basic)
    t.org_id = org["id"]
    t.clearance = set(clearance)
    return t


def assert_taxii_error(r, status, slug=None):
    """r is a TAXII 2.1 error message of this HTTP status."""
    assert r.status == status, r
    assert r.header("Content-Type") == TAXII, r.headers
    e = r.json()
    assert isinstance(e.get("title"), str) and e["title"], e
    assert e.get("http_status") == str(status), e
    assert e.get("error_id") == r.header("X-Request-Id"), (e, r.headers)
    if slug is not None:
        assert e.get("error_code") == slug, e
    return e


def keys(objs):
    return [(o["id"], o.get("modified", o.get("created"))) for o in objs]


# ---------------------------------------------------------------- the world


class World:
    pass


def report(title, **kw):
    return valid_report(title=title, **kw)


def submit(op, doc):
    r, _ = op.post_report(doc)
    assert r.status == 201, r
    return r.json()["incident_id"]


def start_world(databases, server_factory, name):
    w = World()
    w.db = databases.create(f"e2e_{name}")
    migrate(w.db)
    w.server = server_factory(name, dsn=w.db, env_extra={"ISACD_K": 2}).start()
    w.base = w.server.base_url
    w.coord = new_coordinator(w.db, w.base)
    return w


def operator_in(w, operator_factory, sector, region="kanto"):
    return operator_factory(w.base, sector=sector, region=region, db=w.db)


def bulletin_objects(w, bulletin_id):
    """(incident id, ids of the bulletin's own objects) from its latest bundle."""
    bundle = w.coord.bundle(bulletin_id).json()
    incident = [o for o in bundle["objects"] if o["type"] == "incident"]
    assert len(incident) == 1, bundle
    isac = incident[0]["created_by_ref"]
    own = {o["id"] for o in bundle["objects"]
           if o["type"] != "marking-definition" and o["id"] != isac}
    return incident[0]["id"], own, isac


# Which subscriber reads which bulletin (by plan name); RED is read by nobody.
PLAN = {
    "clear": ("water", "CLEAR", "low"),
    "green": ("gas", "GREEN", "medium"),
    "amber-water": ("water", "AMBER", "low"),
    "amber-gas": ("gas", "AMBER", "medium"),
    "amber-unpublished-sector": ("railways", "AMBER", "low"),
    "strict-water": ("water", "AMBER+STRICT", "low"),
    "red": ("water", "RED", "low"),
    "versioned": ("gas", "CLEAR", "low"),
}
READERS = {
    "clear-only": {"clear", "versioned"},
    "green": {"clear", "versioned", "green"},
    "amber-water": {"clear", "versioned", "green", "amber-water"},
    "amber-gas": {"clear", "versioned", "green", "amber-gas"},
    "strict-named": {"clear", "versioned", "green", "amber-unpublished-sector", "strict-water"},
    "no-row": set(),
}


@pytest.fixture(scope="module")
def world(databases, server_factory, operator_factory):
    w = start_world(databases, server_factory, "taxii")
    ops = {s: [operator_in(w, operator_factory, s) for _ in range(2)]
           for s in ("water", "gas")}
    ops["railways"] = [operator_in(w, operator_factory, "railways", "tohoku")]
    w.subs = {
        "clear-only": new_subscriber(w.db, w.base, ["CLEAR"]),
        "green": new_subscriber(w.db, w.base, ["CLEAR", "GREEN"], basic=True),
        "amber-water": new_subscriber(w.db, w.base, ["CLEAR", "GREEN", "AMBER"], ["water"]),
        "amber-gas": new_subscriber(w.db, w.base, ["CLEAR", "GREEN", "AMBER"],
                                    ["gas", "electric_power"]),
        "strict-named": new_subscriber(w.db, w.base,
                                       ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"]),
    }
    org = admin_json(w.db, "org-create", "--kind", "subscriber", "--name", "e2e no row")
    tok = admin_json(w.db, "token-issue", "--org", org["id"])
    w.subs["no-row"] = Taxii(w.base, tok["token"], "no-row")
    w.subs["no-row"].clearance = set()

    incidents = {}
    for i, (name, (sector, tlp, severity)) in enumerate(PLAN.items()):
        incidents[name] = submit(ops[sector][i % len(ops[sector])],
                                 report(f"taxii {name}", sector=sector, tlp=tlp,
                                        severity=severity))
    seen = w.coord.wait_bulletins(list(incidents.values()))
    w.bulletins = {n: seen[i]["bulletin"]["id"] for n, i in incidents.items()}
    strict = w.subs["strict-named"].org_id
    for name in ("strict-water", "amber-unpublished-sector"):
        r = w.coord.put(f"/v1/coord/bulletins/{w.bulletins[name]}/recipients", {"orgs": [strict]})
        assert r.status == 200, r
    for name in ("amber-water", "amber-gas", "amber-unpublished-sector", "strict-water"):
        r = w.coord.post(f"/v1/coord/bulletins/{w.bulletins[name]}/approve")
        assert r.status == 200, (name, r)
    # a follow-up makes version 2 of "versioned"
    vop = ops["gas"][PLAN_INDEX["versioned"] % 2]
    submit(vop, report("taxii versioned, follow-up", sector="gas", tlp="CLEAR", severity="low",
                       phase="final", incident_id=incidents["versioned"]))
    w.coord.wait_bulletins({incidents["versioned"]: 2})
    w.objects = {}
    for name, bid in w.bulletins.items():
        w.objects[name] = bulletin_objects(w, bid)
    w.isac = w.objects["clear"][2]
    sectors = dict(psql(w.db, "SELECT bulletin_id, coalesce(sector, '-') FROM publications"))
    assert sectors[w.bulletins["amber-water"]] == "water", sectors
    assert sectors[w.bulletins["amber-gas"]] == "gas", sectors
    assert sectors[w.bulletins["amber-unpublished-sector"]] == "-", sectors
    return w


PLAN_INDEX = {name: i for i, name in enumerate(PLAN)}


# ---------------------------------------------------------------- discovery, roots, collections


def test_discovery_api_root_and_collections(world):
    t = world.subs["green"]
    d = t.ok("/taxii2/").json()
    root = world.base + "/taxii2/api/"
    assert d["default"] == root and d["api_roots"] == [root], d
    assert d["title"], d
    a = t.ok("/taxii2/api/").json()
    assert a["versions"] == [TAXII], a
    assert isinstance(a["max_content_length"], int) and a["max_content_length"] > 0, a
    assert a["title"], a
    cols = t.ok("/taxii2/api/collections/").json()["collections"]
    assert [c["id"] for c in cols] == list(COLLECTIONS.values()), cols
    for c, tlp in zip(cols, COLLECTIONS):
        assert c["title"] == f"TLP:{tlp} bulletins", c
        assert c["can_write"] is False and c["media_types"] == [STIX], c
        one = t.ok(taxii_path(tlp, "collection")).json()
        assert one == c, (one, c)
    for name, sub in world.subs.items():
        cols = sub.ok("/taxii2/api/collections/").json()["collections"]
        got = {tlp: c["can_read"] for c, tlp in zip(cols, COLLECTIONS)}
        assert got == {tlp: tlp in sub.clearance for tlp in COLLECTIONS}, (name, got)


def test_unknown_collection_and_paths_are_taxii_404(world):
    t = world.subs["strict-named"]
    for path in (f"/taxii2/api/collections/{uuid.uuid4()}/",
                 f"/taxii2/api/collections/{uuid.uuid4()}/objects/",
                 f"/taxii2/api/collections/{uuid.uuid4()}/manifest/",
                 "/taxii2/api/collections/nope/objects/",
                 taxii_path("GREEN", "object", "not-an-id"),
                 taxii_path("GREEN", "object", f"incident--{uuid.uuid4()}"),
                 taxii_path("GREEN", "versions", f"incident--{uuid.uuid4()}"),
                 "/taxii2/api/nothing/", "/taxii2/other/"):
        assert_taxii_error(t.get(path), 404, "not-found")
    e = assert_taxii_error(t.get(taxii_path("GREEN"), method="POST"), 405)
    assert e["error_code"] == "method-not-allowed"


# ---------------------------------------------------------------- entitlement matrix


def visible_names(world, sub_name, tlp):
    return {n for n in READERS[sub_name] if PLAN[n][1] == tlp}


def test_entitlement_matrix(world):
    for sub_name, sub in world.subs.items():
        for tlp in COLLECTIONS:
            if tlp not in sub.clearance:
                for kind in ("objects", "manifest"):
                    assert_taxii_error(sub.get(taxii_path(tlp, kind)), 403, "forbidden")
                inc = world.objects["clear"][0]
                assert_taxii_error(sub.get(taxii_path(tlp, "object", inc)), 403)
                continue
            readable = visible_names(world, sub_name, tlp)
            objs, _ = sub.all(tlp, params={"match[version]": "all"}, limit=1000)
            ids = [o["id"] for o in objs]
            assert len(keys(objs)) == len(set(keys(objs))), (sub_name, tlp)
            want = set().union(*(world.objects[n][1] for n in readable)) if readable else set()
            own = {i for i in ids if not i.startswith("marking-definition--")
                   and i != world.isac}
            assert own == want, (sub_name, tlp, sorted(own ^ want))
            if readable:  # shared objects (ISAC identity, TLP marking) come along
                assert world.isac in ids, (sub_name, tlp)
            for o in objs:
                markings = o.get("object_marking_refs", [])
                assert o["type"] == "marking-definition" or markings, o
            man, _ = sub.all(tlp, "manifest", params={"match[version]": "all"}, limit=1000)
            assert sorted((m["id"], m["version"]) for m in man) == sorted(keys(objs))
            for name in PLAN:
                inc = world.objects[name][0]
                r_obj = sub.get(taxii_path(tlp, "object", inc))
                r_ver = sub.get(taxii_path(tlp, "versions", inc))
                if name in readable:
                    assert r_obj.status == 200 and r_ver.status == 200, (sub_name, name)
                    assert [o["id"] for o in r_obj.json()["objects"]] == [inc]
                    assert r_ver.json()["versions"], r_ver
                    assert inc in ids
                else:
                    assert_taxii_error(r_obj, 404, "not-found")
                    assert_taxii_error(r_ver, 404, "not-found")
                    assert not world.objects[name][1] & set(ids), (sub_name, tlp, name)


def test_red_is_nowhere(world):
    red_ids = world.objects["red"][1]
    sub = world.subs["strict-named"]
    for tlp in COLLECTIONS:
        objs, _ = sub.all(tlp, params={"match[version]": "all"}, limit=1000)
        assert not red_ids & {o["id"] for o in objs}, tlp
        for oid in red_ids:
            assert_taxii_error(sub.get(taxii_path(tlp, "object", oid)), 404)
    rows = psql(world.db, "SELECT count(*) FROM publications WHERE tlp = 'RED'")
    assert rows == [["0"]]


# ---------------------------------------------------------------- pages


def test_pages_by_next_return_each_object_once(world):
    sub = world.subs["strict-named"]
    full, _ = sub.all("GREEN", params={"match[version]": "all"}, limit=1000)
    assert len(full) >= 5, full
    for limit in (1, 2, 3):
        got, pages = sub.all("GREEN", params={"match[version]": "all"}, limit=limit)
        assert keys(got) == keys(full), limit
        assert all(len(p.json()["objects"]) <= limit for p in pages)
        assert len(pages) == -(-len(full) // limit), (limit, len(pages))
    # the headers name the first and last date_added of each page (manifest gives them)
    man, pages = sub.all("GREEN", "manifest", params={"match[version]": "all"}, limit=2)
    for p in pages:
        items = p.json()["objects"]
        assert p.header("X-TAXII-Date-Added-First") == items[0]["date_added"]
        assert p.header("X-TAXII-Date-Added-Last") == items[-1]["date_added"]
    dates = [m["date_added"] for m in man]
    assert all(TIME_RE.match(d) for d in dates), dates
    assert dates == sorted(dates) and len(set(dates)) == len(dates), dates


def poll_added_after(sub, tlp, limit, after=None, params=None):
    """Every object added after `after`, paged by X-TAXII-Date-Added-Last; (items, last)."""
    items = []
    for _ in range(MAX_PAGES):
        p = dict(params or {}, limit=limit)
        if after is not None:
            p["added_after"] = after
        r = sub.page(tlp, params=p)
        objs = r.json()["objects"]
        if not objs:
            assert r.header("X-TAXII-Date-Added-Last") is None
            return items, after
        items.extend(objs)
        after = r.header("X-TAXII-Date-Added-Last")
        assert after and TIME_RE.match(after), r.headers
    raise AssertionError("more than MAX_PAGES pages")


def test_pages_by_added_after_return_each_object_once(world):
    sub = world.subs["amber-gas"]
    for tlp in ("CLEAR", "GREEN", "AMBER"):
        full, _ = sub.all(tlp, params={"match[version]": "all"}, limit=1000)
        got, last = poll_added_after(sub, tlp, 2, params={"match[version]": "all"})
        assert keys(got) == keys(full), tlp
        assert sub.page(tlp, params={"added_after": last}).json() == \
            {"more": False, "objects": []}


def test_limit_is_validated_and_clamped(world):
    sub = world.subs["green"]
    full, _ = sub.all("CLEAR", params={"match[version]": "all"}, limit=1000)
    env = sub.page("CLEAR", params={"limit": "5000", "match[version]": "all"}).json()
    assert keys(env["objects"]) == keys(full) and env["more"] is False
    env = sub.page("CLEAR", params={"limit": "99999999999999999999999"}).json()
    assert env["more"] is False
    for bad in ("0", "-1", "x", "", "1.5", " 3"):
        assert_taxii_error(sub.get(taxii_path("CLEAR"), {"limit": bad}), 400, "bad-query")


# ---------------------------------------------------------------- next is never trusted


def first_page_next(sub, tlp, kind="objects", params=None, object_id=None):
    env = sub.page(tlp, kind, dict(params or {}, limit=1), object_id).json()
    assert env["more"] is True and env["next"], env
    return env["next"]


def test_next_is_bound_to_collection_subscriber_and_filters(world):
    a, b = world.subs["amber-water"], world.subs["amber-gas"]
    nxt = first_page_next(a, "GREEN")
    ok = a.page("GREEN", params={"limit": 1, "next": nxt}).json()
    again = a.page("GREEN", params={"limit": 1, "next": nxt}).json()
    assert ok == again  # a cursor is a position: asking twice gives the same page
    assert ok["objects"], ok
    flipped = nxt[:-3] + ("A" if nxt[-3] != "A" else "B") + nxt[-2:]
    cases = [
        (a, "GREEN", "objects", {"next": flipped}),
        (a, "GREEN", "objects", {"next": nxt + "x"}),
        (a, "GREEN", "objects", {"next": "garbage"}),
        (a, "GREEN", "objects", {"next": ""}),
        (b, "GREEN", "objects", {"next": nxt}),                      # another subscriber
        (a, "CLEAR", "objects", {"next": nxt}),                      # another collection
        (a, "GREEN", "manifest", {"next": nxt}),                     # another listing
        (a, "GREEN", "objects", {"next": nxt, "match[type]": "incident"}),
        (a, "GREEN", "objects", {"next": nxt, "match[version]": "all"}),
        (a, "GREEN", "objects", {"next": nxt, "added_after": "2000-01-01T00:00:00Z"}),
        (a, "GREEN", "objects", {"next": nxt, "match[spec_version]": "2.1"}),
    ]
    for sub, tlp, kind, params in cases:
        e = assert_taxii_error(sub.get(taxii_path(tlp, kind), params), 400, "bad-query")
        assert "next" in e.get("description", ""), e
    # the same filters spelled the same way keep working; limit may change
    typed = first_page_next(a, "GREEN", params={"match[type]": "indicator,incident"})
    r = a.page("GREEN", params={"next": typed, "match[type]": "indicator,incident",
                                "limit": 50}).json()
    assert all(o["type"] in ("indicator", "incident") for o in r["objects"]), r
    # a versions cursor is bound to its object
    inc = world.objects["versioned"][0]
    vn = first_page_next(a, "CLEAR", "versions", object_id=inc)
    other = world.objects["clear"][0]
    assert_taxii_error(a.get(taxii_path("CLEAR", "versions", other), {"next": vn}), 400)
    assert a.ok(taxii_path("CLEAR", "versions", inc), {"next": vn}).json()["versions"]


# ---------------------------------------------------------------- filters and versions


def test_match_filters(world):
    sub = world.subs["strict-named"]
    full, _ = sub.all("GREEN", limit=1000)
    by_type = {}
    for o in full:
        by_type.setdefault(o["type"], []).append(o["id"])
    assert "incident" in by_type and "indicator" in by_type, by_type
    got, _ = sub.all("GREEN", params={"match[type]": "incident"})
    assert [o["id"] for o in got] == by_type["incident"]
    got, _ = sub.all("GREEN", params={"match[type]": "incident,indicator"})
    assert sorted(o["id"] for o in got) == sorted(by_type["incident"] + by_type["indicator"])
    pick = [full[0]["id"], full[-1]["id"]]
    got, _ = sub.all("GREEN", params={"match[id]": ",".join(pick)})
    assert sorted(o["id"] for o in got) == sorted(set(pick))
    got, _ = sub.all("GREEN", params={"match[spec_version]": "2.1"})
    assert keys(got) == keys(full)
    got, _ = sub.all("GREEN", params={"match[spec_version]": "2.0"})
    assert got == []
    # an id of another collection is simply not there
    got, _ = sub.all("GREEN", params={"match[id]": world.objects["clear"][0]})
    assert got == []
    # raw brackets in the query work as well as percent-encoded ones
    r = sub.ok(taxii_path("GREEN") + "?match[type]=incident")
    assert [o["id"] for o in r.json()["objects"]] == by_type["incident"]
    for param, bad in (("match[type]", "Incident"), ("match[type]", "in"),
                       ("match[type]", "a--b"), ("match[type]", "incident,"),
                       ("match[id]", "incident--nope"), ("match[id]", "incident"),
                       ("match[version]", "newest"), ("match[version]", "2026-13-01T00:00:00Z"),
                       ("match[spec_version]", "two"), ("added_after", "yesterday"),
                       ("match[type]", ",".join(["indicator"] * 101))):
        e = assert_taxii_error(sub.get(taxii_path("GREEN"), {param: bad}), 400, "bad-query")
        assert param in e["description"], e


def test_versions(world):
    sub = world.subs["clear-only"]
    inc = world.objects["versioned"][0]
    env = sub.ok(taxii_path("CLEAR", "versions", inc)).json()
    versions = env["versions"]
    assert len(versions) == 2 and versions == sorted(versions) and env["more"] is False, env
    assert all(TIME_RE.match(v) or re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z$", v) for v in versions)
    r = sub.ok(taxii_path("CLEAR", "versions", inc))
    assert r.header("X-TAXII-Date-Added-First") and r.header("X-TAXII-Date-Added-Last")
    paged, pages = sub.all("CLEAR", "versions", object_id=inc, limit=1)
    assert paged == versions and len(pages) == 2

    def obj_versions(params=None, kind="object"):
        if kind == "object":
            objs = sub.ok(taxii_path("CLEAR", "object", inc), params).json()["objects"]
        else:
            objs = [o for o in sub.all("CLEAR", params=params)[0] if o["id"] == inc]
        assert all(o["id"] == inc for o in objs)
        return [o["modified"] for o in objs]

    for kind in ("object", "objects"):
        assert obj_versions(None, kind) == [versions[-1]], kind  # default: last
        assert obj_versions({"match[version]": "last"}, kind) == [versions[-1]]
        assert obj_versions({"match[version]": "first"}, kind) == [versions[0]]
        assert obj_versions({"match[version]": "all"}, kind) == versions
        assert obj_versions({"match[version]": "first,last"}, kind) == versions
        assert obj_versions({"match[version]": versions[0]}, kind) == [versions[0]]
        assert obj_versions({"match[version]": "2000-01-01T00:00:00Z"}, kind) == []
    man = [m for m in sub.all("CLEAR", "manifest")[0] if m["id"] == inc]
    assert [m["version"] for m in man] == [versions[-1]] and man[0]["media_type"] == STIX
    # an object that exists but has nothing after added_after: an empty page, not 404
    last = r.header("X-TAXII-Date-Added-Last")
    env = sub.ok(taxii_path("CLEAR", "object", inc), {"added_after": last}).json()
    assert env == {"more": False, "objects": []}, env


# ---------------------------------------------------------------- HTTP: auth, Accept, headers


def test_basic_and_bearer_and_bad_tokens(world):
    green = world.subs["green"]
    assert green.basic
    bearer = Taxii(world.base, green.token, green.name)
    basic_other_user = Taxii(world.base, green.token, "any-user-name", basic=True)
    want = green.ok(taxii_path("GREEN")).json()
    assert bearer.ok(taxii_path("GREEN")).json() == want
    assert basic_other_user.ok(taxii_path("GREEN")).json() == want
    for path in ("/taxii2/", "/taxii2/api/collections/", taxii_path("GREEN")):
        e = assert_taxii_error(green.get(path, auth=None), 401, "authentication-required")
        assert e["description"]
        r = green.get(path, auth="Bearer isacd_" + secrets.token_urlsafe(32))
        assert_taxii_error(r, 401, "token-invalid")
        assert "Basic" in (r.header("WWW-Authenticate") or ""), r.headers
        wrong = base64.b64encode(f"{green.name}:{green.token}x".encode()).decode()
        assert_taxii_error(green.get(path, auth=f"Basic {wrong}"), 401, "token-invalid")
    # a coordinator's token is not a subscriber's
    assert_taxii_error(green.get("/taxii2/", auth=f"Bearer {world.coord.token}"), 403)


def test_accept_and_not_acceptable(world):
    sub = world.subs["green"]
    for accept in (TAXII, "application/taxii+json", "*/*", None, "application/*",
                   "application/taxii+json; version=2.1", "application/xml, */*;q=0.1",
                   "text/html, application/taxii+json;version=2.1;q=0.9"):
        for path in ("/taxii2/", taxii_path("GREEN"), taxii_path("GREEN", "manifest")):
            r = sub.get(path, accept=accept)
            assert r.status == 200, (accept, path, r)
            assert r.header("Content-Type") == TAXII
    for accept in ("application/xml", "application/json", "application/taxii+json;version=2.0",
                   "application/taxii+json;q=0", "text/*", STIX):
        for path in ("/taxii2/", "/taxii2/api/", "/taxii2/api/collections/",
                     taxii_path("GREEN"), taxii_path("GREEN", "collection")):
            assert_taxii_error(sub.get(path, accept=accept), 406, "not-acceptable")


def test_media_types_and_envelope_shapes(world):
    sub = world.subs["amber-water"]
    env = sub.page("AMBER", params={"limit": 1}).json()
    assert set(env) == {"more", "next", "objects"} and env["more"] is True, env
    full = sub.page("AMBER", params={"limit": 1000}).json()
    assert set(full) == {"more", "objects"} and full["more"] is False, full
    man = sub.page("AMBER", "manifest").json()
    for m in man["objects"]:
        assert set(m) == {"id", "date_added", "version", "media_type"}, m
        assert m["media_type"] == STIX and TIME_RE.match(m["date_added"]), m
    inc = world.objects["amber-water"][0]
    v = sub.ok(taxii_path("AMBER", "versions", inc)).json()
    assert set(v) == {"more", "versions"}, v
    empty = sub.page("AMBER", params={"match[type]": "grouping"})
    assert empty.json() == {"more": False, "objects": []}
    assert empty.header("X-TAXII-Date-Added-First") is None
    for p in (sub.page("AMBER"), sub.page("AMBER", "manifest")):
        assert p.header("X-TAXII-Date-Added-First") and p.header("X-TAXII-Date-Added-Last")
        assert p.header("Cache-Control") == "no-store"


# ---------------------------------------------------------------- paging while publishing


def test_paging_while_bulletins_are_published(databases, server_factory, operator_factory):
    w = start_world(databases, server_factory, "taxii_live")
    op = operator_in(w, operator_factory, "water")
    sub = new_subscriber(w.db, w.base, ["CLEAR", "GREEN"])
    n_reports = 24
    incidents, errors = [], []
    started = threading.Event()

    def publish():
        try:
            for i in range(n_reports):
                incidents.append(submit(op, report(f"live {i}", sector="water",
                                                   tlp="GREEN", severity="low")))
                started.set()
                time.sleep(0.04)
        except Exception as e:  # noqa: BLE001 — reported below
            errors.append(e)
            started.set()

    th = threading.Thread(target=publish, daemon=True)
    th.start()
    assert started.wait(15)
    every = {"match[version]": "all"}
    by_next, by_after = [], []
    p1, after2 = dict(every, limit=3), None
    all_published = False
    pages_while_publishing = 0
    deadline = time.monotonic() + 30
    for _ in range(4000):
        assert time.monotonic() < deadline, "publishing did not finish in time"
        if not all_published and not th.is_alive():
            # publications commit with their objects: once all are there, one more round
            all_published = len(psql(w.db, "SELECT 1 FROM publications")) == n_reports
        # reader 1 follows `next`; caught up, it polls on from X-TAXII-Date-Added-Last
        r1 = sub.page("GREEN", params=p1)
        env = r1.json()
        by_next.extend(env["objects"])
        pages_while_publishing += bool(env["objects"]) and th.is_alive()
        if env["more"]:
            p1 = dict(every, limit=3, next=env["next"])
        elif env["objects"]:
            p1 = dict(every, limit=3, added_after=r1.header("X-TAXII-Date-Added-Last"))
        # reader 2 pages by added_after only
        r2 = sub.page("GREEN", params=dict(every, limit=2, **(
            {"added_after": after2} if after2 else {})))
        by_after.extend(r2.json()["objects"])
        after2 = r2.header("X-TAXII-Date-Added-Last") or after2
        if all_published and not env["more"] and not r2.json()["objects"]:
            break
        time.sleep(0.01)
    th.join(10)
    assert not errors, errors
    assert pages_while_publishing >= 3, "the readers never overlapped the publishing"
    assert len(incidents) == n_reports
    final, _ = sub.all("GREEN", params={"match[version]": "all"}, limit=1000)
    assert len({o["id"] for o in final if o["type"] == "incident"}) == n_reports
    for got in (by_next, by_after):
        assert len(keys(got)) == len(set(keys(got))), "an object came twice"
        assert keys(got) == keys(final), "an object was skipped"
