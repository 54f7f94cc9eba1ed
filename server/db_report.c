/*
 * db_report — SQL for the ingest path and the operator's read views.
 *
 * Reports are written once and never updated: the stored bytes are what
 * the operator signed. Reads of another organization's rows answer
 * ERR_NOT_FOUND, the same as rows that do not exist.
 */
#include "db_report.h"

#include <sodium.h>
#include <string.h>

#include "db.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* SQL reads best as written: */
/* clang-format off */

/*
 * Deadlines (migration 0006): an incident i of organization o, its regime
 * g, and nx, its next phase not yet reported (none when final was reported
 * or the incident is closed). The queue filter and both views read these,
 * so they agree at the statement's now().
 */
#define DEADLINE_ARGS \
	"coalesce(i.detected_at, i.created_at), i.created_at, i.notification_at, i.final_at," \
	" i.status, g.early_warning_s, g.notification_s, g.final_s"
#define DEADLINE_JOIN \
	" JOIN reporting_regimes g ON g.name = o.regime LEFT JOIN LATERAL (SELECT d.phase," \
	" d.due_at, d.state FROM incident_deadlines(" DEADLINE_ARGS ") d" \
	" WHERE d.reported_at IS NULL AND d.state <> 'waived' ORDER BY d.ord LIMIT 1) nx ON true"
#define DEADLINE_OVERDUE "coalesce(nx.state = 'overdue', false)"
#define DEADLINE_JSON \
	"json_build_object('regime', g.name, 'detected_at', " TS("coalesce(i.detected_at, i.created_at)") \
	", 'next_phase', nx.phase, 'due_at', " TS("nx.due_at") ", 'overdue', " DEADLINE_OVERDUE ")"

