-- 0007_coord_lists: indexes for the coordinators' bulletin list.
--
-- GET /v1/coord/bulletins pages bulletins newest updated first (keyset on
-- updated_at, id) and counts each page's webhook deliveries by publication.
-- Without these, every page sorted the whole bulletins table and scanned
-- every delivery.

CREATE INDEX bulletins_recent ON bulletins (updated_at DESC, id DESC);
COMMENT ON INDEX bulletins_recent IS 'Coordinator bulletin list, newest updated first (keyset).';
CREATE INDEX deliveries_publication ON deliveries (publication);
COMMENT ON INDEX deliveries_publication IS 'Webhook deliveries of a publication (delivery counts per bulletin).';
