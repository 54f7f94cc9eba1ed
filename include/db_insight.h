/*
 * db_insight — read-only SQL behind the coordinators' audit log listing and
 * statistics (insight.c). Nothing here writes; appending to and verifying
 * the audit chain stay in db_audit.c.
 */
#ifndef ISACD_DB_INSIGHT_H
#define ISACD_DB_INSIGHT_H

#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"

/* One page of the audit log, newest first. */
struct db_audit_page_query {
	long long before;   /* only entries with seq < before; 0: from the head */
	const char *action; /* exact action, or NULL */
	const char *prefix; /* action prefix (ends in '.'), or NULL */
	int limit;          /* rows to read */
};

/*
 * *out receives a JSON array (new reference) of entries {"seq", "at",
 * "actor", "action", "subject", "detail", "hash"}: detail parsed (an entry
 * whose stored text is not JSON, which only tampering makes, shows it as a
 * string), hash in lower-case hex. Returns ERR_OK or db_exec's codes.
 */
enum err_code db_insight_audit_page(PGconn *c, const struct db_audit_page_query *q, json_t **out);

/* The newest entry's seq in *head (db_audit's audit_head), 0 for an empty log. db_exec's codes. */
enum err_code db_insight_audit_head(PGconn *c, long long *head);

/*
 * The statistics object of GET /v1/coord/stats over the `weeks` weeks
 * (1..104, checked by the caller) ending with the current one (UTC);
 * severities_json is the severity vocabulary as a JSON array, in the order
 * the counts are listed. *out is a new reference. db_json_row's codes.
 */
enum err_code db_insight_stats(PGconn *c, int weeks, const char *severities_json, json_t **out);

#endif
