/*
 * orgs — organizations and operator keys as coordinators and the CLI manage
 * them.
 *
 * Keys are never deleted, only revoked: stored reports stay verifiable with
 * the key that signed them. Rotation (a new key replacing an old one) is one
 * transaction, so there is no moment with both or neither active. Key ids
 * the API makes are restricted to [A-Za-z0-9._:-]: they travel as RFC 9421
 * `keyid` strings and as a path segment, and need no escaping in either.
 * Must never: log or audit secret material (there is none here: public
 * keys only), or build SQL from input.
 */
#include "orgs.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "coord.h"
#include "cursor.h"
#include "db.h"
#include "db_audit.h"
#include "db_org.h"
#include "httpsig.h"
#include "report_schema.h"

#define ORGS_CURSOR_TAG "orgs v1"

static const char *const orgs_kinds[] = {"operator", "subscriber", "coordinator", NULL};

/* ------------------------------------------------------------ the directory */

/* Cursor payload: "orgs v1|<kind or ->|<q or ->|" then the last organization's id. */
static void orgs_cursor_prefix(const struct orgs_query *q, char *out, size_t len)
{
	snprintf(out, len, ORGS_CURSOR_TAG "|%s|%s|", q->kind != NULL ? q->kind : "-",
	         q->q != NULL ? q->q : "-");
}

enum err_code orgs_list(const struct signer_key *key, const struct orgs_query *q, json_t **out,
                        char *detail, size_t detail_len)
{
	struct db_org_filter f = {q->kind, q->q, NULL, 0};
	char prefix[256], payload[CURSOR_MAX_PAYLOAD + 1];
	json_t *rows = NULL, *next = json_null();
	PGconn *c;
	enum err_code rc = coord_vocab("kind", q->kind, orgs_kinds, detail, detail_len);

	*out = NULL;
	if (rc == ERR_OK && q->q != NULL && (strlen(q->q) < 1 || strlen(q->q) > 200))
		rc = coord_bad(detail, detail_len, "q", "1 to 200 bytes");
	if (rc == ERR_OK)
		rc = coord_limit(q->limit, &f.limit, detail, detail_len);
	orgs_cursor_prefix(q, prefix, sizeof prefix);
	if (rc == ERR_OK && q->cursor != NULL) {
		if (coord_cursor_decode(key, q->cursor, payload, sizeof payload) != 0 ||
		    strncmp(payload, prefix, strlen(prefix)) != 0 ||
		    !uuid_parse(payload + strlen(prefix), NULL))
			rc = coord_bad(detail, detail_len, "cursor", "not a cursor of this query");
		else
			f.after_id = payload + strlen(prefix);
	}
	if (rc == ERR_OK && (c = db_conn()) == NULL)
		rc = ERR_UNAVAILABLE;
	if (rc == ERR_OK) {
		f.limit += 1; /* one more tells whether a next page exists */
		rc = db_org_page(c, &f, &rows);
		f.limit -= 1;
	}
	if (rc == ERR_OK && json_array_size(rows) > (size_t)f.limit) {
		char text[sizeof prefix + UUID_STR_LEN + 1];
		json_array_remove(rows, (size_t)f.limit);
		snprintf(text, sizeof text, "%s%s", prefix,
		         json_string_value(json_object_get(
		                 json_array_get(rows, json_array_size(rows) - 1), "id")));
		next = coord_cursor_encode(key, text);
	}
	if (rc == ERR_OK)
		*out = json_pack("{s:o, s:o}", "orgs", rows, "next_cursor", next);
	else
		json_decref(rows);
	return rc == ERR_OK && *out == NULL ? ERR_INTERNAL : rc;
}

/* ------------------------------------------------------------ creation */

static const struct jspec_field orgs_create_spec[] = {
        {.name = "kind", .kind = JSPEC_ENUM, .required = true, .vocab = orgs_kinds},
        {.name = "name", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 200},
        {.name = "sector", .kind = JSPEC_ENUM, .vocab = report_sectors},
        {.name = "region", .kind = JSPEC_ENUM, .vocab = report_regions},
        {.name = NULL},
};

struct orgs_create_tx {
	const struct db_org *org;
	const struct orgs_actor *who;
};

static enum err_code orgs_create_run(PGconn *c, void *ctx)
{
	const struct orgs_create_tx *t = ctx;
	const struct db_org *o = t->org;
	json_t *detail;
	enum err_code rc = db_org_insert(c, o);

