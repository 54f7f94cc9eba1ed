/*
 * insight — the audit log and the statistics, for coordinators.
 *
 * The audit listing pages on seq, which is not secret (every coordinator
 * may read the whole log), so its cursor is the plain integer `before`.
 * Verification is exactly db_audit_verify, the check `isacd audit verify`
 * runs, inside one read-only SERIALIZABLE transaction so that "checked"
 * and "head_seq" describe the same snapshot (no transaction here writes or
 * runs at that level, so it never makes another fail). Input is checked
 * here; SQL is db_insight.c's. Must never write.
 */
#include "insight.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_audit.h"
#include "db_insight.h"
#include "report_schema.h"

static enum err_code insight_bad(char *detail, size_t len, const char *param, const char *why)
{
	snprintf(detail, len, "%s: %s", param, why);
	return ERR_BAD_QUERY;
}

/* s as a whole number in [lo, hi]: only ASCII digits, at most 18 of them. */
static bool insight_number(const char *s, long long lo, long long hi, long long *out)
{
	size_t n = strlen(s);

	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return false;
	*out = strtoll(s, NULL, 10);
	return *out >= lo && *out <= hi;
}

/* Actions are lower-case words joined by dots ("key.revoked"). */
static bool insight_action_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= INSIGHT_ACTION_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-.") == n && s[0] != '.';
}

static enum err_code insight_audit_check(const struct insight_audit_query *q,
                                         struct db_audit_page_query *pq, char *detail, size_t len)
{
	long long n;

	*pq = (struct db_audit_page_query){0, NULL, NULL, INSIGHT_AUDIT_LIMIT_DEFAULT};
	if (q->limit != NULL) {
		if (!insight_number(q->limit, 1, INSIGHT_AUDIT_LIMIT_MAX, &n))
			return insight_bad(detail, len, "limit", "a whole number from 1 to 200");
		pq->limit = (int)n;
	}
	if (q->before != NULL) {
		if (!insight_number(q->before, 1, INT64_MAX / 10, &n))
			return insight_bad(detail, len, "before",
			                   "a sequence number (a whole number of at least 1)");
		pq->before = n;
	}
	if (q->action != NULL) {
		if (!insight_action_ok(q->action))
			return insight_bad(
			        detail, len, "action",
			        "an action (1-64 of a-z 0-9 _ - .), or a prefix ending in '.'");
		if (q->action[strlen(q->action) - 1] == '.')
			pq->prefix = q->action;
		else
			pq->action = q->action;
	}
	return ERR_OK;
}

enum err_code insight_audit(const struct insight_audit_query *q, json_t **out, char *detail,
                            size_t detail_len)
{
	struct db_audit_page_query pq;
	json_t *entries = NULL, *next = NULL;
	size_t n;
	PGconn *c;
	enum err_code rc = insight_audit_check(q, &pq, detail, detail_len);

	*out = NULL;
	if (rc != ERR_OK)
		return rc;
	if ((c = db_conn()) == NULL)
		return ERR_UNAVAILABLE;
	pq.limit++; /* one more than asked tells whether an older page exists */
	rc = db_insight_audit_page(c, &pq, &entries);
	if (rc != ERR_OK)
		return rc;
	n = json_array_size(entries);
	if (n == (size_t)pq.limit) {
		json_array_remove(entries, n - 1);
		next = json_object_get(json_array_get(entries, n - 2), "seq");
	}
	*out = json_pack("{s:o, s:O?}", "entries", entries, "next_before", next);
	return *out != NULL ? ERR_OK : ERR_INTERNAL;
}

struct insight_verify_tx {
	enum err_code chain; /* db_audit_verify's verdict */
	int64_t checked, bad_seq;
	long long head;
};

static enum err_code insight_verify_tx(PGconn *c, void *ctx)
{
	struct insight_verify_tx *t = ctx;
	enum err_code rc = db_audit_verify(c, &t->checked, &t->bad_seq);

	t->chain = rc;
	if (rc == ERR_CONFLICT) /* a broken chain is an answer, not a failure */
		rc = ERR_OK;
	if (rc == ERR_OK)
		rc = db_insight_audit_head(c, &t->head);
	return rc;
}

enum err_code insight_audit_verify(json_t **out)
{
	struct insight_verify_tx t = {ERR_OK, 0, 0, 0};
	enum err_code rc = db_tx(insight_verify_tx, &t, true);
	bool ok = t.chain == ERR_OK;

	*out = NULL;
	if (rc != ERR_OK)
		return rc;
	*out = json_pack("{s:b, s:I, s:o, s:o}", "ok", ok, "checked", (json_int_t)t.checked,
	                 "first_bad_seq", ok ? json_null() : json_integer((json_int_t)t.bad_seq),
	                 "head_seq", t.head > 0 ? json_integer((json_int_t)t.head) : json_null());
	return *out != NULL ? ERR_OK : ERR_INTERNAL;
}

enum err_code insight_stats(const char *weeks, json_t **out, char *detail, size_t detail_len)
{
	long long n = INSIGHT_WEEKS_DEFAULT;
	json_t *order = NULL;
	char *order_text = NULL;
	PGconn *c;
	enum err_code rc = ERR_INTERNAL;

	*out = NULL;
	if (weeks != NULL && !insight_number(weeks, 1, INSIGHT_WEEKS_MAX, &n))
		return insight_bad(detail, detail_len, "weeks", "a whole number from 1 to 104");
	if ((c = db_conn()) == NULL)
		return ERR_UNAVAILABLE;
	order = json_array();
	for (size_t i = 0; order != NULL && report_severities[i] != NULL; i++)
		json_array_append_new(order, json_string(report_severities[i]));
	if (order != NULL)
		order_text = json_dumps(order, JSON_COMPACT);
	if (order_text != NULL)
		rc = db_insight_stats(c, (int)n, order_text, out);
	free(order_text);
	json_decref(order);
	return rc;
}
