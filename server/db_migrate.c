/*
 * db_migrate — schema_migrations and the application of one migration.
 *
 * The migration scripts are the only SQL run without parameters, and they
 * come from the binary itself, never from input.
 */
#include "db_migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* SQL reads best as written: */
/* clang-format off */
const struct db_stmt db_migrate_stmts[] = {
	{"migrate_lock", "SELECT pg_advisory_xact_lock(7001002)", 0},
	{"migrate_table", "SELECT to_regclass('schema_migrations') IS NOT NULL", 0},
	{"migrate_list", "SELECT version, checksum FROM schema_migrations ORDER BY version", 0},
	{"migrate_has", "SELECT 1 FROM schema_migrations WHERE version = $1", 1},
	{"migrate_record",
	 "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3},
	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_migrate_ensure(PGconn *c)
{
	return db_script(c,
	                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                 " version integer PRIMARY KEY CHECK (version > 0),"
	                 " name text NOT NULL,"
	                 " checksum bytea NOT NULL CHECK (length(checksum) = 32),"
	                 " applied_at timestamptz NOT NULL DEFAULT now());"
	                 "COMMENT ON TABLE schema_migrations IS"
	                 " 'Migrations applied by isacd migrate, with the SHA-256 of each file.'");
}

enum err_code db_migrate_applied(PGconn *c, struct db_migration *out, int max, int *n)
{
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "migrate_table", 0, NULL, NULL, NULL, &r);

	*n = 0;
	if (rc != ERR_OK || strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		goto out; /* no table yet: nothing applied */
	PQclear(r);
	r = NULL;
	rc = db_exec(c, "migrate_list", 0, NULL, NULL, NULL, &r);
	if (rc != ERR_OK)
		goto out;
	if (PQntuples(r) > max) {
		rc = ERR_CONFLICT;
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		out[i].version = atoi(PQgetvalue(r, i, 0));
		if (db_get_bytea(r, i, 1, out[i].sha256, 32) != 0) {
			rc = ERR_INTERNAL;
			goto out;
		}
	}
	*n = PQntuples(r);
out:
	PQclear(r);
	return rc;
}

enum err_code db_migrate_apply(PGconn *c, int version, const char *name, const char *sql,
                               const uint8_t sha256[32], int *done)
{
	char ver[16];
	PGresult *r = NULL;
	enum err_code rc;

	*done = 0;
	snprintf(ver, sizeof ver, "%d", version);
	rc = db_exec(c, "migrate_lock", 0, NULL, NULL, NULL, NULL);
	if (rc != ERR_OK)
		goto out;
	{
		const char *v[1] = {ver};
		rc = db_exec(c, "migrate_has", 1, v, NULL, NULL, &r);
	}
	if (rc != ERR_OK || PQntuples(r) > 0)
		goto out;
	rc = db_script(c, sql);
	if (rc != ERR_OK)
		goto out;
	{
		const char *v[3] = {ver, name, (const char *)sha256};
		const int lens[3] = {0, 0, 32};
		const int fmts[3] = {0, 0, 1};
		rc = db_exec(c, "migrate_record", 3, v, lens, fmts, NULL);
	}
	if (rc == ERR_OK)
		*done = 1;
out:
	PQclear(r);
	return rc;
}
