/*
 * subscriber — subscriber management and the JSON feed (see subscriber.h).
 *
 * Every change is audited. Feed cursors are authenticated and bind the
 * subscriber and the subscription they were made for: another caller's
 * cursor is refused, never trusted as a position.
 */
#include "subscriber.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "db.h"
#include "db_audit.h"
#include "db_bulletin.h"
#include "db_feed.h"
#include "report_schema.h"
#include "uuid.h"

#define FEED_LIMIT_DEFAULT 50
#define FEED_LIMIT_MAX     200

static const char *const subscriber_clearances[] = {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT",
                                                    NULL};

static const struct jspec_field subscriber_clearance_item = {.kind = JSPEC_ENUM,
                                                             .vocab = subscriber_clearances};
static const struct jspec_field subscriber_sector_item = {.kind = JSPEC_ENUM,
                                                          .vocab = report_sectors};
static const struct jspec_field subscriber_type_item = {.kind = JSPEC_ENUM,
                                                        .vocab = report_incident_types};
static const struct jspec_field subscriber_uuid_item = {.kind = JSPEC_UUID};

static const struct jspec_field subscriber_set_spec[] = {
        {.name = "clearance",
         .kind = JSPEC_ARRAY,
         .required = true,
         .max = 4,
         .item = &subscriber_clearance_item},
        {.name = "sectors", .kind = JSPEC_ARRAY, .max = 15, .item = &subscriber_sector_item},
        {.name = NULL},
};

