/*
 * h_regimes — reporting regimes for coordinators: HTTP in, regime domain,
 * HTTP out. No SQL here; the caller's identity (req->actor and its
 * organization) goes to the audit log.
 */
#include "h_regimes.h"

#include <stdio.h>

#include "regime.h"

/* Copy a validation error into the problem the http layer renders. */
static void h_regimes_error(struct http_request *req, const struct jspec_error *err)
{
	snprintf(req->err_pointer, sizeof req->err_pointer, "%s", err->pointer);
	snprintf(req->err_detail, sizeof req->err_detail, "%s", err->detail);
}

enum err_code h_regimes_list(struct http_request *req, struct http_reply *rep)
{
	(void)req;
	return regime_list(&rep->json);
}

/* Read the JSON body and hand it to a regime call naming params[0]. */
static enum err_code h_regimes_with_body(struct http_request *req, struct http_reply *rep,
                                         enum err_code (*fn)(const char *, const json_t *,
                                                             const char *, const char *, json_t **,
                                                             struct jspec_error *))
{
	struct jspec_error err = {0};
	json_t *body = NULL;
	enum err_code rc = http_json_body(req, &body);

	if (rc == ERR_OK) {
		rc = fn(req->params[0], body, req->actor, req->coord.org_id, &rep->json, &err);
		if (rc != ERR_OK && rc != ERR_NOT_FOUND)
			h_regimes_error(req, &err);
	}
	json_decref(body);
	return rc;
}

enum err_code h_regimes_set(struct http_request *req, struct http_reply *rep)
{
	return h_regimes_with_body(req, rep, regime_set);
}

enum err_code h_regimes_org_set(struct http_request *req, struct http_reply *rep)
{
	return h_regimes_with_body(req, rep, regime_org_set);
}

const struct http_route h_regimes_routes[] = {
        {"GET", "/v1/coord/regimes", AUTH_COORDINATOR, h_regimes_list, ERRORS_PROBLEM},
        {"PUT", "/v1/coord/regimes/{}", AUTH_COORDINATOR, h_regimes_set, ERRORS_PROBLEM},
        {"PUT", "/v1/coord/orgs/{}/regime", AUTH_COORDINATOR, h_regimes_org_set, ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
