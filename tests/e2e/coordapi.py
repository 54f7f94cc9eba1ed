"""A small client for the coordinator API (api.md, "Coordinators: bearer tokens" onwards).

Shared by test_coord.py and test_bulletins.py: bearer-token requests over the
suite's own transport (signing.send, loopback only), the wait for the worker
to make or update a bulletin, and the check of a published bundle's
signature. Written from api.md, not from server/.

Must never: talk to anything but 127.0.0.1, or wait without a bound.
"""

import base64
import json
import time
import uuid

import nacl.exceptions
import nacl.signing

import signing
from conftest import admin_json

BULLETIN_CONTEXT = b"isacd bulletin v1\x00"
WAIT_S = 15.0
POLL_S = 0.05


class Coord:
    """Requests with `Authorization: Bearer <token>` (token=None sends no Authorization)."""

    def __init__(self, base_url, token, token_id=None, org_id=None):
        self.base_url = base_url
        self.token = token
        self.token_id = token_id
        self.org_id = org_id

    def request(self, method, path, body=None, token="default", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        msg = signing.new_message(self.base_url, method, path, body, digest=False)
        token = self.token if token == "default" else token
        if token is not None:
            msg.headers.append(("Authorization", f"Bearer {token}"))
        msg.headers.extend(headers)
        return signing.send(msg, timeout=30)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body, **kw):
        return self.request("PATCH", path, body, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def ok(self, method, path, body=None, status=200):
        """The JSON of a request that must answer `status`."""
        r = self.request(method, path, body)
        assert r.status == status, (method, path, r)
        return r.json()

    def incident(self, incident_id):
        return self.ok("GET", f"/v1/coord/incidents/{incident_id}")

    def bulletin(self, bulletin_id):
        return self.ok("GET", f"/v1/coord/bulletins/{bulletin_id}")

    def bundle(self, bulletin_id):
        """The exact bundle bytes with their headers (a signing.Response)."""
        r = self.get(f"/v1/coord/bulletins/{bulletin_id}/bundle")
        assert r.status == 200, r
        return r

    def wait_bulletins(self, incident_ids, version=1, timeout=WAIT_S):
        """{incident id: incident view} once each incident's bulletin exists at >= version."""
        pending = {i: version for i in incident_ids} if not isinstance(incident_ids, dict) \
            else dict(incident_ids)
        done = {}
        deadline = time.monotonic() + timeout
        while pending:
            for iid in list(pending):
                inc = self.incident(iid)
                b = inc.get("bulletin")
                if b is not None and b.get("version", 0) >= pending[iid]:
                    done[iid] = inc
                    del pending[iid]
            if not pending:
                break
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no bulletin within {timeout} s for {len(pending)} incident(s): "
                    + ", ".join(f"{i} (want version {v})" for i, v in pending.items()))
            time.sleep(POLL_S)
        return done


def new_coordinator(dsn, base_url, kind="coordinator", name=None):
    """A new organization of `kind` with a fresh token; returns a Coord for it."""
    name = name or f"e2e {kind} {uuid.uuid4().hex[:12]}"
    org = admin_json(dsn, "org-create", "--kind", kind, "--name", name)
    tok = admin_json(dsn, "token-issue", "--org", org["id"], "--label", "e2e")
    assert tok["token"] and tok["id"], tok
    return Coord(base_url, tok["token"], tok["id"], org["id"])


def server_key(base_url):
    msg = signing.new_message(base_url, "GET", "/v1/server-key")
    r = signing.send(msg)
    assert r.status == 200, r
    return r.json()


def verify_bulletin_signature(public_key_b64, body, signature_b64):
    """True when signature_b64 is the server's Ed25519 signature over the bulletin bytes."""
    key = nacl.signing.VerifyKey(base64.b64decode(public_key_b64))
    try:
        key.verify(BULLETIN_CONTEXT + body, base64.b64decode(signature_b64))
        return True
    except nacl.exceptions.BadSignatureError:
        return False


def find_objects(bundle, stix_type):
    return [o for o in bundle.get("objects", []) if o.get("type") == stix_type]


def the_incident(bundle):
    incidents = find_objects(bundle, "incident")
    assert len(incidents) == 1, [o.get("id") for o in bundle.get("objects", [])]
    return incidents[0]


def victim_identity(bundle):
    """The victim class identity (identity_class "class")."""
    victims = [o for o in find_objects(bundle, "identity") if o.get("identity_class") == "class"]
    assert len(victims) == 1, find_objects(bundle, "identity")
    return victims[0]
