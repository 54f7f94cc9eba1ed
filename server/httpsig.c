/*
 * httpsig — HTTP Message Signatures (RFC 9421, Ed25519) and Content-Digest
 * (RFC 9530, sha-256). See include/httpsig.h.
 *
 * One path builds every signature base: describe_signature() checks a
 * parsed Signature-Input member (parameters, then components) and writes
 * the base. httpsig_parse feeds it the member the client sent;
 * httpsig_sign feeds it a member it built with the sfv builder. The
 * "@signature-params" line is always the sfv serialization of that member,
 * never the received text, so a verifier and a signer cannot disagree
 * about spacing.
 *
 * Must never: accept a base line holding CR, LF or other bytes outside
 * VCHAR/SP/HTAB (they would forge lines), decide key trust, replay or clock
 * questions (auth does), log anything, or write past a buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "httpsig.h"
#include "sfv.h"

_Static_assert(SFV_MAX_KEY <= HTTPSIG_MAX_LABEL, "a label is an sfv key");
_Static_assert(HTTPSIG_MAX_COMPONENTS <= SFV_MAX_INNER_ITEMS, "components fit an inner list");

/* The longest component name whose serialized identifier fits components[i]. */
#define COMPONENT_NAME_MAX (sizeof(((struct httpsig_parsed *)0)->components[0]) - 3)

enum derived {
	D_METHOD,
	D_TARGET_URI,
	D_AUTHORITY,
	D_SCHEME,
	D_REQUEST_TARGET,
	D_PATH,
	D_QUERY,
	D_COUNT
};

static const char *const derived_names[D_COUNT] = {
        "@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query",
};

/* The signature base being written into a bounded buffer. */
struct base_buf {
	char *p;
	size_t cap, n;
	bool overflow;
};

