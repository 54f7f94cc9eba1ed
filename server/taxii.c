/*
 * taxii — TAXII 2.1 resources and pages (see taxii.h).
 *
 * Why the filters are hashed into `next` instead of carried in it: a
 * match[id] list may hold a hundred ids, and the client must send its
 * filters again with `next` anyway (TAXII 2.1 section 3.4); binding their
 * hash is enough to refuse a cursor replayed with other filters, and keeps
 * the cursor small. The hash covers the normalized filter, so spelling the
 * same query differently (no match[version] or match[version]=last) is the
 * same query.
 *
 * Must never: answer from a cursor without re-running the entitled query,
 * serve a row outside the collection's TLP, or hold SQL (db_taxii does).
 */
#include "taxii.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cursor.h"
#include "db.h"
#include "db_taxii.h"
#include "jspec.h"
#include "log.h"
#include "uuid.h"

#define TAXII_CURSOR_TAG "taxii1"
#define TAXII_RANGE_MAX  256 /* bytes of one Accept media range we look into */
#define TAXII_TYPE_MIN   3
#define TAXII_TYPE_MAX   250

/* The four collections: fixed ids, so clients can configure them once. */
static const struct {
	const char *id, *tlp, *title, *description;
} taxii_collections_def[] = {
        {"a0895a52-1e8a-4748-9375-6e28f123d1ab", "CLEAR", "TLP:CLEAR bulletins",
         "Anonymized incident bulletins marked TLP:CLEAR."},
        {"ad0652c7-28a7-4806-967c-c41ee839aabd", "GREEN", "TLP:GREEN bulletins",
         "Anonymized incident bulletins marked TLP:GREEN, for the community."},
        {"c422fb49-c815-4178-b745-83a589c3156b", "AMBER", "TLP:AMBER bulletins",
         "Anonymized incident bulletins marked TLP:AMBER: for subscribers of the published "
         "sector and named recipients."},
        {"15f4ec62-ce6e-43fe-8cb0-587cf4c5da2c", "AMBER+STRICT", "TLP:AMBER+STRICT bulletins",
         "Anonymized incident bulletins marked TLP:AMBER+STRICT: for named recipients only."},
};
#define TAXII_N_COLLECTIONS (sizeof taxii_collections_def / sizeof taxii_collections_def[0])

/* ---------------------------------------------------------------- Accept */

/* Cut blanks off both ends of s, in place; returns the first kept byte. */
static char *taxii_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* A parameter value without its quotes, if quoted. */
static const char *taxii_unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

/* Whether one media range (a NUL-terminated copy we may cut) admits TAXII 2.1. */
static bool taxii_accept_range(char *range)
{
	char *save = NULL, *tok = strtok_r(range, ";", &save);
	const char *type = tok != NULL ? taxii_trim(tok) : "";
	bool taxii = strcasecmp(type, "application/taxii+json") == 0;
	bool ok = taxii || strcmp(type, "*/*") == 0 || strcasecmp(type, "application/*") == 0;

	while (ok && (tok = strtok_r(NULL, ";", &save)) != NULL) {
		char *eq = strchr(tok, '=');
		const char *name, *value;
		if (eq == NULL)
			continue;
		*eq = '\0';
		name = taxii_trim(tok);
		value = taxii_unquote(taxii_trim(eq + 1));
		if (strcasecmp(name, "q") == 0) {
			char *end = NULL;
			double q = strtod(value, &end);
			ok = end != value && *end == '\0' && q > 0.0;
		} else if (taxii && strcasecmp(name, "version") == 0) {
			ok = strcmp(value, "2.1") == 0;
		}
	}
	return ok;
}

