"""The reports API end to end (server/h_reports.c, report.c, receipt.c, db_report.c)."""

import base64
import hashlib
import json
import os
import re
import uuid

import nacl.exceptions
import nacl.signing
import pytest
import signing
from conftest import MAX_BODY_BYTES, SENT_SIGNATURES, assert_problem, sql_value, table_counts, valid_report

RFC3339_US = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def verify_receipt(server_key, receipt, body):
    """The receipt checks out against the server key for exactly these body bytes."""
    assert receipt["alg"] == "ed25519"
    assert receipt["key_id"] == server_key["key_id"]
    assert receipt["report_sha256"] == hashlib.sha256(body).hexdigest()
    msg = (b"isacd receipt v1\x00" + receipt["report_id"].encode("ascii")
           + hashlib.sha256(body).digest() + receipt["received_at"].encode("ascii"))
    assert len(msg) == 17 + 36 + 32 + 27
    vk = nacl.signing.VerifyKey(base64.b64decode(server_key["public_key"]))
    vk.verify(msg, base64.b64decode(receipt["signature"], validate=True))  # raises if bad


def test_valid_report_is_created_with_verifiable_receipt(operator, server, sql):
    op = operator()
    msg = op.request("POST", "/v1/reports", json.dumps(valid_report()).encode())
    body = msg.body
    r = signing.send(msg)
    assert r.status == 201, r
    assert r.header("Content-Type").startswith("application/json")
    a = r.json()
    assert set(a) == {"id", "incident_id", "received_at", "receipt"}
    assert UUID_RE.match(a["id"]) and UUID_RE.match(a["incident_id"]), a
    assert a["id"] != a["incident_id"]
    assert RFC3339_US.match(a["received_at"]), a
    assert r.header("Location") == f"/v1/reports/{a['id']}"
    assert a["receipt"]["report_id"] == a["id"]
    assert a["receipt"]["received_at"] == a["received_at"]
    verify_receipt(server.get("/v1/server-key").json(), a["receipt"], body)

    # The receipt signs the context too: without it, or for other bytes, it fails.
    vk = nacl.signing.VerifyKey(base64.b64decode(server.get("/v1/server-key").json()["public_key"]))
    sig = base64.b64decode(a["receipt"]["signature"])
    tail = a["id"].encode() + hashlib.sha256(body).digest() + a["received_at"].encode()
    other = a["id"].encode() + hashlib.sha256(body + b" ").digest() + a["received_at"].encode()
    for wrong in (tail, b"isacd bulletin v1\x00" + tail, b"isacd receipt v1\x00" + other):
        with pytest.raises(nacl.exceptions.BadSignatureError):
            vk.verify(wrong, sig)

    # Stored: body bytes verbatim, the signature fields verbatim, the verified base.
    row = sql(
        "SELECT encode(sha256(body), 'hex'), encode(body_sha256, 'hex'), length(body),"
        " encode(body, 'base64'), signature_input, signature, content_digest, key_id,"
        " org_id, incident_id, phase, severity, tlp, signature_base,"
        " encode(receipt_sig, 'base64')"
        f" FROM reports WHERE id = '{a['id']}'"
    )
    assert len(row) == 1, row
    (sha, stored_sha, length, b64, sig_input, sig, digest, key_id, org_id, incident_id,
     phase, severity, tlp, base, receipt_sig) = row[0]
    assert sha == stored_sha == hashlib.sha256(body).hexdigest()
    assert int(length) == len(body)
    assert base64.b64decode(b64.replace("\n", "")) == body
    assert sig_input == msg.header("Signature-Input")
    assert sig == msg.header("Signature")
    assert digest == msg.header("Content-Digest")
    assert (key_id, org_id, incident_id) == (op.key_id, op.org_id, a["incident_id"])
    assert (phase, severity, tlp) == ("early_warning", "high", "AMBER")
    assert base == msg.sig.base  # the server's base is the one our own signer built
    assert base64.b64decode(receipt_sig.replace("\n", "")) == base64.b64decode(
        a["receipt"]["signature"])

    # The same transaction made the incident, the outbox job and the audit entry.
    inc = sql(f"SELECT org_id, report_count, title, phase FROM incidents WHERE id = '{incident_id}'")
    assert inc == [[op.org_id, "1", valid_report()["title"], "early_warning"]]
    # (the worker may already have done the job: it exists, done or not)
    assert sql_value(sql(
        f"SELECT count(*) FROM outbox WHERE kind = 'anonymize' AND subject_id = '{a['id']}'"
    )) == "1"
    audit = sql(f"SELECT actor, detail FROM audit_log WHERE action = 'report.received'"
                f" AND subject = '{a['id']}'")
    assert len(audit) == 1, audit
    assert audit[0][0] == f"key:{op.key_id}"
    detail = json.loads(audit[0][1])
    assert detail == {"incident_id": a["incident_id"], "org_id": op.org_id,
                      "phase": "early_warning", "sha256": hashlib.sha256(body).hexdigest()}


