/*
 * db_stream — SQL of the live stream (see db_stream.h). Read-only: the
 * stream never writes to the database.
 */
#include "db_stream.h"

#include <stdlib.h>

#include "db.h"
#include "uuid.h"

/* clang-format off */
const struct db_stmt db_stream_stmts[] = {
	{"stream_head", "SELECT coalesce(max(seq), 0) FROM publications", 0},
	{"stream_token_live", "SELECT 1 FROM tokens WHERE id = $1 AND revoked_at IS NULL", 1},
	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_stream_head(PGconn *c, long long *seq)
{
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "stream_head", 0, NULL, NULL, NULL, &r);

	*seq = 0;
	if (rc == ERR_OK && PQntuples(r) == 1)
		*seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

enum err_code db_stream_token_live(PGconn *c, const char *token_id)
{
	const char *v[1] = {token_id};
	PGresult *r = NULL;
	enum err_code rc;

	if (!uuid_parse(token_id, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec(c, "stream_token_live", 1, v, NULL, NULL, &r);
	if (rc == ERR_OK && PQntuples(r) != 1)
		rc = ERR_NOT_FOUND;
	PQclear(r);
	return rc;
}
