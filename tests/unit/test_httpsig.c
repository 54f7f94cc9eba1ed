/*
 * test_httpsig — RFC 9421 signatures and RFC 9530 digests (server/httpsig.c).
 *
 * Anchored on RFC 9421 Appendix B.2.6 (the Ed25519 example: exact base and
 * signature), RFC 9530's sha-256 examples, then every error return of
 * httpsig_parse, sign/parse/verify round trips and tamper loops. Must never
 * depend on the network, the database or the clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "httpsig.h"

/* ---- a fake request ---- */

struct hdr {
	const char *name, *value;
};

struct fake {
	struct hdr h[32];
	size_t n;
	char sig_input[4096], sig[256];
};

static const char *lookup(void *ctx, const char *lname)
{
	struct fake *fk = ctx;
	size_t i;

	for (i = 0; i < fk->n; i++)
		if (strcmp(fk->h[i].name, lname) == 0)
			return fk->h[i].value;
	return NULL;
}

static void set_header(struct fake *fk, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < fk->n; i++) {
		if (strcmp(fk->h[i].name, name) == 0) {
			fk->h[i].value = value;
			return;
		}
	}
	assert_true(fk->n < 32);
	fk->h[fk->n].name = name;
	fk->h[fk->n].value = value;
	fk->n++;
}

static void del_header(struct fake *fk, const char *name)
{
	size_t i;

	for (i = 0; i < fk->n; i++) {
		if (strcmp(fk->h[i].name, name) == 0) {
			fk->h[i] = fk->h[--fk->n];
			return;
		}
	}
}

static struct httpsig_request request(struct fake *fk, const char *method, const char *path,
                                      const char *query)
{
	struct httpsig_request r = {
	        .method = method,
	        .scheme = "https",
	        .authority = "example.com",
	        .path = path,
	        .query = query,
	        .header = lookup,
	        .header_ctx = fk,
	};
	return r;
}

static struct httpsig_parsed P;
static char DETAIL[512];

/* ---- RFC 9421 B.1.4 test key and B.2.6 ---- */

static const char B14_PUBLIC[] = "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=";
static const char B14_PRIVATE[] =
        "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF";

static const char B26_INPUT[] = "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" "
                                "\"content-type\" \"content-length\");created=1618884473"
                                ";keyid=\"test-key-ed25519\"";
static const char B26_SIGNATURE[] = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1"
                                    "u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";
static const char B26_BASE[] =
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
        "\"@method\": POST\n"
        "\"@path\": /foo\n"
        "\"@authority\": example.com\n"
        "\"content-type\": application/json\n"
        "\"content-length\": 18\n"
        "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" "
        "\"content-type\" \"content-length\");created=1618884473"
        ";keyid=\"test-key-ed25519\"";

