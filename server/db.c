/*
 * db — per-thread connections, prepared statements, the transaction helper.
 *
 * Why per-thread: libpq connections are not safe to share, and a pool with
 * a lock would serialize the HTTP threads on it; one connection per worker
 * thread is simple and bounded by ISACD_THREADS. A pthread key destructor
 * closes a thread's connection when the thread ends.
 *
 * This file must never hold SQL of a domain aggregate: those live in
 * db_<aggregate>.c and are prepared from their tables here.
 */
#include "db.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "uuid.h"

#define DB_TX_ATTEMPTS 5

#define DB_MAX_STMTS 256

#define DB_CONNECT_TIMEOUT_S "10"

static char db_conninfo[1024];
static pthread_key_t db_key;
static pthread_once_t db_key_once = PTHREAD_ONCE_INIT;
static _Thread_local bool db_retryable;

static const struct db_stmt *const db_tables[] = {
        db_org_stmts,      db_report_stmts,  db_audit_stmts,   db_migrate_stmts,
        db_bulletin_stmts, db_feed_stmts,    db_webhook_stmts, db_taxii_stmts,
        db_stream_stmts,   db_insight_stmts, db_regime_stmts,  db_bulletin_list_stmts,
};

/* One per thread: the connection and which statements it has prepared. */
struct db_thread {
	PGconn *conn;
	bool prepared[DB_MAX_STMTS];
};

static void db_thread_destroy(void *p)
{
	struct db_thread *t = p;

	if (t != NULL) {
		PQfinish(t->conn);
		free(t);
	}
}

static void db_key_make(void)
{
	(void)pthread_key_create(&db_key, db_thread_destroy);
}

int db_init(const char *conninfo)
{
	if (strlen(conninfo) >= sizeof db_conninfo)
		return -1;
	memcpy(db_conninfo, conninfo, strlen(conninfo) + 1);
	pthread_once(&db_key_once, db_key_make);
	return 0;
}

static enum err_code db_classify(PGconn *c, const PGresult *r, const char *what);

/*
 * Connect with ISACD_DATABASE_URL, giving up after DB_CONNECT_TIMEOUT_S
 * unless the URL sets its own connect_timeout (libpq reads the keywords left
 * to right, and the URL is expanded after the default). Without a timeout a
 * database host that drops packets would hold the worker, the webhook
 * sender or the stream listener for the kernel's TCP timeout (minutes).
 */
static PGconn *db_connect(void)
{
	static const char *const keys[] = {"connect_timeout", "dbname", NULL};
	const char *values[] = {DB_CONNECT_TIMEOUT_S, db_conninfo, NULL};

	return PQconnectdbParams(keys, values, 1);
}

static struct db_thread *db_thread(void)
{
	struct db_thread *t;

	pthread_once(&db_key_once, db_key_make);
	t = pthread_getspecific(db_key);
	if (t == NULL) {
		t = calloc(1, sizeof *t);
		if (t != NULL)
			pthread_setspecific(db_key, t);
	}
	return t;
}