bool taxii_accept_ok(const char *accept)
{
	const char *p = accept;

	if (accept == NULL || accept[strspn(accept, " \t")] == '\0')
		return true; /* no preference */
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		char range[TAXII_RANGE_MAX + 1];
		if (n <= TAXII_RANGE_MAX) {
			memcpy(range, p, n);
			range[n] = '\0';
			if (taxii_accept_range(range))
				return true;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* ---------------------------------------------------------------- ids */

const char *taxii_collection_tlp(const char *collection_id)
{
	for (size_t i = 0; i < TAXII_N_COLLECTIONS; i++)
		if (collection_id != NULL &&
		    strcmp(collection_id, taxii_collections_def[i].id) == 0)
			return taxii_collections_def[i].tlp;
	return NULL;
}

/* A STIX type name: 3..250 of [a-z0-9-], a letter first, no "--". */
static bool taxii_type_ok(const char *s, size_t n)
{
	if (n < TAXII_TYPE_MIN || n > TAXII_TYPE_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++) {
		bool ok =
		        (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
		if (!ok || (s[i] == '-' && i + 1 < n && s[i + 1] == '-'))
			return false;
	}
	return true;
}

bool taxii_stix_id_ok(const char *s)
{
	const char *sep = s != NULL ? strstr(s, "--") : NULL;

	return sep != NULL && strlen(s) <= TAXII_ID_MAX && taxii_type_ok(s, (size_t)(sep - s)) &&
	       strlen(sep + 2) == UUID_STR_LEN && uuid_parse(sep + 2, NULL);
}

/* ---------------------------------------------------------------- filters */

static enum err_code taxii_bad(char *detail, size_t len, const char *param, const char *why)
{
	snprintf(detail, len, "%s: %s", param, why);
	return ERR_BAD_QUERY;
}

/* A timestamp in the one TAXII form ("…T07:35:37.092736Z"); false if not one. */
static bool taxii_timestamp(const char *s, char out[CLOCK_RFC3339_LEN + 1])
{
	long long us;

	return jspec_parse_timestamp(s, &us) && clock_format_us(us, out) == 0;
}

static bool taxii_spec_version_ok(const char *s)
{
	size_t major = strspn(s, "0123456789"), minor;

	if (major < 1 || major > 3 || s[major] != '.')
		return false;
	minor = strspn(s + major + 1, "0123456789");
	return minor >= 1 && minor <= 3 && s[major + 1 + minor] == '\0';
}

enum taxii_item { TAXII_ITEM_ID, TAXII_ITEM_TYPE, TAXII_ITEM_SPEC, TAXII_ITEM_VERSION };

/*
 * One item of a comma-separated match[…] list, appended to *list (made on
 * first use) or, for match[version] keywords, recorded in f.
 */
static bool taxii_item(enum taxii_item kind, const char *s, struct taxii_filter *f, json_t **list)
{
	char ts[CLOCK_RFC3339_LEN + 1];
	const char *value = s;

	switch (kind) {
	case TAXII_ITEM_ID:
		if (!taxii_stix_id_ok(s))
			return false;
		break;
	case TAXII_ITEM_TYPE:
		if (!taxii_type_ok(s, strlen(s)))
			return false;
		break;
	case TAXII_ITEM_SPEC:
		if (!taxii_spec_version_ok(s))
			return false;
		break;
	case TAXII_ITEM_VERSION:
		if (strcmp(s, "all") == 0)
			return f->version_all = true;
		if (strcmp(s, "first") == 0)
			return f->version_first = true;
		if (strcmp(s, "last") == 0)
			return f->version_last = true;
		if (!taxii_timestamp(s, ts))
			return false;
		value = ts;
		break;
	}
	if (*list == NULL && (*list = json_array()) == NULL)
		return false;
	return json_array_append_new(*list, json_string(value)) == 0;
}

static enum err_code taxii_list_param(const char *param, const char *value, enum taxii_item kind,
                                      struct taxii_filter *f, json_t **list, char *detail,
                                      size_t len)
{
	const char *p = value;
	int count = 0;

	if (value == NULL)
		return ERR_OK;
	for (;;) {
		size_t n = strcspn(p, ",");
		char item[TAXII_ID_MAX + 1];
		if (n == 0 || n > TAXII_ID_MAX)
			return taxii_bad(detail, len, param,
			                 "an empty or overlong value in the list");
		if (++count > TAXII_MATCH_MAX)
			return taxii_bad(detail, len, param, "more than 100 values");
		memcpy(item, p, n);
		item[n] = '\0';
		if (!taxii_item(kind, item, f, list))
			return taxii_bad(detail, len, param,
			                 kind == TAXII_ITEM_ID     ? "not a STIX id (type--uuid)"
			                 : kind == TAXII_ITEM_TYPE ? "not a STIX type name"
			                 : kind == TAXII_ITEM_SPEC
			                         ? "not a spec version such as 2.1"
			                         : "not all, first, last or a timestamp");
		if (p[n] == '\0')
			return ERR_OK;
		p += n + 1;
	}
}

static enum err_code taxii_limit(const char *s, int *limit, char *detail, size_t len)
{
	size_t digits = s != NULL ? strspn(s, "0123456789") : 0;

	*limit = TAXII_LIMIT_DEFAULT;
	if (s == NULL)
		return ERR_OK;
	if (digits == 0 || s[digits] != '\0')
		return taxii_bad(detail, len, "limit", "a whole number of at least 1");
	while (*s == '0' && s[1] != '\0')
		s++;
	if (strlen(s) > 4 || atoi(s) > TAXII_LIMIT_MAX) /* more than we serve: clamped */
		*limit = TAXII_LIMIT_MAX;
	else if ((*limit = atoi(s)) < 1)
		return taxii_bad(detail, len, "limit", "a whole number of at least 1");
	return ERR_OK;
}

enum err_code taxii_filter_parse(enum taxii_listing listing, const char *tlp, const char *object_id,
                                 const struct taxii_query *q, struct taxii_filter *f, char *detail,
                                 size_t detail_len)
{
	bool one_object = listing == TAXII_OBJECT || listing == TAXII_VERSIONS;
	enum err_code rc;

	memset(f, 0, sizeof *f);
	f->listing = listing;
	f->tlp = tlp;
	if (one_object && snprintf(f->object_id, sizeof f->object_id, "%s",
	                           object_id != NULL ? object_id : "") >= (int)sizeof f->object_id)
		return taxii_bad(detail, detail_len, "object id", "too long");
	rc = taxii_limit(q->limit, &f->limit, detail, detail_len);
	if (rc == ERR_OK && q->added_after != NULL &&
	    !taxii_timestamp(q->added_after, f->added_after))
		rc = taxii_bad(detail, detail_len, "added_after", "not an RFC 3339 timestamp");
	if (rc == ERR_OK && !one_object)
		rc = taxii_list_param("match[id]", q->match_id, TAXII_ITEM_ID, f, &f->ids, detail,
		                      detail_len);
	if (rc == ERR_OK && !one_object)
		rc = taxii_list_param("match[type]", q->match_type, TAXII_ITEM_TYPE, f, &f->types,
		                      detail, detail_len);
	if (rc == ERR_OK)
		rc = taxii_list_param("match[spec_version]", q->match_spec_version, TAXII_ITEM_SPEC,
		                      f, &f->spec_versions, detail, detail_len);
	if (rc == ERR_OK && listing != TAXII_VERSIONS)
		rc = taxii_list_param("match[version]", q->match_version, TAXII_ITEM_VERSION, f,
		                      &f->versions, detail, detail_len);
	if (rc == ERR_OK && one_object) /* the path names the one object */
		rc = (f->ids = json_pack("[s]", f->object_id)) != NULL ? ERR_OK : ERR_INTERNAL;
	if (rc == ERR_OK && listing == TAXII_VERSIONS)
		f->version_all = true;
	if (rc == ERR_OK && !f->version_all && !f->version_first && !f->version_last &&
	    f->versions == NULL)
		f->version_last = true; /* TAXII's default: the newest version */
	if (rc != ERR_OK)
		taxii_filter_free(f);
	return rc;
}

void taxii_filter_free(struct taxii_filter *f)
{
	json_decref(f->ids);
	json_decref(f->types);
	json_decref(f->spec_versions);
	json_decref(f->versions);
	f->ids = f->types = f->spec_versions = f->versions = NULL;
}

/* Hash one field: its length first, so no two field lists hash alike by shifting bytes. */
static void taxii_hash_field(crypto_generichash_state *st, const char *s)
{
	uint64_t n = (uint64_t)strlen(s);
	uint8_t len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(n >> (8 * i));
	crypto_generichash_update(st, len, sizeof len);
	crypto_generichash_update(st, (const uint8_t *)s, (size_t)n);
}

static void taxii_hash_list(crypto_generichash_state *st, const json_t *list)
{
	size_t i;
	json_t *v;

	taxii_hash_field(st, list == NULL ? "any" : "list");
	json_array_foreach(list, i, v)
	{
		taxii_hash_field(st, json_string_value(v));
	}
}

void taxii_filter_hash(const struct taxii_filter *f, char out[TAXII_HASH_HEX + 1])
{
	crypto_generichash_state st;
	uint8_t h[TAXII_HASH_HEX / 2];
	char listing[4], flags[4];

	snprintf(listing, sizeof listing, "%d", (int)f->listing);
	snprintf(flags, sizeof flags, "%c%c%c", f->version_all ? 'a' : '-',
	         f->version_first ? 'f' : '-', f->version_last ? 'l' : '-');
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	taxii_hash_field(&st, "isacd taxii filter v1");
	taxii_hash_field(&st, listing);
	taxii_hash_field(&st, f->tlp != NULL ? f->tlp : "");
	taxii_hash_field(&st, f->object_id);
	taxii_hash_field(&st, f->added_after);
	taxii_hash_list(&st, f->ids);
	taxii_hash_list(&st, f->types);
	taxii_hash_list(&st, f->spec_versions);
	taxii_hash_list(&st, f->versions);
	taxii_hash_field(&st, flags);
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, TAXII_HASH_HEX + 1, h, sizeof h);
}

/* "taxii1|<listing>|<tlp>|<org>|<filter hash>|": what a cursor of f for org starts with. */
static int taxii_cursor_prefix(const struct taxii_filter *f, const char *org, char *out,
                               size_t out_len)
{
	char hash[TAXII_HASH_HEX + 1];
	int n;

	taxii_filter_hash(f, hash);
	n = snprintf(out, out_len, "%s|%d|%s|%s|%s|", TAXII_CURSOR_TAG, (int)f->listing, f->tlp,
	             org, hash);
	return n < 0 || (size_t)n >= out_len ? -1 : n;
}

int taxii_cursor_payload(const struct taxii_filter *f, const char *org, const char *date_added,
                         char *out, size_t out_len)
{
	int n = taxii_cursor_prefix(f, org, out, out_len);

	if (n < 0 || strlen(date_added) >= out_len - (size_t)n)
		return -1;
	memcpy(out + n, date_added, strlen(date_added) + 1);
	return 0;
}

enum err_code taxii_cursor_position(const struct taxii_filter *f, const char *org,
                                    const char *payload, char after[CLOCK_RFC3339_LEN + 1])
{
	char prefix[TAXII_CURSOR_PAYLOAD];
	int n = taxii_cursor_prefix(f, org, prefix, sizeof prefix);

	if (n < 0 || strncmp(payload, prefix, (size_t)n) != 0 ||
	    !taxii_timestamp(payload + n, after))
		return ERR_BAD_QUERY;
	return ERR_OK;
}

/* ---------------------------------------------------------------- resources */

json_t *taxii_discovery(const struct config *cfg)
{
	char title[160], root[CONFIG_STR_MAX + 16];

	snprintf(title, sizeof title, "%s TAXII 2.1", cfg->isac_name);
	snprintf(root, sizeof root, "%s/taxii2/api/", cfg->public_url);
	return json_pack("{s:s, s:s, s:s, s:[s]}", "title", title, "description",
	                 "Anonymized, signed STIX 2.1 incident bulletins from Japan's "
	                 "critical-infrastructure operators.",
	                 "default", root, "api_roots", root);
}

json_t *taxii_api_root(const struct config *cfg)
{
	char title[160];

	snprintf(title, sizeof title, "%s bulletins", cfg->isac_name);
	return json_pack("{s:s, s:s, s:[s], s:I}", "title", title, "description",
	                 "One collection per TLP level; each lists the objects your clearance, "
	                 "sectors and named recipiency entitle you to.",
	                 "versions", TAXII_MEDIA_TYPE, "max_content_length",
	                 (json_int_t)cfg->max_body_bytes);
}

static bool taxii_cleared(const json_t *clearance, const char *tlp)
{
	size_t i;
	json_t *v;

	json_array_foreach(clearance, i, v)
	{
		if (strcmp(json_string_value(v), tlp) == 0)
			return true;
	}
	return false;
}

static json_t *taxii_collection_json(size_t i, const json_t *clearance)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:[s]}", "id", taxii_collections_def[i].id,
	                 "title", taxii_collections_def[i].title, "description",
	                 taxii_collections_def[i].description, "can_read",
	                 taxii_cleared(clearance, taxii_collections_def[i].tlp), "can_write", 0,
	                 "media_types", TAXII_STIX_MEDIA_TYPE);
}