/* The last 32 bytes of a base64 DER key (SPKI public key, PKCS#8 seed). */
static void der_tail32(const char *b64, uint8_t out[32])
{
	uint8_t der[64];
	size_t n = 0;

	assert_int_equal(sodium_base642bin(der, sizeof(der), b64, strlen(b64), NULL, &n, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	assert_true(n >= 32);
	memcpy(out, der + n - 32, 32);
}

static void b26_keys(uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32], derived_pk[32];

	der_tail32(B14_PUBLIC, pk);
	der_tail32(B14_PRIVATE, seed);
	assert_int_equal(crypto_sign_seed_keypair(derived_pk, sk, seed), 0);
	assert_memory_equal(derived_pk, pk, 32);
}

/* RFC 9421 B.2's test-request, as far as B.2.6 covers it. */
static struct httpsig_request b2_request(struct fake *fk)
{
	memset(fk, 0, sizeof(*fk));
	set_header(fk, "host", "example.com");
	set_header(fk, "date", "Tue, 20 Apr 2021 02:07:55 GMT");
	set_header(fk, "content-type", "application/json");
	set_header(
	        fk, "content-digest",
	        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLv"
	        "RwEmTHWXvJwew==:");
	set_header(fk, "content-length", "18");
	set_header(fk, "signature-input", B26_INPUT);
	set_header(fk, "signature", B26_SIGNATURE);
	return request(fk, "POST", "/foo", "param=Value&Pet=dog");
}

static void test_rfc9421_b26(void **state)
{
	struct fake fk;
	struct httpsig_request r = b2_request(&fk);
	uint8_t pk[32], sk[64], sig[64];

	(void)state;
	b26_keys(pk, sk);
	assert_int_equal(httpsig_parse_nocheck(&r, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_string_equal(P.base, B26_BASE);
	assert_int_equal(P.base_len, strlen(B26_BASE));
	assert_string_equal(P.label, "sig-b26");
	assert_string_equal(P.keyid, "test-key-ed25519");
	assert_int_equal(P.created, 1618884473);
	assert_false(P.has_expires);
	assert_int_equal(P.n_components, 6);
	assert_string_equal(P.components[0], "\"date\"");
	assert_string_equal(P.components[5], "\"content-length\"");
	assert_true(httpsig_verify_ed25519(&P, pk));
	/* Ed25519 is deterministic: the RFC's private key makes the RFC's bytes */
	crypto_sign_detached(sig, NULL, (const uint8_t *)B26_BASE, strlen(B26_BASE), sk);
	assert_memory_equal(sig, P.signature, 64);
	/* another key does not verify it */
	pk[0] ^= 1;
	assert_false(httpsig_verify_ed25519(&P, pk));
}

/* B.2.6 covers neither @query nor content-digest: isacd's rule refuses it. */
static void test_rfc9421_b26_fails_coverage(void **state)
{
	struct fake fk;
	struct httpsig_request r = b2_request(&fk);

	(void)state;
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	assert_non_null(strstr(DETAIL, "\"@query\""));
	assert_null(strstr(DETAIL, "content-digest"));
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	assert_non_null(strstr(DETAIL, "\"@query\""));
	assert_non_null(strstr(DETAIL, "\"content-digest\""));
	assert_null(strstr(DETAIL, "\"content-type\""));
	/* without a query, and without a body, B.2.6's coverage is enough */
	r.query = NULL;
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_string_equal(P.base, B26_BASE);
}

/* ---- RFC 9530 ---- */

static void test_rfc9530_digests(void **state)
{
	static const char with_nl[] = "{\"hello\": \"world\"}\n";
	static const char no_nl[] = "{\"hello\": \"world\"}";
	const uint8_t *b1 = (const uint8_t *)with_nl, *b2 = (const uint8_t *)no_nl;
	size_t n1 = strlen(with_nl), n2 = strlen(no_nl);
	char field[64];

	(void)state;
	assert_int_equal(httpsig_digest_field(b1, n1, field, sizeof(field)), 0);
	assert_string_equal(field, "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:");
	assert_int_equal(httpsig_digest_field(b2, n2, field, sizeof(field)), 0);
	assert_string_equal(field, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
	assert_int_equal(httpsig_digest_field(b2, n2, field, 55), 0);
	assert_int_equal(httpsig_digest_field(b2, n2, field, 54), -1);
	assert_int_equal(httpsig_check_digest(field, b2, n2), ERR_OK);
	assert_int_equal(httpsig_check_digest(field, b1, n1), ERR_DIGEST_MISMATCH);
	assert_int_equal(httpsig_check_digest(
	                         "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:", b1, n1),
	                 ERR_OK);
	/* other algorithms are ignored, in any order */
	assert_int_equal(
	        httpsig_check_digest("sha-512=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7k"
	                             "bu9DBPE=:, unixsum=:AAAA:",
	                             b2, n2),
	        ERR_OK);
	/* the empty body has a digest too */
	assert_int_equal(httpsig_digest_field(NULL, 0, field, sizeof(field)), 0);
	assert_int_equal(httpsig_check_digest(field, NULL, 0), ERR_OK);
	assert_int_equal(httpsig_check_digest(field, b2, n2), ERR_DIGEST_MISMATCH);
}

static void test_digest_errors(void **state)
{
	const uint8_t body[] = "x";

	(void)state;
	assert_int_equal(httpsig_check_digest(NULL, body, 1), ERR_DIGEST_MISSING);
	assert_int_equal(httpsig_check_digest("", body, 1), ERR_DIGEST_MISSING);
	assert_int_equal(httpsig_check_digest("sha-512=:AAAA:", body, 1), ERR_DIGEST_MISSING);
	assert_int_equal(httpsig_check_digest("SHA-256=:AAAA:", body, 1), ERR_DIGEST_MALFORMED);
	assert_int_equal(httpsig_check_digest("sha-256=:AAAA:", body, 1), ERR_DIGEST_MALFORMED);
	assert_int_equal(httpsig_check_digest("sha-256=\"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9"
	                                      "DBPE=\"",
	                                      body, 1),
	                 ERR_DIGEST_MALFORMED);
	assert_int_equal(httpsig_check_digest("sha-256=(:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9"
	                                      "DBPE=:)",
	                                      body, 1),
	                 ERR_DIGEST_MALFORMED);
	assert_int_equal(httpsig_check_digest("sha-256", body, 1), ERR_DIGEST_MALFORMED);
	assert_int_equal(httpsig_check_digest("sha-256=:!!:", body, 1), ERR_DIGEST_MALFORMED);
	assert_int_equal(httpsig_check_digest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBP"
	                                      "E=:,",
	                                      body, 1),
	                 ERR_DIGEST_MALFORMED);
}

/* ---- signing round trips ---- */

static const char *const FULL[] = {"@method", "@target-uri", "content-type", "content-digest"};

static uint8_t PK[32], SK[64];
static char SIG64[128]; /* "sig1=:<64 zero bytes>:", for parse-only tests */

/* `label=:<n zero bytes>:` into out. */
static void zero_sig(const char *label, size_t n, char *out, size_t out_len)
{
	uint8_t zero[128] = {0};
	char b64[256];
	int len;

	assert_true(n <= sizeof(zero));
	sodium_bin2base64(b64, sizeof(b64), zero, n, sodium_base64_VARIANT_ORIGINAL);
	len = snprintf(out, out_len, "%s=:%s:", label, b64);
	assert_true(len > 0 && (size_t)len < out_len);
}

static int setup_keys(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(PK, SK);
	zero_sig("sig1", 64, SIG64, sizeof(SIG64));
	return 0;
}

/* A signed POST with a body and a digest; its fields live in *fk. */
static struct httpsig_request signed_post(struct fake *fk, const char *const *comps, size_t n)
{
	static const char body[] = "{\"a\": 1}";
	static char digest[64];
	struct httpsig_request r;

	memset(fk, 0, sizeof(*fk));
	assert_int_equal(
	        httpsig_digest_field((const uint8_t *)body, strlen(body), digest, sizeof(digest)),
	        0);
	set_header(fk, "content-type", "application/json");
	set_header(fk, "content-digest", digest);
	r = request(fk, "POST", "/v1/reports", "dry_run=1");
	assert_int_equal(httpsig_sign(&r, comps, n, "sig1", "op-7f3a", 1700000000, SK,
	                              fk->sig_input, sizeof(fk->sig_input), fk->sig,
	                              sizeof(fk->sig)),
	                 ERR_OK);
	set_header(fk, "signature-input", fk->sig_input);
	set_header(fk, "signature", fk->sig);
	return r;
}

static void test_sign_parse_verify(void **state)
{
	struct fake fk;
	struct httpsig_request r = signed_post(&fk, FULL, 4);

	(void)state;
	assert_string_equal(fk.sig_input, "sig1=(\"@method\" \"@target-uri\" \"content-type\" "
	                                  "\"content-digest\");created=1700000000;keyid=\"op-7f3a\""
	                                  ";alg=\"ed25519\"");
	assert_int_equal(strncmp(fk.sig, "sig1=:", 6), 0);
	assert_int_equal(strlen(fk.sig), 6 + 88 + 1);
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_string_equal(P.keyid, "op-7f3a");
	assert_int_equal(P.created, 1700000000);
	assert_string_equal(
	        P.base,
	        "\"@method\": POST\n"
	        "\"@target-uri\": https://example.com/v1/reports?dry_run=1\n"
	        "\"content-type\": application/json\n"
	        "\"content-digest\": sha-256=:+dhgKMbg1k4iUYb5astpM4ssWXZN95FiEH9cS7NNExA=:\n"
	        "\"@signature-params\": (\"@method\" \"@target-uri\" \"content-type\" "
	        "\"content-digest\");created=1700000000;keyid=\"op-7f3a\";alg=\"ed25519\"");
	assert_true(httpsig_verify_ed25519(&P, PK));
}

/* What coordinators re-check later: the stored fields and base verify; a
 * changed base, another key or a changed signature do not. */
static void test_verify_stored(void **state)
{
	struct fake fk;
	struct httpsig_request r = signed_post(&fk, FULL, 4);
	uint8_t other_pk[32], other_sk[64];
	char base[HTTPSIG_MAX_BASE], bad_sig[256];

	(void)state;
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	memcpy(base, P.base, P.base_len + 1);
	assert_int_equal(httpsig_verify_stored(fk.sig_input, fk.sig, base, PK), ERR_OK);
	base[10] ^= 1;
	assert_int_equal(httpsig_verify_stored(fk.sig_input, fk.sig, base, PK), ERR_SIG_INVALID);
	base[10] ^= 1;
	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(httpsig_verify_stored(fk.sig_input, fk.sig, base, other_pk),
	                 ERR_SIG_INVALID);
	memcpy(bad_sig, fk.sig, strlen(fk.sig) + 1);
	bad_sig[8] = bad_sig[8] == 'A' ? 'B' : 'A';
	assert_int_equal(httpsig_verify_stored(fk.sig_input, bad_sig, base, PK), ERR_SIG_INVALID);
	assert_int_equal(httpsig_verify_stored("other=(\"@method\");created=1", fk.sig, base, PK),
	                 ERR_SIG_MALFORMED);
	assert_int_equal(httpsig_verify_stored("not a dictionary(", fk.sig, base, PK),
	                 ERR_SIG_MALFORMED);
	assert_int_equal(httpsig_verify_stored(NULL, fk.sig, base, PK), ERR_INTERNAL);
}

static void test_sign_with_authority_path_query(void **state)
{
	static const char *const comps[] = {"@method", "@authority",   "@path",
	                                    "@query",  "content-type", "content-digest"};
	struct fake fk;
	struct httpsig_request r = signed_post(&fk, comps, 6);

	(void)state;
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_true(httpsig_verify_ed25519(&P, PK));
	assert_non_null(strstr(P.base, "\"@query\": ?dry_run=1\n"));
}

/* Whatever changes after signing, the signature stops verifying. */
static void test_tampering_fails(void **state)
{
	struct fake fk;
	struct httpsig_request r = signed_post(&fk, FULL, 4);

	(void)state;
	r.method = "PUT";
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_false(httpsig_verify_ed25519(&P, PK));
	r.method = "POST";
	r.path = "/v1/reports/";
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_false(httpsig_verify_ed25519(&P, PK));
	r.path = "/v1/reports";
	r.query = "dry_run=0";
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_false(httpsig_verify_ed25519(&P, PK));
	r.query = "dry_run=1";
	r.authority = "evil.example";
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_false(httpsig_verify_ed25519(&P, PK));
	r.authority = "EXAMPLE.com"; /* case is normalized: still verifies */
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_true(httpsig_verify_ed25519(&P, PK));
	set_header(&fk, "content-type", "text/plain");
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_false(httpsig_verify_ed25519(&P, PK));
	/* a covered field removed in transit */
	del_header(&fk, "content-type");
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	assert_string_equal(DETAIL, "covered field \"content-type\" is absent from the request");
	/* changing created changes @signature-params */
	set_header(&fk, "content-type", "application/json");
	set_header(&fk, "signature-input",
	           "sig1=(\"@method\" \"@target-uri\" \"content-type\" \"content-digest\")"
	           ";created=1700000001;keyid=\"op-7f3a\";alg=\"ed25519\"");
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_false(httpsig_verify_ed25519(&P, PK));
}

/* Property: flipping any bit of the base or of the signature fails. */
static void test_flip_every_byte(void **state)
{
	struct fake fk;
	struct httpsig_request r = signed_post(&fk, FULL, 4);
	size_t i;
	int bit;

	(void)state;
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_true(httpsig_verify_ed25519(&P, PK));
	for (i = 0; i < P.base_len; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			P.base[i] ^= (char)(1 << bit);
			assert_false(httpsig_verify_ed25519(&P, PK));
			P.base[i] ^= (char)(1 << bit);
		}
	}
	for (i = 0; i < 64; i++) {
		P.signature[i] ^= 0x01;
		assert_false(httpsig_verify_ed25519(&P, PK));
		P.signature[i] ^= 0x01;
	}
	/* truncated and extended bases */
	P.base_len--;
	assert_false(httpsig_verify_ed25519(&P, PK));
	P.base_len += 2;
	assert_false(httpsig_verify_ed25519(&P, PK));
	P.base_len--;
	assert_true(httpsig_verify_ed25519(&P, PK));
}

/* Many random keys, keyids and times: sign then parse then verify. */
static void test_roundtrip_loop(void **state)
{
	static const char *const comps[] = {"@method", "@target-uri", "content-type",
	                                    "content-digest", "date"};
	struct fake fk;
	struct httpsig_request r;
	uint8_t pk[32], sk[64];
	char keyid[HTTPSIG_MAX_KEYID + 1];
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		memset(&fk, 0, sizeof(fk));
		crypto_sign_keypair(pk, sk);
		snprintf(keyid, sizeof(keyid), "k\"%d\\%0*d", i, i % 100, 0);
		set_header(&fk, "content-type", "application/json");
		set_header(&fk, "content-digest", "sha-256=:AAAA:");
		set_header(&fk, "date", "Tue, 20 Apr 2021 02:07:55 GMT");
		r = request(&fk, i % 2 ? "POST" : "PATCH", "/p", i % 3 ? "a=b" : NULL);
		assert_int_equal(httpsig_sign(&r, comps, 5, "s", keyid, (int64_t)i * 7919, sk,
		                              fk.sig_input, sizeof(fk.sig_input), fk.sig,
		                              sizeof(fk.sig)),
		                 ERR_OK);
		set_header(&fk, "signature-input", fk.sig_input);
		set_header(&fk, "signature", fk.sig);
		assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
		assert_string_equal(P.keyid, keyid);
		assert_int_equal(P.created, (int64_t)i * 7919);
		assert_true(httpsig_verify_ed25519(&P, pk));
		assert_false(httpsig_verify_ed25519(&P, PK));
	}
}

static void test_sign_errors(void **state)
{
	static const char *const bad_comp[] = {"@method", "@status"};
	static const char *const absent[] = {"@method", "x-absent"};
	static const char *const twice[] = {"@method", "@method"};
	static const char *const upper[] = {"Content-Type"};
	static const char *const with_nl[] = {"a\nb"};
	const char *many[HTTPSIG_MAX_COMPONENTS + 1];
	char long_keyid[HTTPSIG_MAX_KEYID + 2];
	struct fake fk;
	struct httpsig_request r;
	char in[128], sg[128];
	size_t i;

	(void)state;
	memset(&fk, 0, sizeof(fk));
	r = request(&fk, "GET", "/", NULL);
#define SIGN(c, n, label, keyid, created, inl, sgl)                                                \
	httpsig_sign(&r, c, n, label, keyid, created, SK, in, inl, sg, sgl)
	assert_int_equal(SIGN(FULL, 2, "sig1", "k", 1, sizeof(in), sizeof(sg)), ERR_OK);
	assert_int_equal(SIGN(bad_comp, 2, "sig1", "k", 1, sizeof(in), sizeof(sg)), ERR_SIG_PARAMS);
	assert_string_equal(in, "");
	assert_string_equal(sg, "");
	assert_int_equal(SIGN(absent, 2, "sig1", "k", 1, sizeof(in), sizeof(sg)), ERR_SIG_PARAMS);
	assert_int_equal(SIGN(twice, 2, "sig1", "k", 1, sizeof(in), sizeof(sg)), ERR_SIG_PARAMS);
	assert_int_equal(SIGN(upper, 1, "sig1", "k", 1, sizeof(in), sizeof(sg)), ERR_SIG_PARAMS);
	assert_int_equal(SIGN(with_nl, 1, "sig1", "k", 1, sizeof(in), sizeof(sg)), ERR_SIG_PARAMS);
	assert_int_equal(SIGN(FULL, 2, "Sig1", "k", 1, sizeof(in), sizeof(sg)), ERR_SIG_PARAMS);
	assert_int_equal(SIGN(FULL, 2, "", "k", 1, sizeof(in), sizeof(sg)), ERR_SIG_PARAMS);
	assert_int_equal(SIGN(FULL, 2, "sig1", "", 1, sizeof(in), sizeof(sg)), ERR_SIG_PARAMS);
	assert_int_equal(SIGN(FULL, 2, "sig1", "k\n", 1, sizeof(in), sizeof(sg)), ERR_SIG_PARAMS);
	memset(long_keyid, 'k', sizeof(long_keyid) - 1);
	long_keyid[sizeof(long_keyid) - 1] = '\0';
	assert_int_equal(SIGN(FULL, 2, "sig1", long_keyid, 1, sizeof(in), sizeof(sg)),
	                 ERR_SIG_PARAMS);
	assert_int_equal(SIGN(FULL, 2, "sig1", "k", 1000000000000000LL, sizeof(in), sizeof(sg)),
	                 ERR_SIG_PARAMS);
	for (i = 0; i < HTTPSIG_MAX_COMPONENTS + 1; i++)
		many[i] = "@method";
	assert_int_equal(
	        SIGN(many, HTTPSIG_MAX_COMPONENTS + 1, "sig1", "k", 1, sizeof(in), sizeof(sg)),
	        ERR_SIG_PARAMS);
	/* buffers too small */
	assert_int_equal(SIGN(FULL, 2, "sig1", "k", 1, 20, sizeof(sg)), ERR_INTERNAL);
	assert_int_equal(SIGN(FULL, 2, "sig1", "k", 1, sizeof(in), 90), ERR_INTERNAL);
	assert_string_equal(in, "");
	assert_int_equal(
	        httpsig_sign(NULL, FULL, 2, "s", "k", 1, SK, in, sizeof(in), sg, sizeof(sg)),
	        ERR_INTERNAL);
#undef SIGN
}

/* ---- every error return of httpsig_parse ---- */

/* Parse a GET / with these fields; return the code, DETAIL holds why. */
static enum err_code parse_with(const char *input, const char *sig)
{
	struct fake fk;
	struct httpsig_request r;

	memset(&fk, 0, sizeof(fk));
	if (input != NULL)
		set_header(&fk, "signature-input", input);
	if (sig != NULL)
		set_header(&fk, "signature", sig);
	set_header(&fk, "x-present", "yes");
	r = request(&fk, "GET", "/", NULL);
	return httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL));
}

