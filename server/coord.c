/*
 * coord — the coordinators' read views and organization profiles.
 *
 * Re-verification is done here, at read time, from stored bytes only: the
 * Ed25519 signature over the stored signature base with the key's public
 * key (revoked keys still verify what they signed before), and the
 * Content-Digest over the stored body. Nothing here is served to
 * subscribers.
 */
#include "coord.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "db.h"
#include "db_audit.h"
#include "db_bulletin.h"
#include "db_org.h"
#include "db_report.h"
#include "httpsig.h"
#include "receipt.h"
#include "report_schema.h"

#define COORD_LIMIT_DEFAULT 50
#define COORD_LIMIT_MAX     100
#define COORD_CURSOR_MAX    4096

static const char *const coord_statuses[] = {"open", "closed", NULL};
static const char *const coord_reviews[] = {"pending_review", "published", "rejected",
                                            "withheld",       "none",      NULL};
static const char *const coord_booleans[] = {"true", "false", NULL};

enum err_code coord_bad(char *detail, size_t len, const char *param, const char *why)
{
	snprintf(detail, len, "%s: %s", param, why);
	return ERR_BAD_QUERY;
}

enum err_code coord_vocab(const char *param, const char *value, const char *const *vocab,
                          char *detail, size_t len)
{
	if (value != NULL && report_vocab_index(vocab, value) < 0)
		return coord_bad(detail, len, param, "not one of its values (see api.md)");
	return ERR_OK;
}

enum err_code coord_limit(const char *s, int *limit, char *detail, size_t len)
{
	char *end = NULL;
	long n;

	*limit = COORD_LIMIT_DEFAULT;
	if (s == NULL)
		return ERR_OK;
	n = strtol(s, &end, 10);
	if (end == s || *end != '\0' || n < 1 || n > COORD_LIMIT_MAX)
		return coord_bad(detail, len, "limit", "a whole number from 1 to 100");
	*limit = (int)n;
	return ERR_OK;
}