def test_owner_reads_report_and_same_receipt(operator, server):
    op = operator()
    r, body = op.post_report()
    assert r.status == 201, r
    a = r.json()
    g = op.get(f"/v1/reports/{a['id']}")
    assert g.status == 200, g
    v = g.json()
    assert v["id"] == a["id"] and v["incident_id"] == a["incident_id"]
    assert v["key_id"] == op.key_id
    assert v["received_at"] == a["received_at"]
    assert (v["phase"], v["severity"], v["tlp"]) == ("early_warning", "high", "AMBER")
    assert v["content_digest"] == signing.content_digest(body)
    assert v["signature_input"].startswith("sig1=(") and v["signature"].startswith("sig1=:")
    assert v["report"] == json.loads(body)
    assert v["receipt"] == a["receipt"]
    verify_receipt(server.get("/v1/server-key").json(), v["receipt"], body)


def test_other_operator_gets_404_exactly_like_a_missing_report(operator):
    owner, other = operator(), operator()
    r, _ = owner.post_report()
    assert r.status == 201, r
    rid, iid = r.json()["id"], r.json()["incident_id"]
    for path_fmt in ("/v1/reports/{}", "/v1/incidents/{}"):
        theirs = other.get(path_fmt.format(rid if "reports" in path_fmt else iid))
        missing = other.get(path_fmt.format(uuid.uuid4()))
        p1 = assert_problem(theirs, 404, "not-found")
        p2 = assert_problem(missing, 404, "not-found")
        strip = lambda p: {k: v for k, v in p.items() if k != "request_id"}  # noqa: E731
        assert strip(p1) == strip(p2)
        assert theirs.headers and sorted(k for k, _ in theirs.headers) == sorted(
            k for k, _ in missing.headers)
    # A malformed id is not found either (never a 500).
    assert_problem(owner.get("/v1/reports/not-a-uuid"), 404, "not-found")
    assert_problem(owner.get("/v1/incidents/not-a-uuid"), 404, "not-found")


def test_incident_and_follow_up(operator, sql):
    op = operator()
    r1, _ = op.post_report()
    assert r1.status == 201, r1
    first = r1.json()
    g = op.get(f"/v1/incidents/{first['incident_id']}")
    assert g.status == 200, g
    inc = g.json()
    assert inc["id"] == first["incident_id"]
    assert inc["status"] == "open" and inc["report_count"] == 1
    assert [x["id"] for x in inc["reports"]] == [first["id"]]

    follow = valid_report(incident_id=first["incident_id"].upper(), phase="notification",
                          severity="critical", title="Update: contained")
    r2, _ = op.post_report(follow)
    assert r2.status == 201, r2
    second = r2.json()
    assert second["incident_id"] == first["incident_id"]  # canonical lower case
    assert second["id"] != first["id"]

    inc = op.get(f"/v1/incidents/{first['incident_id']}").json()
    assert inc["report_count"] == 2
    assert [x["id"] for x in inc["reports"]] == [first["id"], second["id"]]
    assert [x["phase"] for x in inc["reports"]] == ["early_warning", "notification"]
    assert all(x["key_id"] == op.key_id for x in inc["reports"])
    # The incident mirrors its latest report.
    assert (inc["phase"], inc["severity"], inc["title"]) == (
        "notification", "critical", "Update: contained")
    assert inc["updated_at"] >= inc["created_at"]
    assert sql_value(sql(f"SELECT count(*) FROM reports WHERE incident_id ="
                         f" '{first['incident_id']}'")) == "2"


