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

#endif
