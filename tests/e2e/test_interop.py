"""Other valid RFC 9421 choices are accepted (server/httpsig.c, sfv.c, auth.c), and the
suite's own signer reproduces RFC 9421's published example.

A server that only accepts the exact bytes its own client produces is not
interoperable: each test here signs differently, but correctly, and expects
201 Created.
"""

import base64
import hashlib
import http.client
import json
import os
import secrets
import subprocess
import time
import uuid

import nacl.signing
import pytest
import signing
from conftest import assert_problem, valid_report

D = signing.DEFAULT_COMPONENTS_BODY


def body():
    return json.dumps(valid_report(title=f"interop {uuid.uuid4().hex[:8]}")).encode()


def accepted(r, sql=None, key_id=None):
    assert r.status == 201, r
    a = r.json()
    if sql is not None:
        rows = sql(f"SELECT key_id FROM reports WHERE id = '{a['id']}'")
        assert rows == [[key_id]], rows
    return a


@pytest.fixture(scope="module")
def op(operator):
    return operator()


# ---------------------------------------------------------------- one signature, other choices


@pytest.mark.parametrize("components", [
    ("@method", "@authority", "@path", "content-type", "content-digest"),
    ("content-digest", "content-type", "@target-uri", "@method"),  # any order
    ("@method", "@target-uri", "@authority", "@path", "@scheme", "@request-target", "@query",
     "content-type", "content-digest", "content-length", "host", "user-agent", "date"),
], ids=["authority-path", "reordered", "extra-components"])
def test_other_component_choices(op, components, sql):
    msg = op.message("POST", "/v1/reports", body())
    msg.headers += [("User-Agent", "e2e/1.0"), ("Date", time.strftime(
        "%a, %d %b %Y %H:%M:%S GMT", time.gmtime()))]
    msg.headers.append(("Content-Length", str(len(msg.body))))
    op.sign(msg, components=components)
    accepted(signing.send(msg), sql, op.key_id)


@pytest.mark.parametrize("kw", [
    {"order": ("keyid", "created", "alg")},
    {"order": ("alg", "nonce", "keyid", "created")},
    {"alg": None},
    {"alg": None, "nonce": None},
    {"expires": int(time.time()) + 120},
    {"tag": "isacd-e2e", "order": ("tag", "created", "keyid")},
    {"extra": [("x-vendor", "unknown parameters are ignored"), ("flag", True)]},
], ids=["keyid-first", "alg-first", "without-alg", "no-alg-no-nonce", "expires-future", "tag",
        "unknown-params"])
def test_other_parameter_choices(op, kw, sql):
    kw = dict(kw)
    if "expires" in kw:
        kw["expires"] = int(time.time()) + 120
    accepted(signing.send(op.request("POST", "/v1/reports", body(), **kw)), sql, op.key_id)


def test_created_within_skew_window(op):
    for delta in (-240, 240):
        r = signing.send(op.request("POST", "/v1/reports", body(), created=int(time.time()) + delta))
        accepted(r)


def test_label_choice(op):
    for label in ("a", "sig-b26", "x.y*z", "report_2026"):
        accepted(signing.send(op.request("POST", "/v1/reports", body(), label=label)))


def test_query_in_target(op):
    # @target-uri carries the query; with @authority + @path, @query must be covered.
    accepted(signing.send(op.request("POST", "/v1/reports?source=e2e&x=%20y", body())))
    accepted(signing.send(op.request(
        "POST", "/v1/reports?source=e2e", body(),
        components=("@method", "@authority", "@path", "@query", "content-type", "content-digest"))))


def test_authority_is_case_insensitive(op, server):
    url_host = f"LocalHost:{server.port}"
    msg = signing.Message("POST", f"http://{url_host}/v1/reports",
                          [("Host", url_host), ("Content-Type", "application/json")], body())
    msg.headers.append(("Content-Digest", signing.content_digest(msg.body)))
    op.sign(msg)
    assert '"@target-uri": http://localhost:' in msg.sig.base
    accepted(signing.send(msg, connect_to=("127.0.0.1", server.port)))


