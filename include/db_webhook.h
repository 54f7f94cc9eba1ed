/*
 * db_webhook — SQL of webhook deliveries (migrations/0004_webhooks.sql).
 *
 * Deliveries are an outbox: made in the publishing transaction, claimed
 * with FOR UPDATE SKIP LOCKED by the delivery thread of any isacd, and kept
 * locked while they are sent, so one row is in flight at one place at a
 * time. A subscription's deliveries are claimed strictly in publication
 * order: only the earliest pending one (the head) of a subscription is ever
 * claimable. Entitlement and filters are decided by the SQL function
 * entitled() and the subscription's columns, as every feed does.
 */
#ifndef ISACD_DB_WEBHOOK_H
#define ISACD_DB_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"
#include "uuid.h"

/*
 * Inside the publishing transaction: one delivery for every live webhook
 * subscription entitled to publication `seq` and passing its filters.
 * severities_json is the severity vocabulary in ascending order (a JSON
 * array), which min_severity is compared along. *made receives how many.
 */
enum err_code db_webhook_enqueue(PGconn *c, long long seq, const char *severities_json, int *made);

/* Wake delivery threads (isacd_webhooks; delivered at COMMIT). */
enum err_code db_webhook_notify(PGconn *c, const char *what);

/* A claimed delivery with everything needed to send it. */
struct db_delivery {
	long long id;
	char idempotency_key[UUID_STR_LEN + 1];
	char subscription[UUID_STR_LEN + 1];
	char bulletin_id[UUID_STR_LEN + 1];
	int version;
	int attempts;       /* before this one, in the current retry window */
	char *url;          /* malloc'd; NULL when the subscription has none */
	char unusable[128]; /* non-empty: why it must not be sent (revoked, no longer entitled) */
	char *bundle;       /* malloc'd exact published bytes, NUL-terminated */
	size_t bundle_len;
	uint8_t signature[64]; /* the bulletin signature */
};

/* Free what a db_delivery owns (not the struct). */
void db_delivery_clear(struct db_delivery *d);

/*
 * Claim up to `max` due head deliveries (locked until the transaction
 * ends) into out[0..*n). The caller clears each with db_delivery_clear.
 */
enum err_code db_webhook_claim(PGconn *c, int max, struct db_delivery *out, int *n);

/*
 * Record an attempt of delivery id: delivered (2xx), or failed with
 * `status` (0: no HTTP answer) and `error`. A failure is retried after
 * retry_ms (capped at the end of the retry window), or marks the delivery
 * dead when it happens at or after window_from + max_age_s (*dead).
 */
enum err_code db_webhook_result(PGconn *c, long long id, bool delivered, long status,
                                const char *error, long long retry_ms, unsigned max_age_s,
                                bool *dead);

/* Dead-letter a delivery without sending it; reason goes to last_error. */
enum err_code db_webhook_cancel(PGconn *c, long long id, const char *reason);

/*
 * Milliseconds until the earliest head delivery is due (≤ 0: due now);
 * *any = false when nothing is pending.
 */
enum err_code db_webhook_next_due(PGconn *c, long long *ms, bool *any);

/* Filters of a coordinator listing; NULL members mean any. */
struct db_delivery_query {
	const char *state;        /* "pending", "delivered" or "dead" */
	const char *subscription; /* a uuid */
	long long before;         /* keyset: ids below this (0: from the newest) */
	int limit;
};

/*
 * Deliveries newest first as a JSON array of views (api.md); *last is the
 * last row's id (unchanged when none).
 */
enum err_code db_delivery_list(PGconn *c, const struct db_delivery_query *q, json_t **out,
                               long long *last);

/* One delivery's view. ERR_NOT_FOUND when there is none. */
enum err_code db_delivery_get(PGconn *c, long long id, json_t **out);

/*
 * Lock one delivery for a replay: its state ("pending", "delivered",
 * "dead"), why it cannot be sent now (unusable, "" when it can), and the
 * facts an audit entry names (*facts, new reference). ERR_NOT_FOUND.
 */
enum err_code db_delivery_lock(PGconn *c, long long id, char state[16], char unusable[128],
                               json_t **facts);

/* Make a dead delivery pending again with a fresh retry window. */
enum err_code db_delivery_replay(PGconn *c, long long id);

#endif
