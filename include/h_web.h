/*
 * h_web — the coordinators' dashboard: GET /dashboard/ and its assets,
 * served from embed_web[] (the files of web/, compiled into the binary by
 * deploy/embed.sh).
 *
 * No authentication: the page is public; every API call it makes carries
 * the coordinator's bearer token. Every response of these routes, 404 and
 * redirect included, carries the dashboard's Content-Security-Policy,
 * Referrer-Policy and X-Frame-Options (http.c adds Cache-Control: no-store
 * and X-Content-Type-Options: nosniff to every response).
 */
#ifndef ISACD_H_WEB_H
#define ISACD_H_WEB_H

#include "http.h"

#define H_WEB_CSP                                                                                  \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* GET /dashboard: 308 to /dashboard/. */
enum err_code h_web_redirect(struct http_request *req, struct http_reply *rep);
/* GET /dashboard/: index.html. */
enum err_code h_web_index(struct http_request *req, struct http_reply *rep);
/* GET /dashboard/{name}: one embedded asset, or 404. */
enum err_code h_web_asset(struct http_request *req, struct http_reply *rep);

/* The Content-Type for an asset name, from its extension. */
const char *h_web_content_type(const char *name);

#endif
