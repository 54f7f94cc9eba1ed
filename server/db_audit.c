/*
 * db_audit — append and verify the audit log.
 *
 * Appends serialize on one advisory lock so that seq and prev_hash always
 * name the entry committed just before; verification reads in keyset pages
 * and never holds the whole log in memory. Each append NOTIFYs
 * "isacd_audit" with its seq, delivered at COMMIT (the coordinators' live
 * stream, stream.c, wakes on it).
 */
#include "db_audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "db.h"

#define DB_AUDIT_LOCK "7001001" /* advisory lock id of the audit chain head */
#define DB_AUDIT_PAGE "1000"

/* SQL reads best as written: */
/* clang-format off */
const struct db_stmt db_audit_stmts[] = {
	{"audit_lock", "SELECT pg_advisory_xact_lock(" DB_AUDIT_LOCK ")", 0},
	{"audit_head", "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", 0},
	{"audit_insert",
	 "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	 8},
	{"audit_notify", "SELECT pg_notify('isacd_audit', $1)", 1},
	{"audit_page",
	 "SELECT seq, (extract(epoch FROM at) * 1000000)::bigint, actor, action, subject, detail,"
	 " prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT " DB_AUDIT_PAGE,
	 1},
	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_audit_append(PGconn *c, const char *actor, const char *action, const char *subject,
                              const json_t *detail)
{
	uint8_t prev[32] = {0}, hash[32];
	char seq_s[24], at_s[CLOCK_RFC3339_LEN + 1];
	char *detail_s = NULL;
	PGresult *r = NULL;
	struct audit_entry e;
	enum err_code rc;

	rc = db_exec(c, "audit_lock", 0, NULL, NULL, NULL, NULL);
	if (rc != ERR_OK)
		goto out;
	rc = db_exec(c, "audit_head", 0, NULL, NULL, NULL, &r);
	if (rc != ERR_OK)
		goto out;
	e.seq = 1;
	if (PQntuples(r) == 1) {
		e.seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10) + 1;
		if (db_get_bytea(r, 0, 1, prev, sizeof prev) != 0) {
			rc = ERR_INTERNAL;
			goto out;
		}
	}
	detail_s =
	        detail != NULL ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	e.at_us = clock_now_us();
	e.actor = actor;
	e.action = action;
	e.subject = subject;
	e.detail = detail_s;
	if (detail_s == NULL || clock_format_us(e.at_us, at_s) != 0 ||
	    audit_hash(prev, &e, hash) != 0) {
		rc = ERR_INTERNAL;
		goto out;
	}
	snprintf(seq_s, sizeof seq_s, "%" PRId64, e.seq);
	{
		const char *v[8] = {seq_s,
		                    at_s,
		                    actor,
		                    action,
		                    subject,
		                    detail_s,
		                    (const char *)prev,
		                    (const char *)hash};
		const int lens[8] = {0, 0, 0, 0, 0, 0, 32, 32};
		const int fmts[8] = {0, 0, 0, 0, 0, 0, 1, 1};
		rc = db_exec(c, "audit_insert", 8, v, lens, fmts, NULL);
	}
	if (rc == ERR_OK) {
		const char *v[1] = {seq_s};
		rc = db_exec(c, "audit_notify", 1, v, NULL, NULL, NULL);
	}
out:
	PQclear(r);
	free(detail_s);
	return rc;
}

/* Check one page; returns ERR_OK, ERR_CONFLICT (*bad_seq set) or ERR_INTERNAL. */
static enum err_code db_audit_check_page(const PGresult *r, uint8_t running[32], int64_t *next_seq,
                                         int64_t *bad_seq)
{
	for (int i = 0; i < PQntuples(r); i++) {
		uint8_t prev[32], stored[32], computed[32];
		struct audit_entry e;

		e.seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		e.at_us = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		e.actor = PQgetvalue(r, i, 2);
		e.action = PQgetvalue(r, i, 3);
		e.subject = PQgetvalue(r, i, 4);
		e.detail = PQgetvalue(r, i, 5);
		if (e.seq != *next_seq || db_get_bytea(r, i, 6, prev, 32) != 0 ||
		    db_get_bytea(r, i, 7, stored, 32) != 0 || memcmp(prev, running, 32) != 0 ||
		    audit_hash(prev, &e, computed) != 0 || memcmp(computed, stored, 32) != 0) {
			*bad_seq = *next_seq;
			return ERR_CONFLICT;
		}
		memcpy(running, stored, 32);
		(*next_seq)++;
	}
	return ERR_OK;
}

enum err_code db_audit_verify(PGconn *c, int64_t *checked, int64_t *bad_seq)
{
	uint8_t running[32] = {0};
	int64_t next_seq = 1;
	enum err_code rc = ERR_OK;

	*checked = 0;
	*bad_seq = 0;
	for (;;) {
		char after[24];
		const char *v[1] = {after};
		PGresult *r = NULL;
		int n;

		snprintf(after, sizeof after, "%" PRId64, next_seq - 1);
		rc = db_exec(c, "audit_page", 1, v, NULL, NULL, &r);
		if (rc != ERR_OK)
			break;
		n = PQntuples(r);
		rc = db_audit_check_page(r, running, &next_seq, bad_seq);
		PQclear(r);
		if (rc != ERR_OK || n == 0)
			break;
	}
	*checked = next_seq - 1;
	return rc;
}
