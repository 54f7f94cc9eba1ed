/*
 * h_deliveries — webhook deliveries for coordinators: HTTP in, webhook
 * domain, HTTP out. No SQL and no cryptography here; the caller's identity
 * (req->actor, "token:<id>", and its organization) goes to the audit log.
 */
#include "h_deliveries.h"

#include "webhook.h"

enum err_code h_deliveries_list(struct http_request *req, struct http_reply *rep)
{
	struct webhook_query q = {http_query(req, "state"), http_query(req, "subscription"),
	                          http_query(req, "limit"), http_query(req, "cursor")};

	return webhook_deliveries(req->env->key, &q, &rep->json, req->err_detail,
	                          sizeof req->err_detail);
}

enum err_code h_deliveries_get(struct http_request *req, struct http_reply *rep)
{
	return webhook_delivery(req->params[0], &rep->json);
}

enum err_code h_deliveries_replay(struct http_request *req, struct http_reply *rep)
{
	return webhook_replay(req->params[0], req->actor, req->coord.org_id, &rep->json,
	                      req->err_detail, sizeof req->err_detail);
}

const struct http_route h_deliveries_routes[] = {
        {"GET", "/v1/coord/deliveries", AUTH_COORDINATOR, h_deliveries_list, ERRORS_PROBLEM},
        {"GET", "/v1/coord/deliveries/{}", AUTH_COORDINATOR, h_deliveries_get, ERRORS_PROBLEM},
        {"POST", "/v1/coord/deliveries/{}/replay", AUTH_COORDINATOR, h_deliveries_replay,
         ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