def test_field_values_combined_and_trimmed(op):
    # RFC 9421 2.1: lines of one field joined by ", ", surrounding whitespace removed.
    msg = op.message("POST", "/v1/reports", body())
    msg.headers += [("X-Multi", "first"), ("X-Multi", "second"), ("X-Padded", "  padded\t "),
                    ("X-Empty", "")]
    op.sign(msg, components=D + ("x-multi", "x-padded", "x-empty"))
    assert '"x-multi": first, second\n' in msg.sig.base
    assert '"x-padded": padded\n' in msg.sig.base
    assert '"x-empty": \n' in msg.sig.base
    accepted(signing.send(msg))


def test_signature_fields_split_over_lines(op):
    # A dictionary may arrive in several field lines (RFC 8941 3.2, RFC 9110 5.3).
    msg = op.message("POST", "/v1/reports", body())
    other = nacl.signing.SigningKey.generate()
    s1 = signing.sign(msg, op.key, label="sig1", keyid=op.key_id)
    s2 = signing.sign(msg, other, label="sig2", keyid="nobody")
    msg.headers += [("Signature-Input", s1.input_member()), ("Signature-Input", s2.input_member()),
                    ("Signature", s2.signature_member()), ("Signature", s1.signature_member())]
    accepted(signing.send(msg))


def test_content_digest_with_other_algorithms(op):
    msg = op.message("POST", "/v1/reports", body())
    sha512 = signing.sf_item(hashlib.sha512(msg.body).digest())
    msg.set_header("Content-Digest", f"sha-512={sha512}, {signing.content_digest(msg.body)}")
    accepted(signing.send(op.sign(msg)))


def test_content_type_parameters_and_case(op):
    for ct in ("application/json; charset=utf-8", "Application/JSON"):
        msg = op.message("POST", "/v1/reports", body(), content_type=ct)
        accepted(signing.send(op.sign(msg)))


def test_key_id_needing_escapes(operator, admin):
    holder = operator()
    key = nacl.signing.SigningKey.generate()
    kid = 'op "quoted" \\ key'
    admin("key-add", "--org", holder.org_id, "--public-key",
          base64.b64encode(bytes(key.verify_key)).decode(), "--key-id", kid)
    msg = holder.message("POST", "/v1/reports", body())
    sig = signing.sign(msg, key, keyid=kid)
    assert 'keyid="op \\"quoted\\" \\\\ key"' in sig.params
    accepted(signing.send(signing.attach(msg, sig)))


def test_signed_get_variants(op):
    a = accepted(signing.send(op.request("POST", "/v1/reports", body())))
    path = f"/v1/reports/{a['id']}"
    for kw in ({}, {"components": ("@method", "@authority", "@path")},
               {"components": ("@path", "@authority", "@method", "@scheme")}, {"alg": None}):
        r = signing.send(op.request("GET", path, **kw))
        assert r.status == 200, (kw, r)
        assert r.json()["id"] == a["id"]
    r = signing.send(op.request("GET", path + "?view=full"))
    assert r.status == 200, r


# ---------------------------------------------------------------- several signatures


def test_two_signatures_first_label_is_checked(op, operator, sql):
    second = operator()
    msg = op.message("POST", "/v1/reports", body())
    good = signing.sign(msg, op.key, label="first", keyid=op.key_id)
    junk = signing.sign(msg, nacl.signing.SigningKey.generate(), label="second", keyid=op.key_id)
    signing.attach(msg, good, junk)
    accepted(signing.send(msg), sql, op.key_id)

    # The same two, the bad one first: the first label decides, so it fails.
    msg = op.message("POST", "/v1/reports", body())
    good = signing.sign(msg, op.key, label="first", keyid=op.key_id)
    junk = signing.sign(msg, nacl.signing.SigningKey.generate(), label="second", keyid=op.key_id)
    signing.attach(msg, junk, good)
    assert_problem(signing.send(msg), 401, "signature-invalid")

    # Signature lists the labels in another order: Signature-Input's order decides.
    msg = op.message("POST", "/v1/reports", body())
    mine = signing.sign(msg, op.key, label="mine", keyid=op.key_id)
    theirs = signing.sign(msg, second.key, label="theirs", keyid=second.key_id)
    signing.attach(msg, mine, theirs, signature_order=["theirs", "mine"])
    accepted(signing.send(msg), sql, op.key_id)
    msg = op.message("POST", "/v1/reports", body())
    mine = signing.sign(msg, op.key, label="mine", keyid=op.key_id)
    theirs = signing.sign(msg, second.key, label="theirs", keyid=second.key_id)
    signing.attach(msg, theirs, mine, signature_order=["mine", "theirs"])
    accepted(signing.send(msg), sql, second.key_id)