static enum err_code taxii_clearance(const char *org, json_t **clearance)
{
	PGconn *c = db_conn();

	*clearance = NULL;
	return c != NULL ? db_taxii_clearance(c, org, clearance) : ERR_UNAVAILABLE;
}

enum err_code taxii_collections(const char *org, json_t **out)
{
	json_t *clearance = NULL, *list = NULL;
	enum err_code rc = taxii_clearance(org, &clearance);

	*out = NULL;
	if (rc == ERR_OK && (list = json_array()) == NULL)
		rc = ERR_INTERNAL;
	for (size_t i = 0; rc == ERR_OK && i < TAXII_N_COLLECTIONS; i++)
		if (json_array_append_new(list, taxii_collection_json(i, clearance)) != 0)
			rc = ERR_INTERNAL;
	if (rc == ERR_OK && (*out = json_pack("{s:O}", "collections", list)) == NULL)
		rc = ERR_INTERNAL;
	json_decref(list);
	json_decref(clearance);
	return rc;
}

enum err_code taxii_collection(const char *org, const char *collection_id, json_t **out)
{
	json_t *clearance = NULL;
	enum err_code rc = ERR_NOT_FOUND;

	*out = NULL;
	for (size_t i = 0; i < TAXII_N_COLLECTIONS; i++) {
		if (strcmp(collection_id, taxii_collections_def[i].id) != 0)
			continue;
		rc = taxii_clearance(org, &clearance);
		if (rc == ERR_OK && (*out = taxii_collection_json(i, clearance)) == NULL)
			rc = ERR_INTERNAL;
		break;
	}
	json_decref(clearance);
	return rc;
}

