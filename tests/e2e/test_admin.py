"""The administration CLI, the audit chain and migrations (server/admin.c, migrate.c, db_audit.c)."""

import base64
import hashlib
import json
import subprocess
import uuid

import nacl.signing
import pytest
from conftest import (IsacdServer, assert_problem, migrate, psql, run_isacd, sql_value,
                      valid_report)


def refused(r, exit_code, slug=None):
    """The CLI refused: this exit code, and (exit 1) a problem object of this slug."""
    assert r.returncode == exit_code, (r.returncode, r.stdout, r.stderr)
    if slug is not None:
        p = json.loads(r.stdout)
        assert p["type"] == f"urn:isacd:problem:{slug}", p
        assert isinstance(p["status"], int) and p["title"], p
    return r


def pub_b64():
    return base64.b64encode(bytes(nacl.signing.SigningKey.generate().verify_key)).decode()


def test_usage_errors_exit_2(isacd):
    cases = [
        ("admin", "org-create", "--kind", "operator"),                    # no --name
        ("admin", "org-create", "--name", "x"),                           # no --kind
        ("admin", "key-add", "--org", str(uuid.uuid4())),                 # no --public-key
        ("admin", "key-add", "--public-key", pub_b64()),                  # no --org
        ("admin", "key-revoke"),                                          # no --key-id
        ("admin", "token-issue"),                                         # no --org
        ("admin", "keygen"),                                              # no --out
        ("admin", "org-create", "--kind", "operator", "--name"),          # dangling option
        ("admin", "org-create", "--colour", "blue"),                      # unknown option
        ("admin", "no-such-command"),
        ("audit", "check"),
        ("no-such-command",),
    ]
    for args in cases:
        r = isacd(*args)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert r.stderr.strip(), args
        assert r.stdout.strip() == "", (args, r.stdout)


def test_unknown_org_is_refused(isacd):
    refused(isacd("admin", "key-add", "--org", str(uuid.uuid4()), "--public-key", pub_b64()),
            1, "not-found")
    refused(isacd("admin", "token-issue", "--org", str(uuid.uuid4())), 1, "not-found")
    refused(isacd("admin", "key-add", "--org", "not-a-uuid", "--public-key", pub_b64()), 1)


def test_org_create_validation(isacd, admin, sql):
    name = f"e2e dup {uuid.uuid4().hex[:8]}"
    org = admin("org-create", "--kind", "operator", "--name", name, "--sector", "water",
                "--region", "kinki")
    assert org["kind"] == "operator" and org["name"] == name
    assert sql(f"SELECT kind, name, sector, region FROM organizations WHERE id = '{org['id']}'") == [
        ["operator", name, "water", "kinki"]]
    audit_before = sql_value(sql("SELECT count(*) FROM audit_log"))
    refused(isacd("admin", "org-create", "--kind", "subscriber", "--name", name), 1, "conflict")
    refused(isacd("admin", "org-create", "--kind", "subscriber", "--name", name.upper()), 1,
            "conflict")
    refused(isacd("admin", "org-create", "--kind", "operator", "--name", name + "x"), 1,
            "missing-field")
    refused(isacd("admin", "org-create", "--kind", "operator", "--name", name + "y", "--sector",
                  "energy", "--region", "kanto"), 1, "not-in-vocabulary")
    refused(isacd("admin", "org-create", "--kind", "admin", "--name", name + "z"), 1,
            "not-in-vocabulary")
    refused(isacd("admin", "org-create", "--kind", "subscriber", "--name", "n" * 201), 1,
            "too-long")
    assert sql_value(sql("SELECT count(*) FROM audit_log")) == audit_before, \
        "a refused command must not be audited"
    assert sql_value(sql(f"SELECT count(*) FROM organizations WHERE lower(name) LIKE"
                         f" lower('{name}%')")) == "1"


