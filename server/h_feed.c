/*
 * h_feed — subscriber feed endpoints: HTTP in, subscriber domain, HTTP out.
 * The subscriber is whoever the bearer token names (req->sub); nothing
 * here widens what the SQL entitlement allows.
 */
#include "h_feed.h"

#include <sodium.h>
#include <stdio.h>

#include "subscriber.h"

enum err_code h_feed_list(struct http_request *req, struct http_reply *rep)
{
	return subscriber_feed(req->env->key, req->sub.org_id, http_query(req, "cursor"),
	                       http_query(req, "limit"), http_query(req, "subscription"),
	                       &rep->json, req->err_detail, sizeof req->err_detail);
}

enum err_code h_feed_bundle(struct http_request *req, struct http_reply *rep)
{
	uint8_t sig[64];
	char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
	enum err_code rc = subscriber_bundle(req->sub.org_id, req->params[0], req->params[1],
	                                     &rep->raw, &rep->raw_len, sig);

	if (rc != ERR_OK)
		return rc;
	sodium_bin2base64(b64, sizeof b64, sig, 64, sodium_base64_VARIANT_ORIGINAL);
	snprintf(rep->content_type, sizeof rep->content_type, "application/stix+json;version=2.1");
	(void)http_reply_header(rep, "Isacd-Signature", b64);
	(void)http_reply_header(rep, "Isacd-Signature-Key", req->env->key->key_id);
	return ERR_OK;
}

const struct http_route h_feed_routes[] = {
        {"GET", "/v1/bulletins", AUTH_SUBSCRIBER, h_feed_list, ERRORS_PROBLEM},
        {"GET", "/v1/bulletins/{}/versions/{}/bundle", AUTH_SUBSCRIBER, h_feed_bundle,
         ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
