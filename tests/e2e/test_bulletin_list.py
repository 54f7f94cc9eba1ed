"""The coordinators' bulletin list (GET /v1/coord/bulletins), end to end.

One module world (feedworld.py, ISACD_K=2) on its own database: subscribers
with the clearances api.md's entitlement table tells apart, one of them with
a webhook subscription to a receiver this module runs on 127.0.0.1, and
bulletins in every status: published of each TLP (named recipients
included), pending review, rejected, withheld (TLP:RED), and a published one
edited since (pending review, its latest publication still out).

`recipients` is checked against what each subscriber's own JSON feed shows
(and the entitlement model of feedworld.py); `deliveries` against the
receiver, pending while it answers 503, delivered once it answers 200.

Written from api.md, not from server/. Must never: talk to anything but
127.0.0.1, wait without a bound, or pass when the world could not be built.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import feedworld
import conftest
from conftest import assert_problem
from feedworld import SECTOR_A, SECTOR_B, SECTOR_LONE, entitled, feed_all

WAIT_S = 20.0
POLL_S = 0.05
SUBSCRIBERS = {
    "clear": (["CLEAR"], []),
    "green": (["CLEAR", "GREEN"], []),
    "amberA": (["CLEAR", "GREEN", "AMBER"], [SECTOR_A]),
    "strict": (["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"], []),
    "hook": (["CLEAR", "GREEN"], []),
}
# kind: (sector, tlp, named recipients or None)
PUBLISHED = {
    "clear": (SECTOR_A, "CLEAR", None),
    "green": (SECTOR_B, "GREEN", None),
    "amberA": (SECTOR_A, "AMBER", None),
    "amber_named": (SECTOR_B, "AMBER", ["strict", "green"]),
    "amber_lone_named": (SECTOR_LONE, "AMBER", ["amberA"]),
    "strict": (SECTOR_A, "AMBER+STRICT", ["strict", "amberA"]),
}


class Receiver:
    """Answers every webhook POST with `status` and counts the 2xx answers."""

    def __init__(self):
        self.status = 200
        self.acked = 0
        self.lock = threading.Lock()
        rx = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with rx.lock:
                    status = rx.status
                    rx.acked += 200 <= status <= 299
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(what, predicate, timeout=WAIT_S):
    return conftest.wait_for(what, predicate, timeout, POLL_S)


@pytest.fixture(scope="module")
def world(databases, server_factory):
    w = feedworld.build(databases, server_factory, "blist", {"ISACD_WEBHOOK_RETRY_BASE_MS": 50})
    w.rx = Receiver()
    for name, (clearance, sectors) in SUBSCRIBERS.items():
        w.add_subscriber(name, clearance, sectors)
    r = w.coord.post(f"/v1/coord/subscribers/{w.subs['hook'].org_id}/subscriptions",
                     {"webhook_url": w.rx.url})
    assert r.status == 201, r
    w.kinds = {k: w.publish(s, tlp, recipients=named) for k, (s, tlp, named) in PUBLISHED.items()}
    w.other = {}
    # a published bulletin edited since: pending review, its version 1 still published
    edited = w.publish(SECTOR_A, "GREEN")
    r = w.coord.patch(f"/v1/coord/bulletins/{edited.bulletin_id}", {"title": "e2e edited"})
    assert r.status == 200 and r.json()["status"] == "pending_review", r
    w.kinds["edited"] = edited
    for status, tlp in (("pending_review", "AMBER"), ("rejected", "AMBER"), ("withheld", "RED")):
        iid = w.submit(SECTOR_A, tlp)
        w.other[status] = w.coord.wait_bulletins([iid])[iid]["bulletin"]["id"]
    r = w.coord.post(f"/v1/coord/bulletins/{w.other['rejected']}/reject", {"reason": "e2e"})
    assert r.status == 200, r
    yield w
    w.rx.stop()
    assert w.server.stop() == 0, w.server.log_tail()


def listing(w, query=""):
    r = w.coord.get(f"/v1/coord/bulletins?{query}")
    assert r.status == 200, r
    return r.json()


def everything(w, query="", limit=100):
    items, cursor = [], None
    for _ in range(100):
        page = listing(w, f"{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["bulletins"]) <= limit
        items += page["bulletins"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the list did not end within 100 pages")


def test_items_describe_each_bulletin(world):
    items = {b["id"]: b for b in everything(world)}
    all_ids = {p.bulletin_id for p in world.kinds.values()} | set(world.other.values())
    assert set(items) == all_ids
    for b in items.values():
        assert set(b) == {"id", "incident_id", "title", "status", "version", "published_version",
                          "tlp", "severity", "sector", "updated_at", "published_at",
                          "recipients", "deliveries"}, b
        view = world.coord.bulletin(b["id"])
        for k in ("incident_id", "status", "version", "published_version", "tlp", "severity",
                  "updated_at"):
            assert b[k] == view[k], (k, b, view)
        assert b["title"] == view["draft"]["title"]
        assert b["sector"] == view["draft"]["sector"]
    assert items[world.kinds["edited"].bulletin_id]["title"] == "e2e edited"
    # the generalized sector is shown as the bulletin publishes it, never the reporter's
    assert items[world.kinds["amber_lone_named"].bulletin_id]["sector"] != SECTOR_LONE
    for status, bid in world.other.items():
        b = items[bid]
        assert b["status"] == status
        assert b["published_version"] is None and b["published_at"] is None
        assert b["recipients"] == 0
        assert b["deliveries"] == {"pending": 0, "delivered": 0, "dead": 0}
    edited = items[world.kinds["edited"].bulletin_id]
    assert (edited["status"], edited["version"], edited["published_version"]) == (
        "pending_review", 2, 1)


def test_recipients_are_the_subscribers_whose_feed_shows_it(world):
    feeds = {name: feed_all(sub)[0] for name, sub in world.subs.items()}
    items = {b["id"]: b for b in everything(world, "status=published")}
    items[world.kinds["edited"].bulletin_id] = next(
        b for b in everything(world, "status=pending_review")
        if b["id"] == world.kinds["edited"].bulletin_id)
    for kind, pub in world.kinds.items():
        b = items[pub.bulletin_id]
        shown = [n for n, f in feeds.items() if any(i["id"] == pub.bulletin_id for i in f)]
        assert b["recipients"] == len(shown), (kind, b, shown)
        assert len(shown) == sum(entitled(s, pub) for s in world.subs.values()), kind
        # published_at: the latest publication, as the feeds carry it
        times = {i["published_at"] for f in feeds.values() for i in f
                 if i["id"] == pub.bulletin_id}
        assert times == {b["published_at"]}, (kind, times, b)
    assert items[world.kinds["clear"].bulletin_id]["recipients"] == 5
    assert items[world.kinds["strict"].bulletin_id]["recipients"] == 1


def test_status_filter_and_order(world):
    items = everything(world)
    order = [(b["updated_at"], b["id"]) for b in items]
    assert order == sorted(order, reverse=True), "newest updated first"
    statuses = {b["status"] for b in items}
    assert statuses == {"published", "pending_review", "rejected", "withheld"}
    for status in statuses:
        assert everything(world, f"status={status}") == [b for b in items
                                                          if b["status"] == status], status


def test_pages(world):
    whole = listing(world, "limit=100")
    assert whole["next_cursor"] is None
    assert everything(world, limit=2) == whole["bulletins"]
    assert everything(world, "status=published", limit=1) == [
        b for b in whole["bulletins"] if b["status"] == "published"]
    first = listing(world, "limit=3")
    assert len(first["bulletins"]) == 3 and first["next_cursor"]
    cursor = first["next_cursor"]
    assert_problem(world.coord.get(f"/v1/coord/bulletins?status=published&cursor={cursor}"), 400,
                   "bad-query")
    altered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    assert_problem(world.coord.get(f"/v1/coord/bulletins?cursor={altered}"), 400, "bad-query")


@pytest.mark.parametrize("query", ["status=draft", "status=", "limit=0", "limit=101", "limit=x",
                                   "cursor=nope"])
def test_bad_query(world, query):
    p = assert_problem(world.coord.get(f"/v1/coord/bulletins?{query}"), 400, "bad-query")
    assert p["detail"].startswith(query.split("=")[0]), p


def test_coordinators_only(world):
    assert_problem(world.subs["strict"].api.get("/v1/coord/bulletins"), 403, "forbidden")
    assert_problem(world.coord.get("/v1/coord/bulletins", token=None), 401,
                   "authentication-required")


def test_delivery_counts_follow_the_webhook(world):
    w = world

    def counts(bulletin_id):
        return next(b for b in everything(w) if b["id"] == bulletin_id)["deliveries"]

    # what the world published to the hook subscriber (CLEAR, GREEN) was delivered
    for kind in ("clear", "green", "edited"):
        wait_for(f"{kind} delivered",
                 lambda k=kind: counts(w.kinds[k].bulletin_id) == {"pending": 0, "delivered": 1,
                                                                  "dead": 0})
    for kind in ("amberA", "amber_named", "strict"):
        assert counts(w.kinds[kind].bulletin_id) == {"pending": 0, "delivered": 0, "dead": 0}
    with w.rx.lock:
        w.rx.status = 503
        acked = w.rx.acked
    pub = w.publish(SECTOR_B, "CLEAR")
    assert counts(pub.bulletin_id) == {"pending": 1, "delivered": 0, "dead": 0}
    with w.rx.lock:
        w.rx.status = 200
    wait_for("the delivery after the receiver recovered",
             lambda: counts(pub.bulletin_id) == {"pending": 0, "delivered": 1, "dead": 0})
    assert w.rx.acked == acked + 1
