/*
 * db_stream — the little SQL the live stream needs beyond the JSON feed's:
 * where the publication log ends now, and whether a token is still live.
 * The stream's events themselves come from db_feed (through subscriber).
 */
#ifndef ISACD_DB_STREAM_H
#define ISACD_DB_STREAM_H

#include <libpq-fe.h>
#include "problem.h"

/*
 * The seq of the latest publication (0 when none) into *seq. Publications
 * commit in seq order (db_feed's lock), so every later commit has a
 * larger seq. Returns ERR_OK or a db_exec error.
 */
enum err_code db_stream_head(PGconn *c, long long *seq);

/*
 * ERR_OK while token_id names an unrevoked token, ERR_NOT_FOUND once it is
 * revoked (or never existed), else a db_exec error.
 */
enum err_code db_stream_token_live(PGconn *c, const char *token_id);

#endif