static void say(char *detail, size_t detail_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void say(char *detail, size_t detail_len, const char *fmt, ...)
{
	va_list ap;

	if (detail == NULL || detail_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, detail_len, fmt, ap);
	va_end(ap);
}

static void bput(struct base_buf *b, const char *s, size_t n)
{
	if (b->overflow || n > b->cap - b->n) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void bput_str(struct base_buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void bput_lower(struct base_buf *b, const char *s)
{
	size_t start = b->n, i;

	bput_str(b, s);
	if (b->overflow)
		return;
	for (i = start; i < b->n; i++)
		if (b->p[i] >= 'A' && b->p[i] <= 'Z')
			b->p[i] = (char)(b->p[i] - 'A' + 'a');
}

/* VCHAR, SP and HTAB only: no CR, LF, NUL, DEL or obs-text. */
static bool value_ok(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c != '\t' && (c < 0x20 || c > 0x7e))
			return false;
	}
	return true;
}

static int derived_find(const char *name)
{
	int d;

	for (d = 0; d < D_COUNT; d++)
		if (strcmp(name, derived_names[d]) == 0)
			return d;
	return -1;
}

static const char *path_of(const struct httpsig_request *req)
{
	return req->path != NULL && req->path[0] != '\0' ? req->path : "/";
}

/* Append path, then "?" query when the target had a '?'. */
static void bput_path_query(struct base_buf *b, const struct httpsig_request *req)
{
	bput_str(b, path_of(req));
	if (req->query != NULL) {
		bput(b, "?", 1);
		bput_str(b, req->query);
	}
}

/* RFC 9421 2.2: the value of derived component d. */
static enum err_code put_derived(struct base_buf *b, const struct httpsig_request *req, int d,
                                 char *detail, size_t detail_len)
{
	const char *need = NULL;

	if (d == D_METHOD && req->method == NULL)
		need = "method";
	else if ((d == D_TARGET_URI || d == D_SCHEME) && req->scheme == NULL)
		need = "scheme";
	else if ((d == D_TARGET_URI || d == D_AUTHORITY) && req->authority == NULL)
		need = "authority";
	if (need != NULL) {
		say(detail, detail_len, "the request has no %s for \"%s\"", need, derived_names[d]);
		return ERR_SIG_PARAMS;
	}
	switch (d) {
	case D_METHOD:
		bput_str(b, req->method);
		break;
	case D_TARGET_URI:
		bput_lower(b, req->scheme);
		bput(b, "://", 3);
		bput_lower(b, req->authority);
		bput_path_query(b, req);
		break;
	case D_AUTHORITY:
		bput_lower(b, req->authority);
		break;
	case D_SCHEME:
		bput_lower(b, req->scheme);
		break;
	case D_REQUEST_TARGET:
		bput_path_query(b, req);
		break;
	case D_PATH:
		bput_str(b, path_of(req));
		break;
	default: /* D_QUERY */
		bput(b, "?", 1);
		bput_str(b, req->query != NULL ? req->query : "");
		break;
	}
	return ERR_OK;
}

/* RFC 9421 2.1: a field's value, trimmed of leading and trailing SP/HTAB. */
static enum err_code put_field(struct base_buf *b, const struct httpsig_request *req,
                               const char *name, char *detail, size_t detail_len)
{
	const char *v = req->header(req->header_ctx, name);
	size_t n;

	if (v == NULL) {
		say(detail, detail_len, "covered field \"%s\" is absent from the request", name);
		return ERR_SIG_PARAMS;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	bput(b, v, n);
	return ERR_OK;
}

/*
 * One base line: `"<name>": <value>\n`. `ident` is the serialized
 * identifier, `name` the bare name (already validated).
 */
static enum err_code put_line(struct base_buf *b, const struct httpsig_request *req,
                              const char *ident, const char *name, char *detail, size_t detail_len)
{
	enum err_code rc;
	size_t start;

	bput_str(b, ident);
	bput(b, ": ", 2);
	start = b->n;
	if (name[0] == '@')
		rc = put_derived(b, req, derived_find(name), detail, detail_len);
	else
		rc = put_field(b, req, name, detail, detail_len);
	if (rc != ERR_OK)
		return rc;
	if (!b->overflow && !value_ok(b->p + start, b->n - start)) {
		say(detail, detail_len,
		    "the value of %s holds characters outside VCHAR, SP and HTAB", ident);
		return ERR_SIG_PARAMS;
	}
	bput(b, "\n", 1);
	return ERR_OK;
}

/* RFC 9421 2.5: the whole base into out->base, from out->components. */
static enum err_code build_base(const struct httpsig_request *req, const struct sfv_field *f,
                                const struct sfv_member *m, struct httpsig_parsed *out,
                                char *detail, size_t detail_len)
{
	struct base_buf b = {.p = out->base, .cap = sizeof(out->base) - 1, .n = 0};
	const char *name;
	enum err_code rc;
	size_t i, n_params = 0;

	for (i = 0; i < out->n_components; i++) {
		name = sfv_text(f, f->items[m->first + i].value.off);
		rc = put_line(&b, req, out->components[i], name, detail, detail_len);
		if (rc != ERR_OK)
			return rc;
	}
	bput_str(&b, "\"@signature-params\": ");
	if (b.overflow || sfv_serialize_inner_list(f, m, b.p + b.n, sizeof(out->base) - b.n,
	                                           &n_params) != SFV_OK) {
		say(detail, detail_len, "the signature base exceeds %d bytes",
		    HTTPSIG_MAX_BASE - 1);
		return ERR_SIG_PARAMS;
	}
	out->base_len = b.n + n_params;
	out->base[out->base_len] = '\0';
	return ERR_OK;
}

/* A lower-case HTTP field name: tchar only, no upper case (RFC 9421 2.1). */
static bool field_name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", c) != NULL))
			return false;
	}
	return true;
}

/* Why component `name` cannot be covered, or NULL when it can. */
static const char *component_refusal(const char *name)
{
	if (name[0] != '@')
		return field_name_ok(name) ? NULL : "is not a lower-case HTTP field name";
	if (derived_find(name) >= 0)
		return NULL;
	if (strcmp(name, "@query-param") == 0 || strcmp(name, "@status") == 0)
		return "is not supported";
	if (strcmp(name, "@signature-params") == 0)
		return "cannot be covered";
	return "is not a known derived component";
}

/* Check one inner-list item as a component and record its identifier. */
static enum err_code add_component(const struct sfv_field *f, const struct sfv_item *it,
                                   struct httpsig_parsed *out, char *detail, size_t detail_len)
{
	const char *name = sfv_text(f, it->value.off), *why;
	char *ident = out->components[out->n_components];
	size_t j;

