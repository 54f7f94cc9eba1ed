/*
 * h_insight — coordinator endpoints of the audit log and the statistics:
 * GET /v1/coord/audit, POST /v1/coord/audit/verify, GET /v1/coord/stats.
 * Every route requires a coordinator's bearer token (http.c checks it).
 */
#ifndef ISACD_H_INSIGHT_H
#define ISACD_H_INSIGHT_H

#include "http.h"

enum err_code h_insight_audit(struct http_request *req, struct http_reply *rep);
enum err_code h_insight_audit_verify(struct http_request *req, struct http_reply *rep);
enum err_code h_insight_stats(struct http_request *req, struct http_reply *rep);

#endif
