/*
 * db_taxii — SQL of the TAXII collections (see db_taxii.h).
 *
 * One page is one index scan of feed_objects in date_added order (the
 * UNIQUE index on date_added), from the position on, filtered and cut at
 * the limit: never OFFSET, so a poll costs the same at any depth. Who may
 * read a row is TAXII_VISIBLE below, which asks entitled() (0003) and adds
 * only the rule for shared objects; it must never grow a second definition
 * of entitlement.
 */
#include "db_taxii.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"

/* May subscriber $1 read feed object f of publication p? */
#define TAXII_VISIBLE(f, p)                                                                        \
	"((" f ".shared AND EXISTS (SELECT 1 FROM subscribers s"                                   \
	" WHERE s.org_id = $1 AND " f ".tlp = ANY (s.clearance)))"                                 \
	" OR entitled(" p ".bulletin_id, " p ".tlp, " p ".sector, $1))"

/* Another version of fo's object, readable by $1, that is newer ('>') or older ('<'). */
#define TAXII_OTHER_VERSION(cmp)                                                                   \
	"EXISTS (SELECT 1 FROM feed_objects f2 JOIN publications p2 ON p2.seq = f2.publication"    \
	" WHERE f2.tlp = fo.tlp AND f2.object_id = fo.object_id"                                   \
	" AND f2.version::timestamptz " cmp                                                        \
	" fo.version::timestamptz AND " TAXII_VISIBLE("f2", "p2") ")"

#define TAXII_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* SQL reads best as written: */
/* clang-format off */
const struct db_stmt db_taxii_stmts[] = {
	{"taxii_rows",
	 "SELECT fo.object_id, fo.version, " TAXII_TIME("fo.date_added") ","
	 " CASE WHEN $12::boolean THEN fo.object END"
	 " FROM feed_objects fo JOIN publications p ON p.seq = fo.publication"
	 " WHERE fo.tlp = $2 AND fo.date_added > $3::timestamptz"
	 " AND ($4::json IS NULL OR fo.object_id IN (SELECT json_array_elements_text($4::json)))"
	 " AND ($5::json IS NULL OR fo.object_type IN (SELECT json_array_elements_text($5::json)))"
	 /* every object the feed carries is STIX 2.1; a 2.1 SCO may omit spec_version */
	 " AND ($6::json IS NULL OR coalesce(fo.object::json ->> 'spec_version', '2.1')"
	 "      IN (SELECT json_array_elements_text($6::json)))"
	 " AND " TAXII_VISIBLE("fo", "p")
	 " AND ($7::boolean"
	 "      OR ($8::boolean AND NOT " TAXII_OTHER_VERSION("<") ")"
	 "      OR ($9::boolean AND NOT " TAXII_OTHER_VERSION(">") ")"
	 "      OR ($10::json IS NOT NULL AND fo.version::timestamptz IN"
	 "          (SELECT x::timestamptz FROM json_array_elements_text($10::json) x)))"
	 " ORDER BY fo.date_added LIMIT $11", 12},
	{"taxii_clearance",
	 "SELECT coalesce((SELECT to_json(clearance) FROM subscribers WHERE org_id = $1), '[]')::text", 1},
	{"taxii_object_visible",
	 "SELECT EXISTS (SELECT 1 FROM feed_objects fo JOIN publications p ON p.seq = fo.publication"
	 " WHERE fo.tlp = $2 AND fo.object_id = $3 AND " TAXII_VISIBLE("fo", "p") ")", 3},
	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_taxii_rows(PGconn *c, const struct db_taxii_filter *f, db_taxii_row_fn fn,
                            void *ctx)
{
	char limit[16];
	const char *v[12] = {
	        f->subscriber,
	        f->tlp,
	        f->after != NULL ? f->after : "-infinity",
	        f->ids_json,
	        f->types_json,
	        f->spec_versions_json,
	        f->version_all ? "t" : "f",
	        f->version_first ? "t" : "f",
	        f->version_last ? "t" : "f",
	        f->versions_json,
	        limit,
	        f->with_object ? "t" : "f",
	};
	PGresult *r = NULL;
	enum err_code rc;

	snprintf(limit, sizeof limit, "%d", f->limit);
	rc = db_exec(c, "taxii_rows", 12, v, NULL, NULL, &r);
	for (int i = 0; rc == ERR_OK && i < PQntuples(r); i++) {
		struct db_taxii_row row = {
		        PQgetvalue(r, i, 0),
		        PQgetvalue(r, i, 1),
		        PQgetvalue(r, i, 2),
		        PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3),
		};
		rc = fn(ctx, &row);
	}
	PQclear(r);
	return rc;
}

enum err_code db_taxii_clearance(PGconn *c, const char *org, json_t **clearance)
{
	const char *v[1] = {org};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "taxii_clearance", 1, v, NULL, NULL, &r);

	*clearance = NULL;
	if (rc == ERR_OK &&
	    (PQntuples(r) != 1 || (*clearance = json_loads(PQgetvalue(r, 0, 0), 0, NULL)) == NULL ||
	     !json_is_array(*clearance)))
		rc = ERR_INTERNAL;
	if (rc != ERR_OK) {
		json_decref(*clearance);
		*clearance = NULL;
	}
	PQclear(r);
	return rc;
}

enum err_code db_taxii_object_visible(PGconn *c, const char *org, const char *tlp,
                                      const char *object_id, bool *visible)
{
	const char *v[3] = {org, tlp, object_id};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "taxii_object_visible", 3, v, NULL, NULL, &r);

	*visible = false;
	if (rc == ERR_OK && PQntuples(r) != 1)
		rc = ERR_INTERNAL;
	if (rc == ERR_OK)
		*visible = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return rc;
}
