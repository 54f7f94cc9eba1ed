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
#define HTTPSIG_MAX_KEYID      128
#define HTTPSIG_MAX_LABEL      64
#define HTTPSIG_MAX_BASE       16384 /* bytes of signature base; longer is refused */

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
	int64_t created; /* seconds since the epoch */
	bool has_expires;
	int64_t expires;
	uint8_t signature[64]; /* the Ed25519 signature bytes */
	size_t base_len;
	char base[HTTPSIG_MAX_BASE]; /* the signature base (not NUL-terminated inside;
	                                base[base_len] is NUL) */
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
 * Returns ERR_OK, or: ERR_SIG_MISSING (no Signature-Input or no Signature,
 * or either is an empty dictionary), ERR_SIG_MALFORMED (either field fails
 * RFC 8941 parsing, no label present in both, the Signature-Input member
 * not an inner list, the Signature member not a 64-byte byte sequence),
 * ERR_SIG_PARAMS (bad or missing parameter, unsupported component or
 * component parameter, duplicate component, insufficient coverage, a
 * covered field absent from the request, a component value holding bytes
 * outside VCHAR/SP/HTAB, a base of HTTPSIG_MAX_BASE bytes or more),
 * ERR_INTERNAL (req or out NULL, out of memory).
 * `detail` (may be NULL) receives a human sentence naming the problem.
 *
 * Components: the derived @method (as received), @target-uri (scheme "://"
 * authority path, then "?" query when req->query is non-NULL; scheme and
 * authority lower-cased), @authority (lower-cased), @scheme (lower-cased),
 * @request-target (path ["?" query]), @path ("/" when empty), @query ("?"
 * query; "?" alone when absent), and any lower-case field name (value from
 * req->header, leading and trailing SP/HTAB trimmed). Parameters other than
 * keyid, created, expires, alg, nonce and tag are ignored (RFC 9421 2.3).
 * The base's "@signature-params" line is the RFC 8941 re-serialization of
 * the received inner list, parameters in received order.
 */
enum err_code httpsig_parse(const struct httpsig_request *req, bool has_body,
                            struct httpsig_parsed *out, char *detail, size_t detail_len);

/*
 * httpsig_parse without the coverage rule: everything else (field parsing,
 * parameters, components, base) is identical. For tests against RFC 9421's
 * examples, which cover less than isacd demands. Request authentication
 * must use httpsig_parse, never this alone.
 */
enum err_code httpsig_parse_nocheck(const struct httpsig_request *req, struct httpsig_parsed *out,
                                    char *detail, size_t detail_len);

/*
 * isacd's coverage rule over p->components: "@method" must be covered;
 * either "@target-uri", or both "@authority" and "@path" plus "@query" when
 * req->query is non-empty; with a body, "content-type" and
 * "content-digest". Returns ERR_OK or ERR_SIG_PARAMS with `detail` (may be
 * NULL) listing what is missing.
 */
enum err_code httpsig_check_coverage(const struct httpsig_parsed *p,
                                     const struct httpsig_request *req, bool has_body, char *detail,
                                     size_t detail_len);

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
 * length), ERR_DIGEST_MISMATCH, or ERR_INTERNAL (out of memory).
 */
enum err_code httpsig_check_digest(const char *field_value, const uint8_t *body, size_t body_len);

/*
 * Format "sha-256=:<base64>:" of body into out, NUL-terminated (55 bytes
 * needed; 64 is a safe size). Returns 0, or -1 when out is too small.
 */
int httpsig_digest_field(const uint8_t *body, size_t body_len, char *out, size_t out_len);

/*
 * Sign a request (used by isacd's own clients: the operator CLI and, later,
 * webhooks). Covers the given component identifiers (plain names such as
 * "@method", "@target-uri", "content-type", "content-digest"), with
 * parameters in this order: created, keyid, alg="ed25519", under label
 * `label` (an RFC 8941 key). The base is built by the same code as
 * httpsig_parse, so what is signed is what the verifier rebuilds.
 * Writes the Signature-Input and Signature field values (NUL-terminated),
 * e.g. `sig1=("@method" "@target-uri");created=1;keyid="k";alg="ed25519"`
 * and `sig1=:<base64>:`. sk is the 64-byte libsodium secret key.
 * Returns ERR_OK, ERR_SIG_PARAMS (a component absent from the request,
 * unsupported or repeated; a bad label or keyid; created outside RFC 8941's
 * integer range) or ERR_INTERNAL (a buffer too small, out of memory).
 * The coverage rule is not applied: the caller chooses what to cover.
 */
enum err_code httpsig_sign(const struct httpsig_request *req, const char *const *components,
                           size_t n_components, const char *label, const char *keyid,
                           int64_t created, const uint8_t sk[64], char *sig_input,
                           size_t sig_input_len, char *sig, size_t sig_len);

/*
 * Re-verify a stored signature: pick the signature of the stored
 * Signature-Input / Signature field values as httpsig_parse does (first
 * label present in both) and verify it over the stored signature base with
 * pk. Returns ERR_OK when it verifies, ERR_SIG_INVALID when it does not,
 * ERR_SIG_MALFORMED / ERR_SIG_MISSING when the stored fields do not parse,
 * ERR_INTERNAL on allocation failure.
 */
enum err_code httpsig_verify_stored(const char *sig_input, const char *sig, const char *base,
                                    const uint8_t pk[32]);

#endif
