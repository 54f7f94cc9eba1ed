/*
 * webhook_internal — what webhook.c (the delivery thread) asks of
 * webhook_send.c (the HTTP side). Not a public header.
 */
#ifndef ISACD_WEBHOOK_INTERNAL_H
#define ISACD_WEBHOOK_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "db_webhook.h"
#include "signer.h"

#define WEBHOOK_CONNECT_TIMEOUT_MS 5000L
#define WEBHOOK_TOTAL_TIMEOUT_MS   15000L

/* One POST of a claimed delivery and its outcome. */
struct webhook_attempt {
	const struct db_delivery *d; /* borrowed */
	bool finished;               /* false: abandoned at stop, nothing to record */
	bool ok;                     /* a 2xx answer */
	long status;                 /* HTTP status, 0 when there was no answer */
	char error[160];             /* why it failed; never holds the URL */
};

/*
 * POST every attempt concurrently (libcurl multi), each bounded by
 * WEBHOOK_CONNECT_TIMEOUT_MS / WEBHOOK_TOTAL_TIMEOUT_MS; returns when all
 * finished, or within ~0.1 s of *stopping becoming true (unfinished ones
 * keep finished = false). A request that cannot even be built (a URL that
 * does not parse) finishes as a failure.
 */
void webhook_send_batch(const struct signer_key *key, struct webhook_attempt *a, size_t n,
                        const atomic_bool *stopping);

#endif