const struct db_stmt db_report_stmts[] = {
	{"seen_sig_insert",
	 "INSERT INTO seen_signatures (sig_sha256, seen_at) VALUES ($1, now())"
	 " ON CONFLICT DO NOTHING",
	 1},
	{"seen_sig_purge",
	 "DELETE FROM seen_signatures WHERE seen_at < now() - make_interval(secs => $1::int)", 1},
	{"incident_lock", "SELECT org_id FROM incidents WHERE id = $1 FOR UPDATE", 1},
	{"incident_insert",
	 "INSERT INTO incidents (id, org_id, created_at, updated_at, title, sector, severity,"
	 " incident_type, phase, tlp, report_count, detected_at, notification_at, final_at)"
	 " VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, 1, $10,"
	 " CASE WHEN $8 IN ('notification', 'final') THEN $3::timestamptz END,"
	 " CASE WHEN $8 = 'final' THEN $3::timestamptz END)",
	 10},
	/* least(): a follow-up received earlier may commit later (ignores NULL) */
	{"incident_followup",
	 "UPDATE incidents SET updated_at = $2, title = $3, sector = $4, severity = $5,"
	 " incident_type = $6, phase = $7, tlp = $8, report_count = report_count + 1,"
	 " notification_at = CASE WHEN $7 IN ('notification', 'final')"
	 " THEN least(notification_at, $2::timestamptz) ELSE notification_at END,"
	 " final_at = CASE WHEN $7 = 'final' THEN least(final_at, $2::timestamptz) ELSE final_at END"
	 " WHERE id = $1",
	 8},
	{"report_insert",
	 "INSERT INTO reports (id, incident_id, org_id, key_id, received_at, phase, severity, tlp,"
	 " body, body_sha256, signature_input, signature, signature_base, content_digest,"
	 " receipt_sig) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
	 15},
		{"outbox_insert", "INSERT INTO outbox (kind, subject_id) VALUES ($1, $2)", 2},
	{"outbox_notify", "SELECT pg_notify('isacd_outbox', $1)", 1},

	{"report_get",
	 "SELECT json_build_object('id', id, 'incident_id', incident_id, 'key_id', key_id,"
	 " 'received_at', " TS("received_at") ", 'phase', phase, 'severity', severity, 'tlp', tlp,"
	 " 'content_digest', content_digest, 'signature_input', signature_input,"
	 " 'signature', signature, 'report', convert_from(body, 'UTF8')::json)::text,"
	 " id, " TS("received_at") ", body_sha256, receipt_sig"
	 " FROM reports WHERE id = $1 AND ($2::uuid IS NULL OR org_id = $2)",
	 2},
	{"incident_get",
	 "SELECT json_build_object('id', i.id, 'status', i.status, 'created_at', " TS("i.created_at")
	 ", 'updated_at', " TS("i.updated_at") ", 'title', i.title, 'sector', i.sector,"
	 " 'severity', i.severity, 'incident_type', i.incident_type, 'phase', i.phase, 'tlp', i.tlp,"
	 " 'report_count', i.report_count, 'reports', (SELECT coalesce(json_agg(json_build_object("
	 "'id', r.id, 'received_at', " TS("r.received_at") ", 'phase', r.phase,"
	 " 'severity', r.severity, 'key_id', r.key_id) ORDER BY r.received_at, r.id), '[]')"
	 " FROM reports r WHERE r.incident_id = i.id))::text"
	 " FROM incidents i WHERE i.id = $1 AND ($2::uuid IS NULL OR i.org_id = $2)",
	 2},
		{"coord_incidents",
	 "SELECT json_build_object('id', i.id, 'created_at', " TS("i.created_at") ", 'updated_at', " TS("i.updated_at") ","
	 " 'status', i.status, 'title', i.title, 'sector', i.sector, 'severity', i.severity,"
	 " 'incident_type', i.incident_type, 'phase', i.phase, 'tlp', i.tlp, 'report_count', i.report_count,"
	 " 'organization', json_build_object('id', o.id, 'name', o.name),"
	 " 'bulletin', CASE WHEN b.id IS NULL THEN NULL"
	 " ELSE json_build_object('id', b.id, 'status', b.status, 'version', b.version) END,"
	 " 'deadline', " DEADLINE_JSON ")::text"
	 " FROM incidents i JOIN organizations o ON o.id = i.org_id LEFT JOIN bulletins b ON b.incident_id = i.id"
	 DEADLINE_JOIN
	 " WHERE ($1::text IS NULL OR i.sector = $1) AND ($2::text IS NULL OR i.severity = $2)"
	 " AND ($3::text IS NULL OR i.phase = $3) AND ($4::text IS NULL OR i.status = $4)"
	 " AND ($5::text IS NULL OR coalesce(b.status, 'none') = $5)"
	 " AND ($6::text IS NULL OR i.title ILIKE '%' || $6 || '%' ESCAPE '\\')"
	 " AND ($7::timestamptz IS NULL OR (i.created_at, i.id) < ($7::timestamptz, $8::uuid))"
	 " AND ($10::boolean IS NULL OR " DEADLINE_OVERDUE " = $10)"
	 " ORDER BY i.created_at DESC, i.id DESC LIMIT $9", 10},
	{"coord_incident",
	 "SELECT json_build_object('id', i.id, 'created_at', " TS("i.created_at") ", 'updated_at', " TS("i.updated_at") ","
	 " 'status', i.status, 'title', i.title, 'sector', i.sector, 'severity', i.severity,"
	 " 'incident_type', i.incident_type, 'phase', i.phase, 'tlp', i.tlp, 'report_count', i.report_count,"
	 " 'organization', json_build_object('id', o.id, 'name', o.name, 'sector', o.sector, 'region', o.region),"
	 " 'deadline', " DEADLINE_JSON ","
	 " 'deadlines', (SELECT json_agg(json_build_object('phase', d.phase, 'due_at', " TS("d.due_at") ","
	 " 'reported_at', " TS("d.reported_at") ", 'state', d.state) ORDER BY d.ord)"
	 " FROM incident_deadlines(" DEADLINE_ARGS ") d),"
	 /* the incident's indicators; counts over every sighting of the value, whatever its role */
	 " 'indicators', coalesce((SELECT json_agg(json_build_object('type', x.type, 'value', x.value,"
	 " 'role', x.role, 'reports', n.reports, 'operators', n.operators, 'incidents', n.incidents,"
	 " 'sectors', n.sectors) ORDER BY x.value_key, x.role)"
	 " FROM (SELECT s.value_key, s.role, min(s.type) AS type, min(s.value) AS value"
	 " FROM indicator_sightings s WHERE s.incident_id = i.id GROUP BY s.value_key, s.role) x"
	 " CROSS JOIN LATERAL (SELECT count(*) AS reports, count(DISTINCT a.org_id) AS operators,"
	 " count(DISTINCT a.incident_id) AS incidents, json_agg(DISTINCT a.sector ORDER BY a.sector) AS sectors"
	 " FROM indicator_sightings a WHERE a.value_key = x.value_key) n), '[]'))::text"
	 " FROM incidents i JOIN organizations o ON o.id = i.org_id" DEADLINE_JOIN " WHERE i.id = $1", 1},
	{"coord_reports",
	 "SELECT json_build_object('id', r.id, 'received_at', " TS("r.received_at") ", 'phase', r.phase,"
	 " 'severity', r.severity, 'tlp', r.tlp, 'key_id', r.key_id, 'signature_input', r.signature_input,"
	 " 'signature', r.signature, 'signature_base', r.signature_base, 'content_digest', r.content_digest,"
	 " 'key_revoked', k.revoked_at IS NOT NULL)::text,"
	 " convert_from(r.body, 'UTF8'), k.public_key, r.body_sha256, r.receipt_sig, r.id, " TS("r.received_at")
	 " FROM reports r JOIN operator_keys k ON k.key_id = r.key_id"
	 " WHERE r.incident_id = $1 ORDER BY r.received_at, r.id", 1},
	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_seen_signature(PGconn *c, const uint8_t sig_sha256[32])
{
	const char *v[1] = {(const char *)sig_sha256};
	const int lens[1] = {32};
	const int fmts[1] = {1};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "seen_sig_insert", 1, v, lens, fmts, &r);

	if (rc == ERR_OK && strcmp(PQcmdTuples(r), "1") != 0)
		rc = ERR_SIG_REPLAYED;
	PQclear(r);
	return rc;
}