#define IN(comps, params) "sig1=(" comps ")" params

#define EXPECT(code, input, sig, needle)                                                           \
	do {                                                                                       \
		assert_int_equal(parse_with(input, sig), code);                                    \
		if (strstr(DETAIL, needle) == NULL)                                                \
			fail_msg("detail \"%s\" lacks \"%s\"", DETAIL, needle);                    \
	} while (0)

static void test_parse_ok_baseline(void **state)
{
	(void)state;
	assert_int_equal(
	        parse_with(IN("\"@method\" \"@target-uri\"", ";created=1;keyid=\"k\""), SIG64),
	        ERR_OK);
	assert_string_equal(DETAIL, "");
	assert_int_equal(P.n_components, 2);
}

static void test_parse_missing(void **state)
{
	(void)state;
	EXPECT(ERR_SIG_MISSING, NULL, SIG64, "Signature-Input");
	EXPECT(ERR_SIG_MISSING, IN("\"@method\"", ";created=1;keyid=\"k\""), NULL, "Signature");
	EXPECT(ERR_SIG_MISSING, NULL, NULL, "Signature-Input");
	EXPECT(ERR_SIG_MISSING, "", SIG64, "Signature-Input is empty");
	EXPECT(ERR_SIG_MISSING, IN("\"@method\"", ";created=1;keyid=\"k\""), "  ",
	       "Signature is empty");
}

