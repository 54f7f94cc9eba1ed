/*
 * httpsig — HTTP Message Signatures (RFC 9421) with Ed25519, and
 * Content-Digest (RFC 9530, sha-256).
 *
 * Pure: knows neither HTTP libraries nor the database. The caller hands in
 * the request's parts and a header lookup; this module parses the
 * Signature-Input and Signature fields strictly (RFC 8941, via sfv), builds
 * the signature base exactly as RFC 9421 section 2.5 says, and verifies or
 * creates Ed25519 signatures. Key lookup, replay and clock checks belong to
 * the caller (auth), which gets everything it needs in struct httpsig_parsed.
 */
#ifndef ISACD_HTTPSIG_H
#define ISACD_HTTPSIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "problem.h"

#define HTTPSIG_MAX_COMPONENTS 24
#define HTTPSIG_MAX_KEYID 128
#define HTTPSIG_MAX_LABEL 64
#define HTTPSIG_MAX_BASE 16384 /* bytes of signature base; longer is refused */

/*
 * Header lookup: return the field value for a lower-case field name, with
 * multiple field lines already combined by ", " (RFC 9110 5.3), or NULL when
 * absent. The returned pointer must stay valid for the httpsig call.
 */
typedef const char *(*httpsig_header_fn)(void *ctx, const char *lname);

struct httpsig_request {
	const char *method;    /* "POST" (as received; case kept) */
	const char *scheme;    /* "http" or "https" */
	const char *authority; /* host[:port] as addressed (Host header) */
	const char *path;      /* raw path as received, percent-encoding kept, starts with '/' */
	const char *query;     /* raw query without '?', or NULL when the target had no '?' */
	httpsig_header_fn header;
	void *header_ctx;
};

struct httpsig_parsed {
	char label[HTTPSIG_MAX_LABEL + 1];
	char keyid[HTTPSIG_MAX_KEYID + 1];
	int64_t created;          /* seconds since the epoch */
	bool has_expires;
	int64_t expires;
	uint8_t signature[64];    /* the Ed25519 signature bytes */
	size_t base_len;
	char base[HTTPSIG_MAX_BASE]; /* the signature base (not NUL-terminated inside; base[base_len] is NUL) */
	/* covered component identifiers, serialized (e.g. "\"@method\"", "\"content-digest\"") */
	size_t n_components;
	char components[HTTPSIG_MAX_COMPONENTS][64];
};

/*
 * Parse the request's Signature-Input and Signature fields, pick the
 * signature to check (the first label present in both dictionaries), check
 * its parameters (alg, if present, must be "ed25519"; keyid and created are
 * required) and its coverage (see httpsig_check_coverage), and build the
 * signature base into out->base.
 *
 * Returns ERR_OK, or: ERR_SIG_MISSING (no Signature-Input or no Signature),
 * ERR_SIG_MALFORMED (either field fails RFC 8941 parsing, a label missing
 * in one of them, signature not 64 bytes), ERR_SIG_PARAMS (bad or missing
 * parameter, unsupported component or component parameter, insufficient
 * coverage, a covered field absent from the request).
 * `detail` (may be NULL) receives a human sentence naming the problem.
 */
enum err_code httpsig_parse(const struct httpsig_request *req, bool has_body,
			    struct httpsig_parsed *out, char *detail, size_t detail_len);

/*
 * Verify out->signature over out->base with a 32-byte Ed25519 public key.
 * Returns true when it verifies.
 */
bool httpsig_verify_ed25519(const struct httpsig_parsed *p, const uint8_t pk[32]);

/*
 * Check Content-Digest (RFC 9530) against the body: the field must be a
 * dictionary holding "sha-256" as a byte sequence equal to SHA-256(body).
 * Other algorithms in the dictionary are ignored.
 * Returns ERR_OK, ERR_DIGEST_MISSING (no field, or no sha-256 member),
 * ERR_DIGEST_MALFORMED (not a dictionary, not a byte sequence, wrong
 * length) or ERR_DIGEST_MISMATCH.
 */
enum err_code httpsig_check_digest(const char *field_value, const uint8_t *body, size_t body_len);

/*
 * Format "sha-256=:<base64>:" of body into out (at least 64 bytes).
 * Returns 0, or -1 when out is too small.
 */
int httpsig_digest_field(const uint8_t *body, size_t body_len, char *out, size_t out_len);

/*
 * Sign a request (used by isacd's own clients: the operator CLI and, later,
 * webhooks). Covers the given component identifiers (plain names such as
 * "@method", "@target-uri", "content-type", "content-digest"), with
 * parameters created, keyid and alg="ed25519", under label `label`.
 * Writes the Signature-Input and Signature field values (NUL-terminated).
 * sk is the 64-byte libsodium secret key.
 * Returns ERR_OK, ERR_SIG_PARAMS (a component is absent from the request or
 * unsupported) or ERR_INTERNAL (a buffer too small).
 */
enum err_code httpsig_sign(const struct httpsig_request *req, const char *const *components,
			   size_t n_components, const char *label, const char *keyid,
			   int64_t created, const uint8_t sk[64], char *sig_input, size_t sig_input_len,
			   char *sig, size_t sig_len);

#endif
