/*
 * db_org — SQL for organizations, operator keys and tokens.
 *
 * Every statement is a parameterized, named statement from the table below;
 * bytea parameters travel in binary format. Never build SQL from input.
 */
#include "db_org.h"

#include <stdio.h>
#include <string.h>

#include "db.h"

/* SQL reads best as written: */
/* clang-format off */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

const struct db_stmt db_org_stmts[] = {
	{"org_insert",
	 "INSERT INTO organizations (id, kind, name, sector, region) VALUES ($1, $2, $3, $4, $5)",
	 5},
	{"org_get", "SELECT id, kind, name, sector, region FROM organizations WHERE id = $1", 1},
	{"org_list",
	 "SELECT coalesce(json_agg(json_build_object('id', id, 'kind', kind, 'name', name,"
	 " 'sector', sector, 'region', region) ORDER BY created_at, id), '[]')::text"
	 " FROM organizations",
	 0},
	{"org_page",
	 "SELECT json_build_object('id', o.id, 'kind', o.kind, 'name', o.name, 'sector', o.sector,"
	 " 'region', o.region, 'created_at', " TS("o.created_at") ","
	 " 'active_keys', (SELECT count(*) FROM operator_keys k WHERE k.org_id = o.id AND k.revoked_at IS NULL),"
	 " 'active_tokens', (SELECT count(*) FROM tokens t WHERE t.org_id = o.id AND t.revoked_at IS NULL))::text"
	 " FROM organizations o WHERE ($1::text IS NULL OR o.kind = $1)"
	 " AND ($2::text IS NULL OR strpos(lower(o.name), lower($2)) > 0)"
	 " AND ($3::uuid IS NULL OR (lower(o.name), o.id) >"
	 " (SELECT lower(a.name), a.id FROM organizations a WHERE a.id = $3::uuid))"
	 " ORDER BY lower(o.name), o.id LIMIT $4",
	 4},
	{"key_insert",
	 "INSERT INTO operator_keys (key_id, org_id, public_key) VALUES ($1, $2, $3)"
	 " RETURNING " TS("created_at"),
	 3},
	{"key_get",
	 "SELECT k.key_id, k.org_id, o.kind, k.public_key, k.revoked_at IS NOT NULL"
	 " FROM operator_keys k JOIN organizations o ON o.id = k.org_id WHERE k.key_id = $1",
	 1},
	{"key_revoke",
	 "UPDATE operator_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL"
	 " RETURNING org_id, " TS("revoked_at"),
	 1},
	{"token_insert", "INSERT INTO tokens (id, org_id, token_hash, label) VALUES ($1, $2, $3, $4)",
	 4},
	{"token_lookup",
	 "SELECT t.id, t.org_id, o.kind FROM tokens t JOIN organizations o ON o.id = t.org_id"
	 " WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
	 1},
		{"org_view",
	 "SELECT json_build_object('id', o.id, 'kind', o.kind, 'name', o.name, 'sector', o.sector,"
	 	 " 'region', o.region, 'created_at', to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	 " 'regime', CASE WHEN o.kind = 'operator' THEN o.regime END,"

	 " 'profile', json_build_object("
	 "'domains', coalesce((SELECT json_agg(domain ORDER BY domain) FROM org_domains WHERE org_id = o.id), '[]'),"
	 " 'ranges', coalesce((SELECT json_agg(range::text ORDER BY range) FROM org_ranges WHERE org_id = o.id), '[]'),"
	 " 'terms', coalesce((SELECT json_agg(term ORDER BY term) FROM org_terms WHERE org_id = o.id), '[]')),"
	 " 'keys', coalesce((SELECT json_agg(json_build_object('key_id', k.key_id,"
	 " 'created_at', to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	 " 'revoked_at', to_char(k.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))"
	 " ORDER BY k.created_at, k.key_id) FROM operator_keys k WHERE k.org_id = o.id), '[]'),"
	 " 'tokens', coalesce((SELECT json_agg(json_build_object('id', t.id, 'label', t.label,"
	 " 'created_at', " TS("t.created_at") ", 'revoked_at', " TS("t.revoked_at") ")"
	 " ORDER BY t.created_at DESC, t.id DESC) FROM tokens t WHERE t.org_id = o.id), '[]'))::text"
	 " FROM organizations o WHERE o.id = $1", 1},
	{"token_revoke",
 "UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
	 1},
	{"token_lock",
	 "SELECT org_id, label FROM tokens WHERE id = $1 AND revoked_at IS NULL FOR UPDATE", 1},
	{NULL, NULL, 0},
};
/* clang-format on */

static const char *db_org_nullable(const char *s)
{
	return (s == NULL || *s == '\0') ? NULL : s;
}

enum err_code db_org_insert(PGconn *c, const struct db_org *org)
{
	const char *v[5] = {org->id, org->kind, org->name, db_org_nullable(org->sector),
	                    db_org_nullable(org->region)};

	return db_exec(c, "org_insert", 5, v, NULL, NULL, NULL);
}

enum err_code db_org_get(PGconn *c, const char *id, struct db_org *out)
{
	const char *v[1] = {id};
	PGresult *r = NULL;
	enum err_code rc;

