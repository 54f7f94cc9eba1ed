/*
 * h_orgs — organizations, keys and token rotation for coordinators: HTTP
 * in, orgs/coord domain, HTTP out. No SQL and no cryptography here; the
 * caller's identity (req->actor, "token:<id>", and its organization) goes
 * to the audit log.
 */
#include "h_orgs.h"

#include <stdio.h>

#include "coord.h"
#include "h_coord.h"
#include "orgs.h"

static struct orgs_actor h_orgs_who(const struct http_request *req)
{
	return (struct orgs_actor){req->actor, req->coord.org_id};
}

enum err_code h_orgs_list(struct http_request *req, struct http_reply *rep)
{
	struct orgs_query q = {http_query(req, "kind"), http_query(req, "q"),
	                       http_query(req, "limit"), http_query(req, "cursor")};

	return orgs_list(req->env->key, &q, &rep->json, req->err_detail, sizeof req->err_detail);
}

enum err_code h_orgs_create(struct http_request *req, struct http_reply *rep)
{
	struct orgs_actor who = h_orgs_who(req);
	struct jspec_error err = {0};
	char id[UUID_STR_LEN + 1];
	json_t *body = NULL;
	enum err_code rc = http_json_body(req, &body);

	if (rc == ERR_OK && (rc = orgs_create(body, &who, id, &err)) != ERR_OK)
		(void)h_coord_spec_error(req, &err);
	if (rc == ERR_OK)
		rc = coord_org(id, &rep->json);
	if (rc == ERR_OK) {
		rep->status = 201;
		snprintf(rep->location, sizeof rep->location, "/v1/coord/orgs/%s", id);
	}
	json_decref(body);
	return rc;
}

enum err_code h_orgs_key_add(struct http_request *req, struct http_reply *rep)
{
	struct orgs_actor who = h_orgs_who(req);
	struct jspec_error err = {0};
	json_t *body = NULL;
	enum err_code rc = http_json_body(req, &body);

	if (rc == ERR_OK) {
		rc = orgs_key_add(req->params[0], body, true, &who, &rep->json, &err);
		if (rc == ERR_NOT_OPERATOR) /* the organization's state, not the caller's role */
			err.code = rc = ERR_CONFLICT;
		if (rc != ERR_OK && rc != ERR_NOT_FOUND)
			(void)h_coord_spec_error(req, &err);
	}
	if (rc == ERR_OK)
		rep->status = 201;
	json_decref(body);
	return rc;
}

enum err_code h_orgs_key_revoke(struct http_request *req, struct http_reply *rep)
{
	struct orgs_actor who = h_orgs_who(req);

	/* key ids need no %-encoding, but clients may encode ':' anyway */
	if (!http_param_decode(req, 0))
		return ERR_NOT_FOUND;
	return orgs_key_revoke(req->params[0], &who, &rep->json);
}

static const struct jspec_field h_orgs_rotate_spec[] = {
        {.name = "label", .kind = JSPEC_STRING, .min = 1, .max = 200},
        {.name = NULL},
};

enum err_code h_orgs_token_rotate(struct http_request *req, struct http_reply *rep)
{
	struct jspec_error err = {0};
	json_t *body = NULL;
	enum err_code rc = req->body_len > 0 ? http_json_body(req, &body) : ERR_OK;

	if (rc == ERR_OK && body != NULL && !jspec_check(body, h_orgs_rotate_spec, &err))
		rc = h_coord_spec_error(req, &err);
	if (rc == ERR_OK)
		rc = coord_token_rotate(req->params[0],
		                        json_string_value(json_object_get(body, "label")),
		                        req->actor, req->coord.org_id, &rep->json);
	if (rc == ERR_OK)
		rep->status = 201;
	json_decref(body);
	return rc;
}

const struct http_route h_orgs_routes[] = {
        {"GET", "/v1/coord/orgs", AUTH_COORDINATOR, h_orgs_list, ERRORS_PROBLEM},
        {"POST", "/v1/coord/orgs", AUTH_COORDINATOR, h_orgs_create, ERRORS_PROBLEM},
        {"POST", "/v1/coord/orgs/{}/keys", AUTH_COORDINATOR, h_orgs_key_add, ERRORS_PROBLEM},
        {"DELETE", "/v1/coord/keys/{}", AUTH_COORDINATOR, h_orgs_key_revoke, ERRORS_PROBLEM},
        {"POST", "/v1/coord/tokens/{}/rotate", AUTH_COORDINATOR, h_orgs_token_rotate,
         ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
