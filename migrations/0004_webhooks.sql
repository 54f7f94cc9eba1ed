-- 0004_webhooks: signed webhook deliveries, an outbox of their own.
--
-- A publication makes one row per matching webhook subscription in the
-- publishing transaction (nothing is lost across a crash); delivery threads
-- claim rows with FOR UPDATE SKIP LOCKED and keep them locked while they
-- POST, so each row is sent by one isacd at a time.

CREATE TABLE deliveries (
    id               bigserial PRIMARY KEY,
    subscription     uuid NOT NULL REFERENCES subscriptions (id),
    publication      bigint NOT NULL REFERENCES publications (seq),
    idempotency_key  uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    window_from      timestamptz NOT NULL DEFAULT now(),
    next_at          timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_attempt_at  timestamptz,
    last_status      integer CHECK (last_status IS NULL OR last_status BETWEEN 100 AND 599),
    last_error       text CHECK (last_error IS NULL OR length(last_error) <= 300),
    delivered_at     timestamptz,
    dead_at          timestamptz,
    UNIQUE (subscription, publication),
    CHECK (delivered_at IS NULL OR dead_at IS NULL)
);
COMMENT ON TABLE deliveries IS 'One webhook POST of one publication to one subscription: pending until a 2xx (delivered) or until its retry window passes ISACD_WEBHOOK_MAX_AGE_S (dead, replayable by a coordinator). A subscription''s deliveries go out in publication order.';
COMMENT ON COLUMN deliveries.idempotency_key IS 'Sent as Idempotency-Key on every attempt of this delivery, so receivers can drop repeats.';
COMMENT ON COLUMN deliveries.window_from IS 'Start of the current retry window: creation, or the last replay. The delivery dies on a failure at or after window_from + ISACD_WEBHOOK_MAX_AGE_S.';
COMMENT ON COLUMN deliveries.next_at IS 'Not attempted before this time (exponential backoff with jitter).';
COMMENT ON COLUMN deliveries.attempts IS 'Attempts in the current retry window (a replay starts again at 0).';
COMMENT ON COLUMN deliveries.last_status IS 'HTTP status of the last attempt; NULL when it got no answer (last_error says why).';
COMMENT ON COLUMN deliveries.last_error IS 'Why the last attempt failed (transport error or status line), for coordinators; never a response body.';

CREATE INDEX deliveries_pending ON deliveries (subscription, publication)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
COMMENT ON INDEX deliveries_pending IS 'Head of each subscription''s queue: a delivery goes out only when no earlier one of its subscription is pending.';
CREATE INDEX deliveries_due ON deliveries (next_at, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
COMMENT ON INDEX deliveries_due IS 'Claim scan of due deliveries, and the time of the next one.';
CREATE INDEX deliveries_by_subscription ON deliveries (subscription, id);
COMMENT ON INDEX deliveries_by_subscription IS 'Coordinator listing of one subscription''s deliveries, newest first (keyset).';
CREATE INDEX deliveries_dead ON deliveries (id) WHERE dead_at IS NOT NULL;
COMMENT ON INDEX deliveries_dead IS 'Coordinator listing of dead letters, newest first (keyset).';
