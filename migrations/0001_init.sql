-- 0001_init: organizations, keys, tokens, incidents, reports, replay guard,
-- the hash-chained audit log and the outbox.
--
-- Applied once by `isacd migrate` inside one transaction; recorded in
-- schema_migrations (created by migrate itself).

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('operator', 'subscriber', 'coordinator')),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    sector      text CHECK (sector IS NULL OR length(sector) <= 64),
    region      text CHECK (region IS NULL OR length(region) <= 64),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'operator' OR (sector IS NOT NULL AND region IS NOT NULL))
);
COMMENT ON TABLE organizations IS 'Every party: operators report, subscribers read, coordinators run the ISAC.';
COMMENT ON COLUMN organizations.sector IS 'One of report_sectors (server/report_schema.c); required for operators.';
COMMENT ON COLUMN organizations.region IS 'One of report_regions; required for operators (k-anonymity generalizes it).';
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));
COMMENT ON INDEX organizations_name_key IS 'Organization names are unique regardless of case.';

CREATE TABLE operator_keys (
    key_id      text PRIMARY KEY CHECK (length(key_id) BETWEEN 1 AND 128),
    org_id      uuid NOT NULL REFERENCES organizations (id),
    public_key  bytea NOT NULL CHECK (length(public_key) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
COMMENT ON TABLE operator_keys IS 'Ed25519 public keys that sign operator requests (RFC 9421 keyid). Never deleted: old reports stay verifiable.';
COMMENT ON COLUMN operator_keys.revoked_at IS 'Set once; a revoked key verifies stored reports but signs no new request.';
CREATE INDEX operator_keys_org ON operator_keys (org_id);
COMMENT ON INDEX operator_keys_org IS 'Keys of one organization, for rotation and listing.';

CREATE TABLE tokens (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    label       text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
COMMENT ON TABLE tokens IS 'Bearer tokens for coordinators and subscribers; the role is the organization''s kind.';
COMMENT ON COLUMN tokens.token_hash IS 'SHA-256 of the token; the token itself is shown once and never stored.';

CREATE TABLE incidents (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    title       text NOT NULL,
    sector      text NOT NULL,
    severity    text NOT NULL,
    incident_type text NOT NULL,
    phase       text NOT NULL,
    tlp         text NOT NULL,
    report_count integer NOT NULL DEFAULT 0 CHECK (report_count >= 0)
);
COMMENT ON TABLE incidents IS 'One incident per first report; follow-ups attach to it. Columns mirror the latest report for triage.';
CREATE INDEX incidents_org ON incidents (org_id, created_at DESC, id DESC);
COMMENT ON INDEX incidents_org IS 'An operator''s incidents, newest first (keyset).';
CREATE INDEX incidents_recent ON incidents (created_at DESC, id DESC);
COMMENT ON INDEX incidents_recent IS 'Coordinator queue, newest first (keyset).';

CREATE TABLE reports (
    id               uuid PRIMARY KEY,
    incident_id      uuid NOT NULL REFERENCES incidents (id),
    org_id           uuid NOT NULL REFERENCES organizations (id),
    key_id           text NOT NULL REFERENCES operator_keys (key_id),
    received_at      timestamptz NOT NULL,
    phase            text NOT NULL,
    severity         text NOT NULL,
    tlp              text NOT NULL,
    body             bytea NOT NULL CHECK (length(body) > 0),
    body_sha256      bytea NOT NULL CHECK (length(body_sha256) = 32),
    signature_input  text NOT NULL,
    signature        text NOT NULL,
    signature_base   text NOT NULL,
    content_digest   text NOT NULL,
    receipt_sig      bytea NOT NULL CHECK (length(receipt_sig) = 64)
);
COMMENT ON TABLE reports IS 'Every accepted report, byte for byte as signed, so anyone can re-verify it later.';
COMMENT ON COLUMN reports.body IS 'The request body exactly as received (the bytes Content-Digest covers).';
COMMENT ON COLUMN reports.signature_input IS 'Signature-Input field value, verbatim.';
COMMENT ON COLUMN reports.signature IS 'Signature field value, verbatim.';
COMMENT ON COLUMN reports.signature_base IS 'The RFC 9421 signature base the server verified (derived from the request).';
COMMENT ON COLUMN reports.receipt_sig IS 'Server Ed25519 signature over the receipt bytes (api.md, "Receipts").';
CREATE INDEX reports_incident ON reports (incident_id, received_at, id);
COMMENT ON INDEX reports_incident IS 'An incident''s timeline in arrival order.';

CREATE TABLE seen_signatures (
    sig_sha256  bytea PRIMARY KEY CHECK (length(sig_sha256) = 32),
    seen_at     timestamptz NOT NULL
);
COMMENT ON TABLE seen_signatures IS 'Replay guard: SHA-256 of each accepted request signature. Rows older than twice the skew window may be purged: such a signature fails the created check anyway.';
CREATE INDEX seen_signatures_seen_at ON seen_signatures (seen_at);
COMMENT ON INDEX seen_signatures_seen_at IS 'Purge of expired replay-guard rows.';

CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY CHECK (seq >= 1),
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    subject     text NOT NULL,
    detail      text NOT NULL,
    prev_hash   bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash        bytea NOT NULL CHECK (length(hash) = 32)
);
COMMENT ON TABLE audit_log IS 'Append-only, hash-chained log of every state change (server/audit.c defines the hash). `isacd audit verify` recomputes the chain.';
COMMENT ON COLUMN audit_log.detail IS 'Compact JSON text with sorted keys, hashed as stored (text, not jsonb, so the bytes never change).';
COMMENT ON COLUMN audit_log.prev_hash IS 'hash of seq-1; 32 zero bytes for seq 1.';

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
COMMENT ON TRIGGER audit_log_append_only ON audit_log IS 'No update, delete or truncate: the chain only grows.';

CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('anonymize')),
    subject_id    uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    available_at  timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    done_at       timestamptz
);
COMMENT ON TABLE outbox IS 'Work written in the same transaction as the state that caused it; workers claim rows with FOR UPDATE SKIP LOCKED.';
COMMENT ON COLUMN outbox.subject_id IS 'For kind anonymize: the report id.';
CREATE INDEX outbox_pending ON outbox (available_at, id) WHERE done_at IS NULL;
COMMENT ON INDEX outbox_pending IS 'Claim scan of pending jobs, oldest first.';
