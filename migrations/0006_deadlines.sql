-- 0006_deadlines: reporting regimes (how long an operator has for each
-- phase of an incident), the regime of each organization, and the times an
-- incident's phases were reported, kept on the incident so the coordinator
-- queue can filter on deadlines without reading report bodies.

CREATE TABLE reporting_regimes (
    name             text PRIMARY KEY CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
    early_warning_s  integer NOT NULL CHECK (early_warning_s BETWEEN 1 AND 31536000),
    notification_s   integer NOT NULL CHECK (notification_s BETWEEN 1 AND 31536000),
    final_s          integer NOT NULL CHECK (final_s BETWEEN 1 AND 31536000),
    CHECK (early_warning_s <= notification_s AND notification_s <= final_s)
);
COMMENT ON TABLE reporting_regimes IS 'Reporting deadlines, in seconds after an incident''s detected_at, for its early warning, notification and final report (at most 365 days each, in that order).';
INSERT INTO reporting_regimes (name, early_warning_s, notification_s, final_s)
    VALUES ('default', 86400, 259200, 2592000);

ALTER TABLE organizations
    ADD COLUMN regime text NOT NULL DEFAULT 'default' REFERENCES reporting_regimes (name);
COMMENT ON COLUMN organizations.regime IS 'The reporting regime an operator''s incidents are measured against (read at query time: changing it moves every open deadline). Meaningless for other kinds.';

ALTER TABLE incidents
    ADD COLUMN detected_at timestamptz,
    ADD COLUMN notification_at timestamptz,
    ADD COLUMN final_at timestamptz,
    ADD CHECK (final_at IS NULL OR (notification_at IS NOT NULL AND notification_at <= final_at));
COMMENT ON COLUMN incidents.detected_at IS 'detected_at of the incident''s first report: deadlines run from it. NULL only for a row written without a report (deadlines then run from created_at).';
COMMENT ON COLUMN incidents.notification_at IS 'received_at of the first report in phase notification or final; NULL while none arrived.';
COMMENT ON COLUMN incidents.final_at IS 'received_at of the first report in phase final; NULL while none arrived.';

-- Backfill from the stored reports. Bodies passed the report schema
-- (RFC 3339, years 1970..9999, offsets under 24 h, up to 9 fraction digits):
-- parsed here by hand because PostgreSQL's own input refuses offsets of 16 h
-- or more, and truncated to microseconds as the server does at ingest.
CREATE FUNCTION pg_temp.rfc3339_utc(s text) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
    SELECT (m[1] || ' ' || m[2] || coalesce(m[3], ''))::timestamp AT TIME ZONE 'UTC'
           - CASE WHEN m[4] IS NULL THEN interval '0'
                  ELSE (m[4] || '1')::int * make_interval(hours => m[5]::int, mins => m[6]::int) END
    FROM regexp_match(s, '^(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(\.\d{1,6})?\d*(?:[Zz]|([+-])(\d\d):(\d\d))$') AS r(m)
$$;

UPDATE incidents i SET
    detected_at = (SELECT pg_temp.rfc3339_utc(convert_from(r.body, 'UTF8')::json ->> 'detected_at')
                   FROM reports r WHERE r.incident_id = i.id
                   ORDER BY r.received_at, r.id LIMIT 1),
    notification_at = (SELECT min(r.received_at) FROM reports r
                       WHERE r.incident_id = i.id AND r.phase IN ('notification', 'final')),
    final_at = (SELECT min(r.received_at) FROM reports r
                WHERE r.incident_id = i.id AND r.phase = 'final');

DROP FUNCTION pg_temp.rfc3339_utc(text);

CREATE INDEX indicator_sightings_incident ON indicator_sightings (incident_id);
COMMENT ON INDEX indicator_sightings_incident IS 'An incident''s indicators, for its coordinator view (correlation counts then go by value_key, the primary key).';

-- The one definition of a deadline's state; the queue filter and the
-- incident view both ask it, at the same now().
CREATE FUNCTION incident_deadlines(p_detected timestamptz, p_created timestamptz,
                                   p_notification_at timestamptz, p_final_at timestamptz,
                                   p_status text, p_early_warning_s integer,
                                   p_notification_s integer, p_final_s integer)
RETURNS TABLE (ord integer, phase text, due_at timestamptz, reported_at timestamptz, state text)
LANGUAGE sql STABLE AS $$
    SELECT v.ord, v.phase, v.due_at, v.reported_at,
           CASE WHEN v.reported_at IS NOT NULL
                     THEN CASE WHEN v.reported_at <= v.due_at THEN 'met' ELSE 'late' END
                WHEN p_status = 'closed' THEN 'waived'
                WHEN now() <= v.due_at THEN 'due'
                ELSE 'overdue' END
    FROM (VALUES
        (1, 'early_warning', p_detected + make_interval(secs => p_early_warning_s), p_created),
        (2, 'notification', p_detected + make_interval(secs => p_notification_s), p_notification_at),
        (3, 'final', p_detected + make_interval(secs => p_final_s), p_final_at)
    ) AS v(ord, phase, due_at, reported_at)
$$;
COMMENT ON FUNCTION incident_deadlines(timestamptz, timestamptz, timestamptz, timestamptz, text, integer, integer, integer) IS 'The three phases of an incident in order with due time, report time and state: met/late (reported in time or after), due/overdue (not reported, due in the future or past), waived (not reported, incident closed). The early warning is the first report (created_at).';