def test_key_add_rules(isacd, admin, operator, sql):
    sub = admin("org-create", "--kind", "subscriber", "--name", f"e2e sub {uuid.uuid4().hex[:8]}")
    refused(isacd("admin", "key-add", "--org", sub["id"], "--public-key", pub_b64()), 1,
            "not-an-operator")
    op = operator()
    refused(isacd("admin", "key-add", "--org", op.org_id, "--public-key", "AAAA"), 1,
            "validation-failed")
    refused(isacd("admin", "key-add", "--org", op.org_id, "--public-key", pub_b64(), "--key-id",
                  op.key_id), 1, "conflict")
    pk = pub_b64()
    added = admin("key-add", "--org", op.org_id, "--public-key", pk)
    expected = "op-" + hashlib.sha256(base64.b64decode(pk)).hexdigest()[:16]
    assert added == {"key_id": expected, "org_id": op.org_id, "public_key": pk}
    assert sql(f"SELECT org_id, encode(public_key, 'base64'), revoked_at IS NULL FROM"
               f" operator_keys WHERE key_id = '{expected}'") == [[op.org_id, pk, "t"]]


def test_token_is_shown_once_and_stored_hashed(admin, isacd, dsn, sql, operator):
    sub = admin("org-create", "--kind", "subscriber", "--name", f"e2e tok {uuid.uuid4().hex[:8]}")
    t = admin("token-issue", "--org", sub["id"], "--label", "e2e feed reader")
    token = t["token"]
    assert t["org_id"] == sub["id"] and token.startswith("isacd_") and len(token) >= 40
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert sql(f"SELECT encode(token_hash, 'hex'), org_id, label FROM tokens"
               f" WHERE id = '{t['id']}'") == [[digest, sub["id"], "e2e feed reader"]]
    # No row anywhere holds the token (or its secret part): dump every table's data.
    dump = subprocess.run(["pg_dump", "--data-only", "--no-owner", dsn], capture_output=True,
                          text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert t["id"] in dump.stdout  # the dump does hold the token row
    assert token not in dump.stdout
    assert token[len("isacd_"):] not in dump.stdout
    # Each issue makes a new token.
    assert admin("token-issue", "--org", sub["id"])["token"] != token
    # Operators sign; they get no tokens.
    refused(isacd("admin", "token-issue", "--org", operator().org_id), 1, "forbidden")


def test_key_revoke_stops_the_key(isacd, admin, operator, sql):
    op = operator()
    r, _ = op.post_report()
    assert r.status == 201, r
    rid = r.json()["id"]
    assert admin("key-revoke", "--key-id", op.key_id) == {"key-id": op.key_id, "revoked": True}
    assert sql_value(sql(f"SELECT revoked_at IS NOT NULL FROM operator_keys"
                         f" WHERE key_id = '{op.key_id}'")) == "t"
    r, _ = op.post_report()
    assert_problem(r, 401, "key-revoked")
    assert_problem(op.get(f"/v1/reports/{rid}"), 401, "key-revoked")
    # The report it signed stays, with its key.
    assert sql(f"SELECT key_id FROM reports WHERE id = '{rid}'") == [[op.key_id]]
    refused(isacd("admin", "key-revoke", "--key-id", op.key_id), 1, "not-found")
    refused(isacd("admin", "key-revoke", "--key-id", "never-added"), 1, "not-found")
    # Another key of the same organization still works.
    key = nacl.signing.SigningKey.generate()
    kid = admin("key-add", "--org", op.org_id, "--public-key",
                base64.b64encode(bytes(key.verify_key)).decode())["key_id"]
    op.key, op.key_id = key, kid
    r, _ = op.post_report()
    assert r.status == 201, r


def test_org_list(admin, operator):
    op = operator()
    orgs = admin("org-list")
    assert isinstance(orgs, list)
    mine = [o for o in orgs if o["id"] == op.org_id]
    assert len(mine) == 1 and mine[0]["name"] == op.name and mine[0]["kind"] == "operator"


def test_audit_verify_ok_and_covers_everything(isacd, sql):
    r = isacd("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] is True
    assert out["verified"] == int(sql_value(sql("SELECT count(*) FROM audit_log")))
    assert out["verified"] > 0
    actions = {row[0] for row in sql("SELECT DISTINCT action FROM audit_log")}
    assert {"org.created", "key.added"} <= actions


def test_audit_log_is_append_only(dsn):
    for stmt in ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
                 "DELETE FROM audit_log WHERE seq = 1", "TRUNCATE audit_log"):
        with pytest.raises(AssertionError, match="append-only"):
            psql(dsn, stmt)


def test_audit_verify_detects_tampering(databases):
    fresh = databases.create("e2e_tamper")
    migrate(fresh)
    for i in range(3):
        admin_org = run_isacd(fresh, "admin", "org-create", "--kind", "subscriber", "--name",
                              f"tamper {i}")
        assert admin_org.returncode == 0, admin_org.stderr
    r = run_isacd(fresh, "audit", "verify")
    assert r.returncode == 0 and json.loads(r.stdout) == {"ok": True, "verified": 3}, r.stdout
    psql(fresh, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
                " UPDATE audit_log SET detail = '{}' WHERE seq = 2;"
                " ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    r = run_isacd(fresh, "audit", "verify")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["broken_at_seq"] == 2, out

    # A deleted entry breaks the chain too (the next one no longer follows).
    psql(fresh, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
                " UPDATE audit_log SET detail = (SELECT detail FROM audit_log WHERE seq = 1)"
                " WHERE seq = 2;"  # still wrong: detail differs from what was hashed
                " DELETE FROM audit_log WHERE seq = 3")
    r = run_isacd(fresh, "audit", "verify")
    assert r.returncode == 1 and json.loads(r.stdout)["broken_at_seq"] == 2, r.stdout


def test_audit_verify_detects_a_gap(databases):
    fresh = databases.create("e2e_gap")
    migrate(fresh)
    for i in range(3):
        assert run_isacd(fresh, "admin", "org-create", "--kind", "coordinator", "--name",
                         f"gap {i}").returncode == 0
    psql(fresh, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
                " DELETE FROM audit_log WHERE seq = 2")
    r = run_isacd(fresh, "audit", "verify")
    assert r.returncode == 1, r.stdout
    assert json.loads(r.stdout)["broken_at_seq"] == 2


def test_migrate_is_idempotent(databases):
    fresh = databases.create("e2e_mig")
    first = migrate(fresh)
    applied = int(sql_value(psql(fresh, "SELECT count(*) FROM schema_migrations")))
    assert first == {"applied": applied} and applied >= 1
    assert migrate(fresh) == {"applied": 0}
    assert int(sql_value(psql(fresh, "SELECT count(*) FROM schema_migrations"))) == applied


def test_migrate_refuses_unknown_migration(databases, workdir):
    fresh = databases.create("e2e_future")
    migrate(fresh)
    psql(fresh, "INSERT INTO schema_migrations (version, name, checksum)"
                " VALUES (9999, 'from_the_future', decode(repeat('00', 32), 'hex'))")
    r = run_isacd(fresh, "migrate")
    assert r.returncode != 0, r.stdout
    assert "9999" in r.stderr, r.stderr
    # A server on such a database is alive but not ready.
    srv = IsacdServer(fresh, workdir, "future").start()
    try:
        assert srv.get("/healthz").status == 200
        assert_problem(srv.get("/readyz"), 503, "unavailable")
    finally:
        assert srv.stop() == 0, srv.log_tail()


def test_readyz_before_migrate(databases, workdir):
    fresh = databases.create("e2e_empty")
    srv = IsacdServer(fresh, workdir, "unmigrated").start()
    try:
        p = assert_problem(srv.get("/readyz"), 503, "unavailable")
        assert p.get("detail"), p  # the reason
        migrate(fresh)
        r = srv.get("/readyz")
        assert r.status == 200 and r.json()["status"] == "ready", r
    finally:
        assert srv.stop() == 0, srv.log_tail()


def test_report_audit_entries_chain_with_cli_entries(operator, isacd, sql):
    op = operator()
    r, _ = op.post_report(valid_report(title="audited"))
    assert r.status == 201, r
    rid = r.json()["id"]
    seqs = sql(f"SELECT seq FROM audit_log WHERE subject = '{rid}'")
    assert len(seqs) == 1
    out = json.loads(isacd("audit", "verify").stdout)
    assert out["ok"] is True and out["verified"] >= int(seqs[0][0])
