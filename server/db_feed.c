/*
 * db_feed — the publication log's SQL. The times are assigned here, in SQL,
 * under pg_advisory_xact_lock(7001003): greater than every time before and
 * not before the clock.
 */
#include "db_feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "uuid.h"

#define NEXT_TIME                                                                                  \
	"greatest(clock_timestamp(),"                                                              \
	" coalesce((SELECT max(published_at) FROM publications), '-infinity') + interval '1 "      \
	"microsecond',"                                                                            \
	" coalesce((SELECT max(date_added) FROM feed_objects), '-infinity') + interval '1 "        \
	"microsecond')"

/* SQL reads best as written: */
/* clang-format off */
const struct db_stmt db_feed_stmts[] = {
	{"feed_lock", "SELECT pg_advisory_xact_lock(7001003)", 0},
	{"feed_publication",
	 "INSERT INTO publications (bulletin_id, version, published_at, tlp, severity, incident_type, sector)"
	 " VALUES ($1, $2, " NEXT_TIME ", $3, $4, $5, $6)"
	 " RETURNING seq, to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", 6},
	{"feed_object",
	 "INSERT INTO feed_objects (publication, tlp, object_id, object_type, version, date_added, shared, object)"
	 " VALUES ($1, $2, $3, $4, $5, " NEXT_TIME ", $6, $7) ON CONFLICT (tlp, object_id, version) DO NOTHING", 7},
		{"feed_notify", "SELECT pg_notify('isacd_bulletins', $1)", 1},
	{"subscriber_set",
	 "INSERT INTO subscribers (org_id, clearance, sectors) VALUES ($1,"
	 " ARRAY(SELECT json_array_elements_text($2::json)), ARRAY(SELECT json_array_elements_text($3::json)))"
	 " ON CONFLICT (org_id) DO UPDATE SET clearance = EXCLUDED.clearance, sectors = EXCLUDED.sectors", 3},
	{"subscriber_view",
	 "SELECT json_build_object('org_id', o.id, 'name', o.name, 'clearance', coalesce(to_json(s.clearance), '[]'),"
	 " 'sectors', coalesce(to_json(s.sectors), '[]'),"
	 " 'subscriptions', coalesce((SELECT json_agg(json_build_object('id', u.id, 'min_severity', u.min_severity,"
	 " 'incident_types', u.incident_types, 'sectors', u.sectors, 'webhook_url', u.webhook_url,"
	 " 'created_at', to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))"
	 " ORDER BY u.created_at, u.id) FROM subscriptions u WHERE u.org_id = o.id AND u.revoked_at IS NULL), '[]'))::text"
	 " FROM organizations o LEFT JOIN subscribers s ON s.org_id = o.id WHERE o.id = $1 AND o.kind = 'subscriber'", 1},
	{"subscription_insert",
	 "INSERT INTO subscriptions (id, org_id, min_severity, incident_types, sectors, webhook_url) VALUES ($1, $2, $3,"
	 " ARRAY(SELECT json_array_elements_text($4::json)), ARRAY(SELECT json_array_elements_text($5::json)), $6)", 6},
	{"subscription_revoke",
	 "UPDATE subscriptions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING org_id", 1},
	{"recipients_clear", "DELETE FROM bulletin_recipients WHERE bulletin_id = $1", 1},
	{"recipients_add",
	 "INSERT INTO bulletin_recipients (bulletin_id, org_id) SELECT $1, o.id FROM organizations o"
	 " WHERE o.id IN (SELECT x::uuid FROM json_array_elements_text($2::json) x) AND o.kind = 'subscriber'", 2},
	{"feed_page",
	 "SELECT json_build_object('id', p.bulletin_id, 'version', p.version,"
	 " 'published_at', to_char(p.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	 " 'tlp', p.tlp, 'severity', p.severity, 'incident_type', p.incident_type, 'sector', p.sector,"
	 " 'signature', translate(encode(v.signature, 'base64'), E'\\n', ''),"
	 " 'bundle', convert_from(v.bundle, 'UTF8')::json)::text, p.seq"
	 " FROM publications p JOIN bulletin_versions v ON v.bulletin_id = p.bulletin_id AND v.version = p.version"
	 " WHERE p.seq > $2 AND entitled(p.bulletin_id, p.tlp, p.sector, $1)"
	 " AND ($4::json IS NULL OR p.severity IN (SELECT json_array_elements_text($4::json)))"
	 " AND ($5::json IS NULL OR json_array_length($5::json) = 0"
	 " OR p.incident_type IN (SELECT json_array_elements_text($5::json)))"
	 " AND ($6::json IS NULL OR json_array_length($6::json) = 0"
	 " OR p.sector IN (SELECT json_array_elements_text($6::json)))"
	 " ORDER BY p.seq LIMIT $3", 6},
	{"feed_bundle",
	 "SELECT convert_from(v.bundle, 'UTF8'), v.signature FROM publications p"
	 " JOIN bulletin_versions v ON v.bulletin_id = p.bulletin_id AND v.version = p.version"
	 " WHERE p.bulletin_id = $1 AND p.version = $2 AND entitled(p.bulletin_id, p.tlp, p.sector, $3)", 3},
	{"subscription_filters",
	 "SELECT min_severity, to_json(incident_types)::text, to_json(sectors)::text FROM subscriptions"
	 " WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL", 2},

	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_feed_publication(PGconn *c, const struct db_publication *p, long long *seq,
                                  char *published_at, size_t published_at_len)
{
	char ver[16];
	const char *v[6] = {p->bulletin_id, ver, p->tlp, p->severity, p->incident_type, p->sector};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "feed_lock", 0, NULL, NULL, NULL, NULL);

	snprintf(ver, sizeof ver, "%d", p->version);
	if (rc == ERR_OK)
		rc = db_exec(c, "feed_publication", 6, v, NULL, NULL, &r);
	if (rc == ERR_OK) {
		*seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		db_get_text(r, 0, 1, published_at, published_at_len);
	}
	PQclear(r);
	return rc;
}

