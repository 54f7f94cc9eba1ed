/*
 * h_reports — HTTP handlers of the operator's report resources:
 * POST /v1/reports, GET /v1/reports/{id}, GET /v1/incidents/{id}.
 */
#ifndef ISACD_H_REPORTS_H
#define ISACD_H_REPORTS_H

#include "http.h"

enum err_code h_reports_create(struct http_request *req, struct http_reply *rep);
enum err_code h_reports_get(struct http_request *req, struct http_reply *rep);
enum err_code h_incidents_get(struct http_request *req, struct http_reply *rep);

#endif