static int db_session_setup(PGconn *c)
{
	PGresult *r;
	int rc = 0;

	r = PQexec(c,
	           "SET statement_timeout = '30s'; SET idle_in_transaction_session_timeout = '60s';"
	           " SET TIME ZONE 'UTC'; SET client_min_messages = warning");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_emit(LOG_ERROR, "database session setup failed",
		         json_pack("{s:s}", "error", PQerrorMessage(c)));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

PGconn *db_conn(void)
{
	struct db_thread *t = db_thread();
	PGconn *c;

	if (t == NULL)
		return NULL;
	if (t->conn != NULL && PQstatus(t->conn) == CONNECTION_OK)
		return t->conn;
	PQfinish(t->conn);
	t->conn = NULL;
	memset(t->prepared, 0, sizeof t->prepared);
	c = db_connect();

	if (PQstatus(c) != CONNECTION_OK) {
		log_emit(LOG_ERROR, "database unreachable",
		         json_pack("{s:s}", "error", PQerrorMessage(c)));
		PQfinish(c);
		return NULL;
	}
	if (db_session_setup(c) != 0) {
		PQfinish(c);
		return NULL;
	}
	t->conn = c;
	return c;
}

void db_close(void)
{
	struct db_thread *t = db_thread();

	if (t != NULL) {
		PQfinish(t->conn);
		t->conn = NULL;
		memset(t->prepared, 0, sizeof t->prepared);
	}
}

/* Find a statement by name; its index is its position across all tables. */
static const struct db_stmt *db_stmt_find(const char *name, size_t *index)
{
	size_t i = 0;

	for (size_t t = 0; t < sizeof db_tables / sizeof db_tables[0]; t++)
		for (const struct db_stmt *s = db_tables[t]; s->name != NULL; s++, i++)
			if (strcmp(s->name, name) == 0) {
				*index = i;
				return s;
			}
	return NULL;
}

/* Prepare a statement on this connection the first time it is used. */
static enum err_code db_prepare_once(PGconn *c, const char *name)
{
	struct db_thread *t = db_thread();
	const struct db_stmt *s;
	size_t i;
	PGresult *r;
	enum err_code rc = ERR_OK;

	s = db_stmt_find(name, &i);
	if (s == NULL || i >= DB_MAX_STMTS || t == NULL || t->conn != c) {
		LOG_BUG(name);
		return ERR_INTERNAL;
	}
	if (t->prepared[i])
		return ERR_OK;
	r = PQprepare(c, s->name, s->sql, s->n_params, NULL);
	if (PQresultStatus(r) == PGRES_COMMAND_OK)
		t->prepared[i] = true;
	else
		rc = db_classify(c, r, name);
	PQclear(r);
	return rc;
}

bool db_last_retryable(void)
{
	return db_retryable;
}

static enum err_code db_classify(PGconn *c, const PGresult *r, const char *what)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *primary;

	if (PQstatus(c) != CONNECTION_OK || state == NULL) {
		db_retryable = true;
		return ERR_UNAVAILABLE;
	}
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		db_retryable = true;
		return ERR_UNAVAILABLE;
	}
	if (strcmp(state, "23505") == 0)
		return ERR_CONFLICT;
	/* the primary message only: DETAIL can quote row data (bodies, signatures) */
	primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	log_emit(LOG_ERROR, "sql error",
	         json_pack("{s:s, s:s, s:s}", "statement", what, "sqlstate", state, "error",
	                   primary != NULL ? primary : ""));
	return ERR_INTERNAL;
}

/*
 * Re-open a dropped connection in place (the caller's PGconn pointer stays
 * valid) and forget what was prepared on it. Returns 0 when usable again.
 */
static int db_revive(PGconn *c)
{
	struct db_thread *t = db_thread();

	PQreset(c);
	if (t != NULL && t->conn == c)
		memset(t->prepared, 0, sizeof t->prepared);
	if (PQstatus(c) != CONNECTION_OK || db_session_setup(c) != 0)
		return -1;
	log_msg(LOG_INFO, "database connection re-established");
	return 0;
}

enum err_code db_exec(PGconn *c, const char *stmt, int n, const char *const *vals, const int *lens,
                      const int *fmts, PGresult **res)
{
	/*
	 * Outside a transaction a statement on a connection that turns out to
	 * be dead (the server restarted, an idle timeout) is retried once on a
	 * fresh connection; inside one, the transaction is lost and db_tx
	 * decides.
	 */
	bool idle = PQtransactionStatus(c) == PQTRANS_IDLE;
	enum err_code rc;

	if (res != NULL)
		*res = NULL;
	for (int attempt = 0;; attempt++) {
		PGresult *r;
		ExecStatusType st;

		db_retryable = false;
		rc = db_prepare_once(c, stmt);
		if (rc == ERR_OK) {
			r = PQexecPrepared(c, stmt, n, vals, lens, fmts, 0);
			st = PQresultStatus(r);
			if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
				if (res != NULL)
					*res = r;
				else
					PQclear(r);
				return ERR_OK;
			}
			rc = db_classify(c, r, stmt);
			PQclear(r);
		}
		if (attempt > 0 || !idle || PQstatus(c) == CONNECTION_OK || db_revive(c) != 0)
			return rc;
	}
}

static enum err_code db_simple(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	enum err_code rc = ERR_OK;

	db_retryable = false;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = db_classify(c, r, sql);
	PQclear(r);
	return rc;
}