def test_follow_up_of_another_operators_incident_is_refused(operator, dsn):
    owner, intruder = operator(), operator()
    r, _ = owner.post_report()
    assert r.status == 201, r
    theirs = r.json()["incident_id"]
    for incident_id in (theirs, str(uuid.uuid4())):
        before = table_counts(dsn)
        r2, _ = intruder.post_report(valid_report(incident_id=incident_id))
        assert_problem(r2, 422, "unknown-incident", pointer="/incident_id")
        assert table_counts(dsn) == before, "a refused follow-up stored something"
    assert owner.get(f"/v1/incidents/{theirs}").json()["report_count"] == 1


def test_sql_and_unicode_stored_verbatim(operator, sql):
    op = operator()
    title = "'; DROP TABLE reports; -- \"quoted\" \\ back"
    summary = "日本語の要約 — émigré ☃ 🚨 \u2028 line-sep; tab\tand newline\n; 0x27 ' and $1"
    doc = valid_report(title=title, summary=summary,
                       contacts=[{"name": "佐藤 花子", "role": "Robert'); DROP TABLE incidents;--"}])
    # Two spellings of the same text: raw UTF-8 and \u escapes, with odd spacing.
    for body in (json.dumps(doc, ensure_ascii=False).encode("utf-8"),
                 json.dumps(doc, ensure_ascii=True, indent=3).encode("ascii") + b"\n"):
        r, sent = op.post_report(body)
        assert r.status == 201, r
        a = r.json()
        row = sql(f"SELECT encode(body, 'base64'), encode(sha256(body), 'hex') FROM reports"
                  f" WHERE id = '{a['id']}'")
        assert base64.b64decode(row[0][0].replace("\n", "")) == sent
        assert row[0][1] == hashlib.sha256(sent).hexdigest()
        v = op.get(f"/v1/reports/{a['id']}").json()
        assert v["report"]["title"] == title and v["report"]["summary"] == summary
        assert v["report"]["contacts"] == doc["contacts"]
        inc = op.get(f"/v1/incidents/{a['incident_id']}").json()
        assert inc["title"] == title
    assert sql_value(sql("SELECT to_regclass('reports') IS NOT NULL")) == "t"
    assert sql_value(sql("SELECT to_regclass('incidents') IS NOT NULL")) == "t"


def test_submit_cli(operator, admin, isacd, base_url, sql, tmp_path):
    op = operator()
    prefix = str(tmp_path / "op")
    keys = admin("keygen", "--out", prefix)
    assert os.stat(keys["secret_key_file"]).st_mode & 0o077 == 0
    kid = f"cli-{uuid.uuid4().hex[:8]}"
    admin("key-add", "--org", op.org_id, "--public-key", keys["public_key"], "--key-id", kid)
    report = tmp_path / "report.json"
    body = json.dumps(valid_report(title="Submitted by the CLI"), indent=1).encode()
    report.write_bytes(body)
    r = isacd("submit", "--url", base_url, "--key", keys["secret_key_file"], "--key-id", kid,
              str(report))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "receipt verified" in r.stderr
    a = json.loads(r.stdout)
    row = sql(f"SELECT key_id, org_id, encode(sha256(body), 'hex') FROM reports"
              f" WHERE id = '{a['id']}'")
    assert row == [[kid, op.org_id, hashlib.sha256(body).hexdigest()]]

    # The same CLI with a wrong key id is refused and says so with its exit code.
    r = isacd("submit", "--url", base_url, "--key", keys["secret_key_file"], "--key-id",
              "no-such-key", str(report))
    assert r.returncode == 1, r.stdout + r.stderr
    assert json.loads(r.stdout)["type"] == "urn:isacd:problem:key-unknown"


