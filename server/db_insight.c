/*
 * db_insight — the read-only SQL of the audit listing and the statistics.
 *
 * The statistics are one statement: PostgreSQL aggregates over the
 * incidents of the window (the incidents_recent index bounds the scan to
 * it) and over the first publication of each bulletin first published in
 * the window (publications.published_at is unique, hence indexed), and
 * generate_series supplies every week so that empty weeks count zero. The
 * caller bounds the window; nothing here reads outside it.
 */
#include "db_insight.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"

/* SQL reads best as written: */
/* clang-format off */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* [lo, hi) of the window as UTC timestamps (weeks start on Monday). */
#define SPAN                                                                                       \
	"span AS (SELECT date_trunc('week', now() AT TIME ZONE 'UTC')"                             \
	"  - ($1::integer - 1) * interval '1 week' AS lo,"                                         \
	"  date_trunc('week', now() AT TIME ZONE 'UTC') + interval '1 week' AS hi)"

#define IN_SPAN(col) col " >= span.lo AT TIME ZONE 'UTC' AND " col " < span.hi AT TIME ZONE 'UTC'"

const struct db_stmt db_insight_stmts[] = {
	{"insight_audit_page",
	 "SELECT seq, " TS("at") ", actor, action, subject, detail, encode(hash, 'hex')"
	 " FROM audit_log WHERE ($1::bigint IS NULL OR seq < $1::bigint)"
	 " AND ($2::text IS NULL OR action = $2::text)"
	 " AND ($3::text IS NULL OR starts_with(action, $3::text))"
	 " ORDER BY seq DESC LIMIT $4::integer", 4},
	{"insight_stats",
	 "WITH " SPAN ","
	 " weeks AS (SELECT w AS week FROM span,"
	 "  generate_series(span.lo, span.hi - interval '1 week', interval '1 week') w),"
	 " inc AS (SELECT i.id, i.sector, i.severity,"
	 "  date_trunc('week', i.created_at AT TIME ZONE 'UTC') AS week"
	 "  FROM incidents i, span WHERE " IN_SPAN("i.created_at") "),"
	 " per_week AS (SELECT s.sector, weeks.week, count(inc.id) AS n"
	 "  FROM (SELECT DISTINCT sector FROM inc) s CROSS JOIN weeks"
	 "  LEFT JOIN inc ON inc.sector = s.sector AND inc.week = weeks.week"
	 "  GROUP BY s.sector, weeks.week),"
	 " sectors AS (SELECT sector, json_agg(n ORDER BY week) AS counts, sum(n)::bigint AS total"
	 "  FROM per_week GROUP BY sector),"
	 " firsts AS (SELECT p.bulletin_id, p.published_at FROM publications p, span"
	 "  WHERE " IN_SPAN("p.published_at")
	 "  AND NOT EXISTS (SELECT 1 FROM publications q"
	 "   WHERE q.bulletin_id = p.bulletin_id AND q.published_at < p.published_at)),"
	 " pub AS (SELECT extract(epoch FROM f.published_at - i.created_at)::double precision AS s"
	 "  FROM firsts f JOIN bulletins b ON b.id = f.bulletin_id"
	 "  JOIN incidents i ON i.id = b.incident_id)"
	 " SELECT json_build_object('generated_at', " TS("now()") ","
	 " 'weeks', (SELECT json_agg(to_char(week, 'YYYY-MM-DD') ORDER BY week) FROM weeks),"
	 " 'sectors', coalesce((SELECT json_agg(json_build_object('sector', sector,"
	 "   'counts', counts, 'total', total) ORDER BY total DESC, sector) FROM sectors), '[]'),"
	 " 'severity', (SELECT json_agg(json_build_object('severity', v.name,"
	 "   'count', (SELECT count(*) FROM inc WHERE inc.severity = v.name)) ORDER BY v.i)"
	 "   FROM json_array_elements_text($2::json) WITH ORDINALITY v(name, i)),"
	 " 'publication', (SELECT json_build_object("
	 "   'median_s', percentile_cont(0.5) WITHIN GROUP (ORDER BY s),"
	 "   'p90_s', percentile_cont(0.9) WITHIN GROUP (ORDER BY s), 'samples', count(*))"
	 "   FROM pub),"
	 " 'incidents', (SELECT count(*) FROM inc))::text", 2},
	{NULL, NULL, 0},
};
/* clang-format on */

/* One row of insight_audit_page as its JSON entry; NULL when out of memory. */
static json_t *db_insight_entry(const PGresult *r, int i)
{
	const char *detail_text = PQgetvalue(r, i, 5);
	json_t *detail = json_loads(detail_text, JSON_DECODE_ANY, NULL);

	if (detail == NULL)
		detail = json_string(detail_text); /* not JSON: shown as stored */
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o*, s:s}", "seq",
	                 (json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10), "at",
	                 PQgetvalue(r, i, 1), "actor", PQgetvalue(r, i, 2), "action",
	                 PQgetvalue(r, i, 3), "subject", PQgetvalue(r, i, 4), "detail", detail,
	                 "hash", PQgetvalue(r, i, 6));
}

enum err_code db_insight_audit_page(PGconn *c, const struct db_audit_page_query *q, json_t **out)
{
	char before_s[24], limit_s[16];
	const char *v[4] = {q->before > 0 ? before_s : NULL, q->action, q->prefix, limit_s};
	PGresult *r = NULL;
	enum err_code rc;

	snprintf(before_s, sizeof before_s, "%lld", q->before);
	snprintf(limit_s, sizeof limit_s, "%d", q->limit);
	*out = json_array();
	if (*out == NULL)
		return ERR_INTERNAL;
	rc = db_exec(c, "insight_audit_page", 4, v, NULL, NULL, &r);
	for (int i = 0; rc == ERR_OK && i < PQntuples(r); i++)
		if (json_array_append_new(*out, db_insight_entry(r, i)) != 0)
			rc = ERR_INTERNAL;
	PQclear(r);
	if (rc != ERR_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

enum err_code db_insight_audit_head(PGconn *c, long long *head)
{
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "audit_head", 0, NULL, NULL, NULL, &r);

	*head = 0;
	if (rc == ERR_OK && PQntuples(r) == 1)
		*head = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

enum err_code db_insight_stats(PGconn *c, int weeks, const char *severities_json, json_t **out)
{
	char weeks_s[16];
	const char *v[2] = {weeks_s, severities_json};

	snprintf(weeks_s, sizeof weeks_s, "%d", weeks);
	return db_json_row(c, "insight_stats", 2, v, out);
}