	if (it->value.type != SFV_STRING) {
		say(detail, detail_len, "component identifier %zu is not a string",
		    out->n_components + 1);
		return ERR_SIG_PARAMS;
	}
	if (it->params.n > 0) {
		say(detail, detail_len, "component parameter ;%s on \"%s\" is not supported",
		    sfv_text(f, f->params[it->params.first].key_off), name);
		return ERR_SIG_PARAMS;
	}
	why = it->value.len > COMPONENT_NAME_MAX ? "is too long" : component_refusal(name);
	if (why != NULL) {
		say(detail, detail_len, "component \"%.64s\" %s", name, why);
		return ERR_SIG_PARAMS;
	}
	snprintf(ident, sizeof(out->components[0]), "\"%s\"", name);
	for (j = 0; j < out->n_components; j++) {
		if (strcmp(out->components[j], ident) == 0) {
			say(detail, detail_len, "component %s is covered twice", ident);
			return ERR_SIG_PARAMS;
		}
	}
	out->n_components++;
	return ERR_OK;
}

static enum err_code check_components(const struct sfv_field *f, const struct sfv_member *m,
                                      struct httpsig_parsed *out, char *detail, size_t detail_len)
{
	enum err_code rc;
	size_t i;

	if (m->n > HTTPSIG_MAX_COMPONENTS) {
		say(detail, detail_len, "more than %d covered components", HTTPSIG_MAX_COMPONENTS);
		return ERR_SIG_PARAMS;
	}
	out->n_components = 0;
	for (i = 0; i < m->n; i++) {
		rc = add_component(f, &f->items[m->first + i], out, detail, detail_len);
		if (rc != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

/* Whether parameter p has type t; false, with detail, otherwise. */
static bool param_typed(const struct sfv_param *p, enum sfv_type t, const char *key, char *detail,
                        size_t detail_len)
{
	if (p->value.type == t)
		return true;
	say(detail, detail_len, "signature parameter %s must be %s", key,
	    t == SFV_STRING ? "a string" : "an integer");
	return false;
}

/* One parameter of the signature (RFC 9421 2.3); unknown ones are ignored. */
static enum err_code check_param(const struct sfv_field *f, const struct sfv_param *p,
                                 struct httpsig_parsed *out, char *detail, size_t detail_len)
{
	const char *key = sfv_text(f, p->key_off), *v = sfv_text(f, p->value.off);
	bool is_int = strcmp(key, "created") == 0 || strcmp(key, "expires") == 0;
	bool is_str = strcmp(key, "keyid") == 0 || strcmp(key, "alg") == 0 ||
	              strcmp(key, "nonce") == 0 || strcmp(key, "tag") == 0;

	if (!is_int && !is_str)
		return ERR_OK;
	if (!param_typed(p, is_int ? SFV_INTEGER : SFV_STRING, key, detail, detail_len))
		return ERR_SIG_PARAMS;
	if (strcmp(key, "created") == 0) {
		out->created = p->value.num;
	} else if (strcmp(key, "expires") == 0) {
		out->has_expires = true;
		out->expires = p->value.num;
	} else if (strcmp(key, "alg") == 0 && strcmp(v, "ed25519") != 0) {
		say(detail, detail_len, "signature algorithm \"%.32s\" is not \"ed25519\"", v);
		return ERR_SIG_PARAMS;
	} else if (strcmp(key, "keyid") == 0) {
		if (p->value.len == 0 || p->value.len > HTTPSIG_MAX_KEYID) {
			say(detail, detail_len, "keyid must be 1 to %d bytes", HTTPSIG_MAX_KEYID);
			return ERR_SIG_PARAMS;
		}
		memcpy(out->keyid, v, p->value.len + 1);
	}
	return ERR_OK;
}

static enum err_code check_params(const struct sfv_field *f, const struct sfv_member *m,
                                  struct httpsig_parsed *out, char *detail, size_t detail_len)
{
	enum err_code rc;
	size_t j;

	for (j = 0; j < m->params.n; j++) {
		rc = check_param(f, &f->params[m->params.first + j], out, detail, detail_len);
		if (rc != ERR_OK)
			return rc;
	}
	if (sfv_param_get(f, &m->params, "keyid") == NULL) {
		say(detail, detail_len, "signature parameter keyid is required");
		return ERR_SIG_PARAMS;
	}
	if (sfv_param_get(f, &m->params, "created") == NULL) {
		say(detail, detail_len, "signature parameter created is required");
		return ERR_SIG_PARAMS;
	}
	return ERR_OK;
}

/*
 * The shared core of parse and sign: check the inner list *m (parameters,
 * then components) and build the base into *out.
 */
static enum err_code describe_signature(const struct httpsig_request *req,
                                        const struct sfv_field *f, const struct sfv_member *m,
                                        struct httpsig_parsed *out, char *detail, size_t detail_len)
{
	enum err_code rc;

	rc = check_params(f, m, out, detail, detail_len);
	if (rc == ERR_OK)
		rc = check_components(f, m, out, detail, detail_len);
	if (rc == ERR_OK)
		rc = build_base(req, f, m, out, detail, detail_len);
	return rc;
}

/* ---- parsing the request's fields ---- */

struct parse_work {
	struct sfv_field input; /* Signature-Input */
	struct sfv_field sig;   /* Signature */
};

static enum err_code parse_dict_field(const char *what, const char *value, struct sfv_field *f,
                                      char *detail, size_t detail_len)
{
	if (sfv_parse_dictionary(value, strlen(value), f) != SFV_OK) {
		say(detail, detail_len, "%s is not a valid structured dictionary: %s (byte %zu)",
		    what, f->err_reason, f->err_offset);
		return ERR_SIG_MALFORMED;
	}
	if (f->n_members == 0) {
		say(detail, detail_len, "%s is empty", what);
		return ERR_SIG_MISSING;
	}
	return ERR_OK;
}

/*
 * The first Signature-Input label also present in Signature; its label and
 * signature bytes go to *out, its inner list to *chosen.
 */
static enum err_code pick_signature(const struct parse_work *w, const struct sfv_member **chosen,
                                    struct httpsig_parsed *out, char *detail, size_t detail_len)
{
	const struct sfv_member *mi = NULL, *ms = NULL;
	const struct sfv_item *it;
	size_t j;

	for (j = 0; j < w->input.n_members && ms == NULL; j++) {
		mi = &w->input.members[j];
		ms = sfv_dict_get(&w->sig, sfv_text(&w->input, mi->key_off));
	}
	if (ms == NULL) {
		say(detail, detail_len, "no label of Signature-Input is present in Signature");
		return ERR_SIG_MALFORMED;
	}
	memcpy(out->label, sfv_text(&w->input, mi->key_off), mi->key_len + 1);
	if (!mi->is_inner) {
		say(detail, detail_len, "Signature-Input %s is not an inner list", out->label);
		return ERR_SIG_MALFORMED;
	}
	it = &w->sig.items[ms->first];
	if (ms->is_inner || it->value.type != SFV_BYTES || it->value.len != 64) {
		say(detail, detail_len, "Signature %s is not a 64-byte byte sequence", out->label);
		return ERR_SIG_MALFORMED;
	}
	memcpy(out->signature, sfv_text(&w->sig, it->value.off), 64);
	*chosen = mi;
	return ERR_OK;
}

enum err_code httpsig_parse_nocheck(const struct httpsig_request *req, struct httpsig_parsed *out,
                                    char *detail, size_t detail_len)
{
	struct parse_work *w = NULL;
	const struct sfv_member *m = NULL;
	const char *input, *sig;
	enum err_code rc = ERR_INTERNAL;

	say(detail, detail_len, "%s", "");
	if (req == NULL || req->header == NULL || out == NULL)
		goto out;
	memset(out, 0, sizeof(*out));
	input = req->header(req->header_ctx, "signature-input");
	sig = req->header(req->header_ctx, "signature");
	if (input == NULL || sig == NULL) {
		say(detail, detail_len, "the request has no %s field",
		    input == NULL ? "Signature-Input" : "Signature");
		rc = ERR_SIG_MISSING;
		goto out;
	}
	w = malloc(sizeof(*w));
	if (w == NULL)
		goto out;
	rc = parse_dict_field("Signature-Input", input, &w->input, detail, detail_len);
	if (rc == ERR_OK)
		rc = parse_dict_field("Signature", sig, &w->sig, detail, detail_len);
	if (rc == ERR_OK)
		rc = pick_signature(w, &m, out, detail, detail_len);
	if (rc == ERR_OK)
		rc = describe_signature(req, &w->input, m, out, detail, detail_len);
out:
	free(w);
	return rc;
}

enum err_code httpsig_parse(const struct httpsig_request *req, bool has_body,
                            struct httpsig_parsed *out, char *detail, size_t detail_len)
{
	enum err_code rc = httpsig_parse_nocheck(req, out, detail, detail_len);

	if (rc == ERR_OK)
		rc = httpsig_check_coverage(out, req, has_body, detail, detail_len);
	return rc;
}

/* ---- coverage ---- */

/* detail = prefix followed by the n items joined by ", ", truncated to fit. */
static void say_list(char *detail, size_t detail_len, const char *prefix, const char *const *items,
                     size_t n)
{
	size_t used, i;

	if (detail == NULL || detail_len == 0)
		return;
	say(detail, detail_len, "%s", prefix);
	for (i = 0; i < n; i++) {
		used = strlen(detail);
		say(detail + used, detail_len - used, "%s%s", i > 0 ? ", " : "", items[i]);
	}
}

static bool covers(const struct httpsig_parsed *p, const char *ident)
{
	size_t i;

	for (i = 0; i < p->n_components; i++)
		if (strcmp(p->components[i], ident) == 0)
			return true;
	return false;
}

enum err_code httpsig_check_coverage(const struct httpsig_parsed *p,
                                     const struct httpsig_request *req, bool has_body, char *detail,
                                     size_t detail_len)
{
	const char *missing[5];
	size_t n = 0;
	bool target = covers(p, "\"@target-uri\"");

	if (!covers(p, "\"@method\""))
		missing[n++] = "\"@method\"";
	if (!target && !(covers(p, "\"@authority\"") && covers(p, "\"@path\"")))
		missing[n++] = "\"@target-uri\" (or \"@authority\" and \"@path\")";
	if (!target && req->query != NULL && req->query[0] != '\0' && !covers(p, "\"@query\""))
		missing[n++] = "\"@query\"";
	if (has_body && !covers(p, "\"content-type\""))
		missing[n++] = "\"content-type\"";
	if (has_body && !covers(p, "\"content-digest\""))
		missing[n++] = "\"content-digest\"";
	if (n == 0)
		return ERR_OK;
	say_list(detail, detail_len, "the signature must also cover ", missing, n);
	return ERR_SIG_PARAMS;
}

/* ---- verification and digests ---- */

bool httpsig_verify_ed25519(const struct httpsig_parsed *p, const uint8_t pk[32])
{
	return crypto_sign_verify_detached(p->signature, (const unsigned char *)p->base,
	                                   p->base_len, pk) == 0;
}

enum err_code httpsig_check_digest(const char *field_value, const uint8_t *body, size_t body_len)
{
	static const uint8_t empty[1];
	struct sfv_field *f = NULL;
	const struct sfv_member *m;
	const struct sfv_item *it;
	uint8_t h[crypto_hash_sha256_BYTES];
	enum err_code rc = ERR_DIGEST_MISSING;

	if (field_value == NULL)
		goto out;
	rc = ERR_INTERNAL;
	f = malloc(sizeof(*f));
	if (f == NULL)
		goto out;
	rc = ERR_DIGEST_MALFORMED;
	if (sfv_parse_dictionary(field_value, strlen(field_value), f) != SFV_OK)
		goto out;
	m = sfv_dict_get(f, "sha-256");
	if (m == NULL) {
		rc = ERR_DIGEST_MISSING;
		goto out;
	}
	it = &f->items[m->first];
	if (m->is_inner || it->value.type != SFV_BYTES || it->value.len != sizeof(h))
		goto out;
	crypto_hash_sha256(h, body != NULL ? body : empty, body_len);
	rc = sodium_memcmp(h, sfv_text(f, it->value.off), sizeof(h)) == 0 ? ERR_OK
	                                                                  : ERR_DIGEST_MISMATCH;
out:
	free(f);
	return rc;
}

int httpsig_digest_field(const uint8_t *body, size_t body_len, char *out, size_t out_len)
{
	static const uint8_t empty[1];
	static const char prefix[] = "sha-256=:";
	uint8_t h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	                                   sodium_base64_VARIANT_ORIGINAL)];

	if (out == NULL || out_len < sizeof(prefix) - 1 + sizeof(b64) - 1 + 2)
		return -1;
	crypto_hash_sha256(h, body != NULL ? body : empty, body_len);
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, out_len, "%s%s:", prefix, b64);
	return 0;
}