static void test_parse_malformed(void **state)
{
	const char *ok_in = IN("\"@method\" \"@target-uri\"", ";created=1;keyid=\"k\"");
	char sig65[160];

	(void)state;
	EXPECT(ERR_SIG_MALFORMED, "sig1=(\"@method\"", SIG64, "Signature-Input is not a valid");
	EXPECT(ERR_SIG_MALFORMED, "Sig1=(\"@method\");created=1;keyid=\"k\"", SIG64,
	       "Signature-Input is not a valid");
	EXPECT(ERR_SIG_MALFORMED, ok_in, "sig1=:AAA=", "Signature is not a valid");
	EXPECT(ERR_SIG_MALFORMED, ok_in, "sig1=AAAA, ", "Signature is not a valid");
	EXPECT(ERR_SIG_MALFORMED, ok_in, "sig2=:AAAA:", "no label");
	EXPECT(ERR_SIG_MALFORMED, "sig1=1", SIG64, "not an inner list");
	EXPECT(ERR_SIG_MALFORMED, ok_in, "sig1=:AAAA:", "64-byte");
	EXPECT(ERR_SIG_MALFORMED, ok_in, "sig1=\"AAAA\"", "64-byte");
	EXPECT(ERR_SIG_MALFORMED, ok_in, "sig1=(:AAAA:)", "64-byte");
	zero_sig("sig1", 65, sig65, sizeof(sig65));
	EXPECT(ERR_SIG_MALFORMED, ok_in, sig65, "64-byte");
	zero_sig("sig1", 63, sig65, sizeof(sig65));
	EXPECT(ERR_SIG_MALFORMED, ok_in, sig65, "64-byte");
	EXPECT(ERR_SIG_MALFORMED, ok_in, "sig1", "64-byte");
}