	if (!uuid_parse(id, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec_row(c, "org_get", 1, v, NULL, NULL, &r);
	if (rc != ERR_OK)
		goto out;
	db_get_text(r, 0, 0, out->id, sizeof out->id);
	db_get_text(r, 0, 1, out->kind, sizeof out->kind);
	db_get_text(r, 0, 2, out->name, sizeof out->name);
	db_get_text(r, 0, 3, out->sector, sizeof out->sector);
	db_get_text(r, 0, 4, out->region, sizeof out->region);
out:
	PQclear(r);
	return rc;
}

enum err_code db_org_list(PGconn *c, json_t **out)
{
	return db_json_row(c, "org_list", 0, NULL, out);
}

enum err_code db_org_page(PGconn *c, const struct db_org_filter *f, json_t **out)
{
	char limit[16];
	const char *v[4] = {f->kind, f->name_part, f->after_id, limit};

	snprintf(limit, sizeof limit, "%d", f->limit);
	return db_json_rows(c, "org_page", 4, v, out, NULL, 0);
}

enum err_code db_key_insert(PGconn *c, const char *key_id, const char *org_id,
                            const uint8_t public_key[32], char created_at[DB_ORG_TS_LEN])
{
	const char *v[3] = {key_id, org_id, (const char *)public_key};
	const int lens[3] = {0, 0, 32};
	const int fmts[3] = {0, 0, 1};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "key_insert", 3, v, lens, fmts, &r);

	if (rc == ERR_OK && created_at != NULL)
		db_get_text(r, 0, 0, created_at, DB_ORG_TS_LEN);
	PQclear(r);
	return rc;
}

enum err_code db_key_get(PGconn *c, const char *key_id, struct db_key *out)
{
	const char *v[1] = {key_id};
	PGresult *r = NULL;
	enum err_code rc = db_exec_row(c, "key_get", 1, v, NULL, NULL, &r);

	if (rc != ERR_OK)
		goto out;
	db_get_text(r, 0, 0, out->key_id, sizeof out->key_id);
	db_get_text(r, 0, 1, out->org_id, sizeof out->org_id);
	db_get_text(r, 0, 2, out->org_kind, sizeof out->org_kind);
	if (db_get_bytea(r, 0, 3, out->public_key, sizeof out->public_key) != 0) {
		rc = ERR_INTERNAL;
		goto out;
	}
	out->revoked = strcmp(PQgetvalue(r, 0, 4), "t") == 0;
out:
	PQclear(r);
	return rc;
}

/* Run an UPDATE that must touch exactly one row. */
static enum err_code db_org_update_one(PGconn *c, const char *stmt, const char *id)
{
	const char *v[1] = {id};
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, stmt, 1, v, NULL, NULL, &r);

	if (rc == ERR_OK && strcmp(PQcmdTuples(r), "1") != 0)
		rc = ERR_NOT_FOUND;
	PQclear(r);
	return rc;
}

enum err_code db_key_revoke(PGconn *c, const char *key_id, char org_id[UUID_STR_LEN + 1],
                            char revoked_at[DB_ORG_TS_LEN])
{
	const char *v[1] = {key_id};
	PGresult *r = NULL;
	enum err_code rc = db_exec_row(c, "key_revoke", 1, v, NULL, NULL, &r);

	if (rc == ERR_OK && org_id != NULL)
		db_get_text(r, 0, 0, org_id, UUID_STR_LEN + 1);
	if (rc == ERR_OK && revoked_at != NULL)
		db_get_text(r, 0, 1, revoked_at, DB_ORG_TS_LEN);
	PQclear(r);
	return rc;
}

enum err_code db_token_insert(PGconn *c, const char *id, const char *org_id, const uint8_t hash[32],
                              const char *label)
{
	const char *v[4] = {id, org_id, (const char *)hash, label != NULL ? label : ""};
	const int lens[4] = {0, 0, 32, 0};
	const int fmts[4] = {0, 0, 1, 0};

	return db_exec(c, "token_insert", 4, v, lens, fmts, NULL);
}

enum err_code db_token_lookup(PGconn *c, const uint8_t hash[32], struct db_token *out)
{
	const char *v[1] = {(const char *)hash};
	const int lens[1] = {32};
	const int fmts[1] = {1};
	PGresult *r = NULL;
	enum err_code rc = db_exec_row(c, "token_lookup", 1, v, lens, fmts, &r);

	if (rc != ERR_OK)
		goto out;
	db_get_text(r, 0, 0, out->id, sizeof out->id);
	db_get_text(r, 0, 1, out->org_id, sizeof out->org_id);
	db_get_text(r, 0, 2, out->org_kind, sizeof out->org_kind);
out:
	PQclear(r);
	return rc;
}

enum err_code db_token_lock(PGconn *c, const char *id, char org_id[UUID_STR_LEN + 1],
                            char label[DB_ORG_LABEL_LEN])
{
	const char *v[1] = {id};
	PGresult *r = NULL;
	enum err_code rc;

	if (!uuid_parse(id, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec_row(c, "token_lock", 1, v, NULL, NULL, &r);
	if (rc == ERR_OK) {
		db_get_text(r, 0, 0, org_id, UUID_STR_LEN + 1);
		db_get_text(r, 0, 1, label, DB_ORG_LABEL_LEN);
	}
	PQclear(r);
	return rc;
}

enum err_code db_token_revoke(PGconn *c, const char *id)
{
	if (!uuid_parse(id, NULL))
		return ERR_NOT_FOUND;
	return db_org_update_one(c, "token_revoke", id);
}

enum err_code db_org_view(PGconn *c, const char *id, json_t **out)
{
	const char *v[1] = {id};

	*out = NULL;
	if (!uuid_parse(id, NULL))
		return ERR_NOT_FOUND;
	return db_json_row(c, "org_view", 1, v, out);
}
