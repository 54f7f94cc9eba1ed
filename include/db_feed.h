/*
 * db_feed — SQL of the publication log and the feeds that read it.
 *
 * Publications and their objects get strictly increasing times under one
 * transaction-scoped lock, so transactions commit in the order of their
 * times and a reader paging by time never misses a row that commits later
 * with an earlier time. Entitlement is the SQL function entitled() (0003).
 */
#ifndef ISACD_DB_FEED_H
#define ISACD_DB_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"

struct db_publication {
	const char *bulletin_id;
	int version;
	const char *tlp, *severity, *incident_type;
	const char *sector; /* as published; NULL when generalized or withheld */
};

/*
 * Inside the publishing transaction: take the feed lock and record the
 * publication. *seq and published_at (text, microseconds) receive its place.
 */
enum err_code db_feed_publication(PGconn *c, const struct db_publication *p, long long *seq,
                                  char *published_at, size_t published_at_len);

/* Record one object of a publication (idempotent per tlp, id and version). */
enum err_code db_feed_object(PGconn *c, long long publication, const char *tlp,
                             const char *object_id, const char *type, const char *version,
                             bool shared, const char *object);

/* Wake feed listeners (delivered at COMMIT). */
enum err_code db_feed_notify(PGconn *c, long long publication);

/* Create or replace a subscriber's clearance and sectors (JSON arrays of strings). */
enum err_code db_subscriber_set(PGconn *c, const char *org_id, const char *clearance_json,
                                const char *sectors_json);

/* A subscriber with its live subscriptions. ERR_NOT_FOUND unless a subscriber org. */
enum err_code db_subscriber_view(PGconn *c, const char *org_id, json_t **out);

/* Add a subscription (types/sectors JSON arrays, webhook may be NULL). */
enum err_code db_subscription_insert(PGconn *c, const char *id, const char *org_id,
                                     const char *min_severity, const char *types_json,
                                     const char *sectors_json, const char *webhook_url);

/* Revoke one; owner receives its organization. ERR_NOT_FOUND when absent or revoked. */
enum err_code db_subscription_revoke(PGconn *c, const char *id, char owner[37]);

/* Replace a bulletin's named recipients (subscriber org ids, JSON array); *named = how many. */
enum err_code db_recipients_replace(PGconn *c, const char *bulletin_id, const char *orgs_json,
                                    int *named);

/* A subscription's filters (JSON arrays as text). ERR_NOT_FOUND unless the org's and live. */
enum err_code db_subscription_filters(PGconn *c, const char *id, const char *org_id,
                                      char min_severity[16], char **types_json,
                                      char **sectors_json);

/* Filters of a feed page; NULL members mean any. */
struct db_feed_filter {
	const char *severities_json; /* allowed severities */
	const char *types_json, *sectors_json;
};

/*
 * Entitled publications of subscriber after seq `after`, oldest first, as a
 * JSON array; *last receives the last row's seq (unchanged when none).
 */
enum err_code db_feed_page(PGconn *c, const char *subscriber, long long after, int limit,
                           const struct db_feed_filter *f, json_t **out, long long *last);

/*
 * The exact bytes and signature of a published version the subscriber may
 * read. ERR_NOT_FOUND otherwise (the same for missing and not entitled).
 */
enum err_code db_feed_bundle(PGconn *c, const char *bulletin_id, int version,
                             const char *subscriber, char **bytes, size_t *len, uint8_t sig[64]);

#endif