/* ---- signing ---- */

struct sign_work {
	struct sfv_field f;
	struct httpsig_parsed p;
};

/* Build `label=("c1" "c2" ...);created=N;keyid="...";alg="ed25519"` in *f. */
static enum err_code build_input(struct sfv_field *f, const char *const *components,
                                 size_t n_components, const char *label, const char *keyid,
                                 int64_t created, struct sfv_member **m)
{
	struct sfv_value v = {.type = SFV_STRING};
	size_t i;

	sfv_init(f, SFV_KIND_DICT);
	if (label == NULL || keyid == NULL || n_components > HTTPSIG_MAX_COMPONENTS ||
	    (components == NULL && n_components > 0))
		return ERR_SIG_PARAMS;
	if (sfv_add_member(f, label, NULL, m) != SFV_OK)
		return ERR_SIG_PARAMS;
	for (i = 0; i < n_components; i++) {
		if (components[i] == NULL)
			return ERR_SIG_PARAMS;
		v.data = components[i];
		v.len = strlen(components[i]);
		if (sfv_add_item(f, *m, &v, NULL) != SFV_OK)
			return ERR_SIG_PARAMS;
	}
	if (sfv_add_param(f, &(*m)->params, "created",
	                  &(struct sfv_value){.type = SFV_INTEGER, .num = created}) != SFV_OK)
		return ERR_SIG_PARAMS;
	v.data = keyid;
	v.len = strlen(keyid);
	if (sfv_add_param(f, &(*m)->params, "keyid", &v) != SFV_OK)
		return ERR_SIG_PARAMS;
	v.data = "ed25519";
	v.len = strlen("ed25519");
	if (sfv_add_param(f, &(*m)->params, "alg", &v) != SFV_OK)
		return ERR_SIG_PARAMS;
	return ERR_OK;
}

