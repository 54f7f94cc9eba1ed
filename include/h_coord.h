/*
 * h_coord — HTTP handlers of the coordinator API (/v1/coord/…): the queue,
 * incidents, bulletins and their review, indicators, organizations.
 * Every route requires a coordinator's bearer token (http.c checks it).
 */
#ifndef ISACD_H_COORD_H
#define ISACD_H_COORD_H

#include "http.h"
#include "jspec.h"

/* Copy a validation error into the problem the http layer renders; returns err->code. */
enum err_code h_coord_spec_error(struct http_request *req, const struct jspec_error *err);

enum err_code h_coord_incidents(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_incident(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_bulletin(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_bulletin_edit(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_bulletin_bundle(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_bulletin_approve(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_bulletin_reject(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_indicators(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_org(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_org_profile(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_subscriber(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_subscriber_set(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_subscribe(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_unsubscribe(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_recipients(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_token_issue(struct http_request *req, struct http_reply *rep);
enum err_code h_coord_token_revoke(struct http_request *req, struct http_reply *rep);

#endif
