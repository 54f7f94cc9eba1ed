/*
 * client — the operator CLI that submits signed reports.
 *
 * It signs with the same httpsig code the server verifies with, so it is
 * also a living example of a correct request; the e2e suite additionally
 * signs with an independent Python implementation. Never prints the key.
 */
#include "client.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "httpsig.h"
#include "receipt.h"
#include "signer.h"

#define CLIENT_MAX_BODY  (16u * 1024 * 1024)
#define CLIENT_MAX_REPLY (1u * 1024 * 1024)

struct client_buf {
	char *data;
	size_t len;
};

static size_t client_collect(char *p, size_t size, size_t n, void *ctx)
{
	struct client_buf *b = ctx;
	size_t add = size * n;
	char *q;

	if (b->len + add > CLIENT_MAX_REPLY)
		return 0;
	q = realloc(b->data, b->len + add + 1);
	if (q == NULL)
		return 0;
	memcpy(q + b->len, p, add);
	b->data = q;
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

static int client_read_file(const char *path, struct client_buf *out)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	out->data = NULL;
	out->len = 0;
	if (f == NULL)
		return -1;
	out->data = malloc(CLIENT_MAX_BODY + 1);
	n = out->data != NULL ? fread(out->data, 1, CLIENT_MAX_BODY + 1, f) : 0;
	fclose(f);
	if (out->data == NULL || n == 0 || n > CLIENT_MAX_BODY)
		return -1;
	out->len = n;
	return 0;
}

struct client_target {
	char scheme[8];
	char authority[256];
	char path[512];
};

/* Split BASE into scheme and authority; path is BASE's path + suffix. */
static int client_target(const char *base, const char *suffix, struct client_target *t)
{
	const char *p = strstr(base, "://"), *slash;
	size_t alen;

	if (p == NULL || (size_t)(p - base) >= sizeof t->scheme)
		return -1;
	snprintf(t->scheme, sizeof t->scheme, "%.*s", (int)(p - base), base);
	p += 3;
	slash = strchr(p, '/');
	alen = slash != NULL ? (size_t)(slash - p) : strlen(p);
	if (alen == 0 || alen >= sizeof t->authority)
		return -1;
	snprintf(t->authority, sizeof t->authority, "%.*s", (int)alen, p);
	snprintf(t->path, sizeof t->path, "%s%s", slash != NULL ? slash : "", suffix);
	/* a base ending in '/' would double the slash */
	for (char *d = strstr(t->path, "//"); d != NULL; d = strstr(t->path, "//"))
		memmove(d, d + 1, strlen(d));
	return 0;
}

struct client_hdrs {
	const char *content_type;
	const char *content_digest;
};

static const char *client_header(void *ctx, const char *lname)
{
	const struct client_hdrs *h = ctx;

	if (strcmp(lname, "content-type") == 0)
		return h->content_type;
	if (strcmp(lname, "content-digest") == 0)
		return h->content_digest;
	return NULL;
}

static long client_http(const char *method, const char *url, struct curl_slist *hdrs,
                        const struct client_buf *body, struct client_buf *reply)
{
	CURL *curl = curl_easy_init();
	long status = 0;

	if (curl == NULL)
		return 0;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body->len);
	}
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	return status;
}