	if (rc != ERR_OK)
		return rc;
	detail = json_pack("{s:s, s:s, s:s?, s:s?, s:s?}", "kind", o->kind, "name", o->name,
	                   "sector", o->sector[0] != '\0' ? o->sector : NULL, "region",
	                   o->region[0] != '\0' ? o->region : NULL, "by_org", t->who->org_id);
	rc = db_audit_append(c, t->who->actor, "org.created", o->id, detail);
	json_decref(detail);
	return rc;
}

static enum err_code orgs_fail(struct jspec_error *err, enum err_code code, const char *pointer,
                               const char *detail)
{
	err->code = code;
	snprintf(err->pointer, sizeof err->pointer, "%s", pointer);
	snprintf(err->detail, sizeof err->detail, "%s", detail);
	return code;
}

static const char *orgs_member(const json_t *body, const char *name)
{
	const char *s = json_string_value(json_object_get(body, name));

	return s != NULL ? s : "";
}

enum err_code orgs_create(const json_t *body, const struct orgs_actor *who,
                          char id[UUID_STR_LEN + 1], struct jspec_error *err)
{
	struct db_org org;
	struct orgs_create_tx t = {&org, who};
	enum err_code rc;

	if (!jspec_check(body, orgs_create_spec, err))
		return err->code;
	memset(&org, 0, sizeof org);
	snprintf(org.kind, sizeof org.kind, "%s", orgs_member(body, "kind"));
	snprintf(org.name, sizeof org.name, "%s", orgs_member(body, "name"));
	snprintf(org.sector, sizeof org.sector, "%s", orgs_member(body, "sector"));
	snprintf(org.region, sizeof org.region, "%s", orgs_member(body, "region"));
	if (strcmp(org.kind, "operator") == 0 && (org.sector[0] == '\0' || org.region[0] == '\0'))
		return orgs_fail(err, ERR_MISSING_FIELD,
		                 org.sector[0] == '\0' ? "/sector" : "/region",
		                 "an operator needs a sector and a region");
	uuid_v4(org.id);
	rc = db_tx(orgs_create_run, &t, false);
	if (rc == ERR_CONFLICT)
		(void)orgs_fail(err, rc, "/name", "an organization with this name exists");
	if (rc == ERR_OK)
		memcpy(id, org.id, sizeof org.id);
	return rc;
}

/* ------------------------------------------------------------ keys */

static bool orgs_key_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == ':' || ch == '-';
}

bool orgs_key_id_ok(const char *s, size_t n)
{
	if (n < 1 || n > HTTPSIG_MAX_KEYID)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!orgs_key_char(s[i]))
			return false;
	return true;
}

/* New key ids from the API are path-safe; the CLI keeps accepting any 1–128 bytes. */
static const struct jspec_field orgs_key_spec_path_safe[] = {
        {.name = "public_key", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 64},
        {.name = "key_id",
         .kind = JSPEC_STRING,
         .min = 1,
         .max = HTTPSIG_MAX_KEYID,
         .check = orgs_key_id_ok,
         .check_what = "letters, digits and . _ : - only"},
        {.name = "replaces", .kind = JSPEC_STRING, .min = 1, .max = HTTPSIG_MAX_KEYID},
        {.name = NULL},
};
static const struct jspec_field orgs_key_spec_any[] = {
        {.name = "public_key", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 64},
        {.name = "key_id", .kind = JSPEC_STRING, .min = 1, .max = HTTPSIG_MAX_KEYID},
        {.name = "replaces", .kind = JSPEC_STRING, .min = 1, .max = HTTPSIG_MAX_KEYID},
        {.name = NULL},
};

struct orgs_key_tx {
	const char *org_id, *key_id, *replaces, *public_key;
	char org_canonical[UUID_STR_LEN + 1]; /* org_id as the database spells it */
	const struct orgs_actor *who;
	uint8_t pk[32];
	char created_at[DB_ORG_TS_LEN];
	struct jspec_error *err;
};

/* Rotation: the replaced key must be a live key of the same organization. */
static enum err_code orgs_key_replace(PGconn *c, struct orgs_key_tx *t)
{
	struct db_key old;
	json_t *detail;
	enum err_code rc = db_key_get(c, t->replaces, &old);

	if (rc == ERR_OK && (strcmp(old.org_id, t->org_canonical) != 0 || old.revoked))
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK)
		rc = db_key_revoke(c, t->replaces, NULL, NULL); /* NOT_FOUND if revoked meanwhile */
	if (rc == ERR_NOT_FOUND)
		return orgs_fail(t->err, ERR_VALIDATION, "/replaces",
		                 "not an active key of this organization");
	if (rc != ERR_OK)
		return rc;
	detail = json_pack("{s:s, s:s, s:s?}", "org_id", t->org_canonical, "replaced_by", t->key_id,
	                   "by_org", t->who->org_id);
	rc = db_audit_append(c, t->who->actor, "key.revoked", t->replaces, detail);
	json_decref(detail);
	return rc;
}

