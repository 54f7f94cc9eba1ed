/*
 * db_bulletin_list — SQL of the coordinators' bulletin list: each bulletin
 * of a page with its latest publication, how many subscribers may read it
 * now (entitled(), the one rule every feed uses) and its webhook
 * deliveries by state.
 *
 * The page is cut first (keyset on updated_at, id) and only its rows are
 * counted: entitled() runs for |page| × |subscribers| pairs, and deliveries
 * are aggregated once per page. Never build SQL from input.
 */
#include "db_bulletin_list.h"

#include <stdio.h>

#include "db.h"

/* SQL reads best as written: */
/* clang-format off */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

const struct db_stmt db_bulletin_list_stmts[] = {
	{"bulletin_page",
	 "WITH page AS (SELECT * FROM bulletins WHERE ($1::text IS NULL OR status = $1)"
	 " AND ($2::timestamptz IS NULL OR (updated_at, id) < ($2::timestamptz, $3::uuid))"
	 " ORDER BY updated_at DESC, id DESC LIMIT $4),"
	 " sent AS (SELECT p.bulletin_id,"
	 " count(*) FILTER (WHERE d.delivered_at IS NULL AND d.dead_at IS NULL) AS pending,"
	 " count(*) FILTER (WHERE d.delivered_at IS NOT NULL) AS delivered,"
	 " count(*) FILTER (WHERE d.dead_at IS NOT NULL) AS dead"
	 " FROM deliveries d JOIN publications p ON p.seq = d.publication"
	 " WHERE p.bulletin_id IN (SELECT id FROM page) GROUP BY p.bulletin_id)"
	 " SELECT json_build_object('id', b.id, 'incident_id', b.incident_id, 'title', v.draft->>'title',"
	 " 'status', b.status, 'version', b.version, 'published_version', b.published_version,"
	 " 'tlp', b.tlp, 'severity', b.severity, 'sector', v.draft->'sector',"
	 " 'updated_at', " TS("b.updated_at") ", 'published_at', " TS("l.published_at") ","
	 " 'recipients', CASE WHEN l.seq IS NULL THEN 0 ELSE (SELECT count(*) FROM subscribers s"
	 " WHERE entitled(l.bulletin_id, l.tlp, l.sector, s.org_id)) END,"
	 " 'deliveries', json_build_object('pending', coalesce(sent.pending, 0),"
	 " 'delivered', coalesce(sent.delivered, 0), 'dead', coalesce(sent.dead, 0)))::text"
	 " FROM page b JOIN bulletin_versions v ON v.bulletin_id = b.id AND v.version = b.version"
	 " LEFT JOIN LATERAL (SELECT * FROM publications q WHERE q.bulletin_id = b.id"
	 " ORDER BY q.published_at DESC LIMIT 1) l ON true"
	 " LEFT JOIN sent ON sent.bulletin_id = b.id"
	 " ORDER BY b.updated_at DESC, b.id DESC", 4},
	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_bulletin_page(PGconn *c, const struct db_bulletin_filter *f, json_t **out)
{
	char limit[16];
	const char *v[4] = {f->status, f->after_ts, f->after_id, limit};

	snprintf(limit, sizeof limit, "%d", f->limit);
	return db_json_rows(c, "bulletin_page", 4, v, out, NULL, 0);
}
