/*
 * h_coord — coordinator endpoints: HTTP in, bulletin/coord domain, HTTP out.
 * No SQL and no cryptography here; the caller's identity (req->actor,
 * "token:<id>") goes to the domain for the audit log.
 */
#include "h_coord.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulletin.h"
#include "coord.h"
#include "subscriber.h"

static struct bulletin_env h_coord_env(const struct http_request *req)
{
	return (struct bulletin_env){req->env->cfg, req->env->key};
}

enum err_code h_coord_spec_error(struct http_request *req, const struct jspec_error *err)
{
	snprintf(req->err_pointer, sizeof req->err_pointer, "%s", err->pointer);
	snprintf(req->err_detail, sizeof req->err_detail, "%s", err->detail);
	return err->code;
}

enum err_code h_coord_incidents(struct http_request *req, struct http_reply *rep)
{
	struct coord_incident_query q = {
	        http_query(req, "sector"), http_query(req, "severity"), http_query(req, "phase"),
	        http_query(req, "status"), http_query(req, "review"),   http_query(req, "q"),
	        http_query(req, "limit"),  http_query(req, "cursor"),   http_query(req, "overdue"),
	};

	return coord_incidents(req->env->key, &q, &rep->json, req->err_detail,
	                       sizeof req->err_detail);
}

enum err_code h_coord_incident(struct http_request *req, struct http_reply *rep)
{
	struct bulletin_env env = h_coord_env(req);

	return coord_incident(&env, req->params[0], &rep->json);
}

enum err_code h_coord_bulletin(struct http_request *req, struct http_reply *rep)
{
	struct bulletin_env env = h_coord_env(req);

	return bulletin_view(&env, req->params[0], &rep->json);
}

enum err_code h_coord_bulletin_edit(struct http_request *req, struct http_reply *rep)
{
	struct bulletin_env env = h_coord_env(req);
	struct jspec_error err = {0};
	json_t *body = NULL;
	enum err_code rc = http_json_body(req, &body);

	if (rc == ERR_OK) {
		rc = bulletin_edit(&env, req->params[0], body, req->actor, req->coord.org_id,
		                   &rep->json, &err);
		if (rc != ERR_OK && rc != ERR_NOT_FOUND)
			(void)h_coord_spec_error(req, &err);
	}
	json_decref(body);
	return rc;
}

enum err_code h_coord_bulletin_bundle(struct http_request *req, struct http_reply *rep)
{
	uint8_t sig[64];
	char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)], ver[16];
	bool is_signed = false;
	int version = 0;
	enum err_code rc = bulletin_bundle(req->params[0], &rep->raw, &rep->raw_len, &version, sig,
	                                   &is_signed);

	if (rc != ERR_OK)
		return rc;
	snprintf(rep->content_type, sizeof rep->content_type, "application/stix+json;version=2.1");
	snprintf(ver, sizeof ver, "%d", version);
	(void)http_reply_header(rep, "Isacd-Bulletin-Version", ver);
	if (is_signed) {
		sodium_bin2base64(b64, sizeof b64, sig, 64, sodium_base64_VARIANT_ORIGINAL);
		(void)http_reply_header(rep, "Isacd-Signature", b64);
		(void)http_reply_header(rep, "Isacd-Signature-Key", req->env->key->key_id);
	}
	return ERR_OK;
}

enum err_code h_coord_bulletin_approve(struct http_request *req, struct http_reply *rep)
{
	struct bulletin_env env = h_coord_env(req);

	return bulletin_approve(&env, req->params[0], req->actor, req->coord.org_id, &rep->json,
	                        req->err_detail, sizeof req->err_detail);
}

static const struct jspec_field h_coord_reject_spec[] = {
        {.name = "reason", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 2000},
        {.name = NULL},
};

enum err_code h_coord_bulletin_reject(struct http_request *req, struct http_reply *rep)
{
	struct bulletin_env env = h_coord_env(req);
	struct jspec_error err = {0};
	json_t *body = NULL;
	enum err_code rc = http_json_body(req, &body);

	if (rc == ERR_OK && !jspec_check(body, h_coord_reject_spec, &err))
		rc = h_coord_spec_error(req, &err);
	if (rc == ERR_OK)
		rc = bulletin_reject(&env, req->params[0],
		                     json_string_value(json_object_get(body, "reason")), req->actor,
		                     req->coord.org_id, &rep->json, req->err_detail,
		                     sizeof req->err_detail);
	json_decref(body);
	return rc;
}

enum err_code h_coord_indicators(struct http_request *req, struct http_reply *rep)
{
	return coord_indicators(req->env->key, http_query(req, "q"), http_query(req, "limit"),
	                        http_query(req, "cursor"), &rep->json, req->err_detail,
	                        sizeof req->err_detail);
}

enum err_code h_coord_org(struct http_request *req, struct http_reply *rep)
{
	return coord_org(req->params[0], &rep->json);
}

enum err_code h_coord_org_profile(struct http_request *req, struct http_reply *rep)
{
	struct jspec_error err = {0};
	json_t *body = NULL;
	enum err_code rc = http_json_body(req, &body);

	if (rc == ERR_OK) {
		rc = coord_org_profile(req->params[0], body, req->actor, req->coord.org_id,
		                       &rep->json, &err);
		if (rc != ERR_OK && rc != ERR_NOT_FOUND)
			(void)h_coord_spec_error(req, &err);
	}
	json_decref(body);
	return rc;
}

static struct subscriber_actor h_coord_who(const struct http_request *req)
{
	return (struct subscriber_actor){req->actor, req->coord.org_id};
}

