/*
 * webhook_send — one batch of webhook POSTs with libcurl's multi interface.
 *
 * Why a batch and not one POST at a time: the delivery thread holds one
 * database connection, and a claimed delivery stays locked until its
 * outcome is recorded; sending a batch of heads of different subscriptions
 * at once lets one slow receiver cost the others at most one timeout.
 *
 * What is signed is what is sent: the URL is parsed once (CURLU) and the
 * same handle is both the request curl makes and the source of the
 * RFC 9421 components (@target-uri from scheme, host, non-default port,
 * path and query). Redirects are not followed and only http/https are
 * spoken. Never logs or stores the URL; errors name the failure only.
 */
#include "webhook_internal.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpsig.h"
#include "log.h"

#define WEBHOOK_CONTENT_TYPE  "application/stix+json;version=2.1"
#define WEBHOOK_SIG_LABEL     "isacd"
#define WEBHOOK_POLL_MS       100
#define WEBHOOK_BATCH_GRACE_S 2 /* past the per-transfer bound, before giving up */

/* Field values of one request, for the header lookup httpsig signs from. */
struct webhook_fields {
	char digest[64];
	char idempotency_key[UUID_STR_LEN + 3]; /* an RFC 8941 string: quoted */
};

/* One request under construction; every member is owned and freed here. */
struct webhook_req {
	CURL *easy;
	CURLU *url;
	struct curl_slist *headers;
	struct webhook_fields f;
};

static const char *webhook_field(void *ctx, const char *lname)
{
	const struct webhook_fields *f = ctx;

	if (strcmp(lname, "content-type") == 0)
		return WEBHOOK_CONTENT_TYPE;
	if (strcmp(lname, "content-digest") == 0)
		return f->digest;
	if (strcmp(lname, "idempotency-key") == 0)
		return f->idempotency_key;
	return NULL;
}

/* A response body is never read: drop it. */
static size_t webhook_discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* The URL's parts as RFC 9421 derives them; all curl_free'd by the caller. */
struct webhook_url_parts {
	char *scheme, *host, *port, *path, *query;
};

static void webhook_url_parts_free(struct webhook_url_parts *u)
{
	curl_free(u->scheme);
	curl_free(u->host);
	curl_free(u->port);
	curl_free(u->path);
	curl_free(u->query);
}

static int webhook_url_split(CURLU *url, struct webhook_url_parts *u)
{
	memset(u, 0, sizeof *u);
	if (curl_url_get(url, CURLUPART_SCHEME, &u->scheme, 0) != CURLUE_OK ||
	    curl_url_get(url, CURLUPART_HOST, &u->host, 0) != CURLUE_OK ||
	    curl_url_get(url, CURLUPART_PATH, &u->path, 0) != CURLUE_OK)
		return -1;
	/* absent, or the scheme's default: curl's Host line then carries no port either */
	if (curl_url_get(url, CURLUPART_PORT, &u->port, CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
		u->port = NULL;
	if (curl_url_get(url, CURLUPART_QUERY, &u->query, 0) != CURLUE_OK)
		u->query = NULL;
	if (strcmp(u->scheme, "http") != 0 && strcmp(u->scheme, "https") != 0)
		return -1;
	return 0;
}

/* Append "Name: value" (bounded); -1 when it does not fit or memory ran out. */
static int webhook_add(struct webhook_req *r, const char *name, const char *value)
{
	char line[1400];
	struct curl_slist *l;

	if ((size_t)snprintf(line, sizeof line, "%s: %s", name, value) >= sizeof line)
		return -1;
	l = curl_slist_append(r->headers, line);
	if (l == NULL)
		return -1;
	r->headers = l;
	return 0;
}

/* Content-Digest, Idempotency-Key and the RFC 9421 signature over them. */
static int webhook_sign(struct webhook_req *r, const struct signer_key *key,
                        const struct db_delivery *d, char *sig_input, size_t sig_input_len,
                        char *sig, size_t sig_len)
{
	static const char *const covered[] = {"@method", "@target-uri", "content-type",
	                                      "content-digest", "idempotency-key"};
	struct webhook_url_parts u;
	char authority[320];
	struct httpsig_request hr;
	int rc = -1;

	if (httpsig_digest_field((const uint8_t *)d->bundle, d->bundle_len, r->f.digest,
	                         sizeof r->f.digest) != 0)
		return -1;
	snprintf(r->f.idempotency_key, sizeof r->f.idempotency_key, "\"%s\"", d->idempotency_key);
	if (webhook_url_split(r->url, &u) != 0)
		goto out;
	if ((size_t)snprintf(authority, sizeof authority, "%s%s%s", u.host,
	                     u.port != NULL ? ":" : "",
	                     u.port != NULL ? u.port : "") >= sizeof authority)
		goto out;
	hr = (struct httpsig_request){"POST",  u.scheme,      authority, u.path,
	                              u.query, webhook_field, &r->f};
	if (httpsig_sign(&hr, covered, sizeof covered / sizeof covered[0], WEBHOOK_SIG_LABEL,
	                 key->key_id, (int64_t)time(NULL), key->sk, sig_input, sig_input_len, sig,
	                 sig_len) == ERR_OK)
		rc = 0;
out:
	webhook_url_parts_free(&u);
	return rc;
}

static int webhook_headers(struct webhook_req *r, const struct signer_key *key,
                           const struct db_delivery *d)
{
	char sig_input[1024], sig[256], num[24];
	char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];

	if (webhook_sign(r, key, d, sig_input, sizeof sig_input, sig, sizeof sig) != 0)
		return -1;
	sodium_bin2base64(b64, sizeof b64, d->signature, 64, sodium_base64_VARIANT_ORIGINAL);
	snprintf(num, sizeof num, "%lld", d->id);
	if (webhook_add(r, "Content-Type", WEBHOOK_CONTENT_TYPE) != 0 ||
	    webhook_add(r, "Content-Digest", r->f.digest) != 0 ||
	    webhook_add(r, "Idempotency-Key", r->f.idempotency_key) != 0 ||
	    webhook_add(r, "Isacd-Delivery-Id", num) != 0 ||
	    webhook_add(r, "Isacd-Subscription-Id", d->subscription) != 0 ||
	    webhook_add(r, "Isacd-Bulletin-Id", d->bulletin_id) != 0)
		return -1;
	snprintf(num, sizeof num, "%d", d->version);
	if (webhook_add(r, "Isacd-Bulletin-Version", num) != 0 ||
	    webhook_add(r, "Isacd-Signature", b64) != 0 ||
	    webhook_add(r, "Isacd-Signature-Key", key->key_id) != 0 ||
	    webhook_add(r, "Signature-Input", sig_input) != 0 ||
	    webhook_add(r, "Signature", sig) != 0)
		return -1;
	/* no "Expect: 100-continue" round trip; curl's Accept adds nothing */
	if (webhook_add(r, "Expect", "") != 0 || webhook_add(r, "Accept", "") != 0)
		return -1;
	return 0;
}

/* Build one request; on -1, *why says what (the caller records it as the failure). */
static int webhook_build(struct webhook_req *r, const struct signer_key *key,
                         const struct db_delivery *d, size_t index, const char **why)
{
	memset(r, 0, sizeof *r);
	*why = "the webhook URL is not an http(s) URL curl accepts";
	if (d->url == NULL || (r->url = curl_url()) == NULL ||
	    curl_url_set(r->url, CURLUPART_URL, d->url, 0) != CURLUE_OK)
		return -1;
	*why = "the request could not be built or signed";
	if ((r->easy = curl_easy_init()) == NULL || webhook_headers(r, key, d) != 0)
		return -1;
	if (curl_easy_setopt(r->easy, CURLOPT_CURLU, r->url) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, d->bundle) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->bundle_len) !=
	            CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "isacd-webhook/1") != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, WEBHOOK_CONNECT_TIMEOUT_MS) !=
	            CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, WEBHOOK_TOTAL_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, webhook_discard) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_PRIVATE, (void *)(uintptr_t)index) != CURLE_OK)
		return -1;
	return 0;
}

