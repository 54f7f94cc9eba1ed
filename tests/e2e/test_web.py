"""The dashboard's files as HTTP serves them (server/h_web.c): headers,
revalidation by ETag, and nothing outside the embedded set. What the pages
do is tested in a browser (tests/browser)."""

import re

from conftest import assert_problem

ETAG = re.compile(r'^"[0-9a-f]{32}"$')


def test_dashboard_files_carry_policy_and_revalidate(server):
    for path in ("/dashboard/", "/dashboard/app.js", "/dashboard/style.css"):
        r = server.get(path)
        assert r.status == 200, (path, r)
        csp = r.header("Content-Security-Policy")
        assert "default-src 'none'" in csp or "default-src 'self'" in csp, csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
        assert r.header("Referrer-Policy") == "no-referrer"
        assert r.header("X-Frame-Options") == "DENY"
        assert r.header("X-Content-Type-Options") == "nosniff"
        # revalidated each time, never the API's no-store
        assert r.header("Cache-Control") == "no-cache", (path, r.headers)
        etag = r.header("ETag")
        assert ETAG.match(etag), etag

        again = server.get(path, headers=[("If-None-Match", etag)])
        assert again.status == 304, (path, again)
        assert again.body == b""
        assert again.header("ETag") == etag

        stale = server.get(path, headers=[("If-None-Match", '"' + "0" * 32 + '"')])
        assert stale.status == 200 and stale.body == r.body


def test_etags_differ_between_files(server):
    tags = {server.get(p).header("ETag") for p in ("/dashboard/", "/dashboard/app.js",
                                                    "/dashboard/style.css")}
    assert len(tags) == 3


def test_unknown_or_escaping_names_are_404_problems(server):
    for path in ("/dashboard/nope.js", "/dashboard/..%2Fmigrations", "/dashboard/%2e%2e"):
        r = server.get(path)
        assert_problem(r, 404, "not-found")
        assert r.header("Content-Security-Policy") is not None


def test_api_stays_no_store(server):
    assert server.get("/healthz").header("Cache-Control") == "no-store"
    assert server.get("/v1/server-key").header("Cache-Control") == "no-store"


def test_bare_dashboard_redirects(server):
    r = server.get("/dashboard")
    assert r.status == 308, r
    assert r.header("Location") == "/dashboard/"