/* ---------------------------------------------------------------- pages */

struct taxii_rows {
	enum taxii_listing listing;
	int limit, n;
	bool more;
	json_t *items;
	struct taxii_page *page;
};

/* One row into the page; the row past the limit only says that more follow. */
static enum err_code taxii_row(void *ctx, const struct db_taxii_row *row)
{
	struct taxii_rows *x = ctx;
	json_t *item = NULL;

	if (x->n == x->limit) {
		x->more = true;
		return ERR_OK;
	}
	switch (x->listing) {
	case TAXII_OBJECTS:
	case TAXII_OBJECT:
		item = row->object != NULL ? json_loads(row->object, 0, NULL) : NULL;
		if (item == NULL)
			LOG_BUG("a feed object is not JSON");
		break;
	case TAXII_MANIFEST:
		item = json_pack("{s:s, s:s, s:s, s:s}", "id", row->object_id, "date_added",
		                 row->date_added, "version", row->version, "media_type",
		                 TAXII_STIX_MEDIA_TYPE);
		break;
	case TAXII_VERSIONS:
		item = json_string(row->version);
		break;
	}
	if (item == NULL || json_array_append_new(x->items, item) != 0)
		return ERR_INTERNAL;
	if (x->n++ == 0)
		snprintf(x->page->first, sizeof x->page->first, "%s", row->date_added);
	snprintf(x->page->last, sizeof x->page->last, "%s", row->date_added);
	return ERR_OK;
}

