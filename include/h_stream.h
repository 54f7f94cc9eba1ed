/*
 * h_stream — GET /v1/stream: a subscriber's live stream of bulletins, and
 * GET /v1/coord/stream: a coordinator's live stream of audit entries, as
 * Server-Sent Events.
 */
#ifndef ISACD_H_STREAM_H
#define ISACD_H_STREAM_H

#include "http.h"

enum err_code h_stream_open(struct http_request *req, struct http_reply *rep);
enum err_code h_stream_open_audit(struct http_request *req, struct http_reply *rep);

#endif
