/*
 * auth — operator authentication by HTTP Message Signature.
 *
 * Order of checks: parse (400s), key (401/403), signature (401), time
 * (401), digest (400). The signature is verified before the digest so an
 * unauthenticated caller learns nothing about the body check. Never log a
 * signature or a key here; the caller logs the key id only.
 */
#include "auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "db_org.h"
#include "db_report.h"

static enum err_code auth_key(const struct httpsig_parsed *p, struct db_key *key, char *detail,
                              size_t detail_len)
{
	PGconn *c = db_conn();
	enum err_code rc;

	if (c == NULL)
		return ERR_UNAVAILABLE;
	rc = db_key_get(c, p->keyid, key);
	if (rc == ERR_NOT_FOUND) {
		snprintf(detail, detail_len, "keyid \"%.128s\" is not registered", p->keyid);
		return ERR_SIG_KEY_UNKNOWN;
	}
	if (rc != ERR_OK)
		return rc;
	if (key->revoked) {
		snprintf(detail, detail_len, "keyid \"%.128s\" was revoked", p->keyid);
		return ERR_SIG_KEY_REVOKED;
	}
	if (strcmp(key->org_kind, "operator") != 0) {
		snprintf(detail, detail_len, "keyid \"%.128s\" belongs to a %s, not an operator",
		         p->keyid, key->org_kind);
		return ERR_NOT_OPERATOR;
	}
	return ERR_OK;
}

static enum err_code auth_time(const struct httpsig_parsed *p, unsigned skew_s, char *detail,
                               size_t detail_len)
{
	int64_t now = (int64_t)time(NULL);

	if (p->created > now + (int64_t)skew_s) {
		snprintf(detail, detail_len, "created is %lld s in the future (window ±%u s)",
		         (long long)(p->created - now), skew_s);
		return ERR_SIG_SKEW;
	}
	if (p->created < now - (int64_t)skew_s) {
		snprintf(detail, detail_len, "created is %lld s old (window ±%u s)",
		         (long long)(now - p->created), skew_s);
		return ERR_SIG_SKEW;
	}
	if (p->has_expires && p->expires < now) {
		snprintf(detail, detail_len, "the signature expired %lld s ago",
		         (long long)(now - p->expires));
		return ERR_SIG_SKEW;
	}
	return ERR_OK;
}

enum err_code auth_operator(const struct httpsig_request *hreq, const uint8_t *body,
                            size_t body_len, bool has_body, unsigned skew_s,
                            struct httpsig_parsed *parsed, struct auth_operator *out, char *detail,
                            size_t detail_len)
{
	struct db_key key;
	enum err_code rc;

	memset(out, 0, sizeof *out);
	rc = httpsig_parse(hreq, has_body, parsed, detail, detail_len);
	if (rc == ERR_SIG_PARAMS && has_body &&
	    hreq->header(hreq->header_ctx, "content-digest") == NULL) {
		/* the more useful answer: the body came without its digest */
		snprintf(detail, detail_len,
		         "a body needs Content-Digest: sha-256=:<base64 of SHA-256(body)>:, covered"
		         " by the signature");
		return ERR_DIGEST_MISSING;
	}
	if (rc != ERR_OK)
		return rc;
	rc = auth_key(parsed, &key, detail, detail_len);
	if (rc != ERR_OK)
		return rc;
	if (!httpsig_verify_ed25519(parsed, key.public_key)) {
		snprintf(detail, detail_len,
		         "the Ed25519 signature of label \"%s\" does not verify over the signature"
		         " base built from this request",
		         parsed->label);
		return ERR_SIG_INVALID;
	}
	rc = auth_time(parsed, skew_s, detail, detail_len);
	if (rc != ERR_OK)
		return rc;
	out->content_digest = hreq->header(hreq->header_ctx, "content-digest");
	if (has_body) {
		rc = httpsig_check_digest(out->content_digest, body, body_len);
		if (rc != ERR_OK) {
			snprintf(detail, detail_len, "%s",
			         rc == ERR_DIGEST_MISMATCH ? "the sha-256 in Content-Digest is not "
			                                     "the SHA-256 of the body"
			                                   : "send Content-Digest: "
			                                     "sha-256=:<base64 of SHA-256(body)>:");
			return rc;
		}
	}
	snprintf(out->org_id, sizeof out->org_id, "%s", key.org_id);
	snprintf(out->key_id, sizeof out->key_id, "%s", key.key_id);
	crypto_hash_sha256(out->sig_sha256, parsed->signature, sizeof parsed->signature);
	out->signature_input = hreq->header(hreq->header_ctx, "signature-input");
	out->signature = hreq->header(hreq->header_ctx, "signature");
	return ERR_OK;
}

