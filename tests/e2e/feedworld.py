"""A world to read feeds in: operators, subscribers, and bulletins of every kind.

Shared by test_feed.py and test_stream.py. Each module gets its own database
and server with ISACD_K=2, two operators in each of two sectors (so those
sectors are published as they are), one lone operator in a third sector (so
its sector is generalized and TLP:AMBER from it reaches named recipients
only), a coordinator, and subscribers with the clearances the entitlement
table of api.md ("Subscribers and entitlement") distinguishes.

`Publication` records what a test published and `entitled()` restates that
table in Python, so a test can say which subscriber must see what. Written
from api.md, not from server/.

Must never: talk to anything but 127.0.0.1, or wait without a bound.
"""

import base64
import secrets
import time
import uuid
from dataclasses import dataclass, field

import nacl.signing

from conftest import Operator, admin_json, migrate, valid_report
from coordapi import Coord, new_coordinator

K = 2
REVIEW_SEVERITY = "high"
SECTOR_A = "water"
SECTOR_B = "railways"
SECTOR_LONE = "ports"          # one operator: generalized below k
REGION = "chubu"
SEVERITIES = ["low", "medium", "high", "critical"]
PUBLISH_WAIT_S = 15.0


@dataclass
class Sub:
    """A subscriber organization with its token (api is a bearer client)."""
    name: str
    api: Coord
    clearance: list
    sectors: list

    @property
    def org_id(self):
        return self.api.org_id


@dataclass
class Publication:
    bulletin_id: str
    version: int
    tlp: str
    severity: str
    incident_type: str
    sector: str                 # as published; None when generalized
    recipients: list = field(default_factory=list)
    published_at: float = 0.0   # time.monotonic() when the test saw it published

    @property
    def key(self):
        return (self.bulletin_id, self.version)


def entitled(sub, pub):
    """api.md's entitlement table."""
    if pub.tlp not in sub.clearance:
        return False
    if pub.tlp in ("CLEAR", "GREEN"):
        return True
    named = sub.org_id in pub.recipients
    if pub.tlp == "AMBER":
        return named or (pub.sector is not None and pub.sector in sub.sectors)
    return pub.tlp == "AMBER+STRICT" and named


class World:
    def __init__(self):
        self.db = None
        self.server = None
        self.coord = None
        self.ops = {}           # sector -> [Operator]
        self.subs = {}          # name -> Sub
        self.published = []     # [Publication] in publication order

    @property
    def base(self):
        return self.server.base_url

    def operator(self, sector):
        return self.ops[sector][0]

    def add_subscriber(self, name, clearance, sectors=()):
        api = new_coordinator(self.db, self.base, kind="subscriber",
                              name=f"e2e {name} {uuid.uuid4().hex[:8]}")
        r = self.coord.put(f"/v1/coord/subscribers/{api.org_id}",
                           {"clearance": list(clearance), "sectors": list(sectors)})
        assert r.status == 200, r
        sub = Sub(name, api, list(clearance), list(sectors))
        self.subs[name] = sub
        return sub

    def submit(self, sector, tlp, severity="low", incident_type="ransomware", title=None):
        """Post a report from an operator of `sector`; returns its incident id."""
        doc = valid_report(
            tlp=tlp, severity=severity, sector=sector, incident_type=incident_type,
            title=title or f"e2e feed {tlp} {severity} {secrets.token_hex(4)}",
            indicators=[{"type": "sha256", "value": secrets.token_hex(32), "role": "attacker"}])
        r, _ = self.operator(sector).post_report(doc)
        assert r.status == 201, r
        return r.json()["incident_id"]

    def publish(self, sector, tlp, severity="low", incident_type="ransomware", recipients=None):
        """A bulletin of this kind, published (approved when policy holds it for review).

        recipients: subscriber names to name for it (before approval)."""
        iid = self.submit(sector, tlp, severity, incident_type)
        b = self.coord.wait_bulletins([iid], timeout=PUBLISH_WAIT_S)[iid]["bulletin"]
        names = [self.subs[n].org_id for n in (recipients or [])]
        if recipients is not None:
            r = self.coord.put(f"/v1/coord/bulletins/{b['id']}/recipients", {"orgs": names})
            assert r.status == 200, r
        if b["status"] == "pending_review":
            r = self.coord.post(f"/v1/coord/bulletins/{b['id']}/approve")
            assert r.status == 200, r
            b = r.json()
        deadline = time.monotonic() + PUBLISH_WAIT_S
        while b["status"] != "published":
            assert b["status"] == "pending_review" and time.monotonic() < deadline, b
            time.sleep(0.05)
            b = self.coord.bulletin(b["id"])
        pub = Publication(b["id"], b["version"], tlp, severity, incident_type,
                          sector if sector in (SECTOR_A, SECTOR_B) else None, names,
                          time.monotonic())
        self.published.append(pub)
        return pub

    def visible(self, sub, pubs=None):
        return [p for p in (self.published if pubs is None else pubs) if entitled(sub, p)]


def build(databases, server_factory, name, env_extra=None):
    """A fresh database and server with operators, a coordinator and no subscribers yet."""
    w = World()
    w.db = databases.create(f"e2e_{name}")
    migrate(w.db)
    env = {"ISACD_K": K, "ISACD_REVIEW_SEVERITY": REVIEW_SEVERITY}
    env.update(env_extra or {})
    w.server = server_factory(name, dsn=w.db, env_extra=env).start()
    w.coord = new_coordinator(w.db, w.base)
    for sector, count in ((SECTOR_A, 2), (SECTOR_B, 2), (SECTOR_LONE, 1)):
        for _ in range(count):
            oname = f"e2e {name} op {secrets.token_hex(4)}"
            org = admin_json(w.db, "org-create", "--kind", "operator", "--name", oname,
                             "--sector", sector, "--region", REGION)
            key = nacl.signing.SigningKey.generate()
            key_id = f"e2e-{secrets.token_hex(6)}"
            admin_json(w.db, "key-add", "--org", org["id"], "--public-key",
                       base64.b64encode(bytes(key.verify_key)).decode(), "--key-id", key_id)
            w.ops.setdefault(sector, []).append(Operator(w.base, org["id"], oname, key_id, key))
    return w


def feed_all(sub, subscription=None, cursor=None, limit=200):
    """Every item of GET /v1/bulletins from cursor on; returns (items, next_cursor)."""
    items = []
    for _ in range(1000):
        q = [f"limit={limit}"]
        if cursor is not None:
            q.append(f"cursor={cursor}")
        if subscription is not None:
            q.append(f"subscription={subscription}")
        r = sub.api.get("/v1/bulletins?" + "&".join(q))
        assert r.status == 200, r
        page = r.json()
        items += page["bulletins"]
        cursor = page["next_cursor"]
        if not page["more"]:
            return items, cursor
    raise AssertionError("the feed did not end within 1000 pages")


def keys(items):
    return [(i["id"], i["version"]) for i in items]