/* Escape LIKE's % _ and \ and fold ASCII to lower case when asked; NULL on overflow. */
static char *coord_like(const char *q, bool lower)
{
	size_t n = strlen(q);
	char *out = malloc(2 * n + 1), *p = out;

	if (out == NULL)
		return NULL;
	for (const char *s = q; *s != '\0'; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			*p++ = '\\';
		*p++ = (lower && *s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
	}
	*p = '\0';
	return out;
}

json_t *coord_cursor_encode(const struct signer_key *key, const char *text)
{
	uint8_t k[32];
	char out[CURSOR_MAX_TEXT];
	int rc;

	cursor_key(key, k);
	rc = cursor_encode(k, text, out, sizeof out);
	sodium_memzero(k, sizeof k);
	return rc == 0 ? json_string(out) : NULL;
}

int coord_cursor_decode(const struct signer_key *key, const char *cursor, char *out, size_t out_len)
{
	uint8_t k[32];
	int rc;

	cursor_key(key, k);
	rc = cursor_decode(k, cursor, out, out_len);
	sodium_memzero(k, sizeof k);
	return rc;
}

static enum err_code coord_query_check(const struct coord_incident_query *q, int *limit,
                                       char *detail, size_t len)
{
	enum err_code rc = coord_vocab("sector", q->sector, report_sectors, detail, len);

	if (rc == ERR_OK)
		rc = coord_vocab("severity", q->severity, report_severities, detail, len);
	if (rc == ERR_OK)
		rc = coord_vocab("phase", q->phase, report_phases, detail, len);
	if (rc == ERR_OK)
		rc = coord_vocab("status", q->status, coord_statuses, detail, len);
	if (rc == ERR_OK)
		rc = coord_vocab("review", q->review, coord_reviews, detail, len);
	if (rc == ERR_OK)
		rc = coord_vocab("overdue", q->overdue, coord_booleans, detail, len);
	if (rc == ERR_OK && q->q != NULL && (strlen(q->q) < 1 || strlen(q->q) > 200))
		rc = coord_bad(detail, len, "q", "1 to 200 bytes");
	if (rc == ERR_OK)
		rc = coord_limit(q->limit, limit, detail, len);
	return rc;
}

enum err_code coord_incidents(const struct signer_key *key, const struct coord_incident_query *q,
                              json_t **out, char *detail, size_t detail_len)
{
	struct db_incident_filter f = {q->sector, q->severity, q->phase, q->status, q->review,
	                               NULL,      NULL,        NULL,     0,         q->overdue};
	char pos[128], *bar = NULL, *like = NULL;
	json_t *rows = NULL, *next = json_null();
	PGconn *c;
	enum err_code rc = coord_query_check(q, &f.limit, detail, detail_len);

	*out = NULL;
	if (rc == ERR_OK && q->cursor != NULL) {
		long long us;
		if (coord_cursor_decode(key, q->cursor, pos, sizeof pos) != 0 ||
		    (bar = strchr(pos, '|')) == NULL)
			rc = coord_bad(detail, detail_len, "cursor", "not a cursor of this query");
		else if ((*bar = '\0', !jspec_parse_timestamp(pos, &us)) ||
		         !uuid_parse(bar + 1, NULL))
			rc = coord_bad(detail, detail_len, "cursor", "not a cursor of this query");
		f.after_ts = pos;
		f.after_id = bar != NULL ? bar + 1 : NULL;
	}
	if (rc == ERR_OK && q->q != NULL && (f.title_like = like = coord_like(q->q, false)) == NULL)
		rc = ERR_INTERNAL;
	if (rc == ERR_OK && (c = db_conn()) == NULL)
		rc = ERR_UNAVAILABLE;
	if (rc == ERR_OK) {
		f.limit += 1; /* one more tells whether a next page exists */
		rc = db_coord_incidents(c, &f, &rows);
		f.limit -= 1;
	}
	if (rc == ERR_OK && json_array_size(rows) > (size_t)f.limit) {
		json_t *last = json_array_get(rows, (size_t)f.limit - 1);
		char text[128];
		json_array_remove(rows, (size_t)f.limit);
		snprintf(text, sizeof text, "%s|%s",
		         json_string_value(json_object_get(last, "created_at")),
		         json_string_value(json_object_get(last, "id")));
		next = coord_cursor_encode(key, text);
	}
	if (rc == ERR_OK)
		*out = json_pack("{s:o, s:o}", "incidents", rows, "next_cursor", next);
	else
		json_decref(rows);
	free(like);
	return rc;
}

struct coord_reports_ctx {
	const struct bulletin_env *env;
	json_t *reports;
};

/* One report as coordinators see it: re-verified now from stored bytes. */
static enum err_code coord_report_row(void *ctx, const struct db_coord_report *r)
{
	struct coord_reports_ctx *x = ctx;
	json_t *o = json_deep_copy(r->fields), *body;
	const char *base = json_string_value(json_object_get(o, "signature_base"));
	bool sig_ok, digest_ok;

	if (o == NULL)
		return ERR_INTERNAL;
	sig_ok = httpsig_verify_stored(json_string_value(json_object_get(o, "signature_input")),
	                               json_string_value(json_object_get(o, "signature")), base,
	                               r->public_key) == ERR_OK;
	digest_ok = httpsig_check_digest(json_string_value(json_object_get(o, "content_digest")),
	                                 (const uint8_t *)r->body, strlen(r->body)) == ERR_OK;
	json_object_set_new(o, "verification",
	                    json_pack("{s:b, s:b, s:O}", "signature_valid", sig_ok, "digest_valid",
	                              digest_ok, "key_revoked", json_object_get(o, "key_revoked")));
	json_object_del(o, "key_revoked");
	json_object_set_new(o, "receipt",
	                    receipt_json(x->env->key->key_id, r->id, r->body_sha256, r->received_at,
	                                 r->receipt_sig));
	body = json_loads(r->body, JSON_ALLOW_NUL, NULL);
	json_object_set_new(o, "report", body != NULL ? body : json_null());
	json_array_append_new(x->reports, o);
	return ERR_OK;
}

enum err_code coord_incident(const struct bulletin_env *env, const char *id, json_t **out)
{
	struct coord_reports_ctx x = {env, json_array()};
	char bulletin_id[UUID_STR_LEN + 1];
	json_t *bulletin = NULL;
	PGconn *c = db_conn();
	enum err_code rc = c != NULL ? db_coord_incident(c, id, out) : ERR_UNAVAILABLE;

	if (rc == ERR_OK)
		rc = x.reports != NULL ? db_coord_reports(c, id, coord_report_row, &x)
		                       : ERR_INTERNAL;
	if (rc == ERR_OK) {
		rc = db_bulletin_of_incident(c, id, bulletin_id);
		if (rc == ERR_OK)
			rc = bulletin_view(env, bulletin_id, &bulletin);
		else if (rc == ERR_NOT_FOUND)
			rc = ERR_OK; /* the worker has not made it yet */
	}
	if (rc == ERR_OK) {
		json_object_set_new(*out, "reports", x.reports);
		json_object_set_new(*out, "bulletin", bulletin != NULL ? bulletin : json_null());
		return ERR_OK;
	}
	json_decref(x.reports);
	json_decref(bulletin);
	json_decref(*out);
	*out = NULL;
	return rc;
}

enum err_code coord_indicators(const struct signer_key *key, const char *q, const char *limit_s,
                               const char *cursor, json_t **out, char *detail, size_t detail_len)
{
	char after[CURSOR_MAX_PAYLOAD + 1], last[2200], *like = NULL;
	json_t *rows = NULL, *next = json_null();
	int limit = 0;
	PGconn *c;
	enum err_code rc = coord_limit(limit_s, &limit, detail, detail_len);

	*out = NULL;
	if (rc == ERR_OK && q != NULL && (strlen(q) < 1 || strlen(q) > 200))
		rc = coord_bad(detail, detail_len, "q", "1 to 200 bytes");
	if (rc == ERR_OK && cursor != NULL &&
	    coord_cursor_decode(key, cursor, after, sizeof after) != 0)
		rc = coord_bad(detail, detail_len, "cursor", "not a cursor of this query");
	if (rc == ERR_OK && q != NULL && (like = coord_like(q, true)) == NULL)
		rc = ERR_INTERNAL;
	if (rc == ERR_OK && (c = db_conn()) == NULL)
		rc = ERR_UNAVAILABLE;
	if (rc == ERR_OK)
		rc = db_coord_indicators(c, like, cursor != NULL ? after : NULL, limit, &rows, last,
		                         sizeof last);
	if (rc == ERR_OK && json_array_size(rows) == (size_t)limit)
		next = coord_cursor_encode(key, last); /* a last, possibly empty, page follows */
	if (rc == ERR_OK)
		*out = json_pack("{s:o, s:o}", "indicators", rows, "next_cursor", next);
	else
		json_decref(rows);
	free(like);
	return rc;
}

enum err_code coord_org(const char *id, json_t **out)
{
	PGconn *c = db_conn();

	*out = NULL;
	return c != NULL ? db_org_view(c, id, out) : ERR_UNAVAILABLE;
}

static const struct jspec_field coord_string_200 = {.kind = JSPEC_STRING, .min = 1, .max = 200};
static const struct jspec_field coord_string_253 = {.kind = JSPEC_STRING, .min = 1, .max = 253};
static const struct jspec_field coord_string_50 = {.kind = JSPEC_STRING, .min = 1, .max = 50};
static const struct jspec_field coord_profile_spec[] = {
        {.name = "domains", .kind = JSPEC_ARRAY, .max = 100, .item = &coord_string_253},
        {.name = "ranges", .kind = JSPEC_ARRAY, .max = 100, .item = &coord_string_50},
        {.name = "terms", .kind = JSPEC_ARRAY, .max = 500, .item = &coord_string_200},
        {.name = NULL},
};

/* Each domain a domain name, each range an IPv4/IPv6 address or CIDR. */
static bool coord_profile_values(const json_t *body, struct jspec_error *err)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(body, "domains"), i, v)
	{
		const char *why = report_indicator_value_problem("domain", json_string_value(v));
		if (why != NULL) {
			err->code = ERR_VALIDATION;
			snprintf(err->pointer, sizeof err->pointer, "/domains/%zu", i);
			snprintf(err->detail, sizeof err->detail, "%s", why);
			return false;
		}
	}
	json_array_foreach(json_object_get(body, "ranges"), i, v)
	{
		const char *s = json_string_value(v);
		if (report_indicator_value_problem("ipv4", s) != NULL &&
		    report_indicator_value_problem("ipv6", s) != NULL) {
			err->code = ERR_VALIDATION;
			snprintf(err->pointer, sizeof err->pointer, "/ranges/%zu", i);
			snprintf(err->detail, sizeof err->detail,
			         "not an IPv4 or IPv6 address or CIDR range");
			return false;
		}
	}
	return true;
}