enum err_code db_feed_object(PGconn *c, long long publication, const char *tlp,
                             const char *object_id, const char *type, const char *version,
                             bool shared, const char *object)
{
	char pub[24];
	const char *v[7] = {pub, tlp, object_id, type, version, shared ? "t" : "f", object};

	snprintf(pub, sizeof pub, "%lld", publication);
	return db_exec(c, "feed_object", 7, v, NULL, NULL, NULL);
}

enum err_code db_feed_notify(PGconn *c, long long publication)
{
	char pub[24];
	const char *v[1] = {pub};

	snprintf(pub, sizeof pub, "%lld", publication);
	return db_exec(c, "feed_notify", 1, v, NULL, NULL, NULL);
}

enum err_code db_subscriber_set(PGconn *c, const char *org_id, const char *clearance_json,
                                const char *sectors_json)
{
	const char *v[3] = {org_id, clearance_json, sectors_json};

	return db_exec(c, "subscriber_set", 3, v, NULL, NULL, NULL);
}

enum err_code db_subscriber_view(PGconn *c, const char *org_id, json_t **out)
{
	const char *v[1] = {org_id};

	*out = NULL;
	if (!uuid_parse(org_id, NULL))
		return ERR_NOT_FOUND;
	return db_json_row(c, "subscriber_view", 1, v, out);
}

enum err_code db_subscription_insert(PGconn *c, const char *id, const char *org_id,
                                     const char *min_severity, const char *types_json,
                                     const char *sectors_json, const char *webhook_url)
{
	const char *v[6] = {id, org_id, min_severity, types_json, sectors_json, webhook_url};

	return db_exec(c, "subscription_insert", 6, v, NULL, NULL, NULL);
}

enum err_code db_subscription_revoke(PGconn *c, const char *id, char owner[37])
{
	const char *v[1] = {id};
	PGresult *r = NULL;
	enum err_code rc;

	if (!uuid_parse(id, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec(c, "subscription_revoke", 1, v, NULL, NULL, &r);
	if (rc == ERR_OK) {
		if (PQntuples(r) == 1)
			db_get_text(r, 0, 0, owner, 37);
		else
			rc = ERR_NOT_FOUND;
	}
	PQclear(r);
	return rc;
}

enum err_code db_recipients_replace(PGconn *c, const char *bulletin_id, const char *orgs_json,
                                    int *named)
{
	const char *v[2] = {bulletin_id, orgs_json};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "recipients_clear", 1, v, NULL, NULL, NULL);

	*named = 0;
	if (rc == ERR_OK)
		rc = db_exec(c, "recipients_add", 2, v, NULL, NULL, &r);
	if (rc == ERR_OK)
		*named = atoi(PQcmdTuples(r));
	PQclear(r);
	return rc;
}

enum err_code db_subscription_filters(PGconn *c, const char *id, const char *org_id,
                                      char min_severity[16], char **types_json, char **sectors_json)
{
	const char *v[2] = {id, org_id};
	PGresult *r = NULL;
	enum err_code rc;

	*types_json = *sectors_json = NULL;
	if (!uuid_parse(id, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec_row(c, "subscription_filters", 2, v, NULL, NULL, &r);
	if (rc == ERR_OK) {
		db_get_text(r, 0, 0, min_severity, 16);
		*types_json = strdup(PQgetvalue(r, 0, 1));
		*sectors_json = strdup(PQgetvalue(r, 0, 2));
		if (*types_json == NULL || *sectors_json == NULL)
			rc = ERR_INTERNAL;
	}
	PQclear(r);
	return rc;
}

enum err_code db_feed_page(PGconn *c, const char *subscriber, long long after, int limit,
                           const struct db_feed_filter *f, json_t **out, long long *last)
{
	char after_s[24], limit_s[16], seq[24];
	const char *v[6] = {subscriber,         after_s,       limit_s,
	                    f->severities_json, f->types_json, f->sectors_json};
	enum err_code rc;

	snprintf(after_s, sizeof after_s, "%lld", after);
	snprintf(limit_s, sizeof limit_s, "%d", limit);
	rc = db_json_rows(c, "feed_page", 6, v, out, seq, sizeof seq);
	if (rc == ERR_OK && json_array_size(*out) > 0)
		*last = strtoll(seq, NULL, 10);
	return rc;
}

enum err_code db_feed_bundle(PGconn *c, const char *bulletin_id, int version,
                             const char *subscriber, char **bytes, size_t *len, uint8_t sig[64])
{
	char ver[16];
	const char *v[3] = {bulletin_id, ver, subscriber};
	PGresult *r = NULL;
	enum err_code rc;

	*bytes = NULL;
	if (!uuid_parse(bulletin_id, NULL))
		return ERR_NOT_FOUND;
	snprintf(ver, sizeof ver, "%d", version);
	rc = db_exec_row(c, "feed_bundle", 3, v, NULL, NULL, &r);
	if (rc == ERR_OK) {
		*len = (size_t)PQgetlength(r, 0, 0);
		*bytes = malloc(*len + 1);
		if (*bytes == NULL || db_get_bytea(r, 0, 1, sig, 64) != 0) {
			free(*bytes);
			*bytes = NULL;
			rc = ERR_INTERNAL;
		} else {
			memcpy(*bytes, PQgetvalue(r, 0, 0), *len + 1);
		}
	}
	PQclear(r);
	return rc;
}
