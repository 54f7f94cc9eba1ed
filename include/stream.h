/*
 * stream — the events of the live streams as Server-Sent Events text. A
 * stream is one of two kinds behind one interface (stream_next,
 * stream_free), so http_stream carries both alike:
 *
 * - a subscriber's feed stream (GET /v1/stream): the JSON feed read one
 *   item at a time. Every event is the one-item page subscriber_feed()
 *   answers, so its data is exactly an item of GET /v1/bulletins (same
 *   entitlement, same filters, same JSON) and its id is that page's
 *   next_cursor — a feed cursor, authenticated and bound to the subscriber
 *   and the subscription. Last-Event-ID and the feed's cursor parameter
 *   therefore take each other's positions. Opened without Last-Event-ID it
 *   starts at the end of the publication log.
 * - a coordinator's audit stream (GET /v1/coord/stream): every audit log
 *   entry after the position, in seq order; the id is the entry's seq (not
 *   secret: any coordinator may read the whole log). Opened without
 *   Last-Event-ID it starts at the end of the audit log.
 *
 * Every round re-checks the token, so revoking it ends its streams at the
 * next wake-up or heartbeat. Nothing here knows HTTP or holds SQL; the
 * transport (waking, suspending, heartbeats) is http_stream.
 */
#ifndef ISACD_STREAM_H
#define ISACD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include "problem.h"
#include "signer.h"

/* Events, back to back, as they go on the wire. Zero-initialize; stream_text_free. */
struct stream_text {
	char *p;
	size_t len, cap;
};

struct stream; /* one stream's kind, token, position (and filters); opaque */

/* What a stream waits for: the notifications that may bring it events. */
#define STREAM_WAKE_BULLETINS 1u /* a publication ("isacd_bulletins") */
#define STREAM_WAKE_AUDIT     2u /* an audit entry ("isacd_audit") */

/*
 * Open a stream for subscriber (authenticated with token token_id),
 * narrowed by subscription's filters when not NULL, resuming after
 * last_event_id when not NULL. Every bound the stream will ever need is
 * checked here, before anything is sent: ERR_BAD_QUERY (detail names
 * `subscription` or `Last-Event-ID`) for a subscription that is not the
 * subscriber's, or an id this server did not issue to this subscriber for
 * this subscription; ERR_UNAVAILABLE when the database cannot answer.
 * On ERR_OK *out is the caller's (stream_free) and `first` holds the
 * opening of the stream: the reconnection delay and, when resuming, the
 * first batch of missed events.
 */
enum err_code stream_open(const struct signer_key *key, const char *subscriber,
                          const char *token_id, const char *subscription, const char *last_event_id,
                          struct stream **out, struct stream_text *first, char *detail,
                          size_t detail_len);

/*
 * Open a coordinator's audit stream (authenticated with token token_id),
 * resuming after the entry whose seq is last_event_id when not NULL.
 * ERR_BAD_QUERY (detail names `Last-Event-ID`) for an id that is not a
 * decimal seq or is beyond the latest entry; ERR_UNAVAILABLE when the
 * database cannot answer. On ERR_OK *out is the caller's (stream_free) and
 * `first` holds the reconnection delay and, when resuming, the first batch
 * of missed entries.
 */
enum err_code stream_open_audit(const char *token_id, const char *last_event_id,
                                struct stream **out, struct stream_text *first, char *detail,
                                size_t detail_len);

/* Which notifications concern s: STREAM_WAKE_BULLETINS or STREAM_WAKE_AUDIT. */
unsigned stream_wakes(const struct stream *s);

/*
 * Append to out the events of s since the last one appended (a bounded
 * batch). *more is true when the batch was cut short by its bound:
 * call again once out is sent. Returns ERR_OK (perhaps with nothing new);
 * ERR_UNAVAILABLE when the database is away (try again later); anything
 * else ends the stream: ERR_TOKEN_INVALID (the token was revoked),
 * ERR_BAD_QUERY (a feed stream's subscription was revoked), ERR_INTERNAL.
 * Events appended before a failure are still to be sent.
 */
enum err_code stream_next(struct stream *s, struct stream_text *out, bool *more);

/* Append an SSE comment that keeps the connection alive. Returns 0, or -1 (out of memory). */
int stream_text_heartbeat(struct stream_text *t);

void stream_text_free(struct stream_text *t);
void stream_free(struct stream *s);

#endif