struct coord_profile_tx {
	const char *id, *actor, *actor_org;
	const json_t *body;
};

static enum err_code coord_profile_run(PGconn *c, void *ctx)
{
	const struct coord_profile_tx *t = ctx;
	struct db_org org;
	json_t *detail;
	enum err_code rc = db_org_get(c, t->id, &org);

	if (rc == ERR_OK && strcmp(org.kind, "operator") != 0)
		rc = ERR_CONFLICT;
	if (rc == ERR_OK)
		rc = db_org_profile_replace(c, t->id, json_object_get(t->body, "domains"),
		                            json_object_get(t->body, "ranges"),
		                            json_object_get(t->body, "terms"));
	if (rc != ERR_OK)
		return rc;
	/* the audit names what changed, not the terms themselves */
	detail = json_pack("{s:i, s:i, s:i, s:s?}", "domains",
	                   (int)json_array_size(json_object_get(t->body, "domains")), "ranges",
	                   (int)json_array_size(json_object_get(t->body, "ranges")), "terms",
	                   (int)json_array_size(json_object_get(t->body, "terms")), "by_org",
	                   t->actor_org);
	rc = db_audit_append(c, t->actor, "org.profile", t->id, detail);
	json_decref(detail);
	return rc;
}

enum err_code coord_org_profile(const char *id, const json_t *body, const char *actor,
                                const char *actor_org, json_t **out, struct jspec_error *err)
{
	struct coord_profile_tx t = {id, actor, actor_org, body};
	enum err_code rc;

	*out = NULL;
	if (!jspec_check(body, coord_profile_spec, err) || !coord_profile_values(body, err))
		return err->code;
	rc = db_tx(coord_profile_run, &t, false);
	if (rc == ERR_CONFLICT) {
		err->pointer[0] = '\0';
		snprintf(err->detail, sizeof err->detail,
		         "anonymization profiles are for operator organizations");
	}
	if (rc == ERR_OK)
		rc = coord_org(id, out);
	return rc;
}

