/*
 * h_stream — the live stream endpoints: HTTP in (the subscriber or
 * coordinator token, `subscription`, Last-Event-ID), the stream domain,
 * and a reply whose body http_stream produces for as long as the client
 * listens. Everything that can be refused is refused here, as a problem,
 * before the 200 and the first byte of the stream.
 */
#include "h_stream.h"

#include <stdio.h>

#include "http_stream.h"
#include "stream.h"

/* Last-Event-ID, or NULL: EventSource sends none before it has one; an empty one means none. */
static const char *h_stream_last_event_id(struct http_request *req)
{
	const char *last = http_header(req, "Last-Event-ID");

	return last != NULL && *last != '\0' ? last : NULL;
}

/* Answer with the stream just opened, or the error that refused it (the slot back). */
static enum err_code h_stream_reply(struct http_request *req, struct http_reply *rep,
                                    enum err_code rc, struct stream *s, struct stream_text *first)
{
	if (rc != ERR_OK) {
		http_stream_release();
		return rc;
	}
	rc = http_stream_response(req->conn, s, first, &rep->response);
	if (rc == ERR_OK)
		snprintf(rep->content_type, sizeof rep->content_type, "text/event-stream");
	return rc;
}

enum err_code h_stream_open(struct http_request *req, struct http_reply *rep)
{
	struct stream *s = NULL;
	struct stream_text first = {0};
	enum err_code rc = http_stream_reserve(req->err_detail, sizeof req->err_detail);

	if (rc != ERR_OK)
		return rc;
	rc = stream_open(req->env->key, req->sub.org_id, req->sub.token_id,
	                 http_query(req, "subscription"), h_stream_last_event_id(req), &s, &first,
	                 req->err_detail, sizeof req->err_detail);
	return h_stream_reply(req, rep, rc, s, &first);
}

enum err_code h_stream_open_audit(struct http_request *req, struct http_reply *rep)
{
	struct stream *s = NULL;
	struct stream_text first = {0};
	enum err_code rc = http_stream_reserve(req->err_detail, sizeof req->err_detail);

	if (rc != ERR_OK)
		return rc;
	rc = stream_open_audit(req->coord.token_id, h_stream_last_event_id(req), &s, &first,
	                       req->err_detail, sizeof req->err_detail);
	return h_stream_reply(req, rep, rc, s, &first);
}

const struct http_route h_stream_routes[] = {
        {"GET", "/v1/stream", AUTH_SUBSCRIBER, h_stream_open, ERRORS_PROBLEM},
        {"GET", "/v1/coord/stream", AUTH_COORDINATOR, h_stream_open_audit, ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