/* Read a JSON body and hand it to a subscriber-management call. */
static enum err_code h_coord_with_body(struct http_request *req, struct http_reply *rep,
                                       enum err_code (*fn)(const char *, const json_t *,
                                                           const struct subscriber_actor *,
                                                           json_t **, struct jspec_error *))
{
	struct subscriber_actor who = h_coord_who(req);
	struct jspec_error err = {0};
	json_t *body = NULL;
	enum err_code rc = http_json_body(req, &body);

	if (rc == ERR_OK) {
		rc = fn(req->params[0], body, &who, &rep->json, &err);
		if (rc != ERR_OK && rc != ERR_NOT_FOUND)
			(void)h_coord_spec_error(req, &err);
	}
	json_decref(body);
	return rc;
}

enum err_code h_coord_subscriber(struct http_request *req, struct http_reply *rep)
{
	return subscriber_view(req->params[0], &rep->json);
}

enum err_code h_coord_subscriber_set(struct http_request *req, struct http_reply *rep)
{
	return h_coord_with_body(req, rep, subscriber_set);
}

enum err_code h_coord_subscribe(struct http_request *req, struct http_reply *rep)
{
	enum err_code rc = h_coord_with_body(req, rep, subscriber_subscribe);

	if (rc == ERR_OK)
		rep->status = 201;
	return rc;
}

enum err_code h_coord_unsubscribe(struct http_request *req, struct http_reply *rep)
{
	struct subscriber_actor who = h_coord_who(req);
	enum err_code rc = subscriber_unsubscribe(req->params[0], &who);

	if (rc == ERR_OK)
		rep->json = json_pack("{s:s, s:b}", "id", req->params[0], "revoked", 1);
	return rc;
}

enum err_code h_coord_recipients(struct http_request *req, struct http_reply *rep)
{
	return h_coord_with_body(req, rep, subscriber_recipients);
}

static const struct jspec_field h_coord_token_spec[] = {
        {.name = "label", .kind = JSPEC_STRING, .min = 1, .max = 200},
        {.name = NULL},
};

enum err_code h_coord_token_issue(struct http_request *req, struct http_reply *rep)
{
	struct jspec_error err = {0};
	json_t *body = NULL;
	enum err_code rc = req->body_len > 0 ? http_json_body(req, &body) : ERR_OK;

	if (rc == ERR_OK && body != NULL && !jspec_check(body, h_coord_token_spec, &err))
		rc = h_coord_spec_error(req, &err);
	if (rc == ERR_OK)
		rc = coord_token_issue(req->params[0],
		                       json_string_value(json_object_get(body, "label")),
		                       req->actor, req->coord.org_id, &rep->json);
	if (rc == ERR_FORBIDDEN)
		snprintf(req->err_detail, sizeof req->err_detail,
		         "operators authenticate by signature, not tokens");
	if (rc == ERR_OK)
		rep->status = 201;
	json_decref(body);
	return rc;
}

enum err_code h_coord_token_revoke(struct http_request *req, struct http_reply *rep)
{
	enum err_code rc = coord_token_revoke(req->params[0], req->actor, req->coord.org_id);

	if (rc == ERR_OK)
		rep->json = json_pack("{s:s, s:b}", "id", req->params[0], "revoked", 1);
	return rc;
}

const struct http_route h_coord_routes[] = {
        {"GET", "/v1/coord/incidents", AUTH_COORDINATOR, h_coord_incidents, ERRORS_PROBLEM},
        {"GET", "/v1/coord/incidents/{}", AUTH_COORDINATOR, h_coord_incident, ERRORS_PROBLEM},
        {"GET", "/v1/coord/bulletins/{}", AUTH_COORDINATOR, h_coord_bulletin, ERRORS_PROBLEM},
        {"PATCH", "/v1/coord/bulletins/{}", AUTH_COORDINATOR, h_coord_bulletin_edit,
         ERRORS_PROBLEM},
        {"GET", "/v1/coord/bulletins/{}/bundle", AUTH_COORDINATOR, h_coord_bulletin_bundle,
         ERRORS_PROBLEM},
        {"POST", "/v1/coord/bulletins/{}/approve", AUTH_COORDINATOR, h_coord_bulletin_approve,
         ERRORS_PROBLEM},
        {"POST", "/v1/coord/bulletins/{}/reject", AUTH_COORDINATOR, h_coord_bulletin_reject,
         ERRORS_PROBLEM},
        {"GET", "/v1/coord/indicators", AUTH_COORDINATOR, h_coord_indicators, ERRORS_PROBLEM},
        {"GET", "/v1/coord/orgs/{}", AUTH_COORDINATOR, h_coord_org, ERRORS_PROBLEM},
        {"PUT", "/v1/coord/orgs/{}/profile", AUTH_COORDINATOR, h_coord_org_profile, ERRORS_PROBLEM},
        {"GET", "/v1/coord/subscribers/{}", AUTH_COORDINATOR, h_coord_subscriber, ERRORS_PROBLEM},
        {"PUT", "/v1/coord/subscribers/{}", AUTH_COORDINATOR, h_coord_subscriber_set,
         ERRORS_PROBLEM},
        {"POST", "/v1/coord/subscribers/{}/subscriptions", AUTH_COORDINATOR, h_coord_subscribe,
         ERRORS_PROBLEM},
        {"DELETE", "/v1/coord/subscriptions/{}", AUTH_COORDINATOR, h_coord_unsubscribe,
         ERRORS_PROBLEM},
        {"PUT", "/v1/coord/bulletins/{}/recipients", AUTH_COORDINATOR, h_coord_recipients,
         ERRORS_PROBLEM},
        {"POST", "/v1/coord/orgs/{}/tokens", AUTH_COORDINATOR, h_coord_token_issue, ERRORS_PROBLEM},
        {"DELETE", "/v1/coord/tokens/{}", AUTH_COORDINATOR, h_coord_token_revoke, ERRORS_PROBLEM},

        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