def test_first_label_present_in_both_is_used(op, sql):
    # Signature-Input names a label that Signature lacks: the next one is checked.
    msg = op.message("POST", "/v1/reports", body())
    orphan = signing.sign(msg, nacl.signing.SigningKey.generate(), label="orphan", keyid="x")
    good = signing.sign(msg, op.key, label="good", keyid=op.key_id)
    msg.set_header("Signature-Input", f"{orphan.input_member()}, {good.input_member()}")
    msg.set_header("Signature", good.signature_member())
    accepted(signing.send(msg), sql, op.key_id)


# ---------------------------------------------------------------- openssl and curl (api.md)

SHELL_RECIPE = r"""
set -euo pipefail
DIGEST="sha-256=:$(openssl dgst -sha256 -binary "$BODY" | base64 -w0):"
PARAMS="(\"@method\" \"@target-uri\" \"content-type\" \"content-digest\");created=$(date +%s);keyid=\"$KID\";alg=\"ed25519\""
printf '"@method": POST\n"@target-uri": %s/v1/reports\n"content-type": application/json\n"content-digest": %s\n"@signature-params": %s' \
  "$BASE" "$DIGEST" "$PARAMS" > "$SIGBASE"
SIG=$(openssl pkeyutl -sign -rawin -inkey "$PEM" -in "$SIGBASE" | base64 -w0)
curl -sS --max-time 10 -w '\n%{http_code}' "$BASE/v1/reports" -H 'Content-Type: application/json' \
  -H "Content-Digest: $DIGEST" -H "Signature-Input: sig1=$PARAMS" \
  -H "Signature: sig1=:$SIG:" --data-binary @"$BODY"
"""


def test_openssl_and_curl_shell_recipe(operator, admin, base_url, tmp_path, sql):
    holder = operator()
    prefix = str(tmp_path / "shell")
    keys = admin("keygen", "--out", prefix)
    kid = f"shell-{secrets.token_hex(4)}"
    admin("key-add", "--org", holder.org_id, "--public-key", keys["public_key"], "--key-id", kid)
    report = tmp_path / "report.json"
    report.write_bytes(json.dumps(valid_report(title="signed by openssl"), indent=2).encode())
    env = dict(os.environ, BASE=base_url, KID=kid, PEM=keys["pem_file"], BODY=str(report),
               SIGBASE=str(tmp_path / "sigbase"))
    r = subprocess.run(["bash", "-c", SHELL_RECIPE], env=env, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    reply, status = r.stdout.rsplit("\n", 1)
    assert status == "201", r.stdout
    a = json.loads(reply)
    assert sql(f"SELECT key_id FROM reports WHERE id = '{a['id']}'") == [[kid]]

    # openssl's Ed25519 over the base equals PyNaCl's with the seed of the same key.
    base = (tmp_path / "sigbase").read_bytes()
    seed = base64.b64decode(open(keys["secret_key_file"]).read())
    ossl = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", keys["pem_file"],
                           "-in", str(tmp_path / "sigbase")], capture_output=True, timeout=30)
    assert ossl.returncode == 0, ossl.stderr
    assert ossl.stdout == nacl.signing.SigningKey(seed).sign(base).signature
    assert base64.b64encode(bytes(nacl.signing.SigningKey(seed).verify_key)).decode() == \
        keys["public_key"]


# ---------------------------------------------------------------- the RFC's own example

# RFC 9421 B.1.4: test-key-ed25519 (seed and public key, base64url).
RFC_SEED = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"
RFC_PUBLIC = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"
# RFC 9421 B.2.6: the signature base and signature, as printed.
RFC_B26_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
    '"content-length");created=1618884473;keyid="test-key-ed25519"'
)
RFC_B26_INPUT = ('sig-b26=("date" "@method" "@path" "@authority" "content-type" '
                 '"content-length");created=1618884473;keyid="test-key-ed25519"')