static bool subscriber_url_valid(const char *s, size_t n)
{
	const char *host = strncmp(s, "https://", 8) == 0  ? s + 8
	                   : strncmp(s, "http://", 7) == 0 ? s + 7
	                                                   : NULL;

	if (host == NULL || *host == '\0' || *host == '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static const struct jspec_field subscriber_subscribe_spec[] = {
        {.name = "min_severity", .kind = JSPEC_ENUM, .vocab = report_severities},
        {.name = "incident_types", .kind = JSPEC_ARRAY, .max = 12, .item = &subscriber_type_item},
        {.name = "sectors", .kind = JSPEC_ARRAY, .max = 15, .item = &subscriber_sector_item},
        {.name = "webhook_url",
         .kind = JSPEC_STRING,
         .min = 10,
         .max = 2048,
         .check = subscriber_url_valid,
         .check_what = "an http:// or https:// URL without spaces"},
        {.name = NULL},
};

static const struct jspec_field subscriber_recipients_spec[] = {
        {.name = "orgs",
         .kind = JSPEC_ARRAY,
         .required = true,
         .max = 1000,
         .item = &subscriber_uuid_item},
        {.name = NULL},
};

/* A member as compact JSON text ("[]" when absent); malloc'd. */
static char *subscriber_json_member(const json_t *body, const char *name)
{
	const json_t *v = json_object_get(body, name);

	return v != NULL ? json_dumps(v, JSON_COMPACT) : strdup("[]");
}

static enum err_code subscriber_audit(PGconn *c, const struct subscriber_actor *who,
                                      const char *action, const char *subject, json_t *detail)
{
	enum err_code rc;

	if (detail == NULL)
		return ERR_INTERNAL;
	if (who->org_id != NULL)
		json_object_set_new(detail, "by_org", json_string(who->org_id));
	rc = db_audit_append(c, who->actor, action, subject, detail);
	json_decref(detail);
	return rc;
}

struct subscriber_tx {
	const char *org_id, *id;
	const json_t *body;
	const struct subscriber_actor *who;
	int named;
};

static enum err_code subscriber_set_tx(PGconn *c, void *ctx)
{
	struct subscriber_tx *t = ctx;
	char *clearance = subscriber_json_member(t->body, "clearance");
	char *sectors = subscriber_json_member(t->body, "sectors");
	json_t *view = NULL;
	enum err_code rc = clearance != NULL && sectors != NULL
	                           ? db_subscriber_view(c, t->org_id, &view)
	                           : ERR_INTERNAL;

	if (rc == ERR_OK)
		rc = db_subscriber_set(c, t->org_id, clearance, sectors);
	if (rc == ERR_OK)
		rc = subscriber_audit(c, t->who, "subscriber.set", t->org_id,
		                      json_pack("{s:O, s:O}", "clearance",
		                                json_object_get(t->body, "clearance"), "sectors",
		                                json_object_get(t->body, "sectors") != NULL
		                                        ? json_object_get(t->body, "sectors")
		                                        : json_array()));
	json_decref(view);
	free(clearance);
	free(sectors);
	return rc;
}

enum err_code subscriber_set(const char *org_id, const json_t *body,
                             const struct subscriber_actor *who, json_t **out,
                             struct jspec_error *err)
{
	struct subscriber_tx t = {org_id, NULL, body, who, 0};
	enum err_code rc;

	*out = NULL;
	if (!jspec_check(body, subscriber_set_spec, err))
		return err->code;
	rc = db_tx(subscriber_set_tx, &t, false);
	return rc == ERR_OK ? subscriber_view(org_id, out) : rc;
}

enum err_code subscriber_view(const char *org_id, json_t **out)
{
	PGconn *c = db_conn();

	*out = NULL;
	return c != NULL ? db_subscriber_view(c, org_id, out) : ERR_UNAVAILABLE;
}

static enum err_code subscriber_subscribe_tx(PGconn *c, void *ctx)
{
	struct subscriber_tx *t = ctx;
	const char *sev = json_string_value(json_object_get(t->body, "min_severity"));
	char *types = subscriber_json_member(t->body, "incident_types");
	char *sectors = subscriber_json_member(t->body, "sectors");
	json_t *view = NULL;
	enum err_code rc = types != NULL && sectors != NULL
	                           ? db_subscriber_view(c, t->org_id, &view)
	                           : ERR_INTERNAL;

	if (rc == ERR_OK)
		rc = db_subscription_insert(
		        c, t->id, t->org_id, sev != NULL ? sev : "low", types, sectors,
		        json_string_value(json_object_get(t->body, "webhook_url")));
	if (rc == ERR_OK)
		rc = subscriber_audit(c, t->who, "subscription.added", t->id,
		                      json_pack("{s:s}", "org_id", t->org_id));
	json_decref(view);
	free(types);
	free(sectors);
	return rc;
}

enum err_code subscriber_subscribe(const char *org_id, const json_t *body,
                                   const struct subscriber_actor *who, json_t **out,
                                   struct jspec_error *err)
{
	char id[UUID_STR_LEN + 1];
	struct subscriber_tx t = {org_id, id, body, who, 0};
	enum err_code rc;

	*out = NULL;
	if (!jspec_check(body, subscriber_subscribe_spec, err))
		return err->code;
	uuid_v4(id);
	rc = db_tx(subscriber_subscribe_tx, &t, false);
	if (rc == ERR_OK)
		rc = subscriber_view(org_id, out);
	if (rc == ERR_OK)
		json_object_set_new(*out, "id", json_string(id));
	return rc;
}

static enum err_code subscriber_unsubscribe_tx(PGconn *c, void *ctx)
{
	struct subscriber_tx *t = ctx;
	char owner[UUID_STR_LEN + 1];
	enum err_code rc = db_subscription_revoke(c, t->id, owner);

	if (rc == ERR_OK)
		rc = subscriber_audit(c, t->who, "subscription.revoked", t->id,
		                      json_pack("{s:s}", "org_id", owner));
	return rc;
}

enum err_code subscriber_unsubscribe(const char *id, const struct subscriber_actor *who)
{
	struct subscriber_tx t = {NULL, id, NULL, who, 0};

	return db_tx(subscriber_unsubscribe_tx, &t, false);
}

static enum err_code subscriber_recipients_tx(PGconn *c, void *ctx)
{
	struct subscriber_tx *t = ctx;
	char *orgs = json_dumps(json_object_get(t->body, "orgs"), JSON_COMPACT);
	struct db_bulletin b = {0};
	enum err_code rc = orgs != NULL ? db_bulletin_lock(c, t->id, &b) : ERR_INTERNAL;

	json_decref(b.id_map);
	if (rc == ERR_OK)
		rc = db_recipients_replace(c, t->id, orgs, &t->named);

	if (rc == ERR_OK && (size_t)t->named != json_array_size(json_object_get(t->body, "orgs")))
		rc = ERR_CONFLICT; /* an id that is not a subscriber: nothing changes */
	if (rc == ERR_OK)
		rc = subscriber_audit(c, t->who, "bulletin.recipients", t->id,
		                      json_pack("{s:O}", "orgs", json_object_get(t->body, "orgs")));
	free(orgs);
	return rc;
}

enum err_code subscriber_recipients(const char *bulletin_id, const json_t *body,
                                    const struct subscriber_actor *who, json_t **out,
                                    struct jspec_error *err)
{
	struct subscriber_tx t = {NULL, bulletin_id, body, who, 0};
	enum err_code rc;

	*out = NULL;
	if (!jspec_check(body, subscriber_recipients_spec, err))
		return err->code;
	if (!uuid_parse(bulletin_id, NULL))
		return ERR_NOT_FOUND;
	rc = db_tx(subscriber_recipients_tx, &t, false);
	if (rc == ERR_CONFLICT) {
		snprintf(err->pointer, sizeof err->pointer, "/orgs");
		snprintf(err->detail, sizeof err->detail,
		         "every id must be a subscriber organization (duplicates not allowed)");
	}
	if (rc == ERR_OK)
		*out = json_pack("{s:s, s:i}", "bulletin_id", bulletin_id, "recipients", t.named);
	return rc == ERR_CONFLICT ? ERR_VALIDATION : rc;
}

/* Allowed severities from a minimum, as a JSON array text ("high" → high, critical). */
static char *subscriber_severities(const char *min)
{
	int from = report_vocab_index(report_severities, min);
	json_t *a = json_array();
	char *text;

	for (int i = from < 0 ? 0 : from; a != NULL && report_severities[i] != NULL; i++)
		json_array_append_new(a, json_string(report_severities[i]));
	text = a != NULL ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return text;
}

/* Cursor payload: "feed v1|<subscriber>|<subscription or ->|<seq>". */
static enum err_code subscriber_cursor_in(const struct signer_key *key, const char *cursor,
                                          const char *subscriber, const char *subscription,
                                          long long *after)
{
	char payload[256], want[160];
	uint8_t k[32];
	const char *bar;
	char *end = NULL;
	int rc;

	*after = 0;
	if (cursor == NULL)
		return ERR_OK;
	cursor_key(key, k);
	rc = cursor_decode(k, cursor, payload, sizeof payload);
	sodium_memzero(k, sizeof k);
	snprintf(want, sizeof want, "feed v1|%s|%s|", subscriber,
	         subscription != NULL ? subscription : "-");
	if (rc != 0 || strncmp(payload, want, strlen(want)) != 0)
		return ERR_BAD_QUERY;
	bar = payload + strlen(want);
	*after = strtoll(bar, &end, 10);
	return (end == bar || *end != '\0' || *after < 0) ? ERR_BAD_QUERY : ERR_OK;
}

static json_t *subscriber_cursor_out(const struct signer_key *key, const char *subscriber,
                                     const char *subscription, long long last)
{
	char payload[256], text[CURSOR_MAX_TEXT];
	uint8_t k[32];
	int rc;

	snprintf(payload, sizeof payload, "feed v1|%s|%s|%lld", subscriber,
	         subscription != NULL ? subscription : "-", last);
	cursor_key(key, k);
	rc = cursor_encode(k, payload, text, sizeof text);
	sodium_memzero(k, sizeof k);
	return rc == 0 ? json_string(text) : NULL;
}

/* Dress each row: signature as an object, the URL of its exact bytes. */
static void subscriber_dress(const struct signer_key *key, json_t *rows)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row)
	{
		char url[160];
		const char *sig = json_string_value(json_object_get(row, "signature"));

		json_object_set_new(row, "signature",
		                    json_pack("{s:s, s:s, s:s}", "alg", "ed25519", "key_id",
		                              key->key_id, "value", sig != NULL ? sig : ""));
		snprintf(url, sizeof url, "/v1/bulletins/%s/versions/%d/bundle",
		         json_string_value(json_object_get(row, "id")),
		         (int)json_integer_value(json_object_get(row, "version")));
		json_object_set_new(row, "bundle_url", json_string(url));
	}
}

