"""Organizations, operator keys and token rotation for coordinators (api.md,
"Organizations and keys"): GET/POST /v1/coord/orgs, tokens in the org view,
POST /v1/coord/orgs/{id}/keys (add, rotate with `replaces`),
DELETE /v1/coord/keys/{key_id}, POST /v1/coord/tokens/{id}/rotate.

Runs on the session server and database. Every test names its organizations
with a fresh random tag and filters the directory by it (q), so other tests'
organizations never enter its expectations. What was audited is read from
the audit_log table itself.

Written from api.md, not from server/. Must never: talk to anything but
127.0.0.1, or pass when the server is down.
"""

import base64
import hashlib
import json
import secrets
import urllib.parse
import uuid

import nacl.signing
import pytest

from conftest import Operator, assert_problem, sql_value
from coordapi import Coord, new_coordinator

KEY_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"


@pytest.fixture(scope="module")
def coord(dsn, base_url):
    return new_coordinator(dsn, base_url)


def new_key():
    key = nacl.signing.SigningKey.generate()
    return key, base64.b64encode(bytes(key.verify_key)).decode()


def audit(sql, subject):
    """[(action, actor, detail)] of the audit entries about `subject`, in order."""
    return [(a, who, json.loads(d)) for a, who, d in sql(
        f"SELECT action, actor, detail FROM audit_log WHERE subject = '{subject}' ORDER BY seq")]


def audit_count(sql, action):
    return int(sql_value(sql(f"SELECT count(*) FROM audit_log WHERE action = '{action}'")))


def by(coord):
    """The actor and by_org a coordinator's changes are audited with."""
    return f"token:{coord.token_id}", coord.org_id


def create(coord, **body):
    r = coord.post("/v1/coord/orgs", body)
    assert r.status == 201, r
    return r.json()


def directory(coord, query):
    r = coord.get(f"/v1/coord/orgs?{query}")
    assert r.status == 200, r
    return r.json()


# ---------------------------------------------------------------- organizations


def test_create_answers_the_org_view_and_is_audited(coord, sql):
    tag = secrets.token_hex(5)
    org = create(coord, kind="operator", name=f"e2e dir {tag} Alpha", sector="water",
                 region="kinki")
    assert uuid.UUID(org["id"])
    assert {k: org[k] for k in ("kind", "name", "sector", "region")} == {
        "kind": "operator", "name": f"e2e dir {tag} Alpha", "sector": "water", "region": "kinki"}
    assert org["created_at"].endswith("Z")
    assert org["keys"] == [] and org["tokens"] == []
    assert org["profile"] == {"domains": [], "ranges": [], "terms": []}
    r = coord.get(f"/v1/coord/orgs/{org['id']}")
    assert r.status == 200 and r.json() == org, r
    sub = create(coord, kind="subscriber", name=f"e2e dir {tag} beta")
    assert sub["sector"] is None and sub["region"] is None
    actor, by_org = by(coord)
    assert audit(sql, org["id"]) == [("org.created", actor, {
        "kind": "operator", "name": f"e2e dir {tag} Alpha", "sector": "water",
        "region": "kinki", "by_org": by_org})]
    assert audit(sql, sub["id"])[0][0] == "org.created"


def test_create_validation_changes_nothing(coord, sql):
    tag = secrets.token_hex(5)
    name = f"e2e val {tag}"
    create(coord, kind="subscriber", name=name)
    before = audit_count(sql, "org.created")
    cases = [
        ({"kind": "coordinator", "name": name.upper()}, 409, "conflict", "/name"),
        ({"kind": "operator", "name": name + "x", "region": "kanto"}, 422, "missing-field",
         "/sector"),
        ({"kind": "operator", "name": name + "x", "sector": "water"}, 422, "missing-field",
         "/region"),
        ({"kind": "operator", "name": name + "x", "sector": "energy", "region": "kanto"}, 422,
         "not-in-vocabulary", "/sector"),
        ({"kind": "subscriber", "name": name + "x", "region": "atlantis"}, 422,
         "not-in-vocabulary", "/region"),
        ({"kind": "admin", "name": name + "x"}, 422, "not-in-vocabulary", "/kind"),
        ({"name": name + "x"}, 422, "missing-field", "/kind"),
        ({"kind": "subscriber"}, 422, "missing-field", "/name"),
        ({"kind": "subscriber", "name": ""}, 422, "too-short", "/name"),
        ({"kind": "subscriber", "name": "n" * 201}, 422, "too-long", "/name"),
        ({"kind": "subscriber", "name": 7}, 422, "wrong-type", "/name"),
        ({"kind": "subscriber", "name": name + "x", "colour": "blue"}, 422, "unknown-field",
         "/colour"),
    ]
    for body, status, slug, pointer in cases:
        assert_problem(coord.post("/v1/coord/orgs", body), status, slug, pointer)
    assert_problem(coord.post("/v1/coord/orgs", b"{"), 400, "malformed-json")
    assert audit_count(sql, "org.created") == before, "a refused create must not be audited"
    assert sql_value(sql(f"SELECT count(*) FROM organizations WHERE name ILIKE '%{tag}x%'")) == "0"