static void webhook_req_free(struct webhook_req *r)
{
	curl_easy_cleanup(r->easy);
	curl_url_cleanup(r->url);
	curl_slist_free_all(r->headers);
	r->easy = NULL;
	r->url = NULL;
	r->headers = NULL;
}

/* Record finished transfers into their attempts. */
static void webhook_collect(CURLM *m, struct webhook_attempt *a, size_t n)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		void *priv = NULL;
		size_t i;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		i = (size_t)(uintptr_t)priv;
		if (i >= n)
			continue;
		a[i].finished = true;
		if (msg->data.result != CURLE_OK) {
			snprintf(a[i].error, sizeof a[i].error, "%s",
			         curl_easy_strerror(msg->data.result));
			continue;
		}
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		a[i].status = status;
		a[i].ok = status >= 200 && status <= 299;
		if (!a[i].ok)
			snprintf(a[i].error, sizeof a[i].error, "answered HTTP %ld", status);
	}
}

static int64_t webhook_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Drive the multi handle until every transfer ended, the stop flag, or the bound. */
static void webhook_run(CURLM *m, struct webhook_attempt *a, size_t n, const atomic_bool *stopping)
{
	int64_t deadline_us =
	        webhook_monotonic_us() +
	        (WEBHOOK_TOTAL_TIMEOUT_MS / 1000 + WEBHOOK_BATCH_GRACE_S) * (int64_t)1000000;
	int running = 1;

	while (running > 0 && !atomic_load(stopping) && webhook_monotonic_us() < deadline_us) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		webhook_collect(m, a, n);
		if (running > 0 && curl_multi_poll(m, NULL, 0, WEBHOOK_POLL_MS, NULL) != CURLM_OK)
			break;
	}
	webhook_collect(m, a, n);
}

void webhook_send_batch(const struct signer_key *key, struct webhook_attempt *a, size_t n,
                        const atomic_bool *stopping)
{
	struct webhook_req *reqs = calloc(n > 0 ? n : 1, sizeof *reqs);
	CURLM *m = curl_multi_init();
	size_t added = 0;

	for (size_t i = 0; i < n; i++) {
		a[i].finished = a[i].ok = false;
		a[i].status = 0;
		a[i].error[0] = '\0';
	}
	if (reqs == NULL || m == NULL) {
		LOG_BUG("out of memory for a webhook batch");
		goto out; /* nothing finished: the deliveries stay pending */
	}
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;

		if (webhook_build(&reqs[i], key, a[i].d, i, &why) != 0 ||
		    curl_multi_add_handle(m, reqs[i].easy) != CURLM_OK) {
			a[i].finished = true;
			snprintf(a[i].error, sizeof a[i].error, "%s",
			         why != NULL ? why : "not sent");
			webhook_req_free(&reqs[i]);
			continue;
		}
		added++;
	}
	if (added > 0)
		webhook_run(m, a, n, stopping);
out:
	for (size_t i = 0; reqs != NULL && i < n; i++) {
		if (reqs[i].easy != NULL && m != NULL)
			curl_multi_remove_handle(m, reqs[i].easy);
		webhook_req_free(&reqs[i]);
	}
	curl_multi_cleanup(m);
	free(reqs);
}