static enum err_code orgs_key_add_run(PGconn *c, void *ctx)
{
	struct orgs_key_tx *t = ctx;
	struct db_org org;
	json_t *detail;
	enum err_code rc = db_org_get(c, t->org_id, &org);

	if (rc == ERR_OK && strcmp(org.kind, "operator") != 0)
		rc = orgs_fail(t->err, ERR_NOT_OPERATOR, "", "keys are for operator organizations");
	if (rc == ERR_OK)
		memcpy(t->org_canonical, org.id, sizeof t->org_canonical);
	if (rc == ERR_OK && t->replaces != NULL)
		rc = orgs_key_replace(c, t);
	if (rc == ERR_OK) {
		rc = db_key_insert(c, t->key_id, t->org_id, t->pk, t->created_at);
		if (rc == ERR_CONFLICT)
			(void)orgs_fail(t->err, rc, "/key_id", "this key id is taken");
	}
	if (rc != ERR_OK)
		return rc;
	detail = json_pack("{s:s, s:s, s:s?, s:s*}", "org_id", t->org_canonical, "public_key",
	                   t->public_key, "by_org", t->who->org_id, "replaces", t->replaces);
	rc = db_audit_append(c, t->who->actor, "key.added", t->key_id, detail);
	json_decref(detail);
	return rc;
}

enum err_code orgs_key_add(const char *org_id, const json_t *body, bool path_safe_id,
                           const struct orgs_actor *who, json_t **out, struct jspec_error *err)
{
	struct orgs_key_tx t = {org_id, NULL, NULL, NULL, "", who, {0}, "", err};
	char derived[3 + 16 + 1];
	size_t len = 0;
	enum err_code rc;

	*out = NULL;
	if (!jspec_check(body, path_safe_id ? orgs_key_spec_path_safe : orgs_key_spec_any, err))
		return err->code;
	t.public_key = orgs_member(body, "public_key");
	t.key_id = json_string_value(json_object_get(body, "key_id"));
	t.replaces = json_string_value(json_object_get(body, "replaces"));
	if (sodium_base642bin(t.pk, sizeof t.pk, t.public_key, strlen(t.public_key), NULL, &len,
	                      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != sizeof t.pk)
		return orgs_fail(err, ERR_VALIDATION, "/public_key",
		                 "base64 of a 32-byte Ed25519 public key");
	if (t.key_id == NULL) { /* the scheme `isacd admin key-add` always used */
		uint8_t h[32];
		crypto_hash_sha256(h, t.pk, sizeof t.pk);
		memcpy(derived, "op-", 3);
		sodium_bin2hex(derived + 3, sizeof derived - 3, h, 8);
		t.key_id = derived;
	}
	rc = db_tx(orgs_key_add_run, &t, false);
	if (rc == ERR_OK)
		*out = json_pack("{s:s, s:s, s:s, s:[s*]}", "key_id", t.key_id, "org_id",
		                 t.org_canonical, "created_at", t.created_at, "revoked",
		                 t.replaces);
	return rc == ERR_OK && *out == NULL ? ERR_INTERNAL : rc;
}

struct orgs_revoke_tx {
	const char *key_id;
	const struct orgs_actor *who;
	char org_id[UUID_STR_LEN + 1];
	char revoked_at[DB_ORG_TS_LEN];
};

static enum err_code orgs_key_revoke_run(PGconn *c, void *ctx)
{
	struct orgs_revoke_tx *t = ctx;
	json_t *detail;
	enum err_code rc = db_key_revoke(c, t->key_id, t->org_id, t->revoked_at);

	if (rc != ERR_OK)
		return rc;
	detail = json_pack("{s:s, s:s?}", "org_id", t->org_id, "by_org", t->who->org_id);
	rc = db_audit_append(c, t->who->actor, "key.revoked", t->key_id, detail);
	json_decref(detail);
	return rc;
}

enum err_code orgs_key_revoke(const char *key_id, const struct orgs_actor *who, json_t **out)
{
	struct orgs_revoke_tx t = {key_id, who, "", ""};
	enum err_code rc;

	*out = NULL;
	if (strlen(key_id) < 1 || strlen(key_id) > HTTPSIG_MAX_KEYID)
		return ERR_NOT_FOUND;
	rc = db_tx(orgs_key_revoke_run, &t, false);
	if (rc == ERR_OK)
		*out = json_pack("{s:s, s:s, s:s}", "key_id", key_id, "org_id", t.org_id,
		                 "revoked_at", t.revoked_at);
	return rc == ERR_OK && *out == NULL ? ERR_INTERNAL : rc;
}