static void test_parse_label_choice(void **state)
{
	const char *two = "a=(\"@method\" \"@target-uri\");created=1;keyid=\"first\", "
	                  "b=(\"@method\" \"@target-uri\");created=2;keyid=\"second\"";
	char sig_b[128], both[256];

	(void)state;
	zero_sig("b", 64, sig_b, sizeof(sig_b));
	assert_int_equal(parse_with(two, sig_b), ERR_OK);
	assert_string_equal(P.label, "b");
	assert_string_equal(P.keyid, "second");
	/* with both present, Signature-Input's order decides */
	assert_true(snprintf(both, sizeof(both), "%s, a=%s", sig_b, sig_b + 2) < (int)sizeof(both));
	assert_int_equal(parse_with(two, both), ERR_OK);
	assert_string_equal(P.label, "a");
	assert_string_equal(P.keyid, "first");
	/* a repeated label: the last value wins (RFC 8941) */
	assert_int_equal(parse_with("sig1=(\"@method\");created=1;keyid=\"x\", sig1=(\"@method\" "
	                            "\"@target-uri\");created=2;keyid=\"y\"",
	                            SIG64),
	                 ERR_OK);
	assert_string_equal(P.keyid, "y");
}

static void test_parse_params(void **state)
{
	(void)state;
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ";created=1"), SIG64, "keyid");
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ";keyid=\"k\""), SIG64, "created");
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ""), SIG64, "keyid");
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ";created=1;keyid=k"), SIG64,
	       "keyid must be a string");
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ";created=\"1\";keyid=\"k\""),
	       SIG64, "created must be an integer");
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ";created=1.5;keyid=\"k\""), SIG64,
	       "created must be an integer");
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ";created;keyid=\"k\""), SIG64,
	       "created must be an integer");
	EXPECT(ERR_SIG_PARAMS,
	       IN("\"@method\" \"@target-uri\"", ";created=1;keyid=\"k\";alg=\"rsa-pss-sha512\""),
	       SIG64, "rsa-pss-sha512");
	EXPECT(ERR_SIG_PARAMS,
	       IN("\"@method\" \"@target-uri\"", ";created=1;keyid=\"k\";alg=ed25519"), SIG64,
	       "alg must be a string");
	EXPECT(ERR_SIG_PARAMS,
	       IN("\"@method\" \"@target-uri\"", ";created=1;keyid=\"k\";expires=\"2\""), SIG64,
	       "expires must be an integer");
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ";created=1;keyid=\"k\";nonce=1"),
	       SIG64, "nonce must be a string");
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ";created=1;keyid=\"k\";tag=?1"),
	       SIG64, "tag must be a string");
	EXPECT(ERR_SIG_PARAMS, IN("\"@method\" \"@target-uri\"", ";created=1;keyid=\"\""), SIG64,
	       "keyid must be 1 to 128 bytes");
}