def test_body_size_limit_is_inclusive(operator, dsn):
    op = operator()
    b = json.dumps(valid_report()).encode()
    at_limit = b + b" " * (MAX_BODY_BYTES - len(b))  # trailing whitespace is valid JSON
    r, _ = op.post_report(at_limit)
    assert r.status == 201, r
    before = table_counts(dsn)
    r, _ = op.post_report(at_limit + b" ")
    assert_problem(r, 413, "body-too-large")
    assert table_counts(dsn) == before


def test_schema_edges_are_accepted(operator):
    """The validators are not stricter than api.md: bounds are inclusive, every
    indicator type has a well-formed example, null optional members are absent."""
    op = operator()
    edges = [
        valid_report(title="t" * 200, summary="s" * 20000),
        valid_report(title="日" * 66),  # 198 bytes
        valid_report(indicators=[{"type": "ipv4", "value": "10.0.0.1", "role": "victim"}] * 1000,
                     attack_techniques=["T1486"] * 100, contacts=[{"name": "x"}] * 10),
        valid_report(indicators=[], attack_techniques=[], contacts=[],
                     impact={"class": "none", "services": [], "outage_minutes": 10000000}),
        valid_report(indicators=[
            {"type": "ipv4", "value": "192.0.2.0/24", "role": "attacker"},
            {"type": "ipv6", "value": "2001:db8::1/64", "role": "attacker"},
            {"type": "domain", "value": "xn--bcher-kva.example.", "role": "attacker"},
            {"type": "url", "value": "https://a.example/x?y=1#z", "role": "attacker"},
            {"type": "email", "value": "a.b+c@mail.example.jp", "role": "victim"},
            {"type": "sha256", "value": "AB" * 32, "role": "attacker"},
            {"type": "sha1", "value": "a" * 40, "role": "attacker"},
            {"type": "md5", "value": "0" * 32, "role": "attacker"},
            {"type": "filename", "value": "invoice.pdf.exe", "role": "attacker",
             "description": "dropper"},
        ]),
        {**valid_report(), "occurred_at": None, "incident_id": None, "indicators": None,
         "contacts": None},
        valid_report(detected_at="2026-11-25t06:10:00.123456789z", occurred_at=None),
        valid_report(detected_at="2026-11-25T15:10:00+09:00", occurred_at="2026-11-25T06:10:00Z"),
        valid_report(detected_at="2028-02-29T23:59:59-00:30", occurred_at="1970-01-01T00:00:00Z"),
        valid_report(summary="[" * 40 + "{" * 40 + '\\"[[ not nesting'),
        valid_report(attack_techniques=["T0001", "T9999.999"]),
    ]
    incidents = set()
    for doc in edges:
        r, sent = op.post_report(doc)
        assert r.status == 201, (doc, r)
        incidents.add(r.json()["incident_id"])
        assert op.get(f"/v1/reports/{r.json()['id']}").json()["report"] == json.loads(sent)
    assert len(incidents) == len(edges), "a null incident_id must open a new incident"


def test_server_log_holds_no_signature_or_body(operator, server):
    """Logs carry request ids, not secrets or content: no signature the suite sent so
    far (this test's included), no body text, no digest (http.c, auth.c)."""
    op = operator()
    marker = f"log-canary-{uuid.uuid4().hex}"
    msg = op.request("POST", "/v1/reports", json.dumps(valid_report(title=marker)).encode())
    assert signing.send(msg).status == 201
    assert_problem(signing.send(msg), 401, "signature-replayed")
    with open(server.log_path, encoding="utf-8", errors="replace") as f:
        log = f.read()
    for leak in (marker, msg.header("Content-Digest")[len("sha-256=:"):-1], msg.sig.base):
        assert leak not in log
    leaked = [s for s in SENT_SIGNATURES if s[:32] in log]  # even a truncated one
    assert not leaked, f"{len(leaked)} signatures in the server log, e.g. {leaked[0]}"
