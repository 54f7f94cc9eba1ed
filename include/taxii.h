/*
 * taxii — the TAXII 2.1 read side: discovery, the API root, four fixed
 * collections (one per publishable TLP level) and the pages of objects,
 * manifests and versions a subscriber may read in them.
 *
 * A collection serves the feed_objects rows of its TLP that the subscriber
 * may read: objects every bundle repeats (`shared`: the ISAC identity, TLP
 * markings) when its clearance includes the TLP, and the objects of every
 * publication entitled() grants it (the one SQL definition of entitlement).
 * Pages are keyset pages on date_added, which the publication log makes
 * strictly increasing and commit-ordered, so paging by `next` or by
 * added_after returns each object once, at any depth, for the same cost.
 *
 * `next` is an authenticated cursor (cursor.h) that binds the listing, the
 * collection, the subscriber and a hash of the filters to the last
 * date_added served. It is re-checked on every request (a mismatch is
 * ERR_BAD_QUERY) and only ever used as a position: the entitlement is
 * evaluated again by every query.
 *
 * The parsing and cursor-binding functions are pure (no SQL, no HTTP) so
 * that tests/unit/test_taxii.c calls them directly.
 */
#ifndef ISACD_TAXII_H
#define ISACD_TAXII_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "clock.h"
#include "config.h"
#include "problem.h"
#include "signer.h"

#define TAXII_MEDIA_TYPE      "application/taxii+json;version=2.1"
#define TAXII_STIX_MEDIA_TYPE "application/stix+json;version=2.1"
#define TAXII_LIMIT_DEFAULT   100
#define TAXII_LIMIT_MAX       1000
#define TAXII_MATCH_MAX       100 /* values in one match[…] parameter */
#define TAXII_ID_MAX          300 /* bytes of one STIX id ("<type>--<uuid>") */
#define TAXII_CURSOR_PAYLOAD  256
#define TAXII_HASH_HEX        32 /* hex digits of the filter hash */

/* What a page lists; each has its own envelope. */
enum taxii_listing {
	TAXII_OBJECTS,  /* …/objects/: {"more", "next"?, "objects"} */
	TAXII_MANIFEST, /* …/manifest/: {"more", "next"?, "objects": [manifest records]} */
	TAXII_OBJECT,   /* …/objects/{id}/: like TAXII_OBJECTS for one id */
	TAXII_VERSIONS, /* …/objects/{id}/versions/: {"more", "next"?, "versions"} */
};

/* Query parameters as received (percent-decoded); NULL when absent. */
struct taxii_query {
	const char *added_after, *limit, *next;
	const char *match_id, *match_type, *match_version, *match_spec_version;
};

/*
 * A validated query. The JSON arrays are owned (taxii_filter_free); NULL
 * means "any". The version selectors combine with OR; with none given the
 * default is `last` (TAXII_VERSIONS: `all`, always).
 */
struct taxii_filter {
	enum taxii_listing listing;
	const char *tlp;                  /* the collection's TLP (a static string) */
	char object_id[TAXII_ID_MAX + 1]; /* TAXII_OBJECT, TAXII_VERSIONS; else "" */
	int limit;
	char added_after[CLOCK_RFC3339_LEN + 1]; /* normalized, or "" */
	json_t *ids, *types, *spec_versions;
	json_t *versions; /* normalized timestamps of match[version], or NULL */
	bool version_all, version_first, version_last;
};

/*
 * Whether an Accept header allows a TAXII 2.1 answer: it is absent or
 * empty, or one of its media ranges with a q above 0 is
 * application/taxii+json (without a version parameter, or version=2.1) or
 * a wildcard range covering it (all types, or all application types). Pure.
 */
bool taxii_accept_ok(const char *accept);

/* The TLP of a collection id ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT"), or NULL. */
const char *taxii_collection_tlp(const char *collection_id);

/* Whether s is a STIX identifier: "<type>--<uuid>" with a valid type name. Pure. */
bool taxii_stix_id_ok(const char *s);

/*
 * Validate q for a listing of collection `tlp` (and object_id for
 * TAXII_OBJECT and TAXII_VERSIONS; match[id] and match[type] are then
 * ignored, as is match[version] for TAXII_VERSIONS) into *f. limit 1..
 * (larger values are clamped to TAXII_LIMIT_MAX). Returns ERR_OK, or
 * ERR_BAD_QUERY with detail naming the parameter (f then holds nothing to
 * free). Does not look at q->next. Pure.
 */
enum err_code taxii_filter_parse(enum taxii_listing listing, const char *tlp, const char *object_id,
                                 const struct taxii_query *q, struct taxii_filter *f, char *detail,
                                 size_t detail_len);

/* Free what f owns; f may be zeroed or parsed. */
void taxii_filter_free(struct taxii_filter *f);

/*
 * The hash (hex, NUL-terminated) of what f selects, limit excluded: two
 * filters hash alike exactly when they select the same rows. Pure.
 */
void taxii_filter_hash(const struct taxii_filter *f, char out[TAXII_HASH_HEX + 1]);

/*
 * The cursor payload that continues f for subscriber org after the row
 * added at date_added. Returns 0, or -1 when out is too small. Pure.
 */
int taxii_cursor_payload(const struct taxii_filter *f, const char *org, const char *date_added,
                         char *out, size_t out_len);

/*
 * Check a decoded cursor payload against f and org; on ERR_OK `after`
 * receives the position (a normalized date_added). ERR_BAD_QUERY when the
 * payload belongs to another listing, collection, subscriber or filter, or
 * is not one of ours. Pure.
 */
enum err_code taxii_cursor_position(const struct taxii_filter *f, const char *org,
                                    const char *payload, char after[CLOCK_RFC3339_LEN + 1]);

/* The discovery resource (new reference, NULL on allocation failure). */
json_t *taxii_discovery(const struct config *cfg);

/* The API root resource (new reference, NULL on allocation failure). */
json_t *taxii_api_root(const struct config *cfg);

/*
 * {"collections": [four collection resources]} for subscriber org, with
 * can_read from its clearance. *out is a new reference. ERR_UNAVAILABLE.
 */
enum err_code taxii_collections(const char *org, json_t **out);

/* One collection resource; ERR_NOT_FOUND for an unknown id. */
enum err_code taxii_collection(const char *org, const char *collection_id, json_t **out);

/* A page and the date_added of its first and last rows ("" when empty). */
struct taxii_page {
	json_t *body; /* the envelope; owned by the caller */
	char first[CLOCK_RFC3339_LEN + 1], last[CLOCK_RFC3339_LEN + 1];
};

/*
 * One page of `listing` in collection_id (object_id for TAXII_OBJECT and
 * TAXII_VERSIONS, else NULL) for subscriber org, `next` checked with the
 * cursor key of `key`. ERR_NOT_FOUND for an unknown collection, and for an
 * object of which the subscriber may read no version (the same as a
 * missing one); ERR_FORBIDDEN when the subscriber's clearance does not
 * include the collection's TLP; ERR_BAD_QUERY (detail names the parameter);
 * ERR_UNAVAILABLE, ERR_INTERNAL. On ERR_OK page->body is set.
 */
enum err_code taxii_list(const struct signer_key *key, const char *org, enum taxii_listing listing,
                         const char *collection_id, const char *object_id,
                         const struct taxii_query *q, struct taxii_page *page, char *detail,
                         size_t detail_len);

#endif