enum err_code db_seen_signature_purge(PGconn *c, unsigned max_age_s)
{
	char age[16];
	const char *v[1] = {age};

	snprintf(age, sizeof age, "%u", max_age_s);
	return db_exec(c, "seen_sig_purge", 1, v, NULL, NULL, NULL);
}

enum err_code db_incident_lock(PGconn *c, const char *incident_id, char owner[UUID_STR_LEN + 1])
{
	return db_uuid_row(c, "incident_lock", incident_id, owner);
}

enum err_code db_incident_insert(PGconn *c, const char *id, const char *org_id, const char *at,
                                 const struct db_incident_fields *f)
{
	const char *v[10] = {id,          org_id,           at,       f->title, f->sector,
	                     f->severity, f->incident_type, f->phase, f->tlp,   f->detected_at};

	return db_exec(c, "incident_insert", 10, v, NULL, NULL, NULL);
}

enum err_code db_incident_followup(PGconn *c, const char *id, const char *at,
                                   const struct db_incident_fields *f)
{
	const char *v[8] = {id,       at,    f->title, f->sector, f->severity, f->incident_type,
	                    f->phase, f->tlp};

	return db_exec(c, "incident_followup", 8, v, NULL, NULL, NULL);
}

enum err_code db_report_insert(PGconn *c, const struct db_report_row *row)
{
	const char *v[15] = {row->id,
	                     row->incident_id,
	                     row->org_id,
	                     row->key_id,
	                     row->received_at,
	                     row->phase,
	                     row->severity,
	                     row->tlp,
	                     (const char *)row->body,
	                     (const char *)row->body_sha256,
	                     row->signature_input,
	                     row->signature,
	                     row->signature_base,
	                     row->content_digest,
	                     (const char *)row->receipt_sig};
	const int lens[15] = {0, 0, 0, 0, 0, 0, 0, 0, (int)row->body_len, 32, 0, 0, 0, 0, 64};
	const int fmts[15] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1};

	return db_exec(c, "report_insert", 15, v, lens, fmts, NULL);
}