static void db_backoff(int attempt)
{
	struct timespec ts;
	uint32_t ms = (uint32_t)(5 << attempt) + randombytes_uniform(10);

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

enum err_code db_tx(db_tx_fn fn, void *ctx, bool serializable)
{
	enum err_code rc = ERR_UNAVAILABLE;
	bool reconnected = false;

	for (int attempt = 0; attempt < DB_TX_ATTEMPTS; attempt++) {
		PGconn *c = db_conn();
		bool retryable;

		if (c == NULL)
			return ERR_UNAVAILABLE;
		rc = db_simple(c, serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN");
		if (rc == ERR_OK) {
			rc = fn(c, ctx);
			if (rc == ERR_OK) {
				rc = db_simple(c, "COMMIT");
				/*
				 * A connection lost during COMMIT leaves the outcome
				 * unknown: never run the work again, say unavailable.
				 */
				if (rc != ERR_OK && PQstatus(c) != CONNECTION_OK)
					return ERR_UNAVAILABLE;
				if (rc == ERR_OK)
					return ERR_OK;
			}
		}
		retryable = db_retryable;
		if (PQstatus(c) == CONNECTION_OK)
			(void)db_simple(c, "ROLLBACK");
		if (!retryable)
			return rc;
		if (PQstatus(c) != CONNECTION_OK) {
			if (reconnected)
				return ERR_UNAVAILABLE;
			reconnected = true;
		}
		db_backoff(attempt);
	}
	return rc;
}

enum err_code db_script(PGconn *c, const char *sql)
{
	return db_simple(c, sql);
}

int db_get_bytea(const PGresult *r, int row, int col, uint8_t *out, size_t n)
{
	const char *v;
	size_t bin_len = 0;

	if (PQgetisnull(r, row, col))
		return -1;
	v = PQgetvalue(r, row, col);
	if (strncmp(v, "\\x", 2) != 0 || strlen(v + 2) != 2 * n)
		return -1;
	if (sodium_hex2bin(out, n, v + 2, 2 * n, NULL, &bin_len, NULL) != 0 || bin_len != n)
		return -1;
	return 0;
}

void db_get_text(const PGresult *r, int row, int col, char *out, size_t out_len)
{
	const char *v = PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);

	snprintf(out, out_len, "%s", v);
}

enum err_code db_exec_row(PGconn *c, const char *stmt, int n, const char *const *vals,
                          const int *lens, const int *fmts, PGresult **res)
{
	enum err_code rc = db_exec(c, stmt, n, vals, lens, fmts, res);

	if (rc == ERR_OK && PQntuples(*res) != 1)
		rc = ERR_NOT_FOUND;
	return rc;
}

enum err_code db_json_row(PGconn *c, const char *stmt, int n, const char *const *vals, json_t **out)
{
	PGresult *r = NULL;
	enum err_code rc = db_exec_row(c, stmt, n, vals, NULL, NULL, &r);

	*out = NULL;
	if (rc == ERR_OK) {
		if (PQgetisnull(r, 0, 0))
			rc = ERR_NOT_FOUND;
		else if ((*out = json_loads(PQgetvalue(r, 0, 0), 0, NULL)) == NULL)
			rc = ERR_INTERNAL;
	}
	PQclear(r);
	return rc;
}

enum err_code db_uuid_row(PGconn *c, const char *stmt, const char *key, char out[UUID_STR_LEN + 1])
{
	const char *v[1] = {key};
	PGresult *r = NULL;
	enum err_code rc;

	if (!uuid_parse(key, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec(c, stmt, 1, v, NULL, NULL, &r);
	if (rc == ERR_OK) {
		if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
			db_get_text(r, 0, 0, out, UUID_STR_LEN + 1);
		else
			rc = ERR_NOT_FOUND;
	}
	PQclear(r);
	return rc;
}

enum err_code db_json_rows(PGconn *c, const char *stmt, int n, const char *const *vals,
                           json_t **out, char *last, size_t last_len)
{
	PGresult *r = NULL;
	enum err_code rc;

	*out = json_array();
	if (*out == NULL)
		return ERR_INTERNAL;
	rc = db_exec(c, stmt, n, vals, NULL, NULL, &r);
	for (int i = 0; rc == ERR_OK && i < PQntuples(r); i++) {
		json_t *row = json_loads(PQgetvalue(r, i, 0), 0, NULL);
		if (row == NULL) {
			rc = ERR_INTERNAL;
			break;
		}
		json_array_append_new(*out, row);
		if (last != NULL)
			db_get_text(r, i, 1, last, last_len);
	}
	PQclear(r);
	if (rc != ERR_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}
