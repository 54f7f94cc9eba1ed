/*
 * webhook — signed webhook deliveries of published bulletins.
 *
 * A publication becomes one delivery per live webhook subscription that is
 * entitled to it (the SQL function entitled(), as every feed) and passes
 * the subscription's filters, in the publishing transaction. A delivery
 * thread (one per isacd, beside the worker) claims due deliveries with FOR
 * UPDATE SKIP LOCKED, POSTs the exact published bundle bytes signed twice
 * (the bulletin signature in Isacd-Signature, and an RFC 9421 signature of
 * the request by the server key), and records the outcome in the same
 * transaction. Failures are retried with exponential backoff and jitter
 * until ISACD_WEBHOOK_MAX_AGE_S, then dead-lettered; coordinators list
 * deliveries and replay dead ones.
 *
 * Guarantees: a subscription's deliveries go out in publication order (a
 * later one waits until every earlier one is delivered or dead); several
 * isacd processes on one database send each delivery once in normal
 * operation, at least once across crashes (every attempt carries the same
 * Idempotency-Key). Never logs webhook URLs (they often hold secrets).
 */
#ifndef ISACD_WEBHOOK_H
#define ISACD_WEBHOOK_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "bulletin.h"
#include "problem.h"
#include "signer.h"

/*
 * Inside the publishing transaction c: make the deliveries of publication
 * seq and wake the delivery threads (at COMMIT). Returns ERR_OK or a db error.
 */
enum err_code webhook_enqueue(PGconn *c, long long seq);

/*
 * Start the delivery thread (its own database connection; env stays
 * borrowed until webhook_stop). Call from the main thread, before or after
 * the worker. Returns 0, or -1 when libcurl or the thread cannot start.
 */
int webhook_start(const struct bulletin_env *env);

/*
 * Stop the delivery thread and join it. Transfers in flight are abandoned
 * within ~0.1 s and stay pending (sent again later with the same key).
 */
void webhook_stop(void);

/* A coordinator's listing; members as received, NULL when absent. */
struct webhook_query {
	const char *state;        /* pending | delivered | dead */
	const char *subscription; /* a subscription id */
	const char *limit;        /* 1..100, default 50 */
	const char *cursor;       /* from the previous page */
};

/*
 * Deliveries newest first: {"deliveries": […], "next_cursor": …|null}.
 * ERR_BAD_QUERY (detail names the parameter) for a bad state, subscription,
 * limit or cursor; cursors are authenticated with the server key and bound
 * to the filters they were made with.
 */
enum err_code webhook_deliveries(const struct signer_key *key, const struct webhook_query *q,
                                 json_t **out, char *detail, size_t detail_len);

/* One delivery's view (*out, new reference). ERR_NOT_FOUND. */
enum err_code webhook_delivery(const char *id, json_t **out);

/*
 * Make a dead delivery pending again with a fresh retry window, audited as
 * "delivery.replayed" by actor with actor_org (may be NULL) as by_org.
 * *out is the delivery's view. ERR_NOT_FOUND; ERR_CONFLICT (detail says
 * why) when it is not dead, its subscription was revoked, or the subscriber
 * is no longer entitled to the bulletin.
 */
enum err_code webhook_replay(const char *id, const char *actor, const char *actor_org, json_t **out,
                             char *detail, size_t detail_len);

#endif