static void test_parse_params_accepted(void **state)
{
	char in[512], keyid[HTTPSIG_MAX_KEYID + 1];

	(void)state;
	assert_int_equal(parse_with(IN("\"@method\" \"@target-uri\"",
	                               ";created=-5;keyid=\"k\";alg=\"ed25519\";expires=9"
	                               ";nonce=\"n\";tag=\"t\";foo=bar;zz=(1)"),
	                            SIG64),
	                 ERR_SIG_MALFORMED); /* a parameter cannot be an inner list */
	assert_int_equal(parse_with(IN("\"@method\" \"@target-uri\"",
	                               ";created=-5;keyid=\"k\";alg=\"ed25519\";expires=9"
	                               ";nonce=\"n\";tag=\"t\";foo=bar;zz=?0"),
	                            SIG64),
	                 ERR_OK);
	assert_int_equal(P.created, -5);
	assert_true(P.has_expires);
	assert_int_equal(P.expires, 9);
	/* unknown parameters stay in @signature-params, in received order */
	assert_non_null(strstr(P.base, "\"@signature-params\": (\"@method\" \"@target-uri\")"
	                               ";created=-5;keyid=\"k\";alg=\"ed25519\";expires=9"
	                               ";nonce=\"n\";tag=\"t\";foo=bar;zz=?0"));
	/* keyid at the bound, and one past it */
	memset(keyid, 'k', HTTPSIG_MAX_KEYID);
	keyid[HTTPSIG_MAX_KEYID] = '\0';
	snprintf(in, sizeof(in), "sig1=(\"@method\" \"@target-uri\");created=1;keyid=\"%s\"",
	         keyid);
	assert_int_equal(parse_with(in, SIG64), ERR_OK);
	assert_string_equal(P.keyid, keyid);
	snprintf(in, sizeof(in), "sig1=(\"@method\" \"@target-uri\");created=1;keyid=\"%sk\"",
	         keyid);
	assert_int_equal(parse_with(in, SIG64), ERR_SIG_PARAMS);
	/* a repeated parameter: the last value counts, in the first position */
	assert_int_equal(
	        parse_with(IN("\"@method\" \"@target-uri\"", ";created=1;keyid=\"a\";created=2"),
	                   SIG64),
	        ERR_OK);
	assert_int_equal(P.created, 2);
	assert_non_null(strstr(P.base, ";created=2;keyid=\"a\""));
}

static void test_parse_components(void **state)
{
	char in[2048];
	size_t n, i;

	(void)state;
#define COMP(comps) "sig1=(\"@method\" \"@target-uri\" " comps ");created=1;keyid=\"k\""
	EXPECT(ERR_SIG_PARAMS, COMP("1"), SIG64, "not a string");
	EXPECT(ERR_SIG_PARAMS, COMP("tok"), SIG64, "not a string");
	EXPECT(ERR_SIG_PARAMS, COMP("\"x-present\";sf"), SIG64, "parameter ;sf");
	EXPECT(ERR_SIG_PARAMS, COMP("\"x-present\";key=\"a\""), SIG64, "not supported");
	EXPECT(ERR_SIG_PARAMS, COMP("\"x-present\";bs"), SIG64, "not supported");
	EXPECT(ERR_SIG_PARAMS, COMP("\"x-present\";req"), SIG64, "not supported");
	EXPECT(ERR_SIG_PARAMS, COMP("\"x-present\";tr"), SIG64, "not supported");
	EXPECT(ERR_SIG_PARAMS, COMP("\"@query-param\";name=\"a\""), SIG64, "parameter ;name");
	EXPECT(ERR_SIG_PARAMS, COMP("\"@query-param\""), SIG64,
	       "\"@query-param\" is not supported");
	EXPECT(ERR_SIG_PARAMS, COMP("\"@status\""), SIG64, "\"@status\" is not supported");
	EXPECT(ERR_SIG_PARAMS, COMP("\"@signature-params\""), SIG64, "cannot be covered");
	EXPECT(ERR_SIG_PARAMS, COMP("\"@foo\""), SIG64, "not a known derived component");
	EXPECT(ERR_SIG_PARAMS, COMP("\"@\""), SIG64, "not a known derived component");
	EXPECT(ERR_SIG_PARAMS, COMP("\"X-Present\""), SIG64, "not a lower-case HTTP field name");
	EXPECT(ERR_SIG_PARAMS, COMP("\"x present\""), SIG64, "not a lower-case HTTP field name");
	EXPECT(ERR_SIG_PARAMS, COMP("\"x:y\""), SIG64, "not a lower-case HTTP field name");
	EXPECT(ERR_SIG_PARAMS, COMP("\"\""), SIG64, "not a lower-case HTTP field name");
	EXPECT(ERR_SIG_PARAMS, COMP("\"@method\""), SIG64, "\"@method\" is covered twice");
	EXPECT(ERR_SIG_PARAMS, COMP("\"x-present\" \"x-present\""), SIG64, "covered twice");
	EXPECT(ERR_SIG_PARAMS, COMP("\"x-absent\""), SIG64, "\"x-absent\" is absent");
	EXPECT(ERR_SIG_PARAMS,
	       COMP("\"x-a-very-long-field-name-that-does-not-fit-the-components-array\""), SIG64,
	       "is too long");
	assert_int_equal(parse_with(COMP("\"x-present\""), SIG64), ERR_OK);
	/* 24 components, then 25 */
	n = (size_t)snprintf(in, sizeof(in), "sig1=(\"@method\" \"@target-uri\"");
	for (i = 2; i < HTTPSIG_MAX_COMPONENTS; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, " \"x-present-%zu\"", i);
	snprintf(in + n, sizeof(in) - n, ");created=1;keyid=\"k\"");
	EXPECT(ERR_SIG_PARAMS, in, SIG64, "\"x-present-2\" is absent");
	n += (size_t)snprintf(in + n, sizeof(in) - n, " \"x-one-more\"");
	snprintf(in + n, sizeof(in) - n, ");created=1;keyid=\"k\"");
	EXPECT(ERR_SIG_PARAMS, in, SIG64, "more than 24 covered components");
#undef COMP
}

