/*
 * h_regimes — coordinator endpoints of reporting regimes: the list, create
 * or replace one, and assign one to an operator organization.
 */
#ifndef ISACD_H_REGIMES_H
#define ISACD_H_REGIMES_H

#include "http.h"

enum err_code h_regimes_list(struct http_request *req, struct http_reply *rep);
enum err_code h_regimes_set(struct http_request *req, struct http_reply *rep);
enum err_code h_regimes_org_set(struct http_request *req, struct http_reply *rep);

#endif
