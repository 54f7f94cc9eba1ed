/*
 * db_audit — storage of the hash-chained audit log (the chain is audit.c).
 */
#ifndef ISACD_DB_AUDIT_H
#define ISACD_DB_AUDIT_H

#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"

/*
 * Append one entry. Must run inside a transaction (db_tx): it takes a
 * transaction-scoped advisory lock so entries chain in commit order, and
 * the entry commits or vanishes with the caller's other writes. Call it
 * last in the transaction: the lock is held until COMMIT.
 * detail is borrowed (may be NULL: "{}"); it is stored as compact JSON with
 * sorted keys. NOTIFYs "isacd_audit" with the new seq (delivered at
 * COMMIT). Returns ERR_OK, or a db_exec error.
 */
enum err_code db_audit_append(PGconn *c, const char *actor, const char *action, const char *subject,
                              const json_t *detail);

/*
 * Recompute the whole chain. On ERR_OK every entry verified and *checked
 * holds their number. On ERR_CONFLICT the chain is broken at *bad_seq (a
 * missing, altered or reordered entry). Other codes: the database failed.
 */
enum err_code db_audit_verify(PGconn *c, int64_t *checked, int64_t *bad_seq);

#endif