/* Derived component values, RFC 9421 2.2, and field value trimming. */
static void test_derived_values(void **state)
{
	struct fake fk;
	struct httpsig_request r;
	char sig_s[128];

	(void)state;
	memset(&fk, 0, sizeof(fk));
	set_header(&fk, "signature-input",
	           "s=(\"@method\" \"@target-uri\" \"@authority\" \"@scheme\" \"@request-target\" "
	           "\"@path\" \"@query\" \"x-pad\" \"x-empty\");created=1;keyid=\"k\"");
	zero_sig("s", 64, sig_s, sizeof(sig_s));
	set_header(&fk, "signature", sig_s);
	set_header(&fk, "x-pad", " \t a, b \t ");
	set_header(&fk, "x-empty", "  ");
	r = request(&fk, "post", "/a%20b/c", "x=1&y=%41");
	r.scheme = "HTTPS";
	r.authority = "Example.COM:8443";
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_string_equal(P.base, "\"@method\": post\n"
	                            "\"@target-uri\": https://example.com:8443/a%20b/c?x=1&y=%41\n"
	                            "\"@authority\": example.com:8443\n"
	                            "\"@scheme\": https\n"
	                            "\"@request-target\": /a%20b/c?x=1&y=%41\n"
	                            "\"@path\": /a%20b/c\n"
	                            "\"@query\": ?x=1&y=%41\n"
	                            "\"x-pad\": a, b\n"
	                            "\"x-empty\": \n"
	                            "\"@signature-params\": (\"@method\" \"@target-uri\" "
	                            "\"@authority\" \"@scheme\" \"@request-target\" \"@path\" "
	                            "\"@query\" \"x-pad\" \"x-empty\");created=1;keyid=\"k\"");
	/* no query at all, and an empty one */
	r.path = "";
	r.query = NULL;
	assert_int_equal(httpsig_parse_nocheck(&r, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_non_null(strstr(P.base, "\"@target-uri\": https://example.com:8443/\n"));
	assert_non_null(strstr(P.base, "\"@request-target\": /\n"));
	assert_non_null(strstr(P.base, "\"@path\": /\n"));
	assert_non_null(strstr(P.base, "\"@query\": ?\n"));
	r.query = "";
	assert_int_equal(httpsig_parse_nocheck(&r, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_non_null(strstr(P.base, "\"@target-uri\": https://example.com:8443/?\n"));
	assert_non_null(strstr(P.base, "\"@query\": ?\n"));
	/* a request part the component needs is missing */
	r.authority = NULL;
	assert_int_equal(httpsig_parse_nocheck(&r, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	assert_non_null(strstr(DETAIL, "no authority"));
}

/* The received inner list is re-serialized, not copied. */
static void test_signature_params_reserialized(void **state)
{
	(void)state;
	assert_int_equal(parse_with("  sig1=( \"@method\"   \"@target-uri\" );created=1;  "
	                            "keyid=\"k\" ,\tother=()",
	                            SIG64),
	                 ERR_OK);
	assert_string_equal(P.base, "\"@method\": GET\n"
	                            "\"@target-uri\": https://example.com/\n"
	                            "\"@signature-params\": (\"@method\" \"@target-uri\")"
	                            ";created=1;keyid=\"k\"");
}

/* Values that could forge base lines are refused. */
static void test_bad_values(void **state)
{
	struct fake fk;
	struct httpsig_request r;
	char *huge;

	(void)state;
	memset(&fk, 0, sizeof(fk));
	set_header(&fk, "signature-input",
	           "sig1=(\"@method\" \"@target-uri\" \"x-v\");created=1;keyid=\"k\"");
	set_header(&fk, "signature", SIG64);
	r = request(&fk, "GET", "/", NULL);
	set_header(&fk, "x-v", "a\nb");
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	assert_non_null(strstr(DETAIL, "\"x-v\" holds characters outside VCHAR"));
	set_header(&fk, "x-v", "a\rb");
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	set_header(&fk, "x-v", "caf\xc3\xa9");
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	set_header(&fk, "x-v", "a\x7f");
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	set_header(&fk, "x-v", "a\tb ~");
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	r.path = "/a\nb";
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	assert_non_null(strstr(DETAIL, "\"@target-uri\""));
	r.path = "/";
	r.method = "G\x01T";
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	r.method = "GET";
	/* a base that would reach HTTPSIG_MAX_BASE bytes */
	huge = malloc(HTTPSIG_MAX_BASE + 1);
	assert_non_null(huge);
	memset(huge, 'v', HTTPSIG_MAX_BASE);
	huge[HTTPSIG_MAX_BASE] = '\0';
	set_header(&fk, "x-v", huge);
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	assert_non_null(strstr(DETAIL, "exceeds 16383 bytes"));
	free(huge);
}

/* The base may use HTTPSIG_MAX_BASE - 1 bytes, and not one more. */
static void test_base_bound_exact(void **state)
{
	static const char input[] = "sig1=(\"x-v\");created=1;keyid=\"k\"";
	static const char params[] = "\"@signature-params\": (\"x-v\");created=1;keyid=\"k\"";
	size_t fixed = strlen("\"x-v\": \n") + strlen(params);
	size_t fill = HTTPSIG_MAX_BASE - 1 - fixed;
	struct fake fk;
	struct httpsig_request r;
	char *v = malloc(fill + 2);

	(void)state;
	assert_non_null(v);
	memset(v, 'v', fill + 1);
	v[fill] = '\0';
	memset(&fk, 0, sizeof(fk));
	set_header(&fk, "signature-input", input);
	set_header(&fk, "signature", SIG64);
	set_header(&fk, "x-v", v);
	r = request(&fk, "GET", "/", NULL);
	assert_int_equal(httpsig_parse_nocheck(&r, &P, DETAIL, sizeof(DETAIL)), ERR_OK);
	assert_int_equal(P.base_len, HTTPSIG_MAX_BASE - 1);
	assert_int_equal(P.base[P.base_len], '\0');
	v[fill] = 'v';
	v[fill + 1] = '\0';
	assert_int_equal(httpsig_parse_nocheck(&r, &P, DETAIL, sizeof(DETAIL)), ERR_SIG_PARAMS);
	free(v);
}

static void test_coverage_rule(void **state)
{
	struct fake fk;
	struct httpsig_request r;
	char sig_b[128];

	(void)state;
	zero_sig("s", 64, sig_b, sizeof(sig_b));
	memset(&fk, 0, sizeof(fk));
	set_header(&fk, "signature", sig_b);
	set_header(&fk, "content-type", "application/json");
	set_header(&fk, "content-digest", "sha-256=:AAAA:");
	r = request(&fk, "POST", "/r", "q=1");
#define COVER(comps) set_header(&fk, "signature-input", "s=(" comps ");created=1;keyid=\"k\"")
#define RUN(body)    httpsig_parse(&r, body, &P, DETAIL, sizeof(DETAIL))
	COVER("\"@target-uri\"");
	assert_int_equal(RUN(false), ERR_SIG_PARAMS);
	assert_string_equal(DETAIL, "the signature must also cover \"@method\"");
	COVER("\"@method\"");
	assert_int_equal(RUN(false), ERR_SIG_PARAMS);
	assert_string_equal(DETAIL, "the signature must also cover \"@target-uri\" (or "
	                            "\"@authority\" and \"@path\"), \"@query\"");
	COVER("\"@method\" \"@authority\"");
	assert_int_equal(RUN(false), ERR_SIG_PARAMS);
	assert_non_null(strstr(DETAIL, "\"@path\""));
	COVER("\"@method\" \"@path\"");
	assert_int_equal(RUN(false), ERR_SIG_PARAMS);
	COVER("\"@method\" \"@authority\" \"@path\"");
	assert_int_equal(RUN(false), ERR_SIG_PARAMS);
	assert_string_equal(DETAIL, "the signature must also cover \"@query\"");
	COVER("\"@method\" \"@authority\" \"@path\" \"@query\"");
	assert_int_equal(RUN(false), ERR_OK);
	COVER("\"@method\" \"@target-uri\"");
	assert_int_equal(RUN(false), ERR_OK);
	/* no query, or an empty one: @query is not needed */
	r.query = "";
	COVER("\"@method\" \"@authority\" \"@path\"");
	assert_int_equal(RUN(false), ERR_OK);
	r.query = NULL;
	assert_int_equal(RUN(false), ERR_OK);
	/* a body needs content-type and content-digest */
	assert_int_equal(RUN(true), ERR_SIG_PARAMS);
	assert_string_equal(DETAIL,
	                    "the signature must also cover \"content-type\", \"content-digest\"");
	COVER("\"@method\" \"@authority\" \"@path\" \"content-type\"");
	assert_int_equal(RUN(true), ERR_SIG_PARAMS);
	assert_string_equal(DETAIL, "the signature must also cover \"content-digest\"");
	COVER("\"@method\" \"@authority\" \"@path\" \"content-digest\"");
	assert_int_equal(RUN(true), ERR_SIG_PARAMS);
	assert_string_equal(DETAIL, "the signature must also cover \"content-type\"");
	COVER("\"content-digest\" \"@path\" \"content-type\" \"@authority\" \"@method\"");
	assert_int_equal(RUN(true), ERR_OK);
	/* everything missing at once is listed at once */
	COVER("");
	r.query = "q=1";
	assert_int_equal(RUN(true), ERR_SIG_PARAMS);
	assert_string_equal(DETAIL, "the signature must also cover \"@method\", \"@target-uri\" "
	                            "(or \"@authority\" and \"@path\"), \"@query\", "
	                            "\"content-type\", \"content-digest\"");
	/* a short detail buffer is truncated, never overrun */
	assert_int_equal(httpsig_parse(&r, true, &P, DETAIL, 10), ERR_SIG_PARAMS);
	assert_string_equal(DETAIL, "the signa");
	assert_int_equal(httpsig_parse(&r, true, &P, NULL, 0), ERR_SIG_PARAMS);
#undef COVER
#undef RUN
}

static void test_internal_errors(void **state)
{
	struct fake fk;
	struct httpsig_request r;

	(void)state;
	memset(&fk, 0, sizeof(fk));
	r = request(&fk, "GET", "/", NULL);
	assert_int_equal(httpsig_parse(NULL, false, &P, DETAIL, sizeof(DETAIL)), ERR_INTERNAL);
	assert_int_equal(httpsig_parse(&r, false, NULL, DETAIL, sizeof(DETAIL)), ERR_INTERNAL);
	r.header = NULL;
	assert_int_equal(httpsig_parse(&r, false, &P, DETAIL, sizeof(DETAIL)), ERR_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc9421_b26),
	        cmocka_unit_test(test_rfc9421_b26_fails_coverage),
	        cmocka_unit_test(test_rfc9530_digests),
	        cmocka_unit_test(test_digest_errors),
	        cmocka_unit_test(test_sign_parse_verify),
	        cmocka_unit_test(test_verify_stored),

	        cmocka_unit_test(test_sign_with_authority_path_query),
	        cmocka_unit_test(test_tampering_fails),
	        cmocka_unit_test(test_flip_every_byte),
	        cmocka_unit_test(test_roundtrip_loop),
	        cmocka_unit_test(test_sign_errors),
	        cmocka_unit_test(test_parse_ok_baseline),
	        cmocka_unit_test(test_parse_missing),
	        cmocka_unit_test(test_parse_malformed),
	        cmocka_unit_test(test_parse_label_choice),
	        cmocka_unit_test(test_parse_params),
	        cmocka_unit_test(test_parse_params_accepted),
	        cmocka_unit_test(test_parse_components),
	        cmocka_unit_test(test_derived_values),
	        cmocka_unit_test(test_signature_params_reserialized),
	        cmocka_unit_test(test_bad_values),
	        cmocka_unit_test(test_base_bound_exact),
	        cmocka_unit_test(test_coverage_rule),
	        cmocka_unit_test(test_internal_errors),
	};

	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