enum err_code db_outbox_insert(PGconn *c, const char *kind, const char *subject_id)
{
	const char *v[2] = {kind, subject_id};
	enum err_code rc = db_exec(c, "outbox_insert", 2, v, NULL, NULL, NULL);

	/* wakes the workers listening when (and only if) the transaction commits */
	if (rc == ERR_OK)
		rc = db_exec(c, "outbox_notify", 1, v, NULL, NULL, NULL);
	return rc;
}

enum err_code db_report_get(PGconn *c, const char *id, const char *org_id,
                            struct db_report_view *view)
{
	const char *v[2] = {id, org_id};
	PGresult *r = NULL;
	enum err_code rc;

	view->fields = NULL;
	if (!uuid_parse(id, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec_row(c, "report_get", 2, v, NULL, NULL, &r);
	if (rc != ERR_OK)
		goto out;
	db_get_text(r, 0, 1, view->id, sizeof view->id);
	db_get_text(r, 0, 2, view->received_at, sizeof view->received_at);
	if (db_get_bytea(r, 0, 3, view->body_sha256, 32) != 0 ||
	    db_get_bytea(r, 0, 4, view->receipt_sig, 64) != 0 ||
	    (view->fields = json_loads(PQgetvalue(r, 0, 0), 0, NULL)) == NULL)
		rc = ERR_INTERNAL;
out:
	PQclear(r);
	return rc;
}

enum err_code db_incident_get(PGconn *c, const char *id, const char *org_id, json_t **out)
{
	const char *v[2] = {id, org_id};

	*out = NULL;
	if (!uuid_parse(id, NULL))
		return ERR_NOT_FOUND;
	return db_json_row(c, "incident_get", 2, v, out);
}

enum err_code db_coord_incidents(PGconn *c, const struct db_incident_filter *f, json_t **out)
{
	char limit[16];
	const char *v[10] = {f->sector,     f->severity, f->phase,    f->status, f->review,
	                     f->title_like, f->after_ts, f->after_id, limit,     f->overdue};

	snprintf(limit, sizeof limit, "%d", f->limit);
	return db_json_rows(c, "coord_incidents", 10, v, out, NULL, 0);
}

enum err_code db_coord_incident(PGconn *c, const char *id, json_t **out)
{
	const char *v[1] = {id};

	*out = NULL;
	if (!uuid_parse(id, NULL))
		return ERR_NOT_FOUND;
	return db_json_row(c, "coord_incident", 1, v, out);
}

enum err_code db_coord_reports(PGconn *c, const char *incident_id,
                               enum err_code (*fn)(void *ctx, const struct db_coord_report *r),
                               void *ctx)
{
	const char *v[1] = {incident_id};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "coord_reports", 1, v, NULL, NULL, &r);

	for (int i = 0; rc == ERR_OK && i < PQntuples(r); i++) {
		struct db_coord_report row;

		row.fields = json_loads(PQgetvalue(r, i, 0), 0, NULL);
		row.body = PQgetvalue(r, i, 1);
		db_get_text(r, i, 5, row.id, sizeof row.id);
		db_get_text(r, i, 6, row.received_at, sizeof row.received_at);
		if (row.fields == NULL || db_get_bytea(r, i, 2, row.public_key, 32) != 0 ||
		    db_get_bytea(r, i, 3, row.body_sha256, 32) != 0 ||
		    db_get_bytea(r, i, 4, row.receipt_sig, 64) != 0)
			rc = ERR_INTERNAL;
		else
			rc = fn(ctx, &row);
		json_decref(row.fields);
	}
	PQclear(r);
	return rc;
}
