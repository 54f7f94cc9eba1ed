/*
 * auth — who is calling: operators by RFC 9421 signature, and later
 * coordinators and subscribers by bearer token.
 *
 * Sits beside http: it turns a request's headers into a principal or an
 * error code, using httpsig for the cryptography and db_org for the keys.
 */
#ifndef ISACD_AUTH_H
#define ISACD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "httpsig.h"
#include "problem.h"
#include "uuid.h"

struct auth_operator {
	char org_id[UUID_STR_LEN + 1];
	char key_id[HTTPSIG_MAX_KEYID + 1];
	uint8_t sig_sha256[32];      /* the replay-guard key of this request's signature */
	const char *signature_input; /* verbatim field values (owned by the request) */
	const char *signature;
	const char *content_digest; /* NULL without a body */
};

/*
 * Authenticate an operator request: parse and check the signature
 * (httpsig_parse), find the key (ERR_SIG_KEY_UNKNOWN, ERR_SIG_KEY_REVOKED,
 * ERR_NOT_OPERATOR), verify (ERR_SIG_INVALID), check created and expires
 * against now ± skew_s (ERR_SIG_SKEW), and, with a body, the
 * Content-Digest (ERR_DIGEST_*). The replay guard is NOT checked here:
 * callers record out->sig_sha256 with db_seen_signature, inside their own
 * transaction when they write (so a refused write burns nothing), or through
 * auth_operator_consume for reads.
 * `parsed` is caller-provided scratch (large); detail gets a sentence.
 */
enum err_code auth_operator(const struct httpsig_request *hreq, const uint8_t *body,
                            size_t body_len, bool has_body, unsigned skew_s,
                            struct httpsig_parsed *parsed, struct auth_operator *out, char *detail,
                            size_t detail_len);

/* Record the signature of a read request; ERR_SIG_REPLAYED if seen. */
enum err_code auth_operator_consume(const struct auth_operator *op);

struct auth_bearer {
	char token_id[UUID_STR_LEN + 1];
	char org_id[UUID_STR_LEN + 1];
	char org_kind[16];
};

/*
 * Authenticate "Authorization: Bearer <token>" (authorization may be NULL)
 * for an organization of kind `kind` ("coordinator", "subscriber"); with
 * allow_basic also "Basic base64(user:token)", as TAXII clients send it.
 * Returns ERR_OK with *out filled; ERR_AUTH_REQUIRED (no or non-Bearer
 * header), ERR_TOKEN_INVALID (unknown, revoked, or longer than 256 bytes),
 * ERR_FORBIDDEN (a live token of another kind), ERR_UNAVAILABLE.
 */
enum err_code auth_bearer(const char *authorization, const char *kind, bool allow_basic,
                          struct auth_bearer *out, char *detail, size_t detail_len);

#endif