/* The position `next` names, checked against this query; ERR_BAD_QUERY if not ours. */
static enum err_code taxii_next(const struct signer_key *key, const struct taxii_filter *f,
                                const char *org, const char *next,
                                char after[CLOCK_RFC3339_LEN + 1], char *detail, size_t len)
{
	char payload[TAXII_CURSOR_PAYLOAD];
	uint8_t k[32];
	int bad;

	cursor_key(key, k);
	bad = cursor_decode(k, next, payload, sizeof payload);
	sodium_memzero(k, sizeof k);
	if (bad != 0 || taxii_cursor_position(f, org, payload, after) != ERR_OK)
		return taxii_bad(detail, len, "next",
		                 "not a cursor of this collection, subscriber and filters");
	return ERR_OK;
}

/* The `next` that continues f after the page's last row; NULL on failure. */
static json_t *taxii_next_json(const struct signer_key *key, const struct taxii_filter *f,
                               const char *org, const char *last)
{
	char payload[TAXII_CURSOR_PAYLOAD], text[CURSOR_MAX_TEXT];
	uint8_t k[32];
	int rc;

	if (taxii_cursor_payload(f, org, last, payload, sizeof payload) != 0)
		return NULL;
	cursor_key(key, k);
	rc = cursor_encode(k, payload, text, sizeof text);
	sodium_memzero(k, sizeof k);
	return rc == 0 ? json_string(text) : NULL;
}

