/*
 * h_meta — liveness, readiness and the server's public key.
 */
#include "h_meta.h"

#include <sodium.h>
#include <stdio.h>

#include "migrate.h"

enum err_code h_meta_health(struct http_request *req, struct http_reply *rep)
{
	(void)req;
	rep->json = json_pack("{s:s}", "status", "ok");
	return ERR_OK;
}

enum err_code h_meta_ready(struct http_request *req, struct http_reply *rep)
{
	int latest = 0;
	enum err_code rc = migrate_check(&latest, req->err_detail, sizeof req->err_detail);

	if (rc != ERR_OK)
		return ERR_UNAVAILABLE;
	rep->json = json_pack("{s:s, s:i}", "status", "ready", "migrations", latest);
	return ERR_OK;
}

enum err_code h_meta_server_key(struct http_request *req, struct http_reply *rep)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof b64, req->env->key->pk, 32, sodium_base64_VARIANT_ORIGINAL);
	rep->json = json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "alg", "ed25519", "key_id",
	                      req->env->key->key_id, "public_key", b64, "contexts",
	                      SIGNER_CTX_RECEIPT, SIGNER_CTX_BULLETIN, SIGNER_CTX_AUDIT);
	return ERR_OK;
}

const struct http_route h_meta_routes[] = {
        {"GET", "/healthz", AUTH_NONE, h_meta_health, ERRORS_PROBLEM},
        {"GET", "/readyz", AUTH_NONE, h_meta_ready, ERRORS_PROBLEM},
        {"GET", "/v1/server-key", AUTH_NONE, h_meta_server_key, ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
