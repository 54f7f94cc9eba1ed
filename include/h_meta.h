/*
 * h_meta — endpoints about the server itself: /healthz, /readyz,
 * /v1/server-key.
 */
#ifndef ISACD_H_META_H
#define ISACD_H_META_H

#include "http.h"

enum err_code h_meta_health(struct http_request *req, struct http_reply *rep);
enum err_code h_meta_ready(struct http_request *req, struct http_reply *rep);
enum err_code h_meta_server_key(struct http_request *req, struct http_reply *rep);

#endif
