/*
 * feed — publishing a bulletin version into the feeds, and reading them
 * as a subscriber is entitled to.
 *
 * A publication is recorded in the same transaction that signs the
 * version: the publication row (its place in every feed), each STIX object
 * of its bundle (what TAXII serves), and a notification for live readers.
 */
#ifndef ISACD_FEED_H
#define ISACD_FEED_H

#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"

/*
 * Record a published version: draft (the anonymizer's output: tlp,
 * severity, incident_type, sector as published) and the exact bundle bytes.
 * Runs inside the caller's transaction c. Returns ERR_OK or a db error.
 */
enum err_code feed_publish(PGconn *c, const char *bulletin_id, int version, const json_t *draft,
                           const char *bundle);

#endif
