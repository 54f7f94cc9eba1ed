-- 0005_feed_time_index: TAXII pages walk one collection in date_added order.
--
-- Without this index the planner had to read and sort every object of the
-- collection (calling entitled() on each) to find a page: ~0.8 s per page at
-- 90 000 objects in `make bench`. With it, a page reads its rows in order
-- and stops: ~2-3 ms, the same at any depth.

CREATE INDEX feed_objects_collection_time ON feed_objects (tlp, date_added);
COMMENT ON INDEX feed_objects_collection_time IS 'Keyset pages of one TAXII collection (tlp) in date_added order.';
