-- 0003_feeds: subscribers, their subscriptions, named recipients, and the
-- publication log every feed (TAXII, JSON, stream, webhooks) reads.

CREATE TABLE subscribers (
    org_id     uuid PRIMARY KEY REFERENCES organizations (id),
    clearance  text[] NOT NULL DEFAULT '{CLEAR,GREEN}'
               CHECK (clearance <@ ARRAY['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT']::text[]),
    sectors    text[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE subscribers IS 'What a subscriber organization may receive: TLP levels (never RED) and the sectors it belongs to (TLP:AMBER goes to subscribers of the published sector).';

CREATE TABLE subscriptions (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organizations (id),
    min_severity    text NOT NULL DEFAULT 'low',
    incident_types  text[] NOT NULL DEFAULT '{}',
    sectors         text[] NOT NULL DEFAULT '{}',
    webhook_url     text CHECK (webhook_url IS NULL OR (length(webhook_url) <= 2048 AND webhook_url ~ '^https?://')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);
COMMENT ON TABLE subscriptions IS 'A subscriber''s filters (empty arrays mean any) and optional webhook. Filters narrow what it is entitled to; they never widen it.';
CREATE INDEX subscriptions_org ON subscriptions (org_id);
COMMENT ON INDEX subscriptions_org IS 'A subscriber''s subscriptions.';

CREATE TABLE bulletin_recipients (
    bulletin_id  uuid NOT NULL REFERENCES bulletins (id),
    org_id       uuid NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (bulletin_id, org_id)
);
COMMENT ON TABLE bulletin_recipients IS 'Subscribers a coordinator named for a bulletin: the only readers of TLP:AMBER+STRICT, extra readers of TLP:AMBER.';

CREATE TABLE publications (
    seq               bigserial PRIMARY KEY,
    bulletin_id       uuid NOT NULL,
    version           integer NOT NULL,
    published_at      timestamptz NOT NULL UNIQUE,
    tlp               text NOT NULL CHECK (tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT')),
    severity          text NOT NULL,
    incident_type     text NOT NULL,
    sector            text,
    FOREIGN KEY (bulletin_id, version) REFERENCES bulletin_versions (bulletin_id, version),
    UNIQUE (bulletin_id, version)
);
COMMENT ON TABLE publications IS 'Every published bulletin version, in publication order. published_at is strictly increasing (assigned under a lock), so feeds page on it without ties.';
COMMENT ON COLUMN publications.sector IS 'The sector as published (after k-anonymity), NULL when generalized or withheld; AMBER entitlement uses this, never the reporter''s true sector.';

CREATE TABLE feed_objects (
    seq             bigserial PRIMARY KEY,
    publication     bigint NOT NULL REFERENCES publications (seq),
    tlp             text NOT NULL,
    object_id       text NOT NULL,
    object_type     text NOT NULL,
    version         text NOT NULL,
    date_added      timestamptz NOT NULL UNIQUE,
    shared          boolean NOT NULL DEFAULT false,
    object          text NOT NULL,
    UNIQUE (tlp, object_id, version)
);
COMMENT ON TABLE feed_objects IS 'The STIX objects of published bundles as TAXII serves them: one row per object version per TLP collection; date_added strictly increasing.';
CREATE INDEX feed_objects_object ON feed_objects (object_id, version);
COMMENT ON INDEX feed_objects_object IS 'TAXII object-by-id and versions.';
COMMENT ON COLUMN feed_objects.shared IS 'Objects every bundle repeats (the ISAC identity, TLP markings): readable by anyone cleared for the collection, whichever bulletin first carried them.';

-- The one definition of who may read a publication: every feed asks this.
CREATE FUNCTION entitled(p_bulletin uuid, p_tlp text, p_sector text, p_subscriber uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM subscribers s
        WHERE s.org_id = p_subscriber
          AND p_tlp = ANY (s.clearance)
          AND (p_tlp IN ('CLEAR', 'GREEN')
               OR (p_tlp = 'AMBER' AND p_sector IS NOT NULL AND p_sector = ANY (s.sectors))
               OR (p_tlp IN ('AMBER', 'AMBER+STRICT') AND EXISTS (
                       SELECT 1 FROM bulletin_recipients r
                       WHERE r.bulletin_id = p_bulletin AND r.org_id = p_subscriber))))
$$;
COMMENT ON FUNCTION entitled(uuid, text, text, uuid) IS 'May subscriber read this publication? CLEAR/GREEN: with that clearance; AMBER: cleared and of the published sector, or named; AMBER+STRICT: cleared and named; RED is never published.';
