/*
 * db_feed — the publication log's SQL. The times are assigned here, in SQL,
 * under pg_advisory_xact_lock(7001003): greater than every time before and
 * not before the clock.
 */
#include "db_feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

#define NEXT_TIME                                                                                  \
	"greatest(clock_timestamp(),"                                                              \
	" coalesce((SELECT max(published_at) FROM publications), '-infinity') + interval '1 "      \
	"microsecond',"                                                                            \
	" coalesce((SELECT max(date_added) FROM feed_objects), '-infinity') + interval '1 "        \
	"microsecond')"

/* SQL reads best as written: */
/* clang-format off */
const struct db_stmt db_feed_stmts[] = {
	{"feed_lock", "SELECT pg_advisory_xact_lock(7001003)", 0},
	{"feed_publication",
	 "INSERT INTO publications (bulletin_id, version, published_at, tlp, severity, incident_type, sector)"
	 " VALUES ($1, $2, " NEXT_TIME ", $3, $4, $5, $6)"
	 " RETURNING seq, to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", 6},
	{"feed_object",
	 "INSERT INTO feed_objects (publication, tlp, object_id, object_type, version, date_added, shared, object)"
	 " VALUES ($1, $2, $3, $4, $5, " NEXT_TIME ", $6, $7) ON CONFLICT (tlp, object_id, version) DO NOTHING", 7},
	{"feed_notify", "SELECT pg_notify('isacd_bulletins', $1)", 1},
	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_feed_publication(PGconn *c, const struct db_publication *p, long long *seq,
                                  char *published_at, size_t published_at_len)
{
	char ver[16];
	const char *v[6] = {p->bulletin_id, ver, p->tlp, p->severity, p->incident_type, p->sector};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "feed_lock", 0, NULL, NULL, NULL, NULL);

	snprintf(ver, sizeof ver, "%d", p->version);
	if (rc == ERR_OK)
		rc = db_exec(c, "feed_publication", 6, v, NULL, NULL, &r);
	if (rc == ERR_OK) {
		*seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		db_get_text(r, 0, 1, published_at, published_at_len);
	}
	PQclear(r);
	return rc;
}

enum err_code db_feed_object(PGconn *c, long long publication, const char *tlp,
                             const char *object_id, const char *type, const char *version,
                             bool shared, const char *object)
{
	char pub[24];
	const char *v[7] = {pub, tlp, object_id, type, version, shared ? "t" : "f", object};

	snprintf(pub, sizeof pub, "%lld", publication);
	return db_exec(c, "feed_object", 7, v, NULL, NULL, NULL);
}

enum err_code db_feed_notify(PGconn *c, long long publication)
{
	char pub[24];
	const char *v[1] = {pub};

	snprintf(pub, sizeof pub, "%lld", publication);
	return db_exec(c, "feed_notify", 1, v, NULL, NULL, NULL);
}