/* Fetch the server key and check the receipt in the 201 reply. */
static int client_check_receipt(const char *base, const struct client_buf *body,
                                const char *reply_text)
{
	struct client_buf keyreply = {NULL, 0};
	char url[1024];
	json_t *reply = json_loads(reply_text, 0, NULL), *key = NULL, *r;
	uint8_t pk[32], sig[64], sha[32], msg[sizeof SIGNER_CTX_RECEIPT + RECEIPT_MSG_LEN];
	size_t len = 0;
	const char *id, *at, *b64pk, *b64sig;
	int ok = -1;

	snprintf(url, sizeof url, "%s/v1/server-key", base);
	if (client_http("GET", url, NULL, NULL, &keyreply) != 200 ||
	    (key = json_loads(keyreply.data, 0, NULL)) == NULL || reply == NULL)
		goto out;
	r = json_object_get(reply, "receipt");
	id = json_string_value(json_object_get(r, "report_id"));
	at = json_string_value(json_object_get(r, "received_at"));
	b64sig = json_string_value(json_object_get(r, "signature"));
	b64pk = json_string_value(json_object_get(key, "public_key"));
	if (id == NULL || at == NULL || b64sig == NULL || b64pk == NULL ||
	    strlen(id) != UUID_STR_LEN || strlen(at) != CLOCK_RFC3339_LEN ||
	    sodium_base642bin(pk, 32, b64pk, strlen(b64pk), NULL, &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != 32 ||
	    sodium_base642bin(sig, 64, b64sig, strlen(b64sig), NULL, &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != 64)
		goto out;
	crypto_hash_sha256(sha, (const uint8_t *)body->data, body->len);
	memcpy(msg, SIGNER_CTX_RECEIPT, sizeof SIGNER_CTX_RECEIPT);
	memcpy(msg + sizeof SIGNER_CTX_RECEIPT, id, UUID_STR_LEN);
	memcpy(msg + sizeof SIGNER_CTX_RECEIPT + UUID_STR_LEN, sha, 32);
	memcpy(msg + sizeof SIGNER_CTX_RECEIPT + UUID_STR_LEN + 32, at, CLOCK_RFC3339_LEN);
	ok = crypto_sign_verify_detached(sig, msg, sizeof msg, pk);
out:
	json_decref(reply);
	json_decref(key);
	free(keyreply.data);
	return ok;
}

int client_submit_main(int argc, char **argv)
{
	const char *base = NULL, *keyfile = NULL, *kid = NULL, *file = NULL;
	static const char *const comps[] = {"@method", "@target-uri", "content-type",
	                                    "content-digest"};
	struct client_buf body = {NULL, 0}, reply = {NULL, 0};
	struct client_target t;
	struct client_hdrs hv = {"application/json", NULL};
	struct httpsig_request hr;
	struct curl_slist *hdrs = NULL;
	char digest[128], sig_input[1024], sig[256], line[1400], url[1024], err[256];
	uint8_t seed[32], pk[32], sk[64];
	long status;
	int rc = 1;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			puts("usage: isacd submit --url BASE_URL --key SEED_FILE --key-id KID "
			     "REPORT.json\n"
			     "Signs REPORT.json (RFC 9421, Ed25519, Content-Digest), POSTs it to\n"
			     "BASE_URL/v1/reports, prints the answer and verifies the receipt.\n"
			     "Exit 0 accepted and receipt verified, 1 refused, 2 usage.");
			return 0;
		}
		if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			base = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			keyfile = argv[++i];
		else if (strcmp(argv[i], "--key-id") == 0 && i + 1 < argc)
			kid = argv[++i];
		else if (argv[i][0] != '-' && file == NULL)
			file = argv[i];
		else
			base = keyfile = NULL; /* forces the usage message */
	}
	if (base == NULL || keyfile == NULL || kid == NULL || file == NULL) {
		fprintf(stderr, "usage: isacd submit --url BASE_URL --key SEED_FILE --key-id KID "
		                "REPORT.json\n");
		return 2;
	}
	if (signer_read_seed(keyfile, seed, err, sizeof err) != 0) {
		fprintf(stderr, "isacd submit: %s\n", err);
		return 2;
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	if (client_read_file(file, &body) != 0 || client_target(base, "/v1/reports", &t) != 0) {
		fprintf(stderr, "isacd submit: cannot read %s (1 byte to 16 MiB) or bad --url\n",
		        file);
		rc = 2;
		goto out;
	}
	httpsig_digest_field((const uint8_t *)body.data, body.len, digest, sizeof digest);
	hv.content_digest = digest;
	hr = (struct httpsig_request){"POST", t.scheme,      t.authority, t.path,
	                              NULL,   client_header, &hv};
	if (httpsig_sign(&hr, comps, 4, "sig1", kid, (int64_t)time(NULL), sk, sig_input,
	                 sizeof sig_input, sig, sizeof sig) != ERR_OK) {
		fprintf(stderr, "isacd submit: signing failed\n");
		goto out;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	snprintf(line, sizeof line, "Content-Digest: %s", digest);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof line, "Signature-Input: %s", sig_input);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof line, "Signature: %s", sig);
	hdrs = curl_slist_append(hdrs, line);
	hdrs = curl_slist_append(hdrs, "Expect:");
	snprintf(url, sizeof url, "%s://%s%s", t.scheme, t.authority, t.path);
	status = client_http("POST", url, hdrs, &body, &reply);
	printf("%s\n", reply.data != NULL ? reply.data : "");
	if (status == 0) {
		fprintf(stderr, "isacd submit: no answer from %s\n", url);
	} else if (status != 201) {
		fprintf(stderr, "isacd submit: refused with HTTP %ld\n", status);
	} else if (client_check_receipt(base, &body, reply.data) != 0) {
		fprintf(stderr, "isacd submit: accepted, but the receipt does NOT verify\n");
	} else {
		fprintf(stderr, "isacd submit: accepted; receipt verified with the server key\n");
		rc = 0;
	}
out:
	curl_slist_free_all(hdrs);
	free(body.data);
	free(reply.data);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	return rc;
}
