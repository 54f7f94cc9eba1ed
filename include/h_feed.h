/*
 * h_feed — the subscriber's JSON feed: GET /v1/bulletins and the exact
 * signed bytes of one published version.
 */
#ifndef ISACD_H_FEED_H
#define ISACD_H_FEED_H

#include "http.h"

enum err_code h_feed_list(struct http_request *req, struct http_reply *rep);
enum err_code h_feed_bundle(struct http_request *req, struct http_reply *rep);

#endif
