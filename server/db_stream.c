/*
 * db_stream — SQL of the live streams (see db_stream.h). Read-only: a
 * stream never writes to the database.
 */
#include "db_stream.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "uuid.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* clang-format off */
const struct db_stmt db_stream_stmts[] = {
	{"stream_head", "SELECT coalesce(max(seq), 0) FROM publications", 0},
	{"stream_audit_head", "SELECT coalesce(max(seq), 0) FROM audit_log", 0},
	{"stream_audit_page",
	 "SELECT json_build_object('seq', seq, 'at', " TS("at") ", 'actor', actor, 'action', action,"
	 " 'subject', subject, 'detail', detail::json)"
	 " FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2", 2},
	{"stream_token_live", "SELECT 1 FROM tokens WHERE id = $1 AND revoked_at IS NULL", 1},
	{NULL, NULL, 0},
};
/* clang-format on */

static enum err_code db_stream_max(PGconn *c, const char *stmt, long long *seq)
{
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, stmt, 0, NULL, NULL, NULL, &r);

	*seq = 0;
	if (rc == ERR_OK && PQntuples(r) == 1)
		*seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

enum err_code db_stream_head(PGconn *c, long long *seq)
{
	return db_stream_max(c, "stream_head", seq);
}

enum err_code db_stream_audit_head(PGconn *c, long long *seq)
{
	return db_stream_max(c, "stream_audit_head", seq);
}

enum err_code db_stream_audit_page(PGconn *c, long long after, int limit, json_t **entries)
{
	char after_s[24], limit_s[16];
	const char *v[2] = {after_s, limit_s};

	snprintf(after_s, sizeof after_s, "%lld", after);
	snprintf(limit_s, sizeof limit_s, "%d", limit);
	return db_json_rows(c, "stream_audit_page", 2, v, entries, NULL, 0);
}

enum err_code db_stream_token_live(PGconn *c, const char *token_id)
{
	const char *v[1] = {token_id};
	PGresult *r = NULL;
	enum err_code rc;

	if (!uuid_parse(token_id, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec_row(c, "stream_token_live", 1, v, NULL, NULL, &r);
	PQclear(r);
	return rc;
}
