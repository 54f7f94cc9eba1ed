"""Every way a request can be wrong, in one table (server/http.c, auth.c, httpsig.c,
jspec.c, report_schema.c).

Each row builds one request, states the status, problem slug and (when a
body field is at fault) JSON pointer it must get, and after each row the
suite checks that the server still answers /healthz and that no table that
a request may write to changed: a refused request stores nothing, not even
its signature in the replay guard.

Order of checks (api.md): route, body size, signature (parse → key →
Ed25519 → time), digest, media type, JSON, schema, then replay and incident
inside the storing transaction. Rows that break two things at once pin that
order.
"""

import json
import secrets
import time
import uuid
from dataclasses import dataclass

import nacl.signing
import pytest
import signing
from conftest import MAX_BODY_BYTES, assert_problem, psql, table_counts, valid_report


@dataclass
class Ctx:
    base_url: str
    op: object        # a live operator
    other: object     # another live operator
    revoked: object   # an operator whose key was revoked
    subscriber: object  # a key registered (by SQL) for a subscriber organization


@pytest.fixture(scope="module")
def ctx(operator, admin, dsn, base_url):
    revoked = operator()
    admin("key-revoke", "--key-id", revoked.key_id)
    sub = operator()  # reuse the signing machinery, then point a key at a subscriber
    org = admin("org-create", "--kind", "subscriber", "--name", f"e2e subscriber {uuid.uuid4().hex[:8]}")
    sub.key_id = f"e2e-sub-{secrets.token_hex(4)}"
    pk_hex = bytes(sub.key.verify_key).hex()
    # The CLI refuses keys for subscribers (test_admin checks that); the server must
    # refuse them too if one ever gets into the table.
    psql(dsn, "INSERT INTO operator_keys (key_id, org_id, public_key) VALUES"
              f" ('{sub.key_id}', '{org['id']}', decode('{pk_hex}', 'hex'))")
    return Ctx(base_url, operator(), operator(), revoked, sub)


# ---------------------------------------------------------------- builders


def body(doc):
    return doc if isinstance(doc, bytes) else json.dumps(doc).encode()


def resolved(kw):
    """Parameters given as callables (times) are evaluated when the request is built."""
    return {k: v() if callable(v) else v for k, v in kw.items()}


def post(doc, who="op", components=None, **kw):
    """A correctly signed POST /v1/reports of doc (dict or bytes)."""
    def build(c):
        op = getattr(c, who)
        return op.request("POST", "/v1/reports", body(doc), components=components, **resolved(kw))
    return build


def post_with(doc=None, headers=(), components=None, content_type="application/json",
              digest_of=None, path="/v1/reports", who="op", **kw):
    """A POST whose headers are changed before signing (so the signature covers them)."""
    def build(c):
        op = getattr(c, who)
        b = body(valid_report() if doc is None else doc)
        msg = op.message("POST", path, b, content_type=content_type)
        if digest_of is not None:
            msg.set_header("Content-Digest", signing.content_digest(digest_of))
        for name, value in headers:
            msg.set_header(name, value)
        return op.sign(msg, components=components, **resolved(kw))
    return build


def tampered(change, doc=None, headers=(), **kw):
    """A correctly signed POST (with extra `headers`), then `change(msg, ctx)` after signing."""
    def build(c):
        msg = c.op.message("POST", "/v1/reports", body(valid_report() if doc is None else doc))
        for name, value in headers:
            msg.set_header(name, value)
        c.op.sign(msg, **resolved(kw))
        change(msg, c)
        return msg
    return build


def unsigned(method="POST", path="/v1/reports", b=None, headers=()):
    def build(c):
        msg = signing.new_message(c.base_url, method, path, b)
        for name, value in headers:
            msg.set_header(name, value)
        return msg
    return build


def raw_sig(sig_input, sig, doc=None):
    """A POST carrying the given Signature-Input and Signature values verbatim."""
    def build(c):
        msg = c.op.message("POST", "/v1/reports", body(valid_report() if doc is None else doc))
        if sig_input is not None:
            msg.set_header("Signature-Input", sig_input.replace("KID", c.op.key_id))
        if sig is not None:
            msg.set_header("Signature", sig)
        return msg
    return build


def signed_get(path, who="op"):
    def build(c):
        return getattr(c, who).request("GET", path.replace("RANDOM", str(uuid.uuid4())))
    return build


