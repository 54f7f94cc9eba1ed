/*
 * h_bulletins — the coordinators' bulletin list: HTTP in, bulletin_list,
 * HTTP out. No SQL here; read-only.
 */
#include "h_bulletins.h"

#include "bulletin_list.h"

enum err_code h_bulletins_list(struct http_request *req, struct http_reply *rep)
{
	struct bulletin_list_query q = {http_query(req, "status"), http_query(req, "limit"),
	                                http_query(req, "cursor")};

	return bulletin_list(req->env->key, &q, &rep->json, req->err_detail,
	                     sizeof req->err_detail);
}

const struct http_route h_bulletins_routes[] = {
        {"GET", "/v1/coord/bulletins", AUTH_COORDINATOR, h_bulletins_list, ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
