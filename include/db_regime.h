/*
 * db_regime — reporting regimes and the regime of each organization in
 * PostgreSQL (migration 0006). The only place their SQL lives; callers
 * pass their connection (inside or outside a transaction).
 */
#ifndef ISACD_DB_REGIME_H
#define ISACD_DB_REGIME_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"

/* Every regime with the number of operators assigned to it, by name (new reference). */
enum err_code db_regime_list(PGconn *c, json_t **out);

/* One regime as db_regime_list shows it. ERR_NOT_FOUND when absent. */
enum err_code db_regime_get(PGconn *c, const char *name, json_t **out);

/*
 * Create or replace a regime (durations in seconds, already validated:
 * ERR_INTERNAL if the table's checks refuse them).
 */
enum err_code db_regime_upsert(PGconn *c, const char *name, long long early_warning_s,
                               long long notification_s, long long final_s);

/* Lock a regime against change for this transaction. ERR_NOT_FOUND when absent. */
enum err_code db_regime_lock(PGconn *c, const char *name);

/*
 * Assign a regime to an organization; *previous (out_len bytes) receives
 * the one it had. ERR_NOT_FOUND for an unknown organization.
 */
enum err_code db_org_regime_set(PGconn *c, const char *org_id, const char *name, char *previous,
                                size_t previous_len);

#endif