def nested(depth):
    """A report whose title is `depth - 1` nested arrays (the object is level 1)."""
    doc = json.dumps(valid_report(title="TITLE"))
    return doc.replace('"TITLE"', "[" * (depth - 1) + "]" * (depth - 1)).encode()


def chunked(b, chunk=8192):
    out = b""
    for i in range(0, len(b), chunk):
        part = b[i:i + chunk]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def oversize_chunked(c):
    b = json.dumps(valid_report(summary="x" * MAX_BODY_BYTES)).encode()
    msg = c.op.request("POST", "/v1/reports", b)
    msg.set_header("Transfer-Encoding", "chunked")
    msg.body = chunked(b)
    return msg


def flip_signature(msg, c):
    sig = bytearray(msg.sig.signature)
    sig[10] ^= 0x01
    msg.set_header("Signature", "sig1=" + signing.sf_item(bytes(sig)))


def signed_by_stranger(msg, c):
    """Same base, signed by a key nobody registered."""
    stranger = nacl.signing.SigningKey.generate()
    msg.set_header("Signature", "sig1=" + signing.sf_item(stranger.sign(msg.sig.base.encode()).signature))


def swap_keyid(msg, c):
    msg.set_header("Signature-Input",
                   msg.header("Signature-Input").replace(c.op.key_id, c.other.key_id))


def replace_body(msg, c):
    msg.body = body(valid_report(title="changed after signing"))


def replace_body_and_digest(msg, c):
    replace_body(msg, c)
    msg.set_header("Content-Digest", signing.content_digest(msg.body))


def wrong_host(msg, c):
    msg.set_header("Host", "isacd.example:443")


def late_content_type(msg, c):
    msg.set_header("Content-Type", "application/json; charset=utf-8")


def get_other_path(c):
    """A GET signed for one URL and sent to another."""
    msg = c.op.request("GET", f"/v1/reports/{uuid.uuid4()}")
    msg.url = msg.url.replace("/v1/reports/", "/v1/incidents/")
    return msg


def non_ascii_note(msg, c):
    msg.set_header("X-Note", "caf\u00e9")


def relabel(msg):
    """The same signature bytes under another label (the base does not hold the label)."""
    for name in ("Signature-Input", "Signature"):
        msg.set_header(name, msg.header(name).replace("sig1=", "again=", 1))
    return msg


def now():
    return int(time.time())


VALID = valid_report()
D = signing.DEFAULT_COMPONENTS_BODY
many_indicators = [{"type": "ipv4", "value": "10.0.0.1", "role": "victim"}] * 1001


@dataclass
class Case:
    id: str
    build: object
    status: int
    slug: str
    pointer: str | None = None
    prime: int | None = None  # send once first, expecting this status (replays)
    then: object = None  # after priming, change the message with then(msg)


