/*
 * http_stream — the transport of Server-Sent Events over libmicrohttpd
 * without pinning an HTTP thread per stream, shared by both kinds of
 * stream (stream.h): subscribers' bulletins (GET /v1/stream) and
 * coordinators' audit entries (GET /v1/coord/stream).
 *
 * A stream is a response whose body comes from a callback. When the
 * callback has nothing to send it suspends the connection
 * (MHD_suspend_connection): the connection leaves MHD's event loop and no
 * thread waits on it. One listener thread with its own database connection
 * LISTENs on "isacd_bulletins" (feed_publish NOTIFYs at COMMIT) and
 * "isacd_audit" (db_audit_append NOTIFYs at COMMIT); on a notification it
 * marks the streams that wait for that channel (stream_wakes), on a
 * heartbeat tick every stream, and resumes the suspended ones among them;
 * their callbacks then read what is new (stream_next) in the HTTP thread
 * that owns the connection. No stream polls the database on its own.
 *
 * Bounds: at most ISACD_MAX_STREAMS (default 256, 1..900; the daemon
 * admits 1000 connections) streams of either kind at once, refused with
 * 503 beyond; a heartbeat comment every ISACD_STREAM_HEARTBEAT_S (default
 * 15, 1..300) seconds, which is also when a vanished client is noticed (a
 * suspended connection sees no disconnect) and a revoked token ends its
 * stream.
 */
#ifndef ISACD_HTTP_STREAM_H
#define ISACD_HTTP_STREAM_H

#include <stddef.h>
#include "config.h"
#include "problem.h"
#include "stream.h"

struct MHD_Connection;
struct MHD_Response;

/*
 * Take the limits from cfg (ISACD_MAX_STREAMS, ISACD_STREAM_HEARTBEAT_S,
 * validated by config.c) and start the listener thread. Call before
 * http_start. Returns 0, or -1 (logged) when the thread cannot start.
 */
int http_stream_start(const struct config *cfg);

/*
 * End every stream and join the listener. Call before http_stop:
 * libmicrohttpd must not be stopped with suspended connections. Waits (at
 * most a few seconds) for the streams' connections to finish; any left
 * are closed with the daemon.
 */
void http_stream_stop(void);

/*
 * Take one of the stream slots before doing any work for a new stream.
 * ERR_UNAVAILABLE (detail says why) when all are taken or the server is
 * stopping. Give it back with http_stream_release unless it is handed to
 * http_stream_response.
 */
enum err_code http_stream_reserve(char *detail, size_t detail_len);
void http_stream_release(void);

/*
 * The response of a reserved stream on conn: `first` is sent first, then
 * what stream_next finds at each wake-up. Consumes s, first and the
 * reservation, whatever it returns: ERR_OK with *out to be queued (the
 * caller destroys its reference after queueing), or ERR_INTERNAL.
 */
enum err_code http_stream_response(struct MHD_Connection *conn, struct stream *s,
                                   struct stream_text *first, struct MHD_Response **out);

#endif