def test_directory_filters_sorts_and_pages(coord):
    tag = secrets.token_hex(5)
    made = [
        create(coord, kind="operator", name=f"e2e dir {tag} Alpha", sector="water",
               region="kinki"),
        create(coord, kind="subscriber", name=f"e2e dir {tag} beta"),
        create(coord, kind="coordinator", name=f"e2e dir {tag} Gamma"),
        create(coord, kind="subscriber", name=f"e2e dir {tag} delta"),
    ]
    by_name = sorted(made, key=lambda o: o["name"].lower())
    page = directory(coord, f"q={tag}")
    assert [o["id"] for o in page["orgs"]] == [o["id"] for o in by_name]
    assert page["next_cursor"] is None
    first = page["orgs"][0]
    assert set(first) == {"id", "kind", "name", "sector", "region", "created_at", "active_keys",
                          "active_tokens"}
    assert (first["kind"], first["sector"], first["region"]) == ("operator", "water", "kinki")
    assert first["active_keys"] == 0 and first["active_tokens"] == 0
    assert first["created_at"] == made[0]["created_at"]
    # q is a case-insensitive substring of the name
    assert [o["id"] for o in directory(coord, f"q={tag.upper()}%20DELTA")["orgs"]] == [
        made[3]["id"]]
    assert [o["name"] for o in directory(coord, f"kind=subscriber&q={tag}")["orgs"]] == [
        f"e2e dir {tag} beta", f"e2e dir {tag} delta"]
    assert directory(coord, "q=" + secrets.token_hex(8))["orgs"] == []
    # pages of one: the same organizations in the same order, then null
    seen, cursor = [], None
    for _ in range(10):
        page = directory(coord, f"q={tag}&limit=1" + (f"&cursor={cursor}" if cursor else ""))
        seen += [o["id"] for o in page["orgs"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["orgs"]) == 1
    assert seen == [o["id"] for o in by_name]
    # a cursor belongs to its query: another q or kind, or altered, is refused
    cursor = directory(coord, f"q={tag}&limit=1")["next_cursor"]
    assert_problem(coord.get(f"/v1/coord/orgs?q={tag}x&limit=1&cursor={cursor}"), 400,
                   "bad-query")
    assert_problem(coord.get(f"/v1/coord/orgs?q={tag}&kind=subscriber&cursor={cursor}"), 400,
                   "bad-query")
    altered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    assert_problem(coord.get(f"/v1/coord/orgs?q={tag}&cursor={altered}"), 400, "bad-query")


@pytest.mark.parametrize("query", ["kind=admin", "limit=0", "limit=101", "limit=x", "q=",
                                   "q=" + "a" * 201, "cursor=nope"])
def test_directory_bad_query(coord, query):
    p = assert_problem(coord.get(f"/v1/coord/orgs?{query}"), 400, "bad-query")
    assert p["detail"].startswith(query.split("=")[0]), p


def test_coordinators_only(dsn, base_url, coord):
    sub = new_coordinator(dsn, base_url, kind="subscriber")
    for method, path in [("GET", "/v1/coord/orgs"), ("POST", "/v1/coord/orgs"),
                         ("POST", f"/v1/coord/orgs/{coord.org_id}/keys"),
                         ("DELETE", "/v1/coord/keys/x"),
                         ("POST", f"/v1/coord/tokens/{coord.token_id}/rotate")]:
        assert_problem(sub.request(method, path, {}), 403, "forbidden")
        assert_problem(coord.request(method, path, {}, token=None), 401,
                       "authentication-required")


def test_tokens_are_listed_without_secrets(coord, sql):
    tag = secrets.token_hex(5)
    sub = create(coord, kind="subscriber", name=f"e2e tok {tag}")
    issued = []
    for label in ("first", "second", "third"):
        r = coord.post(f"/v1/coord/orgs/{sub['id']}/tokens", {"label": label})
        assert r.status == 201, r
        issued.append(r.json())
    assert coord.request("DELETE", f"/v1/coord/tokens/{issued[1]['id']}").status == 200
    view = coord.get(f"/v1/coord/orgs/{sub['id']}").json()
    assert [t["id"] for t in view["tokens"]] == [t["id"] for t in reversed(issued)]
    for t in view["tokens"]:
        assert set(t) == {"id", "label", "created_at", "revoked_at"}, t
    assert [t["label"] for t in view["tokens"]] == ["third", "second", "first"]
    assert [t["revoked_at"] is None for t in view["tokens"]] == [True, False, True]
    text = json.dumps(view)
    for t in issued:
        assert t["token"] not in text
    for (h,) in sql(f"SELECT encode(token_hash, 'hex') FROM tokens WHERE org_id = '{sub['id']}'"):
        assert h not in text
    (listed,) = directory(coord, f"q={tag}")["orgs"]
    assert listed["active_tokens"] == 2 and listed["active_keys"] == 0


# ---------------------------------------------------------------- keys


def test_key_add_then_a_report_signed_with_it_is_accepted(coord, operator, sql):
    op = operator()
    key, pub = new_key()
    kid = f"e2e:new.{secrets.token_hex(4)}_k-1"
    r = coord.post(f"/v1/coord/orgs/{op.org_id}/keys", {"public_key": pub, "key_id": kid})
    assert r.status == 201, r
    added = r.json()
    assert set(added) == {"key_id", "org_id", "created_at", "revoked"}
    assert (added["key_id"], added["org_id"], added["revoked"]) == (kid, op.org_id, [])
    signer = Operator(op.base_url, op.org_id, op.name, kid, key)
    r, _ = signer.post_report()
    assert r.status == 201, r
    view = coord.get(f"/v1/coord/orgs/{op.org_id}").json()
    assert {k["key_id"]: k["revoked_at"] for k in view["keys"]} == {op.key_id: None, kid: None}
    assert [k["created_at"] for k in view["keys"] if k["key_id"] == kid] == [added["created_at"]]
    actor, by_org = by(coord)
    assert audit(sql, kid) == [("key.added", actor, {"org_id": op.org_id, "public_key": pub,
                                                     "by_org": by_org})]
    # without key_id: the id `isacd admin key-add` derives, "op-" + 16 hex of SHA-256
    _, pub2 = new_key()
    r = coord.post(f"/v1/coord/orgs/{op.org_id}/keys", {"public_key": pub2})
    assert r.status == 201, r
    assert r.json()["key_id"] == "op-" + hashlib.sha256(base64.b64decode(pub2)).hexdigest()[:16]


def test_rotation_revokes_the_old_key_in_one_step(coord, operator, sql):
    op = operator()
    key2, pub2 = new_key()
    kid2 = f"e2e-rot2-{secrets.token_hex(4)}"
    assert coord.post(f"/v1/coord/orgs/{op.org_id}/keys",
                      {"public_key": pub2, "key_id": kid2}).status == 201
    key3, pub3 = new_key()
    kid3 = f"e2e-rot3-{secrets.token_hex(4)}"
    r = coord.post(f"/v1/coord/orgs/{op.org_id}/keys",
                   {"public_key": pub3, "key_id": kid3, "replaces": kid2})
    assert r.status == 201, r
    assert r.json()["revoked"] == [kid2] and r.json()["key_id"] == kid3
    old = Operator(op.base_url, op.org_id, op.name, kid2, key2)
    new = Operator(op.base_url, op.org_id, op.name, kid3, key3)
    assert_problem(old.post_report()[0], 401, "key-revoked")
    assert new.post_report()[0].status == 201
    assert op.post_report()[0].status == 201, "a key not replaced stays active"
    # one transaction: the new key's creation is the old one's revocation, to the microsecond
    assert sql(f"SELECT (SELECT created_at FROM operator_keys WHERE key_id = '{kid3}')"
               f" = (SELECT revoked_at FROM operator_keys WHERE key_id = '{kid2}')") == [["t"]]
    actor, by_org = by(coord)
    assert audit(sql, kid2)[1:] == [("key.revoked", actor, {
        "org_id": op.org_id, "replaced_by": kid3, "by_org": by_org})]
    assert audit(sql, kid3) == [("key.added", actor, {
        "org_id": op.org_id, "public_key": pub3, "replaces": kid2, "by_org": by_org})]


def test_key_add_refusals_change_nothing(dsn, base_url, coord, operator, sql):
    op, other = operator(), operator()
    _, pub = new_key()
    _, fresh = new_key()
    kid = f"e2e-ref-{secrets.token_hex(4)}"
    assert coord.post(f"/v1/coord/orgs/{op.org_id}/keys",
                      {"public_key": pub, "key_id": kid}).status == 201
    assert coord.post(f"/v1/coord/orgs/{op.org_id}/keys",
                      {"public_key": fresh, "key_id": kid + "-b", "replaces": kid}).status == 201
    sub = new_coordinator(dsn, base_url, kind="subscriber")
    before = (audit_count(sql, "key.added"), audit_count(sql, "key.revoked"))
    path = f"/v1/coord/orgs/{op.org_id}/keys"
    cases = [
        (path, {"public_key": "AAAA"}, 422, "validation-failed", "/public_key"),
        (path, {"public_key": "not base64 at all!"}, 422, "validation-failed", "/public_key"),
        (path, {"public_key": base64.b64encode(b"x" * 33).decode()}, 422, "validation-failed",
         "/public_key"),
        (path, {}, 422, "missing-field", "/public_key"),
        (path, {"public_key": fresh, "key_id": "a/b"}, 422, "validation-failed", "/key_id"),
        (path, {"public_key": fresh, "key_id": "a b"}, 422, "validation-failed", "/key_id"),
        (path, {"public_key": fresh, "key_id": "k" * 129}, 422, "too-long", "/key_id"),
        (path, {"public_key": fresh, "key_id": op.key_id}, 409, "conflict", "/key_id"),
        (path, {"public_key": fresh, "replaces": "e2e-no-such-key"}, 422, "validation-failed",
         "/replaces"),
        (path, {"public_key": fresh, "replaces": kid}, 422, "validation-failed",
         "/replaces"),  # already revoked
        (path, {"public_key": fresh, "replaces": other.key_id}, 422, "validation-failed",
         "/replaces"),  # another organization's
        (path, {"public_key": fresh, "extra": 1}, 422, "unknown-field", "/extra"),
        (f"/v1/coord/orgs/{sub.org_id}/keys", {"public_key": fresh}, 409, "conflict", None),
        (f"/v1/coord/orgs/{uuid.uuid4()}/keys", {"public_key": fresh}, 404, "not-found", None),
        ("/v1/coord/orgs/not-a-uuid/keys", {"public_key": fresh}, 404, "not-found", None),
    ]
    for p, body, status, slug, pointer in cases:
        assert_problem(coord.post(p, body), status, slug, pointer)
    # a rotation whose new key id is taken leaves the old key active
    assert_problem(coord.post(path, {"public_key": fresh, "key_id": op.key_id,
                                     "replaces": kid + "-b"}), 409, "conflict")
    assert sql(f"SELECT revoked_at IS NULL FROM operator_keys WHERE key_id = '{kid}-b'") == [["t"]]
    assert (audit_count(sql, "key.added"), audit_count(sql, "key.revoked")) == before


def test_key_revoke(coord, operator, sql):
    op = operator()
    key, pub = new_key()
    kid = f"e2e:rev.{secrets.token_hex(4)}_x-y"
    assert coord.post(f"/v1/coord/orgs/{op.org_id}/keys",
                      {"public_key": pub, "key_id": kid}).status == 201
    signer = Operator(op.base_url, op.org_id, op.name, kid, key)
    assert signer.post_report()[0].status == 201
    # clients may percent-encode the ':' (encodeURIComponent does); both forms name the key
    r = coord.request("DELETE", "/v1/coord/keys/" + urllib.parse.quote(kid, safe=""))
    assert r.status == 200, r
    done = r.json()
    assert (done["key_id"], done["org_id"]) == (kid, op.org_id) and done["revoked_at"].endswith("Z")
    assert_problem(coord.request("DELETE", f"/v1/coord/keys/{kid}"), 404, "not-found")
    assert_problem(signer.post_report()[0], 401, "key-revoked")
    assert op.post_report()[0].status == 201
    view = coord.get(f"/v1/coord/orgs/{op.org_id}").json()
    assert [k["revoked_at"] for k in view["keys"] if k["key_id"] == kid] == [done["revoked_at"]]
    actor, by_org = by(coord)
    assert audit(sql, kid)[1:] == [("key.revoked", actor, {"org_id": op.org_id,
                                                           "by_org": by_org})]
    for path in ["/v1/coord/keys/e2e-no-such-key", "/v1/coord/keys/a%00b",
                 "/v1/coord/keys/" + "k" * 129]:
        assert_problem(coord.request("DELETE", path), 404, "not-found")
    # the longest key id (128 bytes of every allowed character), raw ':' in the path
    longest = (KEY_ID_CHARS * 2)[:128]
    _, pub2 = new_key()
    assert coord.post(f"/v1/coord/orgs/{op.org_id}/keys",
                      {"public_key": pub2, "key_id": longest}).status == 201
    r = coord.request("DELETE", f"/v1/coord/keys/{longest}")
    assert r.status == 200 and r.json()["key_id"] == longest, r
    # every character of the 128, percent-encoded
    _, pub3 = new_key()
    longest3 = longest[::-1]
    assert coord.post(f"/v1/coord/orgs/{op.org_id}/keys",
                      {"public_key": pub3, "key_id": longest3}).status == 201
    encoded = "".join(f"%{b:02X}" for b in longest3.encode())
    r = coord.request("DELETE", f"/v1/coord/keys/{encoded}")
    assert r.status == 200 and r.json()["key_id"] == longest3, r


def test_cli_key_ids_keep_any_bytes_and_the_api_can_revoke_them(coord, operator, admin):
    """`isacd admin key-add` has always taken quotes and spaces; the API refuses to make
    such ids but, decoding the path, can still revoke them."""
    op = operator()
    kid = f'e2e "cli" \\ {secrets.token_hex(3)}'
    _, pub = new_key()
    assert_problem(coord.post(f"/v1/coord/orgs/{op.org_id}/keys",
                              {"public_key": pub, "key_id": kid}), 422, "validation-failed",
                   "/key_id")
    assert admin("key-add", "--org", op.org_id, "--public-key", pub, "--key-id", kid) == {
        "key_id": kid, "org_id": op.org_id, "public_key": pub}
    r = coord.request("DELETE", "/v1/coord/keys/" + urllib.parse.quote(kid, safe=""))
    assert r.status == 200 and r.json()["key_id"] == kid, r


# ---------------------------------------------------------------- tokens


def test_token_rotation(dsn, base_url, coord, sql):
    sub = create(coord, kind="subscriber", name=f"e2e rot {secrets.token_hex(5)}")
    r = coord.post(f"/v1/coord/orgs/{sub['id']}/tokens", {"label": "reader"})
    assert r.status == 201, r
    old = r.json()
    reader = Coord(base_url, old["token"])
    assert reader.get("/v1/bulletins").status == 200
    r = coord.post(f"/v1/coord/tokens/{old['id']}/rotate")
    assert r.status == 201, r
    new = r.json()
    assert set(new) == {"id", "org_id", "token", "replaced"}
    assert (new["org_id"], new["replaced"]) == (sub["id"], old["id"])
    assert new["id"] != old["id"] and new["token"] != old["token"]
    assert_problem(reader.get("/v1/bulletins"), 401, "token-invalid")
    assert Coord(base_url, new["token"]).get("/v1/bulletins").status == 200
    view = coord.get(f"/v1/coord/orgs/{sub['id']}").json()
    assert [(t["id"], t["label"], t["revoked_at"] is None) for t in view["tokens"]] == [
        (new["id"], "reader", True), (old["id"], "reader", False)]  # the label carries over
    actor, by_org = by(coord)
    assert audit(sql, old["id"]) == [
        ("token.issued", actor, {"org_id": sub["id"], "label": "reader", "by_org": by_org}),
        ("token.revoked", actor, {"replaced_by": new["id"], "by_org": by_org})]
    assert audit(sql, new["id"]) == [("token.issued", actor, {
        "org_id": sub["id"], "label": "reader", "replaces": old["id"], "by_org": by_org})]
    # a new label; then the old token is gone for good
    r = coord.post(f"/v1/coord/tokens/{new['id']}/rotate", {"label": "reader 2"})
    assert r.status == 201, r
    assert coord.get(f"/v1/coord/orgs/{sub['id']}").json()["tokens"][0]["label"] == "reader 2"
    for tid in (old["id"], new["id"], str(uuid.uuid4()), "not-a-uuid"):
        assert_problem(coord.post(f"/v1/coord/tokens/{tid}/rotate"), 404, "not-found")
    rid = r.json()["id"]
    assert_problem(coord.post(f"/v1/coord/tokens/{rid}/rotate", {"label": ""}), 422, "too-short",
                   "/label")
    assert_problem(coord.post(f"/v1/coord/tokens/{rid}/rotate", {"x": 1}), 422, "unknown-field")


def test_a_coordinator_rotates_its_own_token(dsn, base_url):
    me = new_coordinator(dsn, base_url)
    r = me.post(f"/v1/coord/tokens/{me.token_id}/rotate")
    assert r.status == 201, r
    assert_problem(me.get("/v1/coord/orgs?limit=1"), 401, "token-invalid")
    assert Coord(base_url, r.json()["token"]).get("/v1/coord/orgs?limit=1").status == 200
