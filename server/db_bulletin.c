/*
 * db_bulletin — SQL for bulletins, versions, profiles, the k-anonymity
 * population, sightings, the ISAC identity and outbox claims.
 *
 * Bundle bytes are stored exactly as serialized once; they are never
 * re-serialized, so their signature stays valid wherever they are served.
 */
#include "db_bulletin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

#define TS(col)    "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define TS_MS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define BULLETIN_COLS                                                                              \
	"b.id, b.incident_id, b.stix_incident_id, b.status, b.tlp, b.severity, " TS_MS(            \
	        "b.created_at") ", (SELECT v.modified FROM bulletin_versions v WHERE "             \
	                        "v.bulletin_id ="                                                  \
	                        " b.id AND v.version = b.version), b.version,"                     \
	                        " coalesce(b.published_version, 0), b.id_map::text"

/* SQL reads best as written: */
/* clang-format off */
const struct db_stmt db_bulletin_stmts[] = {
	{"report_source",
	 "SELECT r.id, r.incident_id, r.org_id, o.name, o.region, " TS("r.received_at") ","
	 " convert_from(r.body, 'UTF8')"
	 	 " FROM reports r JOIN organizations o ON o.id = r.org_id WHERE r.id = $1", 1},
	{"report_latest",
	 "SELECT r2.id FROM reports r1 JOIN reports r2 ON r2.incident_id = r1.incident_id"
	 " WHERE r1.id = $1 ORDER BY r2.received_at DESC, r2.id DESC LIMIT 1", 1},

	{"profile_get",
	 "SELECT json_build_object("
	 "'domains', coalesce((SELECT json_agg(domain ORDER BY domain) FROM org_domains WHERE org_id = $1), '[]'),"
	 " 'ranges', coalesce((SELECT json_agg(range::text ORDER BY range) FROM org_ranges WHERE org_id = $1), '[]'),"
	 " 'terms', coalesce((SELECT json_agg(term ORDER BY term) FROM org_terms WHERE org_id = $1), '[]'),"
	 " 'key_ids', coalesce((SELECT json_agg(key_id ORDER BY key_id) FROM operator_keys WHERE org_id = $1), '[]'))::text", 1},
	{"profile_domains_clear", "DELETE FROM org_domains WHERE org_id = $1", 1},
	{"profile_domains_add",
	 "INSERT INTO org_domains (org_id, domain) SELECT $1, lower(d) FROM json_array_elements_text($2::json) d"
	 " ON CONFLICT DO NOTHING", 2},
	{"profile_ranges_clear", "DELETE FROM org_ranges WHERE org_id = $1", 1},
	{"profile_ranges_add",
	 "INSERT INTO org_ranges (org_id, range) SELECT $1, network(r::inet) FROM json_array_elements_text($2::json) r"
	 " ON CONFLICT DO NOTHING", 2},
	{"profile_terms_clear", "DELETE FROM org_terms WHERE org_id = $1", 1},
	{"profile_terms_add",
	 "INSERT INTO org_terms (org_id, term) SELECT $1, t FROM json_array_elements_text($2::json) t"
	 " ON CONFLICT DO NOTHING", 2},
	{"population",
	 "SELECT count(*) FILTER (WHERE sector = $1 AND region = $2), count(*) FILTER (WHERE sector = $1),"
	 " count(*) FROM organizations WHERE kind = 'operator'", 2},
	{"sighting_insert",
	 "INSERT INTO indicator_sightings (value_key, type, value, role, report_id, incident_id, org_id,"
	 " sector, seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING", 9},
	{"indicator_counts",
	 "SELECT count(DISTINCT org_id), count(DISTINCT sector) FROM indicator_sightings"
	 " WHERE value_key = $1 AND role = 'attacker'", 1},
	{"isac_identity", "SELECT stix_id, " TS_MS("created") " FROM isac_identity", 0},
	{"bulletin_lock_incident",
	 "SELECT " BULLETIN_COLS " FROM bulletins b WHERE b.incident_id = $1 FOR UPDATE", 1},
	{"bulletin_lock", "SELECT " BULLETIN_COLS " FROM bulletins b WHERE b.id = $1 FOR UPDATE", 1},
	{"bulletin_insert",
	 "INSERT INTO bulletins (id, incident_id, stix_incident_id, id_map, status, tlp, severity,"
	 " created_at, updated_at, version, published_version)"
	 " VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, now(), $9, nullif($10::int, 0))", 10},
	{"bulletin_update",
	 "UPDATE bulletins SET status = $2, tlp = $3, severity = $4, version = $5,"
	 " published_version = nullif($6::int, 0), id_map = $7::jsonb, reject_reason = $8,"
	 " updated_at = now() WHERE id = $1", 8},
	{"version_insert",
	 "INSERT INTO bulletin_versions (bulletin_id, version, created_at, modified, source, report_id,"
	 " actor, draft, bundle, signature, published_at) VALUES ($1, $2, now(), $3, $4, $5, $6, $7::jsonb,"
	 " $8, $9, CASE WHEN $9::bytea IS NULL THEN NULL ELSE now() END)", 9},
	{"version_publish",
	 "UPDATE bulletin_versions SET signature = $3, published_at = now()"
	 " WHERE bulletin_id = $1 AND version = $2 AND published_at IS NULL", 3},
	{"version_get",
	 "SELECT draft::text, convert_from(bundle, 'UTF8'), (SELECT w.report_id FROM bulletin_versions w"
	 " WHERE w.bulletin_id = $1 AND w.version <= $2 AND w.report_id IS NOT NULL"
	 " ORDER BY w.version DESC LIMIT 1), signature"
	 " FROM bulletin_versions WHERE bulletin_id = $1 AND version = $2", 2},
	{"bulletin_view",
	 "SELECT json_build_object('id', b.id, 'incident_id', b.incident_id, 'status', b.status,"
	 " 'version', b.version, 'published_version', b.published_version, 'tlp', b.tlp,"
	 " 'severity', b.severity, 'created_at', " TS("b.created_at") ", 'updated_at', " TS("b.updated_at") ","
	 " 'reject_reason', b.reject_reason, 'draft', v.draft, 'stix', convert_from(v.bundle, 'UTF8')::json,"
	 " 'signature', translate(encode(v.signature, 'base64'), E'\\n', ''),"
	 " 'versions', (SELECT json_agg(json_build_object('version', w.version, 'created_at', " TS("w.created_at") ","
	 " 'modified', w.modified, 'source', w.source, 'actor', w.actor, 'published_at', " TS("w.published_at") ")"
	 " ORDER BY w.version) FROM bulletin_versions w WHERE w.bulletin_id = b.id))::text"
	 " FROM bulletins b JOIN bulletin_versions v ON v.bulletin_id = b.id AND v.version = b.version"
	 " WHERE b.id = $1", 1},
	{"bulletin_of_incident", "SELECT id FROM bulletins WHERE incident_id = $1", 1},
		{"coord_indicators",
	 "SELECT json_build_object('type', min(s.type), 'value', min(s.value), 'reports', count(*),"
	 " 'operators', count(DISTINCT s.org_id), 'sectors', json_agg(DISTINCT s.sector),"
	 " 'roles', json_agg(DISTINCT s.role), 'incidents', json_agg(DISTINCT s.incident_id),"
	 " 'organizations', (SELECT json_agg(json_build_object('id', o.id, 'name', o.name) ORDER BY o.name)"
	 " FROM organizations o WHERE o.id IN (SELECT s2.org_id FROM indicator_sightings s2"
	 " WHERE s2.value_key = s.value_key)))::text, s.value_key"
	 " FROM indicator_sightings s WHERE ($1::text IS NULL OR s.value_key LIKE '%' || $1 || '%' ESCAPE '\\')"
	 " AND ($2::text IS NULL OR s.value_key > $2)"
	 " GROUP BY s.value_key ORDER BY s.value_key LIMIT $3", 3},
	{"outbox_claim",

	 "SELECT id, subject_id FROM outbox WHERE kind = $1 AND done_at IS NULL AND available_at <= now()"
	 " ORDER BY available_at, id LIMIT 1 FOR UPDATE SKIP LOCKED", 1},
	{"outbox_claimed", "UPDATE outbox SET claimed_by = $2 WHERE id = $1", 2},
	{"outbox_done", "UPDATE outbox SET done_at = now() WHERE id = $1", 1},
	{"outbox_retry",
	 	 "UPDATE outbox SET attempts = attempts + 1, last_error = $2, available_at = now()"
	 " + make_interval(secs => least($3::int, 2 ^ least(attempts, 16)) * (0.75 + random() / 2))"
	 " WHERE id = $1", 3},

	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_report_source_get(PGconn *c, const char *report_id, struct db_report_source *out)
{
	const char *v[1] = {report_id};
	PGresult *r = NULL;
	enum err_code rc;

	out->doc = NULL;
	if (!uuid_parse(report_id, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec_row(c, "report_source", 1, v, NULL, NULL, &r);
	if (rc != ERR_OK)
		goto out;
	db_get_text(r, 0, 0, out->report_id, sizeof out->report_id);
	db_get_text(r, 0, 1, out->incident_id, sizeof out->incident_id);
	db_get_text(r, 0, 2, out->org_id, sizeof out->org_id);
	db_get_text(r, 0, 3, out->org_name, sizeof out->org_name);
	db_get_text(r, 0, 4, out->region, sizeof out->region);
	db_get_text(r, 0, 5, out->received_at, sizeof out->received_at);
	out->doc = json_loads(PQgetvalue(r, 0, 6), JSON_ALLOW_NUL, NULL);
	if (out->doc == NULL)
		rc = ERR_INTERNAL;
out:
	PQclear(r);
	return rc;
}

enum err_code db_org_profile_get(PGconn *c, const char *org_id, json_t **out)
{
	const char *v[1] = {org_id};

	return db_json_row(c, "profile_get", 1, v, out);
}

static enum err_code db_profile_list(PGconn *c, const char *org_id, const json_t *list,
                                     const char *clear, const char *add)
{
	const char *v[2] = {org_id, NULL};
	char *text;
	enum err_code rc;

	if (list == NULL)
		return ERR_OK;
	rc = db_exec(c, clear, 1, v, NULL, NULL, NULL);
	if (rc != ERR_OK)
		return rc;
	text = json_dumps(list, JSON_COMPACT);
	if (text == NULL)
		return ERR_INTERNAL;
	v[1] = text;
	rc = db_exec(c, add, 2, v, NULL, NULL, NULL);
	free(text);
	return rc;
}

enum err_code db_org_profile_replace(PGconn *c, const char *org_id, const json_t *domains,
                                     const json_t *ranges, const json_t *terms)
{
	enum err_code rc;

	rc = db_profile_list(c, org_id, domains, "profile_domains_clear", "profile_domains_add");
	if (rc == ERR_OK)
		rc = db_profile_list(c, org_id, ranges, "profile_ranges_clear",
		                     "profile_ranges_add");
	if (rc == ERR_OK)
		rc = db_profile_list(c, org_id, terms, "profile_terms_clear", "profile_terms_add");
	return rc;
}

enum err_code db_population(PGconn *c, const char *sector, const char *region, unsigned out[3])
{
	const char *v[2] = {sector, region};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "population", 2, v, NULL, NULL, &r);

	if (rc == ERR_OK)
		for (int i = 0; i < 3; i++)
			out[i] = (unsigned)strtoul(PQgetvalue(r, 0, i), NULL, 10);
	PQclear(r);
	return rc;
}

enum err_code db_sighting_insert(PGconn *c, const char *value_key, const char *type,
                                 const char *value, const char *role, const char *report_id,
                                 const char *incident_id, const char *org_id, const char *sector,
                                 const char *seen_at)
{
	const char *v[9] = {value_key,   type,   value,  role,   report_id,
	                    incident_id, org_id, sector, seen_at};

	return db_exec(c, "sighting_insert", 9, v, NULL, NULL, NULL);
}

enum err_code db_indicator_counts(PGconn *c, const char *value_key, unsigned *operators,
                                  unsigned *sectors)
{
	const char *v[1] = {value_key};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "indicator_counts", 1, v, NULL, NULL, &r);

	if (rc == ERR_OK) {
		*operators = (unsigned)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
		*sectors = (unsigned)strtoul(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	return rc;
}

enum err_code db_isac_identity(PGconn *c, char id[64], char created[DB_STIX_TS_LEN + 1])
{
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "isac_identity", 0, NULL, NULL, NULL, &r);

	if (rc == ERR_OK) {
		if (PQntuples(r) != 1) {
			rc = ERR_INTERNAL;
		} else {
			db_get_text(r, 0, 0, id, 64);
			db_get_text(r, 0, 1, created, DB_STIX_TS_LEN + 1);
		}
	}
	PQclear(r);
	return rc;
}

static enum err_code db_bulletin_row(PGconn *c, const char *stmt, const char *key,
                                     struct db_bulletin *out)
{
	const char *v[1] = {key};
	PGresult *r = NULL;
	enum err_code rc;

	out->id_map = NULL;
	if (!uuid_parse(key, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec_row(c, stmt, 1, v, NULL, NULL, &r);
	if (rc != ERR_OK)
		goto out;
	db_get_text(r, 0, 0, out->id, sizeof out->id);
	db_get_text(r, 0, 1, out->incident_id, sizeof out->incident_id);
	db_get_text(r, 0, 2, out->stix_incident_id, sizeof out->stix_incident_id);
	db_get_text(r, 0, 3, out->status, sizeof out->status);
	db_get_text(r, 0, 4, out->tlp, sizeof out->tlp);
	db_get_text(r, 0, 5, out->severity, sizeof out->severity);
	db_get_text(r, 0, 6, out->created, sizeof out->created);
	db_get_text(r, 0, 7, out->last_modified, sizeof out->last_modified);
	out->version = atoi(PQgetvalue(r, 0, 8));
	out->published_version = atoi(PQgetvalue(r, 0, 9));
	out->id_map = json_loads(PQgetvalue(r, 0, 10), 0, NULL);
	if (out->id_map == NULL)
		rc = ERR_INTERNAL;
out:
	PQclear(r);
	return rc;
}

enum err_code db_bulletin_lock_incident(PGconn *c, const char *incident_id, struct db_bulletin *out)
{
	return db_bulletin_row(c, "bulletin_lock_incident", incident_id, out);
}

enum err_code db_bulletin_lock(PGconn *c, const char *bulletin_id, struct db_bulletin *out)
{
	return db_bulletin_row(c, "bulletin_lock", bulletin_id, out);
}

enum err_code db_bulletin_insert(PGconn *c, const struct db_bulletin *b)
{
	char ver[16], pub[16];
	char *map = json_dumps(b->id_map, JSON_COMPACT);
	const char *v[10] = {b->id,  b->incident_id, b->stix_incident_id, map, b->status,
	                     b->tlp, b->severity,    b->created,          ver, pub};
	enum err_code rc;

	if (map == NULL)
		return ERR_INTERNAL;
	snprintf(ver, sizeof ver, "%d", b->version);
	snprintf(pub, sizeof pub, "%d", b->published_version);
	rc = db_exec(c, "bulletin_insert", 10, v, NULL, NULL, NULL);
	free(map);
	return rc;
}

enum err_code db_bulletin_update(PGconn *c, const struct db_bulletin *b, const char *reject_reason)
{
	char ver[16], pub[16];
	char *map = json_dumps(b->id_map, JSON_COMPACT);
	const char *v[8] = {b->id, b->status, b->tlp, b->severity, ver, pub, map, reject_reason};
	enum err_code rc;

	if (map == NULL)
		return ERR_INTERNAL;
	snprintf(ver, sizeof ver, "%d", b->version);
	snprintf(pub, sizeof pub, "%d", b->published_version);
	rc = db_exec(c, "bulletin_update", 8, v, NULL, NULL, NULL);
	free(map);
	return rc;
}

enum err_code db_bulletin_version_insert(PGconn *c, const struct db_bulletin_version *bv)
{
	char ver[16];
	char *draft = json_dumps(bv->draft, JSON_COMPACT);
	const char *v[9] = {bv->bulletin_id, ver,           bv->modified,
	                    bv->source,      bv->report_id, bv->actor,
	                    draft,           bv->bundle,    (const char *)bv->signature};
	const int lens[9] = {0, 0, 0, 0, 0, 0, 0, (int)bv->bundle_len, 64};
	const int fmts[9] = {0, 0, 0, 0, 0, 0, 0, 1, 1};
	enum err_code rc;

	if (draft == NULL)
		return ERR_INTERNAL;
	snprintf(ver, sizeof ver, "%d", bv->version);
	rc = db_exec(c, "version_insert", 9, v, lens, fmts, NULL);
	free(draft);
	return rc;
}

enum err_code db_bulletin_version_publish(PGconn *c, const char *bulletin_id, int version,
                                          const uint8_t sig[64])
{
	char ver[16];
	const char *v[3] = {bulletin_id, ver, (const char *)sig};
	const int lens[3] = {0, 0, 64};
	const int fmts[3] = {0, 0, 1};
	PGresult *r = NULL;
	enum err_code rc;

	snprintf(ver, sizeof ver, "%d", version);
	rc = db_exec(c, "version_publish", 3, v, lens, fmts, &r);
	if (rc == ERR_OK && strcmp(PQcmdTuples(r), "1") != 0)
		rc = ERR_CONFLICT;
	PQclear(r);
	return rc;
}

enum err_code db_bulletin_version_get(PGconn *c, const char *bulletin_id, int version,
                                      json_t **draft, char **bundle, size_t *bundle_len,
                                      char report_id[UUID_STR_LEN + 1], uint8_t sig[64],
                                      bool *is_signed)
{
	char ver[16];
	const char *v[2] = {bulletin_id, ver};
	PGresult *r = NULL;
	enum err_code rc;

	*draft = NULL;
	*bundle = NULL;
	snprintf(ver, sizeof ver, "%d", version);
	rc = db_exec_row(c, "version_get", 2, v, NULL, NULL, &r);
	if (rc != ERR_OK)
		goto out;
	db_get_text(r, 0, 2, report_id, UUID_STR_LEN + 1);
	*is_signed = db_get_bytea(r, 0, 3, sig, 64) == 0;
	*bundle_len = (size_t)PQgetlength(r, 0, 1);
	*bundle = malloc(*bundle_len + 1);
	*draft = json_loads(PQgetvalue(r, 0, 0), JSON_ALLOW_NUL, NULL);
	if (*bundle == NULL || *draft == NULL) {
		free(*bundle);
		*bundle = NULL;
		json_decref(*draft);
		*draft = NULL;
		rc = ERR_INTERNAL;
		goto out;
	}
	memcpy(*bundle, PQgetvalue(r, 0, 1), *bundle_len + 1);
out:
	PQclear(r);
	return rc;
}

enum err_code db_bulletin_view(PGconn *c, const char *bulletin_id, json_t **out)
{
	const char *v[1] = {bulletin_id};

	*out = NULL;
	if (!uuid_parse(bulletin_id, NULL))
		return ERR_NOT_FOUND;
	return db_json_row(c, "bulletin_view", 1, v, out);
}

enum err_code db_bulletin_of_incident(PGconn *c, const char *incident_id, char id[UUID_STR_LEN + 1])
{
	return db_uuid_row(c, "bulletin_of_incident", incident_id, id);
}

enum err_code db_outbox_claim(PGconn *c, const char *kind, const char *worker, long long *job_id,
                              char subject[UUID_STR_LEN + 1])
{
	const char *v[2] = {kind, NULL};
	PGresult *r = NULL;
	enum err_code rc = db_exec_row(c, "outbox_claim", 1, v, NULL, NULL, &r);

	if (rc != ERR_OK)
		goto out;
	*job_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	db_get_text(r, 0, 1, subject, UUID_STR_LEN + 1);
	v[0] = PQgetvalue(r, 0, 0);
	v[1] = worker;
	rc = db_exec(c, "outbox_claimed", 2, v, NULL, NULL, NULL);
out:
	PQclear(r);
	return rc;
}

enum err_code db_outbox_done(PGconn *c, long long job_id)
{
	char id[24];
	const char *v[1] = {id};

	snprintf(id, sizeof id, "%lld", job_id);
	return db_exec(c, "outbox_done", 1, v, NULL, NULL, NULL);
}

enum err_code db_outbox_retry(PGconn *c, long long job_id, const char *error, unsigned max_delay_s)
{
	char id[24], delay[16];
	const char *v[3] = {id, error, delay};

	snprintf(id, sizeof id, "%lld", job_id);
	snprintf(delay, sizeof delay, "%u", max_delay_s);
	return db_exec(c, "outbox_retry", 3, v, NULL, NULL, NULL);
}

enum err_code db_coord_indicators(PGconn *c, const char *like, const char *after, int limit,
                                  json_t **out, char *last_key, size_t last_key_len)
{
	char lim[16];
	const char *v[3] = {like, after, lim};

	last_key[0] = '\0';
	snprintf(lim, sizeof lim, "%d", limit);
	return db_json_rows(c, "coord_indicators", 3, v, out, last_key, last_key_len);
}

enum err_code db_report_latest(PGconn *c, const char *report_id, char latest[UUID_STR_LEN + 1])
{
	return db_uuid_row(c, "report_latest", report_id, latest);
}
