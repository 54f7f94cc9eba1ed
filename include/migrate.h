/*
 * migrate — bring the database schema to the version this binary knows.
 *
 * Migrations are migrations/NNNN_name.sql, compiled into the binary. Each
 * is applied once, in order, in its own transaction, and recorded with its
 * SHA-256 in schema_migrations. A database holding a migration this binary
 * does not know, or one whose file changed since it was applied, is
 * refused: running old code on a newer schema loses data quietly.
 */
#ifndef ISACD_MIGRATE_H
#define ISACD_MIGRATE_H

#include <stddef.h>
#include "problem.h"

/*
 * Apply every pending migration. *applied receives how many were applied
 * now. Returns ERR_OK; ERR_CONFLICT with a sentence in err when the
 * database is ahead of or different from this binary; ERR_UNAVAILABLE or
 * ERR_INTERNAL when the database fails (the failing migration rolled back).
 */
enum err_code migrate_run(int *applied, char *err, size_t err_len);

/*
 * Is the schema exactly current? ERR_OK when every known migration is
 * applied and nothing else is; ERR_CONFLICT otherwise (err says why);
 * ERR_UNAVAILABLE when the database cannot be reached.
 */
enum err_code migrate_check(int *latest, char *err, size_t err_len);

#endif
