-- 0002_bulletins: anonymization profiles, bulletins and their versions,
-- indicator sightings for correlation, the ISAC's own STIX identity.

CREATE TABLE org_domains (
    org_id  uuid NOT NULL REFERENCES organizations (id),
    domain  text NOT NULL CHECK (length(domain) BETWEEN 1 AND 253 AND domain = lower(domain)),
    PRIMARY KEY (org_id, domain)
);
COMMENT ON TABLE org_domains IS 'An operator''s registered domains; they and their subdomains never reach a bulletin.';

CREATE TABLE org_ranges (
    org_id  uuid NOT NULL REFERENCES organizations (id),
    range   cidr NOT NULL,
    PRIMARY KEY (org_id, range)
);
COMMENT ON TABLE org_ranges IS 'An operator''s IP ranges; addresses inside them never reach a bulletin.';

CREATE TABLE org_terms (
    org_id  uuid NOT NULL REFERENCES organizations (id),
    term    text NOT NULL CHECK (length(term) BETWEEN 1 AND 200),
    PRIMARY KEY (org_id, term)
);
COMMENT ON TABLE org_terms IS 'An operator''s redaction list (names, brands, places, staff): removed from bulletins wherever they appear, case-insensitively.';

CREATE TABLE isac_identity (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    stix_id    text NOT NULL CHECK (stix_id ~ '^identity--[0-9a-f-]{36}$'),
    created    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
COMMENT ON TABLE isac_identity IS 'The STIX identity of this ISAC: created_by_ref of every object it publishes. One row.';
INSERT INTO isac_identity (stix_id) VALUES ('identity--' || gen_random_uuid());

CREATE TABLE bulletins (
    id                 uuid PRIMARY KEY,
    incident_id        uuid NOT NULL UNIQUE REFERENCES incidents (id),
    stix_incident_id   text NOT NULL UNIQUE,
    id_map             jsonb NOT NULL DEFAULT '{}',
    status             text NOT NULL CHECK (status IN ('pending_review', 'published', 'rejected', 'withheld')),
    tlp                text NOT NULL,
    severity           text NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    version            integer NOT NULL CHECK (version >= 1),
    published_version  integer CHECK (published_version BETWEEN 1 AND version),
    reject_reason      text CHECK (reject_reason IS NULL OR length(reject_reason) BETWEEN 1 AND 2000)
);
COMMENT ON TABLE bulletins IS 'One per incident. id is fresh and random: nothing in it points to the reporter. The incident_id link is for coordinators only and is never served to subscribers.';
COMMENT ON COLUMN bulletins.id_map IS 'Stable STIX ids of the bundle''s objects across versions (stix.h).';
COMMENT ON COLUMN bulletins.version IS 'The latest version; status describes it.';

CREATE TABLE bulletin_versions (
    bulletin_id   uuid NOT NULL REFERENCES bulletins (id),
    version       integer NOT NULL CHECK (version >= 1),
    created_at    timestamptz NOT NULL,
    modified      text NOT NULL,
    source        text NOT NULL CHECK (source IN ('report', 'edit')),
    report_id     uuid REFERENCES reports (id),
    actor         text NOT NULL,
    draft         jsonb NOT NULL,
    bundle        bytea NOT NULL,
    signature     bytea CHECK (signature IS NULL OR length(signature) = 64),
    published_at  timestamptz,
    PRIMARY KEY (bulletin_id, version),
    CHECK ((signature IS NULL) = (published_at IS NULL))
);
COMMENT ON TABLE bulletin_versions IS 'Every version of a bulletin: the coordinator-only draft (with redactions) and the STIX bundle bytes exactly as they are (or would be) served.';
COMMENT ON COLUMN bulletin_versions.modified IS 'The STIX modified timestamp of this version (milliseconds), strictly increasing per bulletin.';
COMMENT ON COLUMN bulletin_versions.signature IS 'Ed25519 by the server key over "isacd bulletin v1" NUL || bundle; set when published.';
CREATE INDEX bulletin_versions_published ON bulletin_versions (published_at, bulletin_id, version) WHERE published_at IS NOT NULL;
COMMENT ON INDEX bulletin_versions_published IS 'Published versions in publication order (feeds).';

CREATE TABLE indicator_sightings (
    value_key    text NOT NULL CHECK (length(value_key) BETWEEN 3 AND 2100),
    type         text NOT NULL,
    value        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('attacker', 'victim')),
    report_id    uuid NOT NULL REFERENCES reports (id),
    incident_id  uuid NOT NULL REFERENCES incidents (id),
    org_id       uuid NOT NULL REFERENCES organizations (id),
    sector       text NOT NULL,
    seen_at      timestamptz NOT NULL,
    PRIMARY KEY (value_key, report_id)
);
COMMENT ON TABLE indicator_sightings IS 'Each indicator of each report, for correlation across operators (coordinator-only).';
COMMENT ON COLUMN indicator_sightings.value_key IS 'type|value with the value lower-cased, so the same indicator from two operators meets.';

ALTER TABLE outbox ADD COLUMN claimed_by text;
COMMENT ON COLUMN outbox.claimed_by IS 'The worker that last took the job (diagnostics only).';