enum err_code subscriber_feed(const struct signer_key *key, const char *subscriber,
                              const char *cursor, const char *limit_s, const char *subscription,
                              json_t **out, char *detail, size_t detail_len)
{
	struct db_feed_filter f = {NULL, NULL, NULL};
	char min[16], *types = NULL, *sectors = NULL, *sev = NULL;
	long long after = 0, last = 0;
	long limit = FEED_LIMIT_DEFAULT;
	json_t *rows = NULL, *next = json_null();
	char *end = NULL;
	PGconn *c = db_conn();
	enum err_code rc = c != NULL ? ERR_OK : ERR_UNAVAILABLE;

	*out = NULL;
	if (rc == ERR_OK && limit_s != NULL &&
	    ((limit = strtol(limit_s, &end, 10)) < 1 || limit > FEED_LIMIT_MAX || *end != '\0')) {
		snprintf(detail, detail_len, "limit: a whole number from 1 to %d", FEED_LIMIT_MAX);
		rc = ERR_BAD_QUERY;
	}
	if (rc == ERR_OK && subscription != NULL) {
		rc = db_subscription_filters(c, subscription, subscriber, min, &types, &sectors);
		if (rc == ERR_NOT_FOUND) {
			snprintf(detail, detail_len, "subscription: not one of yours");
			rc = ERR_BAD_QUERY;
		}
		if (rc == ERR_OK && (sev = subscriber_severities(min)) == NULL)
			rc = ERR_INTERNAL;
		f = (struct db_feed_filter){sev, types, sectors};
	}
	if (rc == ERR_OK &&
	    subscriber_cursor_in(key, cursor, subscriber, subscription, &after) != ERR_OK) {
		snprintf(detail, detail_len, "cursor: not a cursor of yours for this query");
		rc = ERR_BAD_QUERY;
	}
	if (rc == ERR_OK)
		rc = db_feed_page(c, subscriber, after, (int)limit, &f, &rows, &last);
	if (rc == ERR_OK) {
		subscriber_dress(key, rows);
		/* a cursor always: a feed is read again later from where it stopped */
		next = subscriber_cursor_out(key, subscriber, subscription,
		                             json_array_size(rows) > 0 ? last : after);
		*out = json_pack("{s:o, s:o, s:b}", "bulletins", rows, "next_cursor", next, "more",
		                 json_array_size(rows) == (size_t)limit);
	}
	free(types);
	free(sectors);
	free(sev);
	return rc;
}

enum err_code subscriber_bundle(const char *subscriber, const char *bulletin_id,
                                const char *version, char **bytes, size_t *len, uint8_t sig[64])
{
	char *end = NULL;
	long v = strtol(version, &end, 10);
	PGconn *c = db_conn();

	*bytes = NULL;
	if (end == version || *end != '\0' || v < 1 || v > 1000000)
		return ERR_NOT_FOUND;
	if (c == NULL)
		return ERR_UNAVAILABLE;
	return db_feed_bundle(c, bulletin_id, (int)v, subscriber, bytes, len, sig);
}