/* A match list as JSON text for SQL (NULL for any); *failed on allocation failure. */
static char *taxii_list_text(const json_t *list, bool *failed)
{
	char *text = list != NULL ? json_dumps(list, JSON_COMPACT) : NULL;

	if (list != NULL && text == NULL)
		*failed = true;
	return text;
}

/* Run f's query from `after` and wrap the page in its envelope. */
static enum err_code taxii_fetch(PGconn *c, const struct signer_key *key, const char *org,
                                 const struct taxii_filter *f, const char *after,
                                 struct taxii_page *page)
{
	bool failed = false;
	struct taxii_rows x = {f->listing, f->limit, 0, false, json_array(), page};
	struct db_taxii_filter q = {
	        .subscriber = org,
	        .tlp = f->tlp,
	        .after = after,
	        .ids_json = taxii_list_text(f->ids, &failed),
	        .types_json = taxii_list_text(f->types, &failed),
	        .spec_versions_json = taxii_list_text(f->spec_versions, &failed),
	        .versions_json = taxii_list_text(f->versions, &failed),
	        .version_all = f->version_all,
	        .version_first = f->version_first,
	        .version_last = f->version_last,
	        .with_object = f->listing == TAXII_OBJECTS || f->listing == TAXII_OBJECT,
	        .limit = f->limit + 1, /* one more tells whether a next page exists */
	};
	enum err_code rc = x.items == NULL || failed ? ERR_INTERNAL : ERR_OK;
	json_t *next = NULL;

	if (rc == ERR_OK)
		rc = db_taxii_rows(c, &q, taxii_row, &x);
	if (rc == ERR_OK && x.more && (next = taxii_next_json(key, f, org, page->last)) == NULL)
		rc = ERR_INTERNAL;
	if (rc == ERR_OK)
		page->body =
		        json_pack("{s:b, s:o*, s:O}", "more", x.more, "next", next,
		                  f->listing == TAXII_VERSIONS ? "versions" : "objects", x.items);
	if (rc == ERR_OK && page->body == NULL)
		rc = ERR_INTERNAL;
	json_decref(x.items);
	free((char *)q.ids_json);
	free((char *)q.types_json);
	free((char *)q.spec_versions_json);
	free((char *)q.versions_json);
	return rc;
}

enum err_code taxii_list(const struct signer_key *key, const char *org, enum taxii_listing listing,
                         const char *collection_id, const char *object_id,
                         const struct taxii_query *q, struct taxii_page *page, char *detail,
                         size_t detail_len)
{
	const char *tlp = taxii_collection_tlp(collection_id);
	bool one_object = listing == TAXII_OBJECT || listing == TAXII_VERSIONS;
	char after[CLOCK_RFC3339_LEN + 1] = "";
	struct taxii_filter f = {0};
	json_t *clearance = NULL;
	bool visible = true;
	PGconn *c = NULL;
	enum err_code rc = ERR_OK;

	memset(page, 0, sizeof *page);
	if (tlp == NULL || (one_object && !taxii_stix_id_ok(object_id)))
		return ERR_NOT_FOUND; /* never a collection or object of ours */
	rc = taxii_filter_parse(listing, tlp, object_id, q, &f, detail, detail_len);
	if (rc == ERR_OK && q->next != NULL)
		rc = taxii_next(key, &f, org, q->next, after, detail, detail_len);
	else if (rc == ERR_OK)
		memcpy(after, f.added_after, sizeof after);
	if (rc == ERR_OK && (c = db_conn()) == NULL)
		rc = ERR_UNAVAILABLE;
	if (rc == ERR_OK)
		rc = db_taxii_clearance(c, org, &clearance);
	if (rc == ERR_OK && !taxii_cleared(clearance, tlp)) {
		snprintf(detail, detail_len, "your clearance does not include TLP:%s", tlp);
		rc = ERR_FORBIDDEN;
	}
	if (rc == ERR_OK)
		rc = taxii_fetch(c, key, org, &f, after[0] != '\0' ? after : NULL, page);
	/* an empty page of one object: 404 unless some version is readable */
	if (rc == ERR_OK && one_object && page->first[0] == '\0')
		rc = db_taxii_object_visible(c, org, tlp, f.object_id, &visible);
	if (rc == ERR_OK && !visible)
		rc = ERR_NOT_FOUND;
	if (rc != ERR_OK) {
		json_decref(page->body);
		memset(page, 0, sizeof *page);
	}
	json_decref(clearance);
	taxii_filter_free(&f);
	return rc;
}
