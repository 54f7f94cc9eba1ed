/*
 * h_insight — the audit log and statistics for coordinators: HTTP in,
 * insight domain, HTTP out. No SQL here, and nothing audited: these
 * endpoints only read.
 */
#include "h_insight.h"

#include "insight.h"

enum err_code h_insight_audit(struct http_request *req, struct http_reply *rep)
{
	struct insight_audit_query q = {http_query(req, "limit"), http_query(req, "before"),
	                                http_query(req, "action")};

	return insight_audit(&q, &rep->json, req->err_detail, sizeof req->err_detail);
}

enum err_code h_insight_audit_verify(struct http_request *req, struct http_reply *rep)
{
	(void)req; /* no body: a body, if any, is ignored */
	return insight_audit_verify(&rep->json);
}

enum err_code h_insight_stats(struct http_request *req, struct http_reply *rep)
{
	return insight_stats(http_query(req, "weeks"), &rep->json, req->err_detail,
	                     sizeof req->err_detail);
}

const struct http_route h_insight_routes[] = {
        {"GET", "/v1/coord/audit", AUTH_COORDINATOR, h_insight_audit, ERRORS_PROBLEM},
        {"POST", "/v1/coord/audit/verify", AUTH_COORDINATOR, h_insight_audit_verify,
         ERRORS_PROBLEM},
        {"GET", "/v1/coord/stats", AUTH_COORDINATOR, h_insight_stats, ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