CASES = [
    # --- size, media type and JSON syntax
    Case("oversize-unsigned", unsigned(b=b"{" + b" " * MAX_BODY_BYTES + b"}"), 413, "body-too-large"),
    Case("oversize-signed", post(valid_report(summary="x" * MAX_BODY_BYTES)), 413, "body-too-large"),
    Case("oversize-chunked", oversize_chunked, 413, "body-too-large"),
    Case("content-type-text", post_with(content_type="text/plain"), 415, "unsupported-media-type"),
    Case("content-type-jsonish", post_with(content_type="application/jsonl"), 415,
         "unsupported-media-type"),
    Case("malformed-json", post(b'{"title": "unterminated'), 400, "malformed-json"),
    Case("trailing-garbage", post(body(VALID) + b" x"), 400, "malformed-json"),
    Case("duplicate-key", post(b'{"title":"a","title":"b"}'), 400, "malformed-json"),
    Case("invalid-utf8", post(body(VALID).replace(b"Ransomware", b"Ransom\xffware")), 400,
         "malformed-json"),
    Case("empty-body", post_with(doc=b"", components=("@method", "@target-uri")), 400,
         "malformed-json"),
    Case("depth-17", post(nested(17)), 400, "json-too-deep"),
    Case("depth-16-is-parsed", post(nested(16)), 422, "wrong-type", "/title"),
    Case("body-is-array", post(b"[]"), 422, "wrong-type", ""),
    Case("body-is-string", post(b'"report"'), 422, "wrong-type", ""),
    # --- schema: types, presence, unknown members
    Case("title-number", post(valid_report(title=5)), 422, "wrong-type", "/title"),
    Case("severity-null", post({**VALID, "severity": None}), 422, "wrong-type", "/severity"),
    Case("impact-string", post(valid_report(impact="bad")), 422, "wrong-type", "/impact"),
    Case("outage-string", post(valid_report(impact={"class": "minor", "outage_minutes": "5"})),
         422, "wrong-type", "/impact/outage_minutes"),
    Case("outage-float", post(valid_report(impact={"class": "minor", "outage_minutes": 1.5})),
         422, "wrong-type", "/impact/outage_minutes"),
    Case("indicators-object", post(valid_report(indicators={})), 422, "wrong-type", "/indicators"),
    Case("indicator-string", post(valid_report(indicators=["1.2.3.4"])), 422, "wrong-type",
         "/indicators/0"),
    Case("missing-title", post(valid_report(title=None)), 422, "missing-field", "/title"),
    Case("missing-impact", post(valid_report(impact=None)), 422, "missing-field", "/impact"),
    Case("missing-impact-class", post(valid_report(impact={"description": "x"})), 422,
         "missing-field", "/impact/class"),
    Case("missing-indicator-value",
         post(valid_report(indicators=[{"type": "ipv4", "role": "victim"}])), 422,
         "missing-field", "/indicators/0/value"),
    Case("unknown-top-level", post({**VALID, "reporter": "me"}), 422, "unknown-field", "/reporter"),
    Case("unknown-escaped-name", post({**VALID, "a/b~c": 1}), 422, "unknown-field", "/a~1b~0c"),
    Case("unknown-in-impact", post(valid_report(impact={"class": "minor", "cost": 1})), 422,
         "unknown-field", "/impact/cost"),
    Case("unknown-in-indicator",
         post(valid_report(indicators=[VALID["indicators"][0],
                                       {**VALID["indicators"][1], "confidence": 90}])),
         422, "unknown-field", "/indicators/1/confidence"),
    Case("unknown-in-contact", post(valid_report(contacts=[{"name": "A", "fax": "1"}])), 422,
         "unknown-field", "/contacts/0/fax"),
    # --- schema: bounds
    Case("title-201", post(valid_report(title="t" * 201)), 422, "too-long", "/title"),
    Case("title-201-bytes-utf8", post(valid_report(title="日" * 67)), 422, "too-long", "/title"),
    Case("title-empty", post(valid_report(title="")), 422, "too-short", "/title"),
    Case("indicators-1001", post(valid_report(indicators=many_indicators)), 422, "too-long",
         "/indicators"),
    Case("techniques-101", post(valid_report(attack_techniques=["T1486"] * 101)), 422, "too-long",
         "/attack_techniques"),
    Case("outage-negative", post(valid_report(impact={"class": "minor", "outage_minutes": -1})),
         422, "validation-failed", "/impact/outage_minutes"),
    Case("title-nul", post(valid_report(title="a\u0000b")), 422, "validation-failed", "/title"),
    # --- schema: vocabularies and formats
    Case("severity-vocab", post(valid_report(severity="urgent")), 422, "not-in-vocabulary",
         "/severity"),
    Case("tlp-lowercase", post(valid_report(tlp="amber")), 422, "not-in-vocabulary", "/tlp"),
    Case("sector-vocab", post(valid_report(sector="energy")), 422, "not-in-vocabulary", "/sector"),
    Case("indicator-type-vocab",
         post(valid_report(indicators=[{"type": "ip", "value": "1.2.3.4", "role": "victim"}])),
         422, "not-in-vocabulary", "/indicators/0/type"),
    Case("detected-at-space", post(valid_report(detected_at="2026-11-25 06:10:00Z")), 422,
         "validation-failed", "/detected_at"),
    Case("detected-at-feb-30", post(valid_report(detected_at="2026-02-30T06:10:00Z")), 422,
         "validation-failed", "/detected_at"),
    Case("occurred-after-detected",
         post(valid_report(detected_at="2026-11-25T06:10:00Z",
                           occurred_at="2026-11-25T15:11:00+09:00")),
         422, "validation-failed", "/occurred_at"),
    Case("incident-id-not-uuid", post(valid_report(incident_id="incident-42")), 422,
         "validation-failed", "/incident_id"),
    Case("ipv4-999", post(valid_report(indicators=[{"type": "ipv4", "value": "999.1.1.1",
                                                    "role": "attacker"}])),
         422, "validation-failed", "/indicators/0/value"),
    Case("sha256-63-hex", post(valid_report(indicators=[VALID["indicators"][0],
                                                        {"type": "sha256", "value": "a" * 63,
                                                         "role": "attacker"}])),
         422, "validation-failed", "/indicators/1/value"),
    Case("domain-one-label", post(valid_report(indicators=[{"type": "domain", "value": "localhost",
                                                            "role": "attacker"}])),
         422, "validation-failed", "/indicators/0/value"),
    Case("url-no-scheme", post(valid_report(indicators=[{"type": "url", "value": "evil.example/x",
                                                         "role": "attacker"}])),
         422, "validation-failed", "/indicators/0/value"),
    Case("attack-id-bad", post(valid_report(attack_techniques=["T1486", "T1566.1"])), 422,
         "validation-failed", "/attack_techniques/1"),
    # --- signature presence and syntax
    Case("no-signature", unsigned(b=body(VALID), headers=[("Content-Type", "application/json")]),
         401, "signature-missing"),
    Case("input-without-signature", raw_sig('sig1=("@method");created=1;keyid="KID"', None), 401,
         "signature-missing"),
    Case("signature-without-input", raw_sig(None, "sig1=:" + "A" * 86 + "==:"), 401,
         "signature-missing"),
    Case("input-unterminated", raw_sig('sig1=("@method" "@target-uri"', "sig1=:" + "A" * 86 + "==:"),
         400, "signature-malformed"),
    Case("input-not-dictionary", raw_sig("this is not a dictionary", "sig1=:" + "A" * 86 + "==:"),
         400, "signature-malformed"),
    Case("input-member-not-inner-list", raw_sig('sig1="@method"', "sig1=:" + "A" * 86 + "==:"),
         400, "signature-malformed"),
    Case("signature-bad-base64", tampered(lambda m, c: m.set_header("Signature", "sig1=:!!!!:")),
         400, "signature-malformed"),
    Case("signature-32-bytes",
         tampered(lambda m, c: m.set_header("Signature", "sig1=" + signing.sf_item(m.sig.signature[:32]))),
         400, "signature-malformed"),
    Case("signature-token", tampered(lambda m, c: m.set_header("Signature", "sig1=abc")), 400,
         "signature-malformed"),
    Case("label-mismatch",
         tampered(lambda m, c: m.set_header("Signature", m.header("Signature").replace("sig1=", "sig2=", 1))),
         400, "signature-malformed"),
    # --- signature parameters and coverage
    Case("alg-rsa", post(VALID, alg="rsa-pss-sha512"), 400, "signature-params-invalid"),
    Case("alg-token", post(VALID, params=[("created", int(time.time())), ("keyid", "k"),
                                          ("alg", signing.Token("ed25519"))]),
         400, "signature-params-invalid"),
    Case("no-keyid", post(VALID, keyid=None), 400, "signature-params-invalid"),
    Case("no-created", post(VALID, created=False), 400, "signature-params-invalid"),
    Case("created-string", tampered(lambda m, c: m.set_header(
        "Signature-Input", m.header("Signature-Input").replace(
            f"created={m.sig.params.split('created=')[1].split(';')[0]}", 'created="1"'))),
         400, "signature-params-invalid"),
    Case("no-content-digest-coverage", post(VALID, components=("@method", "@target-uri", "content-type")),
         400, "signature-params-invalid"),
    Case("no-content-type-coverage", post(VALID, components=("@method", "@target-uri", "content-digest")),
         400, "signature-params-invalid"),
    Case("no-method-coverage", post(VALID, components=("@target-uri", "content-type", "content-digest")),
         400, "signature-params-invalid"),
    Case("path-without-authority", post(VALID, components=("@method", "@path", "content-type",
                                                          "content-digest")),
         400, "signature-params-invalid"),
    Case("query-not-covered", post_with(path="/v1/reports?draft=1",
                                        components=("@method", "@authority", "@path",
                                                    "content-type", "content-digest")),
         400, "signature-params-invalid"),
    Case("missing-content-digest-header", tampered(lambda m, c: m.drop_header("Content-Digest")),
         400, "digest-missing"),
    Case("missing-content-type-header", post_with(content_type=None,
                                                  components=("@method", "@target-uri",
                                                              "content-digest")),
         400, "signature-params-invalid"),
    Case("component-with-sf-param", tampered(lambda m, c: m.set_header(
        "Signature-Input", m.header("Signature-Input").replace('"content-type"', '"content-type";sf'))),
         400, "signature-params-invalid"),
    Case("component-uppercase", tampered(lambda m, c: m.set_header(
        "Signature-Input", m.header("Signature-Input").replace('"content-type"', '"Content-Type"'))),
         400, "signature-params-invalid"),
    Case("component-signature-params", tampered(lambda m, c: m.set_header(
        "Signature-Input", m.header("Signature-Input").replace('("@method"', '("@signature-params" "@method"'))),
         400, "signature-params-invalid"),
    Case("component-status", tampered(lambda m, c: m.set_header(
        "Signature-Input", m.header("Signature-Input").replace('("@method"', '("@status" "@method"'))),
         400, "signature-params-invalid"),
    Case("component-twice", tampered(lambda m, c: m.set_header(
        "Signature-Input", m.header("Signature-Input").replace('("@method"', '("@method" "@method"'))),
         400, "signature-params-invalid"),
    Case("covered-value-not-ascii", tampered(non_ascii_note, headers=[("X-Note", "cafe")],
                                             components=D + ("x-note",)),
         400, "signature-params-invalid"),
    # --- keys
    Case("unknown-keyid", post(VALID, keyid="no-such-key-e2e"), 401, "key-unknown"),
    Case("revoked-key", post(VALID, who="revoked"), 401, "key-revoked"),
    Case("subscriber-key", post(VALID, who="subscriber"), 403, "not-an-operator"),
    # --- the signature does not verify
    Case("signature-bit-flipped", tampered(flip_signature), 401, "signature-invalid"),
    Case("signed-by-other-key", tampered(signed_by_stranger), 401, "signature-invalid"),
    Case("keyid-swapped-after-signing", tampered(swap_keyid), 401, "signature-invalid"),
    Case("content-type-changed-after-signing", tampered(late_content_type), 401, "signature-invalid"),
    Case("body-and-digest-changed-after-signing", tampered(replace_body_and_digest), 401,
         "signature-invalid"),
    Case("host-differs-from-signed", tampered(wrong_host), 401, "signature-invalid"),
    Case("stale-and-invalid", tampered(flip_signature, created=lambda: now() - 1000), 401,
         "signature-invalid"),
    Case("get-other-path", get_other_path, 401, "signature-invalid"),
    # --- time
    Case("created-stale", post(VALID, created=lambda: now() - 1000), 401, "signature-clock-skew"),
    Case("created-future", post(VALID, created=lambda: now() + 1000), 401, "signature-clock-skew"),
    Case("expired", post(VALID, expires=lambda: now() - 5), 401, "signature-clock-skew"),
    # --- digest (checked after the signature verified)
    Case("body-changed-after-signing", tampered(replace_body), 400, "digest-mismatch"),
    Case("digest-of-other-body", post_with(digest_of=b"{}"), 400, "digest-mismatch"),
    Case("digest-not-bytes", post_with(headers=[("Content-Digest", "sha-256=abc")]), 400,
         "digest-malformed"),
    Case("digest-short", post_with(headers=[("Content-Digest", "sha-256=:AAAA:")]), 400,
         "digest-malformed"),
    Case("digest-not-dictionary", post_with(headers=[("Content-Digest", "sha-256 :x:")]), 400,
         "digest-malformed"),
    Case("digest-only-sha512", post_with(headers=[(
        "Content-Digest", "sha-512=" + signing.sf_item(bytes(64)))]), 400, "digest-missing"),
    Case("stale-and-bad-digest", post_with(digest_of=b"{}", created=lambda: now() - 1000), 401,
         "signature-clock-skew"),
    # --- replay (the first send is accepted; the very same bytes again are not)
    Case("replay-post", post(valid_report(title="replayed")), 401, "signature-replayed", prime=201),
    Case("replay-get", signed_get("/v1/reports/RANDOM"), 401, "signature-replayed", prime=404),
    Case("replay-relabelled", post(valid_report(title="relabelled")), 401, "signature-replayed",
         prime=201, then=relabel),
    # --- reads need a signature too
    Case("get-unsigned", unsigned("GET", f"/v1/reports/{uuid.uuid4()}"), 401, "signature-missing"),
    Case("get-incident-revoked", signed_get("/v1/incidents/RANDOM", who="revoked"), 401,
         "key-revoked"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_request(case, ctx, server, dsn):
    msg = case.build(ctx)
    if case.prime is not None:
        first = signing.send(msg)
        assert first.status == case.prime, first
        if case.then is not None:
            msg = case.then(msg)
    before = table_counts(dsn)
    r = signing.send(msg)
    assert_problem(r, case.status, case.slug, case.pointer)
    if case.pointer is None:
        assert "pointer" not in r.json(), r.json()
    assert server.get("/healthz").status == 200
    assert table_counts(dsn) == before, "a refused request changed stored state"

