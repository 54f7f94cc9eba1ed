/*
 * insight — what coordinators read about the ISAC itself: the audit log
 * (listed, and its hash chain verified) and weekly statistics. Read-only:
 * nothing here changes state, so nothing here is audited.
 */
#ifndef ISACD_INSIGHT_H
#define ISACD_INSIGHT_H

#include <stddef.h>
#include <jansson.h>
#include "problem.h"

#define INSIGHT_AUDIT_LIMIT_DEFAULT 50
#define INSIGHT_AUDIT_LIMIT_MAX     200
#define INSIGHT_ACTION_MAX          64
#define INSIGHT_WEEKS_DEFAULT       12
#define INSIGHT_WEEKS_MAX           104

/* GET /v1/coord/audit's parameters as received (NULL when absent). */
struct insight_audit_query {
	const char *limit;  /* 1..200, default 50 */
	const char *before; /* a seq: entries older than it */
	const char *action; /* exact action, or a prefix ending in '.' */
};

/*
 * One page of the audit log, newest first: {"entries": […], "next_before":
 * seq|null} (*out, new reference); next_before is null when no older entry
 * matches. ERR_BAD_QUERY with detail naming the parameter; else db codes.
 */
enum err_code insight_audit(const struct insight_audit_query *q, json_t **out, char *detail,
                            size_t detail_len);

/*
 * Recompute the whole chain with db_audit_verify (as `isacd audit verify`)
 * in one snapshot: {"ok", "checked", "first_bad_seq": n|null, "head_seq":
 * n|null} (*out, new reference). A broken chain is ERR_OK with ok false;
 * other codes: the database failed.
 */
enum err_code insight_audit_verify(json_t **out);

/*
 * Statistics over the last `weeks` (text as received, NULL: 12; 1..104)
 * weeks (api.md, GET /v1/coord/stats) in *out (new reference).
 * ERR_BAD_QUERY naming weeks; else db codes.
 */
enum err_code insight_stats(const char *weeks, json_t **out, char *detail, size_t detail_len);

#endif