/* Serialize `label=:sig:` into out. */
static enum err_code write_signature(struct sfv_field *f, const char *label, const uint8_t sig[64],
                                     char *out, size_t out_len)
{
	struct sfv_value v = {.type = SFV_BYTES, .data = sig, .len = 64};

	sfv_init(f, SFV_KIND_DICT);
	if (sfv_add_member(f, label, &v, NULL) != SFV_OK)
		return ERR_INTERNAL;
	return sfv_serialize(f, out, out_len, NULL) == SFV_OK ? ERR_OK : ERR_INTERNAL;
}

enum err_code httpsig_sign(const struct httpsig_request *req, const char *const *components,
                           size_t n_components, const char *label, const char *keyid,
                           int64_t created, const uint8_t sk[64], char *sig_input,
                           size_t sig_input_len, char *sig, size_t sig_len)
{
	struct sign_work *w = NULL;
	struct sfv_member *m = NULL;
	enum err_code rc = ERR_INTERNAL;

	if (sig_input == NULL || sig == NULL || sig_input_len == 0 || sig_len == 0)
		goto out;
	sig_input[0] = '\0';
	sig[0] = '\0';
	if (req == NULL || req->header == NULL || sk == NULL)
		goto out;
	w = malloc(sizeof(*w));
	if (w == NULL)
		goto out;
	memset(&w->p, 0, sizeof(w->p));
	rc = build_input(&w->f, components, n_components, label, keyid, created, &m);
	if (rc == ERR_OK)
		rc = describe_signature(req, &w->f, m, &w->p, NULL, 0);
	if (rc != ERR_OK)
		goto out;
	crypto_sign_detached(w->p.signature, NULL, (const unsigned char *)w->p.base, w->p.base_len,
	                     sk);
	rc = ERR_INTERNAL;
	if (sfv_serialize(&w->f, sig_input, sig_input_len, NULL) != SFV_OK)
		goto out;
	rc = write_signature(&w->f, label, w->p.signature, sig, sig_len);
out:
	if (rc != ERR_OK && sig_input != NULL && sig_input_len > 0)
		sig_input[0] = '\0';
	free(w);
	return rc;
}

enum err_code httpsig_verify_stored(const char *sig_input, const char *sig, const char *base,
                                    const uint8_t pk[32])
{
	struct parse_work *w = malloc(sizeof(*w));
	const struct sfv_member *m = NULL;
	struct httpsig_parsed *p = malloc(sizeof(*p));
	char detail[8];
	enum err_code rc = ERR_INTERNAL;

	if (w == NULL || p == NULL || sig_input == NULL || sig == NULL || base == NULL)
		goto out;
	rc = parse_dict_field("Signature-Input", sig_input, &w->input, detail, sizeof detail);
	if (rc == ERR_OK)
		rc = parse_dict_field("Signature", sig, &w->sig, detail, sizeof detail);
	if (rc == ERR_OK)
		rc = pick_signature(w, &m, p, detail, sizeof detail);
	if (rc == ERR_OK && crypto_sign_verify_detached(p->signature, (const unsigned char *)base,
	                                                strlen(base), pk) != 0)
		rc = ERR_SIG_INVALID;
out:
	free(w);
	free(p);
	return rc;
}
