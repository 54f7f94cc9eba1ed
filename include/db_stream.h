/*
 * db_stream — the little SQL the live streams need beyond the JSON feed's:
 * where the publication log and the audit log end now, the audit entries
 * after a position, and whether a token is still live. A subscriber
 * stream's events themselves come from db_feed (through subscriber).
 */
#ifndef ISACD_DB_STREAM_H
#define ISACD_DB_STREAM_H

#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"

/*
 * The seq of the latest publication (0 when none) into *seq. Publications
 * commit in seq order (db_feed's lock), so every later commit has a
 * larger seq. Returns ERR_OK or a db_exec error.
 */
enum err_code db_stream_head(PGconn *c, long long *seq);

/*
 * The seq of the latest audit entry (0 when none) into *seq. Appends
 * commit in seq order (db_audit's lock), so every later commit has a
 * larger seq. Returns ERR_OK or a db_exec error.
 */
enum err_code db_stream_audit_head(PGconn *c, long long *seq);

/*
 * At most limit audit entries with seq > after, in seq order, into
 * *entries (a new JSON array the caller owns; NULL on failure), each
 * {"seq", "at", "actor", "action", "subject", "detail": {…parsed…}}.
 * Returns ERR_OK, ERR_INTERNAL or a db_exec error.
 */
enum err_code db_stream_audit_page(PGconn *c, long long after, int limit, json_t **entries);

/*
 * ERR_OK while token_id names an unrevoked token, ERR_NOT_FOUND once it is
 * revoked (or never existed), else a db_exec error.
 */
enum err_code db_stream_token_live(PGconn *c, const char *token_id);

#endif
