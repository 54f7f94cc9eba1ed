/*
 * db_migrate — SQL of the migration bookkeeping (schema_migrations).
 */
#ifndef ISACD_DB_MIGRATE_H
#define ISACD_DB_MIGRATE_H

#include <stdint.h>
#include <libpq-fe.h>
#include "problem.h"

#define DB_MIGRATE_MAX 1000

struct db_migration {
	int version;
	uint8_t sha256[32];
};

/* Create schema_migrations when absent. */
enum err_code db_migrate_ensure(PGconn *c);

/*
 * The applied migrations in version order, at most `max`; *n receives the
 * count. ERR_CONFLICT when there are more than max. A database without the
 * schema_migrations table has none applied.
 */
enum err_code db_migrate_applied(PGconn *c, struct db_migration *out, int max, int *n);

/*
 * Inside a transaction: take the migration lock, and apply `sql` as
 * `version` unless it was applied meanwhile (*done set to 0 then).
 */
enum err_code db_migrate_apply(PGconn *c, int version, const char *name, const char *sql,
                               const uint8_t sha256[32], int *done);

#endif
