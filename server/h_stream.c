/*
 * h_stream — the live stream endpoint: HTTP in (the subscriber from the
 * token, `subscription`, Last-Event-ID), the stream domain, and a reply
 * whose body http_stream produces for as long as the client listens.
 * Everything that can be refused is refused here, as a problem, before
 * the 200 and the first byte of the stream.
 */
#include "h_stream.h"

#include <stdio.h>

#include "http_stream.h"
#include "stream.h"

enum err_code h_stream_open(struct http_request *req, struct http_reply *rep)
{
	struct stream *s = NULL;
	struct stream_text first = {0};
	/* EventSource sends no Last-Event-ID before it has one; an empty one means none */
	const char *last = http_header(req, "Last-Event-ID");
	enum err_code rc = http_stream_reserve(req->err_detail, sizeof req->err_detail);

	if (rc != ERR_OK)
		return rc;
	rc = stream_open(req->env->key, req->sub.org_id, req->sub.token_id,
	                 http_query(req, "subscription"),
	                 last != NULL && *last != '\0' ? last : NULL, &s, &first, req->err_detail,
	                 sizeof req->err_detail);
	if (rc != ERR_OK) {
		http_stream_release();
		return rc;
	}
	rc = http_stream_response(req->conn, s, &first, &rep->response);
	if (rc == ERR_OK)
		snprintf(rep->content_type, sizeof rep->content_type, "text/event-stream");
	return rc;
}

const struct http_route h_stream_routes[] = {
        {"GET", "/v1/stream", AUTH_SUBSCRIBER, h_stream_open, ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