#define COORD_TOKEN_PREFIX "isacd_"

struct coord_token_tx {
	const char *org_id, *label, *actor, *actor_org, *id;
	uint8_t hash[32];
	const char *replaces; /* rotation: the live token revoked in the same transaction */
	char replaced_org[UUID_STR_LEN + 1];
	char replaced_label[DB_ORG_LABEL_LEN];
};

/* Rotation: revoke the old token and take its organization (and label, unless given). */
static enum err_code coord_token_replace(PGconn *c, struct coord_token_tx *t)
{
	json_t *detail;
	enum err_code rc = db_token_lock(c, t->replaces, t->replaced_org, t->replaced_label);

	if (rc == ERR_OK)
		rc = db_token_revoke(c, t->replaces);
	if (rc != ERR_OK)
		return rc;
	t->org_id = t->replaced_org;
	if (t->label == NULL)
		t->label = t->replaced_label;
	detail = json_pack("{s:s?, s:s}", "by_org", t->actor_org, "replaced_by", t->id);
	rc = db_audit_append(c, t->actor, "token.revoked", t->replaces, detail);
	json_decref(detail);
	return rc;
}

static enum err_code coord_token_issue_tx(PGconn *c, void *ctx)
{
	struct coord_token_tx *t = ctx;
	struct db_org org;
	json_t *detail;
	enum err_code rc = t->replaces != NULL ? coord_token_replace(c, t) : ERR_OK;

