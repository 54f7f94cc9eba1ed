"""Liveness, readiness, the server key, routing errors and request ids (server/h_meta.c, http.c)."""

import base64
import hashlib
import re

import signing
from conftest import assert_problem, sql_value

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_healthz(server):
    r = server.get("/healthz")
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("application/json")
    assert r.json() == {"status": "ok"}
    assert r.header("Cache-Control") == "no-store"


def test_readyz_counts_applied_migrations(server, sql):
    r = server.get("/readyz")
    assert r.status == 200, r
    applied = int(sql_value(sql("SELECT count(*) FROM schema_migrations")))
    assert applied >= 1
    assert r.json() == {"status": "ready", "migrations": applied}


def test_server_key_shape(server):
    r = server.get("/v1/server-key")
    assert r.status == 200, r
    k = r.json()
    assert set(k) == {"alg", "key_id", "public_key", "contexts"}
    assert k["alg"] == "ed25519"
    pk = base64.b64decode(k["public_key"], validate=True)
    assert len(pk) == 32
    assert k["key_id"] == "isacd-" + hashlib.sha256(pk).hexdigest()[:16]
    assert k["contexts"] == ["isacd receipt v1", "isacd bulletin v1", "isacd audit v1"]


def test_server_key_is_stable(server):
    assert server.get("/v1/server-key").json() == server.get("/v1/server-key").json()


def test_unknown_path_is_404_problem(server):
    for path in ("/nope", "/v1/reports/a/b", "/v1", "/healthz/"):
        r = server.get(path)
        assert_problem(r, 404, "not-found")
        assert r.header("Allow") is None


def test_wrong_method_is_405_with_allow(server):
    cases = [
        ("DELETE", "/v1/reports", "POST"),
        ("GET", "/v1/reports", "POST"),
        ("POST", "/healthz", "GET"),
        ("PUT", "/v1/server-key", "GET"),
        ("DELETE", "/v1/reports/6c1d0a47-7b0f-4a55-9d5e-9b3f0f7f1a11", "GET"),
    ]
    for method, path, allow in cases:
        msg = signing.new_message(server.base_url, method, path)
        r = signing.send(msg)
        assert_problem(r, 405, "method-not-allowed")
        assert r.header("Allow") == allow, (method, path, r.headers)


def test_request_id_on_every_response(server, base_url):
    responses = [
        server.get("/healthz"),
        server.get("/readyz"),
        server.get("/v1/server-key"),
        server.get("/missing"),
        signing.send(signing.new_message(base_url, "PATCH", "/healthz")),
        signing.send(signing.new_message(base_url, "POST", "/v1/reports", b"{}")),  # unsigned
        server.get("/v1/reports/6c1d0a47-7b0f-4a55-9d5e-9b3f0f7f1a11"),  # unsigned
    ]
    ids = [r.header("X-Request-Id") for r in responses]
    for r, rid in zip(responses, ids):
        assert rid is not None and HEX32.match(rid), r.headers
        if r.status >= 400:
            assert r.json()["request_id"] == rid
    assert len(set(ids)) == len(ids), "request ids must be unique"
    assert [r.status for r in responses] == [200, 200, 200, 404, 405, 401, 401]


def test_uri_too_long(server):
    r = server.get("/v1/reports/" + "a" * 5000)
    assert_problem(r, 414, "uri-too-long")
