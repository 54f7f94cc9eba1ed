/*
 * sfv — RFC 8941 Structured Field Values (see include/sfv.h).
 *
 * The parser is a cursor over the input that follows the RFC's section 4.2
 * algorithms one step at a time; each function names the section it
 * implements. Everything parsed lands in the caller's struct sfv_field,
 * whose pools are bounded, so hostile input can cost at most one struct.
 * The builder and the serializer (sfv_write.c) check values against the
 * same grammar, shared through sfv_internal.h.
 *
 * Must never: allocate, read past `n` input bytes, write past a pool or an
 * output buffer, or accept input that the RFC says to fail on.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "sfv.h"
#include "sfv_internal.h"

struct cursor {
	const char *s;
	size_t n, i;
	struct sfv_field *f;
};

/* ---- character classes (RFC 5234, RFC 9110 tchar) ---- */

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_lcalpha(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alpha(int c)
{
	return is_lcalpha(c) || (c >= 'A' && c <= 'Z');
}

static bool is_tchar(int c)
{
	return is_alpha(c) || is_digit(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_key_char(int c)
{
	return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*';
}

static bool is_b64_char(int c)
{
	return is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '=';
}

bool sfv_key_valid(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > SFV_MAX_KEY || !(is_lcalpha(k[0]) || k[0] == '*'))
		return false;
	for (i = 1; i < n; i++)
		if (!is_key_char(k[i]))
			return false;
	return true;
}

bool sfv_token_valid(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > SFV_MAX_STRING || !(is_alpha(t[0]) || t[0] == '*'))
		return false;
	for (i = 1; i < n; i++)
		if (!is_tchar(t[i]) && t[i] != ':' && t[i] != '/')
			return false;
	return true;
}

bool sfv_string_valid(const char *s, size_t n)
{
	size_t i;

	if (n > SFV_MAX_STRING)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* ---- pools ---- */

/* Copy n bytes and a NUL into the pool; *off receives where. */
enum sfv_status sfv_pool_put(struct sfv_field *f, const void *data, size_t n, uint32_t *off)
{
	if (n >= sizeof(f->pool) - f->pool_used)
		return SFV_ELIMIT;
	if (n > 0)
		memcpy(f->pool + f->pool_used, data, n);
	f->pool[f->pool_used + n] = '\0';
	*off = (uint32_t)f->pool_used;
	f->pool_used += n + 1;
	return SFV_OK;
}

static bool key_equal(const struct sfv_field *f, uint32_t off, uint32_t len, const char *k,
                      size_t n)
{
	return len == n && memcmp(f->pool + off, k, n) == 0;
}

/*
 * Set key=value in the run *ps (which must be the last run of f->params):
 * overwrite the value in place when the key is present (RFC 8941 4.2.3.2
 * step 2.7), append otherwise.
 */
enum sfv_status sfv_param_set(struct sfv_field *f, struct sfv_params *ps, const char *k, size_t kn,
                              const struct sfv_bare *v)
{
	struct sfv_param *p;
	size_t j;

	for (j = 0; j < ps->n; j++) {
		p = &f->params[ps->first + j];
		if (key_equal(f, p->key_off, p->key_len, k, kn)) {
			p->value = *v;
			return SFV_OK;
		}
	}
	if (ps->n >= SFV_MAX_PARAMS || f->n_params >= SFV_MAX_PARAMS_TOTAL)
		return SFV_ELIMIT;
	if (ps->n == 0)
		ps->first = (uint16_t)f->n_params;
	p = &f->params[f->n_params];
	if (sfv_pool_put(f, k, kn, &p->key_off) != SFV_OK)
		return SFV_ELIMIT;
	p->key_len = (uint32_t)kn;
	p->value = *v;
	f->n_params++;
	ps->n++;
	return SFV_OK;
}

/* ---- parser ---- */

static bool at_end(const struct cursor *c)
{
	return c->i >= c->n;
}

static int peek(const struct cursor *c)
{
	return at_end(c) ? -1 : (unsigned char)c->s[c->i];
}

static enum sfv_status fail(struct cursor *c, enum sfv_status st, const char *why)
{
	c->f->err_offset = c->i;
	c->f->err_reason = why;
	return st;
}

static void skip_sp(struct cursor *c)
{
	while (peek(c) == ' ')
		c->i++;
}

static void skip_ows(struct cursor *c)
{
	while (peek(c) == ' ' || peek(c) == '\t')
		c->i++;
}

/* RFC 8941 4.2.3.3: the key is left in the input, at *k for *kn bytes. */
static enum sfv_status parse_key(struct cursor *c, const char **k, size_t *kn)
{
	size_t start = c->i;

	if (!(is_lcalpha(peek(c)) || peek(c) == '*'))
		return fail(c, SFV_EINVAL, "a key must start with a lower-case letter or '*'");
	while (!at_end(c) && is_key_char(peek(c)))
		c->i++;
	if (c->i - start > SFV_MAX_KEY)
		return fail(c, SFV_ELIMIT, "key longer than the limit");
	*k = c->s + start;
	*kn = c->i - start;
	return SFV_OK;
}

/* RFC 8941 4.2.4 steps 7-9, on the collected digits (with at most one '.'). */
static enum sfv_status number_value(struct cursor *c, const char *num, size_t nn, bool decimal,
                                    int64_t sign, struct sfv_bare *out)
{
	int64_t ip = 0, fp = 0;
	size_t i = 0, frac = 0;

	for (; i < nn && num[i] != '.'; i++)
		ip = ip * 10 + (num[i] - '0');
	if (!decimal) {
		out->type = SFV_INTEGER;
		out->num = sign * ip;
		return SFV_OK;
	}
	if (num[nn - 1] == '.')
		return fail(c, SFV_EINVAL, "a decimal must not end with '.'");
	for (i++; i < nn; i++, frac++)
		fp = fp * 10 + (num[i] - '0');
	if (frac > 3)
		return fail(c, SFV_EINVAL, "a decimal has at most 3 fractional digits");
	for (; frac < 3; frac++)
		fp *= 10;
	out->type = SFV_DECIMAL;
	out->num = sign * (ip * 1000 + fp);
	return SFV_OK;
}

/* RFC 8941 4.2.4: Integer or Decimal. */
static enum sfv_status parse_number(struct cursor *c, struct sfv_bare *out)
{
	char num[17];
	size_t nn = 0;
	bool decimal = false;
	int64_t sign = 1;

	if (peek(c) == '-') {
		c->i++;
		sign = -1;
	}
	if (!is_digit(peek(c)))
		return fail(c, SFV_EINVAL, "a number needs a digit");
	while (!at_end(c)) {
		int ch = peek(c);

		if (!is_digit(ch) && (decimal || ch != '.'))
			break;
		if (ch == '.') {
			if (nn > 12)
				return fail(c, SFV_EINVAL,
				            "a decimal has at most 12 integer digits");
			decimal = true;
		}
		num[nn++] = (char)ch;
		c->i++;
		if ((!decimal && nn > 15) || (decimal && nn > 16))
			return fail(c, SFV_EINVAL, "too many digits in a number");
	}
	return number_value(c, num, nn, decimal, sign, out);
}

/* RFC 8941 4.2.5: String (only \" and \\ escapes; printable ASCII). */
static enum sfv_status parse_string(struct cursor *c, struct sfv_bare *out)
{
	char buf[SFV_MAX_STRING];
	size_t n = 0;
	int ch;

	c->i++; /* the opening DQUOTE */
	while (!at_end(c)) {
		ch = peek(c);
		c->i++;
		if (ch == '"') {
			out->type = SFV_STRING;
			out->len = (uint32_t)n;
			if (sfv_pool_put(c->f, buf, n, &out->off) != SFV_OK)
				return fail(c, SFV_ELIMIT, "field holds more text than the pool");
			return SFV_OK;
		}
		if (ch == '\\') {
			ch = peek(c);
			if (ch != '"' && ch != '\\')
				return fail(c, SFV_EINVAL,
				            "a string may only escape '\"' and '\\'");
			c->i++;
		} else if (ch < 0x20 || ch > 0x7e) {
			return fail(c, SFV_EINVAL, "a string holds a non-printable character");
		}
		if (n >= sizeof(buf))
			return fail(c, SFV_ELIMIT, "string longer than the limit");
		buf[n++] = (char)ch;
	}
	return fail(c, SFV_EINVAL, "a string is not closed");
}

/* RFC 8941 4.2.6: Token. */
static enum sfv_status parse_token(struct cursor *c, struct sfv_bare *out)
{
	size_t start = c->i;

	c->i++; /* ALPHA or '*', checked by the caller */
	while (!at_end(c) && (is_tchar(peek(c)) || peek(c) == ':' || peek(c) == '/'))
		c->i++;
	if (c->i - start > SFV_MAX_STRING)
		return fail(c, SFV_ELIMIT, "token longer than the limit");
	out->type = SFV_TOKEN;
	out->len = (uint32_t)(c->i - start);
	if (sfv_pool_put(c->f, c->s + start, c->i - start, &out->off) != SFV_OK)
		return fail(c, SFV_ELIMIT, "field holds more text than the pool");
	return SFV_OK;
}

/*
 * Decode base64 strictly with libsodium, synthesizing missing '=' padding
 * (RFC 8941 4.2.7 step 7). Non-zero pad bits are refused by libsodium.
 */
#define B64_MAX_CHARS (4 * ((SFV_MAX_BYTES + 2) / 3))

static enum sfv_status b64_decode(const char *b64, size_t n, uint8_t *bin, size_t bin_cap,
                                  size_t *bin_len)
{
	char padded[B64_MAX_CHARS];
	size_t pad = (4 - n % 4) % 4;

	if (pad == 3 || n + pad > sizeof(padded))
		return SFV_EINVAL;
	if (n > 0)
		memcpy(padded, b64, n);
	memset(padded + n, '=', pad);
	if (sodium_base642bin(bin, bin_cap, padded, n + pad, NULL, bin_len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return SFV_EINVAL;
	return SFV_OK;
}

/* RFC 8941 4.2.7: Byte Sequence. */
static enum sfv_status parse_bytes(struct cursor *c, struct sfv_bare *out)
{
	uint8_t bin[3 * (B64_MAX_CHARS / 4)]; /* a little over SFV_MAX_BYTES */
	size_t start, bin_len = 0;

	c->i++; /* the opening ':' */
	start = c->i;
	while (!at_end(c) && peek(c) != ':') {
		if (!is_b64_char(peek(c)))
			return fail(c, SFV_EINVAL, "a byte sequence holds a non-base64 character");
		c->i++;
	}
	if (at_end(c))
		return fail(c, SFV_EINVAL, "a byte sequence is not closed");
	if (c->i - start > B64_MAX_CHARS)
		return fail(c, SFV_ELIMIT, "byte sequence longer than the limit");
	if (b64_decode(c->s + start, c->i - start, bin, sizeof(bin), &bin_len) != SFV_OK)
		return fail(c, SFV_EINVAL, "a byte sequence is not valid base64");
	if (bin_len > SFV_MAX_BYTES)
		return fail(c, SFV_ELIMIT, "byte sequence longer than the limit");
	c->i++; /* the closing ':' */
	out->type = SFV_BYTES;
	out->len = (uint32_t)bin_len;
	if (sfv_pool_put(c->f, bin, bin_len, &out->off) != SFV_OK)
		return fail(c, SFV_ELIMIT, "field holds more text than the pool");
	return SFV_OK;
}

/* RFC 8941 4.2.8: Boolean. */
static enum sfv_status parse_boolean(struct cursor *c, struct sfv_bare *out)
{
	c->i++; /* '?' */
	if (peek(c) != '0' && peek(c) != '1')
		return fail(c, SFV_EINVAL, "a boolean is ?0 or ?1");
	out->type = SFV_BOOLEAN;
	out->boolean = peek(c) == '1';
	c->i++;
	return SFV_OK;
}

/* RFC 8941 4.2.3.1: Bare Item. */
static enum sfv_status parse_bare(struct cursor *c, struct sfv_bare *out)
{
	int ch = peek(c);

	memset(out, 0, sizeof(*out));
	if (ch == '-' || is_digit(ch))
		return parse_number(c, out);
	if (ch == '"')
		return parse_string(c, out);
	if (is_alpha(ch) || ch == '*')
		return parse_token(c, out);
	if (ch == ':')
		return parse_bytes(c, out);
	if (ch == '?')
		return parse_boolean(c, out);
	return fail(c, SFV_EINVAL, "no item starts with this character");
}

/* RFC 8941 4.2.3.2: Parameters, into a fresh run *ps. */
static enum sfv_status parse_params(struct cursor *c, struct sfv_params *ps)
{
	struct sfv_bare v;
	enum sfv_status st;
	const char *k;
	size_t kn;

	ps->first = (uint16_t)c->f->n_params;
	ps->n = 0;
	while (peek(c) == ';') {
		c->i++;
		skip_sp(c);
		st = parse_key(c, &k, &kn);
		if (st != SFV_OK)
			return st;
		memset(&v, 0, sizeof(v));
		v.type = SFV_BOOLEAN;
		v.boolean = true;
		if (peek(c) == '=') {
			c->i++;
			st = parse_bare(c, &v);
			if (st != SFV_OK)
				return st;
		}
		if (sfv_param_set(c->f, ps, k, kn, &v) != SFV_OK)
			return fail(c, SFV_ELIMIT, "more parameters than the limit");
	}
	return SFV_OK;
}

/* RFC 8941 4.2.3: Item, appended to f->items; *idx receives its index. */
static enum sfv_status parse_item(struct cursor *c, size_t *idx)
{
	struct sfv_field *f = c->f;
	struct sfv_bare v;
	enum sfv_status st;

	st = parse_bare(c, &v);
	if (st != SFV_OK)
		return st;
	if (f->n_items >= SFV_MAX_ITEMS_TOTAL)
		return fail(c, SFV_ELIMIT, "more items than the limit");
	*idx = f->n_items++;
	f->items[*idx].value = v;
	return parse_params(c, &f->items[*idx].params);
}

/* RFC 8941 4.2.1.2: Inner List, into *m. */
static enum sfv_status parse_inner_list(struct cursor *c, struct sfv_member *m)
{
	enum sfv_status st;
	size_t idx;

	c->i++; /* '(' */
	m->is_inner = true;
	m->first = (uint16_t)c->f->n_items;
	m->n = 0;
	while (!at_end(c)) {
		skip_sp(c);
		if (peek(c) == ')') {
			c->i++;
			return parse_params(c, &m->params);
		}
		if (m->n >= SFV_MAX_INNER_ITEMS)
			return fail(c, SFV_ELIMIT, "more inner-list items than the limit");
		st = parse_item(c, &idx);
		if (st != SFV_OK)
			return st;
		m->n++;
		if (peek(c) != ' ' && peek(c) != ')')
			return fail(c, SFV_EINVAL, "inner-list items are separated by SP");
	}
	return fail(c, SFV_EINVAL, "an inner list is not closed");
}

/* RFC 8941 4.2.1.1: Item or Inner List, into *m (key untouched). */
static enum sfv_status parse_item_or_inner(struct cursor *c, struct sfv_member *m)
{
	enum sfv_status st;
	size_t idx;

	memset(&m->params, 0, sizeof(m->params));
	if (peek(c) == '(')
		return parse_inner_list(c, m);
	st = parse_item(c, &idx);
	if (st != SFV_OK)
		return st;
	m->is_inner = false;
	m->first = (uint16_t)idx;
	m->n = 1;
	return SFV_OK;
}

/*
 * After a list or dictionary member (RFC 8941 4.2.1 steps 2.2-2.6, 4.2.2
 * steps 2.5-2.9): true to go on, false at the end; *st on failure.
 */
static bool next_member(struct cursor *c, enum sfv_status *st)
{
	skip_ows(c);
	if (at_end(c))
		return false;
	if (peek(c) != ',') {
		*st = fail(c, SFV_EINVAL, "members are separated by ','");
		return false;
	}
	c->i++;
	skip_ows(c);
	if (at_end(c)) {
		*st = fail(c, SFV_EINVAL, "trailing ','");
		return false;
	}
	return true;
}

/* RFC 8941 4.2.1: List. */
static enum sfv_status parse_list(struct cursor *c)
{
	struct sfv_field *f = c->f;
	enum sfv_status st = SFV_OK;

	while (!at_end(c)) {
		if (f->n_members >= SFV_MAX_MEMBERS)
			return fail(c, SFV_ELIMIT, "more members than the limit");
		memset(&f->members[f->n_members], 0, sizeof(f->members[0]));
		st = parse_item_or_inner(c, &f->members[f->n_members]);
		if (st != SFV_OK)
			return st;
		f->n_members++;
		if (!next_member(c, &st))
			break;
	}
	return st;
}

/* The dictionary member keyed k, or a new one (NULL beyond the cap). */
static struct sfv_member *dict_slot(struct sfv_field *f, const char *k, size_t kn)
{
	struct sfv_member *m;
	size_t j;

	for (j = 0; j < f->n_members; j++)
		if (key_equal(f, f->members[j].key_off, f->members[j].key_len, k, kn))
			return &f->members[j];
	if (f->n_members >= SFV_MAX_MEMBERS)
		return NULL;
	m = &f->members[f->n_members];
	memset(m, 0, sizeof(*m));
	if (sfv_pool_put(f, k, kn, &m->key_off) != SFV_OK)
		return NULL;
	m->key_len = (uint32_t)kn;
	f->n_members++;
	return m;
}

/* RFC 8941 4.2.2: the value after a key ('=' member, or true with params). */
static enum sfv_status parse_dict_value(struct cursor *c, struct sfv_member *m)
{
	struct sfv_field *f = c->f;
	size_t idx;

	if (peek(c) == '=') {
		c->i++;
		return parse_item_or_inner(c, m);
	}
	if (f->n_items >= SFV_MAX_ITEMS_TOTAL)
		return fail(c, SFV_ELIMIT, "more items than the limit");
	idx = f->n_items++;
	memset(&f->items[idx], 0, sizeof(f->items[idx]));
	f->items[idx].value.type = SFV_BOOLEAN;
	f->items[idx].value.boolean = true;
	memset(&m->params, 0, sizeof(m->params));
	m->is_inner = false;
	m->first = (uint16_t)idx;
	m->n = 1;
	return parse_params(c, &f->items[idx].params);
}

/* RFC 8941 4.2.2: Dictionary; a repeated key keeps its place, takes the value. */
static enum sfv_status parse_dict(struct cursor *c)
{
	enum sfv_status st = SFV_OK;
	struct sfv_member *m;
	const char *k;
	size_t kn;

	while (!at_end(c)) {
		st = parse_key(c, &k, &kn);
		if (st != SFV_OK)
			return st;
		m = dict_slot(c->f, k, kn);
		if (m == NULL)
			return fail(c, SFV_ELIMIT, "more members than the limit");
		st = parse_dict_value(c, m);
		if (st != SFV_OK)
			return st;
		if (!next_member(c, &st))
			break;
	}
	return st;
}

/* RFC 8941 4.2: the top-level steps shared by the three field types. */
static enum sfv_status parse_field(const char *s, size_t n, struct sfv_field *f, enum sfv_kind kind)
{
	struct cursor c = {.s = s, .n = n, .i = 0, .f = f};
	enum sfv_status st;
	size_t idx = 0, j;

	sfv_init(f, kind);
	if (n > SFV_MAX_FIELD)
		return fail(&c, SFV_ELIMIT, "field longer than the limit");
	for (j = 0; j < n; j++) {
		if ((unsigned char)s[j] > 0x7f) {
			c.i = j;
			return fail(&c, SFV_EINVAL, "field is not ASCII");
		}
	}
	skip_sp(&c);
	if (kind == SFV_KIND_DICT) {
		st = parse_dict(&c);
	} else if (kind == SFV_KIND_LIST) {
		st = parse_list(&c);
	} else {
		memset(&f->members[0], 0, sizeof(f->members[0]));
		st = parse_item(&c, &idx);
		f->members[0].first = (uint16_t)idx;
		f->members[0].n = 1;
		f->n_members = st == SFV_OK ? 1 : 0;
	}
	if (st != SFV_OK)
		return st;
	skip_sp(&c);
	if (!at_end(&c))
		return fail(&c, SFV_EINVAL, "unexpected character after the field");
	return SFV_OK;
}

enum sfv_status sfv_parse_dictionary(const char *s, size_t n, struct sfv_field *f)
{
	return parse_field(s, n, f, SFV_KIND_DICT);
}

enum sfv_status sfv_parse_list(const char *s, size_t n, struct sfv_field *f)
{
	return parse_field(s, n, f, SFV_KIND_LIST);
}

enum sfv_status sfv_parse_item(const char *s, size_t n, struct sfv_field *f)
{
	return parse_field(s, n, f, SFV_KIND_ITEM);
}

/* ---- lookups ---- */

const char *sfv_text(const struct sfv_field *f, uint32_t off)
{
	return f->pool + off;
}

const struct sfv_member *sfv_dict_get(const struct sfv_field *f, const char *key)
{
	size_t j, kn = strlen(key);

	if (f->kind != SFV_KIND_DICT)
		return NULL;
	for (j = 0; j < f->n_members; j++)
		if (key_equal(f, f->members[j].key_off, f->members[j].key_len, key, kn))
			return &f->members[j];
	return NULL;
}

const struct sfv_param *sfv_param_get(const struct sfv_field *f, const struct sfv_params *ps,
                                      const char *key)
{
	size_t j, kn = strlen(key);

	for (j = 0; j < ps->n; j++) {
		const struct sfv_param *p = &f->params[ps->first + j];

		if (key_equal(f, p->key_off, p->key_len, key, kn))
			return p;
	}
	return NULL;
}
