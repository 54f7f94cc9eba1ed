/*
 * db — PostgreSQL connections and the one transaction helper.
 *
 * Each thread owns one connection, opened on first use, reconnected when it
 * drops, closed when the thread ends. Statements are named and prepared on
 * first use per connection (so `migrate` can run on an empty database) from
 * the tables that the db_<aggregate>.c files export; no other file holds
 * SQL. Callers see C functions, never query strings.
 */
#ifndef ISACD_DB_H
#define ISACD_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"
#include "uuid.h"

struct db_stmt {
	const char *name; /* unique across the server, prefixed by its aggregate */
	const char *sql;
	int n_params;
};

/* Tables of statements, each terminated by {NULL, NULL, 0}. */
extern const struct db_stmt db_org_stmts[];
extern const struct db_stmt db_report_stmts[];
extern const struct db_stmt db_audit_stmts[];
extern const struct db_stmt db_migrate_stmts[];
extern const struct db_stmt db_bulletin_stmts[];
extern const struct db_stmt db_feed_stmts[];
extern const struct db_stmt db_webhook_stmts[];
extern const struct db_stmt db_taxii_stmts[];
extern const struct db_stmt db_stream_stmts[];
extern const struct db_stmt db_insight_stmts[];
extern const struct db_stmt db_regime_stmts[];
extern const struct db_stmt db_bulletin_list_stmts[];

/*
 * Remember the conninfo for every later connection. Call once, before any
 * thread uses the database. Returns 0, or -1 if conninfo is too long.
 */
int db_init(const char *conninfo);

/*
 * This thread's connection, connected and with every statement prepared.
 * Returns NULL when the database cannot be reached (logged once per failure).
 * The connection stays owned by the thread; never PQfinish it.
 */
PGconn *db_conn(void);

/* Close this thread's connection now (e.g. before exit of a CLI command). */
void db_close(void);

/*
 * Execute a prepared statement. `vals` may hold NULL for SQL NULL; `lens`
 * and `fmts` may be NULL (all text). On ERR_OK, *res (if res is non-NULL)
 * holds the result, which the caller PQclear()s; otherwise *res is NULL.
 * Returns ERR_OK, ERR_CONFLICT (unique violation), ERR_UNAVAILABLE
 * (connection lost, serialization failure, deadlock — db_tx retries those)
 * or ERR_INTERNAL (any other SQL error; logged with the statement name).
 */
enum err_code db_exec(PGconn *c, const char *stmt, int n, const char *const *vals, const int *lens,
                      const int *fmts, PGresult **res);

/*
 * db_exec for a statement that must answer exactly one row: ERR_NOT_FOUND
 * when it answers none or several, with *res still set for the caller to
 * PQclear() (as on ERR_OK).
 */
enum err_code db_exec_row(PGconn *c, const char *stmt, int n, const char *const *vals,
                          const int *lens, const int *fmts, PGresult **res);

/*
 * Run fn inside BEGIN … COMMIT (isolation READ COMMITTED unless
 * `serializable`). fn returns ERR_OK to commit; anything else rolls back
 * and is returned. Serialization failures and deadlocks (on any statement
 * or at COMMIT) are retried up to 5 times with a short random backoff; a
 * lost connection is reconnected once and retried. Returns fn's code,
 * ERR_UNAVAILABLE when the database cannot be reached or retries ran out.
 * A return of ERR_OK means COMMIT succeeded: the data is durable.
 */
typedef enum err_code (*db_tx_fn)(PGconn *c, void *ctx);
enum err_code db_tx(db_tx_fn fn, void *ctx, bool serializable);

/* True when the last failed db_exec on this thread was a retryable conflict. */
bool db_last_retryable(void);

/*
 * Run a multi-statement script without parameters (migrations only: their
 * SQL comes from files compiled into the binary, never from input).
 * Returns ERR_OK, ERR_UNAVAILABLE or ERR_INTERNAL (logged).
 */
enum err_code db_script(PGconn *c, const char *sql);

/*
 * Copy a bytea column (text result format, "\x…" hex) of exactly n bytes
 * into out. Returns 0, or -1 when NULL or of another length.
 */
int db_get_bytea(const PGresult *r, int row, int col, uint8_t *out, size_t n);

/* A text column copied into out (out_len bytes, NUL-terminated; "" for NULL). */
void db_get_text(const PGresult *r, int row, int col, char *out, size_t out_len);

/*
 * Execute a statement that yields one row whose first column is JSON text;
 * *out receives it parsed (new reference). ERR_NOT_FOUND for no row (or
 * NULL), ERR_INTERNAL for text that does not parse, else db_exec's codes.
 */
enum err_code db_json_row(PGconn *c, const char *stmt, int n, const char *const *vals,
                          json_t **out);

/*
 * Execute a statement of one uuid parameter (key) that yields at most one
 * row whose first column is a uuid, copied into out. ERR_NOT_FOUND for a
 * malformed key or no row; else db_exec's codes.
 */
enum err_code db_uuid_row(PGconn *c, const char *stmt, const char *key, char out[UUID_STR_LEN + 1]);

/*
 * Execute a statement whose rows carry JSON text in their first column;
 * *out receives them as a JSON array (new reference; NULL on failure).
 * With last non-NULL, the last row's second column (a page's position) is
 * copied there as text; last is left alone when there are no rows.
 * ERR_INTERNAL for a row that does not parse, else db_exec's codes.
 */
enum err_code db_json_rows(PGconn *c, const char *stmt, int n, const char *const *vals,
                           json_t **out, char *last, size_t last_len);

#endif