RFC_B26_SIGNATURE = ("sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4"
                     "A0w6vuQv5lIp5WPpBKRCw==:")


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def test_signer_reproduces_rfc9421_b26():
    key = nacl.signing.SigningKey(b64url(RFC_SEED))
    assert bytes(key.verify_key) == b64url(RFC_PUBLIC)
    # RFC 9421 B.2: the test request (example.com; nothing is sent).
    msg = signing.Message("POST", "http://example.com/foo?param=Value&Pet=dog", [
        ("Host", "example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", "application/json"),
        ("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7"
                           "BNNyealdVLvRwEmTHWXvJwew==:"),
        ("Content-Length", "18"),
    ], b'{"hello": "world"}')
    sig = signing.sign(msg, key, label="sig-b26",
                       components=("date", "@method", "@path", "@authority", "content-type",
                                   "content-length"),
                       keyid="test-key-ed25519", created=1618884473, alg=None, nonce=None)
    assert sig.base == RFC_B26_BASE
    assert sig.input_member() == RFC_B26_INPUT
    assert sig.signature_member() == RFC_B26_SIGNATURE
    key.verify_key.verify(RFC_B26_BASE.encode(), sig.signature)


def test_signer_content_digest_matches_rfc9530():
    # RFC 9530 section 2 example: {"hello": "world"} and its sha-256.
    assert signing.content_digest(b'{"hello": "world"}') == \
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"


# ---------------------------------------------------------------- HTTP framing and RFC 8941 details


def test_chunked_body_and_expect_continue(op):
    msg = op.request("POST", "/v1/reports", body())
    plain = msg.body
    msg.set_header("Transfer-Encoding", "chunked")
    msg.body = b"".join(b"%x\r\n%s\r\n" % (len(plain[i:i + 100]), plain[i:i + 100])
                        for i in range(0, len(plain), 100)) + b"0\r\n\r\n"
    a = accepted(signing.send(msg))
    assert op.get(f"/v1/reports/{a['id']}").json()["report"] == json.loads(plain)
    msg = op.request("POST", "/v1/reports", body())
    msg.headers.append(("Expect", "100-continue"))
    accepted(signing.send(msg))


def test_keep_alive_connection(op, server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/missing")
        first = conn.getresponse()
        first.read()
        assert first.status == 404
        msg = op.request("POST", "/v1/reports", body())
        conn.request("POST", "/v1/reports", body=msg.body, headers=dict(msg.headers))
        second = conn.getresponse()
        assert second.status == 201, second.read()
    finally:
        conn.close()


def test_duplicate_dictionary_keys_last_wins(op):
    # RFC 8941 3.2: a repeated dictionary key takes its last value.
    b = body()
    good, bad = signing.content_digest(b), signing.content_digest(b"other")
    msg = op.message("POST", "/v1/reports", b)
    msg.drop_header("Content-Digest")
    msg.headers += [("Content-Digest", bad), ("Content-Digest", good)]
    accepted(signing.send(op.sign(msg)))
    msg = op.message("POST", "/v1/reports", b)
    msg.drop_header("Content-Digest")
    msg.headers += [("Content-Digest", good), ("Content-Digest", bad)]
    assert_problem(signing.send(op.sign(msg)), 400, "digest-mismatch")

    msg = op.message("POST", "/v1/reports", body())
    stale = signing.sign(msg, op.key, keyid=op.key_id, created=int(time.time()) - 1000)
    fresh = signing.sign(msg, op.key, keyid=op.key_id)
    msg.set_header("Signature-Input", f"{stale.input_member()}, {fresh.input_member()}")
    msg.set_header("Signature", f"{stale.signature_member()}, {fresh.signature_member()}")
    accepted(signing.send(msg))


def test_large_signature_fields_within_limits(op, sql):
    """Signature-Input of ~7 KiB (under RFC 8941's and isacd's 8 KiB field bound) with a
    covered 3 KiB header: valid, so accepted, and stored verbatim."""
    msg = op.message("POST", "/v1/reports", body())
    msg.headers.append(("X-Pad", "p" * 3000))
    extra = [(f"ext{i}", "v" * 1000) for i in range(7)]
    op.sign(msg, components=D + ("x-pad",), extra=extra)
    assert 7000 < len(msg.header("Signature-Input")) < 8192
    a = accepted(signing.send(msg))
    assert sql(f"SELECT signature_input = '{msg.header('Signature-Input')}' FROM reports"
               f" WHERE id = '{a['id']}'") == [["t"]]