enum err_code auth_operator_consume(const struct auth_operator *op)
{
	PGconn *c = db_conn();

	if (c == NULL)
		return ERR_UNAVAILABLE;
	return db_seen_signature(c, op->sig_sha256);
}

#define AUTH_MAX_TOKEN 256

/*
 * The token of "Bearer <token>", or with allow_basic of "Basic base64(user:token)"
 * (TAXII clients speak Basic; the user name is ignored). NULL when absent.
 */
static const char *auth_token(const char *authorization, bool allow_basic, char *buf,
                              size_t buf_len)
{
	const char *colon;
	size_t n = 0;

	if (authorization == NULL)
		return NULL;
	if (strncasecmp(authorization, "Bearer ", 7) == 0) {
		const char *t = authorization + 7;
		while (*t == ' ')
			t++;
		return t;
	}
	if (!allow_basic || strncasecmp(authorization, "Basic ", 6) != 0)
		return NULL;
	if (sodium_base642bin((unsigned char *)buf, buf_len - 1, authorization + 6,
	                      strlen(authorization + 6), " ", &n, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return "";
	buf[n] = '\0';
	colon = memchr(buf, ':', n);
	return colon != NULL ? colon + 1 : "";
}

enum err_code auth_bearer(const char *authorization, const char *kind, bool allow_basic,
                          struct auth_bearer *out, char *detail, size_t detail_len)
{
	char basic[AUTH_MAX_TOKEN + 256];
	const char *token;
	uint8_t hash[32];
	struct db_token t;
	PGconn *c;
	enum err_code rc;

	memset(out, 0, sizeof *out);
	token = auth_token(authorization, allow_basic, basic, sizeof basic);
	if (token == NULL) {
		snprintf(detail, detail_len, "send Authorization: Bearer <token>%s",
		         allow_basic ? " (or Basic with the token as password)" : "");
		return ERR_AUTH_REQUIRED;
	}
	if (*token == '\0' || strlen(token) > AUTH_MAX_TOKEN) {
		snprintf(detail, detail_len, "the bearer token is empty or too long");
		sodium_memzero(basic, sizeof basic);
		return ERR_TOKEN_INVALID;
	}
	crypto_hash_sha256(hash, (const uint8_t *)token, strlen(token));
	sodium_memzero(basic, sizeof basic);
	c = db_conn();
	if (c == NULL)
		return ERR_UNAVAILABLE;
	rc = db_token_lookup(c, hash, &t);
	if (rc == ERR_NOT_FOUND) {
		snprintf(detail, detail_len, "the bearer token is unknown or revoked");
		return ERR_TOKEN_INVALID;
	}
	if (rc != ERR_OK)
		return rc;
	if (strcmp(t.org_kind, kind) != 0) {
		snprintf(detail, detail_len, "this endpoint is for a %s; the token is a %s's", kind,
		         t.org_kind);
		return ERR_FORBIDDEN;
	}
	snprintf(out->token_id, sizeof out->token_id, "%s", t.id);
	snprintf(out->org_id, sizeof out->org_id, "%s", t.org_id);
	snprintf(out->org_kind, sizeof out->org_kind, "%s", t.org_kind);
	return ERR_OK;
}
