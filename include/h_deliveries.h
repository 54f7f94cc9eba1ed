/*
 * h_deliveries — coordinator endpoints of webhook deliveries: the listing
 * (dead letters included), one delivery, and the replay of a dead one.
 */
#ifndef ISACD_H_DELIVERIES_H
#define ISACD_H_DELIVERIES_H

#include "http.h"

enum err_code h_deliveries_list(struct http_request *req, struct http_reply *rep);
enum err_code h_deliveries_get(struct http_request *req, struct http_reply *rep);
enum err_code h_deliveries_replay(struct http_request *req, struct http_reply *rep);

#endif