	if (rc == ERR_OK)
		rc = db_org_get(c, t->org_id, &org);
	if (rc == ERR_OK && strcmp(org.kind, "operator") == 0)
		rc = ERR_FORBIDDEN; /* operators sign; they have no bearer tokens */
	if (rc == ERR_OK)
		rc = db_token_insert(c, t->id, t->org_id, t->hash, t->label);
	if (rc != ERR_OK)
		return rc;
	detail = json_pack("{s:s, s:s, s:s?, s:s*}", "org_id", t->org_id, "label", t->label,
	                   "by_org", t->actor_org, "replaces", t->replaces);
	rc = db_audit_append(c, t->actor, "token.issued", t->id, detail);
	json_decref(detail);
	return rc;
}

/* Make a token, store its hash (t->id fresh), and answer {"id", "org_id", "token"}. */
static enum err_code coord_token_new(struct coord_token_tx *t, char id[UUID_STR_LEN + 1],
                                     json_t **out)
{
	char token[sizeof COORD_TOKEN_PREFIX +
	           sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	uint8_t raw[32];
	enum err_code rc;

	*out = NULL;
	if (t->label != NULL && strlen(t->label) > 200)
		return ERR_TOO_LONG;
	uuid_v4(id);
	t->id = id;
	randombytes_buf(raw, sizeof raw);
	memcpy(token, COORD_TOKEN_PREFIX, sizeof COORD_TOKEN_PREFIX - 1);
	sodium_bin2base64(token + sizeof COORD_TOKEN_PREFIX - 1,
	                  sizeof token - (sizeof COORD_TOKEN_PREFIX - 1), raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_hash_sha256(t->hash, (const uint8_t *)token, strlen(token));
	rc = db_tx(coord_token_issue_tx, t, false);
	if (rc == ERR_OK)
		*out = json_pack("{s:s, s:s, s:s}", "id", id, "org_id", t->org_id, "token", token);
	sodium_memzero(token, sizeof token);
	sodium_memzero(raw, sizeof raw);
	return rc == ERR_OK && *out == NULL ? ERR_INTERNAL : rc;
}

enum err_code coord_token_issue(const char *org_id, const char *label, const char *actor,
                                const char *actor_org, json_t **out)
{
	char id[UUID_STR_LEN + 1];
	struct coord_token_tx t = {.org_id = org_id,
	                           .label = label != NULL ? label : "",
	                           .actor = actor,
	                           .actor_org = actor_org};

	return coord_token_new(&t, id, out);
}

enum err_code coord_token_rotate(const char *id, const char *label, const char *actor,
                                 const char *actor_org, json_t **out)
{
	char new_id[UUID_STR_LEN + 1];
	struct coord_token_tx t = {
	        .label = label, .actor = actor, .actor_org = actor_org, .replaces = id};
	enum err_code rc;

	rc = coord_token_new(&t, new_id, out);
	if (rc == ERR_OK && json_object_set_new(*out, "replaced", json_string(id)) != 0)
		rc = ERR_INTERNAL;
	return rc;
}

static enum err_code coord_token_revoke_tx(PGconn *c, void *ctx)
{
	const struct coord_token_tx *t = ctx;
	json_t *detail;
	enum err_code rc = db_token_revoke(c, t->id);

	if (rc != ERR_OK)
		return rc;
	detail = json_pack("{s:s?}", "by_org", t->actor_org);
	rc = db_audit_append(c, t->actor, "token.revoked", t->id, detail);
	json_decref(detail);
	return rc;
}

enum err_code coord_token_revoke(const char *id, const char *actor, const char *actor_org)
{
	struct coord_token_tx t = {.actor = actor, .actor_org = actor_org, .id = id};

	return db_tx(coord_token_revoke_tx, &t, false);
}
