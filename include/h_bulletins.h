/*
 * h_bulletins — the coordinators' bulletin list (GET /v1/coord/bulletins);
 * one bulletin and its review stay in h_coord.
 */
#ifndef ISACD_H_BULLETINS_H
#define ISACD_H_BULLETINS_H

#include "http.h"

enum err_code h_bulletins_list(struct http_request *req, struct http_reply *rep);

#endif
