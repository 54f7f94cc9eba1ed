/*
 * sfv — RFC 8941 Structured Field Values (see include/sfv.h).
 *
 * The parser is a cursor over the input that follows the RFC's section 4.2
 * algorithms one step at a time; each function names the section it
 * implements. Everything parsed lands in the caller's struct sfv_field,
 * whose pools are bounded, so hostile input can cost at most one struct.
 * The builder and the serializer check values against the same grammar.
 *
 * Must never: allocate, read past `n` input bytes, write past a pool or an
 * output buffer, or accept input that the RFC says to fail on.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "sfv.h"

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

static bool key_valid(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > SFV_MAX_KEY || !(is_lcalpha(k[0]) || k[0] == '*'))
		return false;
	for (i = 1; i < n; i++)
		if (!is_key_char(k[i]))
			return false;
	return true;
}

static bool token_valid(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > SFV_MAX_STRING || !(is_alpha(t[0]) || t[0] == '*'))
		return false;
	for (i = 1; i < n; i++)
		if (!is_tchar(t[i]) && t[i] != ':' && t[i] != '/')
			return false;
	return true;
}

static bool string_valid(const char *s, size_t n)
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
static enum sfv_status pool_put(struct sfv_field *f, const void *data, size_t n, uint32_t *off)
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
static enum sfv_status param_set(struct sfv_field *f, struct sfv_params *ps, const char *k,
                                 size_t kn, const struct sfv_bare *v)
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
	if (pool_put(f, k, kn, &p->key_off) != SFV_OK)
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
			if (pool_put(c->f, buf, n, &out->off) != SFV_OK)
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
	if (pool_put(c->f, c->s + start, c->i - start, &out->off) != SFV_OK)
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
	if (pool_put(c->f, bin, bin_len, &out->off) != SFV_OK)
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
		if (param_set(c->f, ps, k, kn, &v) != SFV_OK)
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
	if (pool_put(f, k, kn, &m->key_off) != SFV_OK)
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

/* ---- builder ---- */

void sfv_init(struct sfv_field *f, enum sfv_kind kind)
{
	f->kind = kind;
	f->err_offset = 0;
	f->err_reason = NULL;
	f->n_members = 0;
	f->n_items = 0;
	f->n_params = 0;
	f->pool_used = 0;
}

/* Check *v against RFC 8941 and the caps, and store it as *out. */
static enum sfv_status value_store(struct sfv_field *f, const struct sfv_value *v,
                                   struct sfv_bare *out)
{
	memset(out, 0, sizeof(*out));
	out->type = v->type;
	switch (v->type) {
	case SFV_INTEGER:
		out->num = v->num;
		return v->num >= -SFV_INTEGER_MAX && v->num <= SFV_INTEGER_MAX ? SFV_OK
		                                                               : SFV_EINVAL;
	case SFV_DECIMAL:
		out->num = v->num;
		return v->num >= -SFV_DECIMAL_MAX_THOUSANDTHS &&
		                       v->num <= SFV_DECIMAL_MAX_THOUSANDTHS
		               ? SFV_OK
		               : SFV_EINVAL;
	case SFV_BOOLEAN:
		out->boolean = v->boolean;
		return SFV_OK;
	case SFV_STRING:
		if (v->len > 0 && (v->data == NULL || !string_valid(v->data, v->len)))
			return SFV_EINVAL;
		break;
	case SFV_TOKEN:
		if (v->data == NULL || !token_valid(v->data, v->len))
			return SFV_EINVAL;
		break;
	case SFV_BYTES:
		if (v->len > SFV_MAX_BYTES || (v->len > 0 && v->data == NULL))
			return SFV_EINVAL;
		break;
	default:
		return SFV_EINVAL;
	}
	out->len = (uint32_t)v->len;
	return pool_put(f, v->data, v->len, &out->off);
}

enum sfv_status sfv_add_member(struct sfv_field *f, const char *key, const struct sfv_value *v,
                               struct sfv_member **out)
{
	struct sfv_member *m;
	enum sfv_status st;

	if ((f->kind == SFV_KIND_DICT) != (key != NULL) ||
	    (f->kind == SFV_KIND_ITEM && (f->n_members > 0 || v == NULL)))
		return SFV_EINVAL;
	if (key != NULL && (!key_valid(key, strlen(key)) || sfv_dict_get(f, key) != NULL))
		return SFV_EINVAL;
	if (f->n_members >= SFV_MAX_MEMBERS || (v != NULL && f->n_items >= SFV_MAX_ITEMS_TOTAL))
		return SFV_ELIMIT;
	m = &f->members[f->n_members];
	memset(m, 0, sizeof(*m));
	m->is_inner = v == NULL;
	m->first = (uint16_t)f->n_items;
	if (key != NULL) {
		st = pool_put(f, key, strlen(key), &m->key_off);
		if (st != SFV_OK)
			return st;
		m->key_len = (uint32_t)strlen(key);
	}
	if (v != NULL) {
		memset(&f->items[f->n_items], 0, sizeof(f->items[0]));
		st = value_store(f, v, &f->items[f->n_items].value);
		if (st != SFV_OK)
			return st;
		f->n_items++;
		m->n = 1;
	}
	f->n_members++;
	if (out != NULL)
		*out = m;
	return SFV_OK;
}

enum sfv_status sfv_add_item(struct sfv_field *f, struct sfv_member *m, const struct sfv_value *v,
                             struct sfv_item **out)
{
	struct sfv_item *it;
	enum sfv_status st;

	if (!m->is_inner || (m->n > 0 && (size_t)m->first + m->n != f->n_items))
		return SFV_EINVAL;
	if (m->n >= SFV_MAX_INNER_ITEMS || f->n_items >= SFV_MAX_ITEMS_TOTAL)
		return SFV_ELIMIT;
	it = &f->items[f->n_items];
	memset(it, 0, sizeof(*it));
	st = value_store(f, v, &it->value);
	if (st != SFV_OK)
		return st;
	if (m->n == 0)
		m->first = (uint16_t)f->n_items;
	f->n_items++;
	m->n++;
	if (out != NULL)
		*out = it;
	return SFV_OK;
}

enum sfv_status sfv_add_param(struct sfv_field *f, struct sfv_params *ps, const char *key,
                              const struct sfv_value *v)
{
	struct sfv_bare b;
	enum sfv_status st;
	size_t kn = strlen(key);

	if (!key_valid(key, kn) || sfv_param_get(f, ps, key) != NULL)
		return SFV_EINVAL;
	if (ps->n > 0 && (size_t)ps->first + ps->n != f->n_params)
		return SFV_EINVAL;
	st = value_store(f, v, &b);
	if (st != SFV_OK)
		return st;
	return param_set(f, ps, key, kn, &b);
}

/* ---- serializer (RFC 8941 4.1) ---- */

struct out {
	char *p;
	size_t cap, n; /* n may pass cap: then nothing past cap was written */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n > 0 && o->n < o->cap && n <= o->cap - o->n)
		memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* RFC 8941 4.1.4 / 4.1.5: Integer, or Decimal from thousandths. */
static enum sfv_status ser_number(struct out *o, const struct sfv_bare *b)
{
	char buf[32];
	uint64_t mag = b->num < 0 ? (uint64_t)(-(b->num + 1)) + 1 : (uint64_t)b->num;
	uint64_t frac;
	int len;

	if (b->type == SFV_INTEGER) {
		if (mag > SFV_INTEGER_MAX)
			return SFV_EINVAL;
		len = snprintf(buf, sizeof(buf), "%s%llu", b->num < 0 ? "-" : "",
		               (unsigned long long)mag);
		put(o, buf, (size_t)len);
		return SFV_OK;
	}
	if (mag > SFV_DECIMAL_MAX_THOUSANDTHS)
		return SFV_EINVAL;
	len = snprintf(buf, sizeof(buf), "%s%llu.", b->num < 0 ? "-" : "",
	               (unsigned long long)(mag / 1000));
	put(o, buf, (size_t)len);
	frac = mag % 1000;
	len = snprintf(buf, sizeof(buf), "%03llu", (unsigned long long)frac);
	while (len > 1 && buf[len - 1] == '0')
		len--;
	put(o, buf, (size_t)len);
	return SFV_OK;
}

/* RFC 8941 4.1.6: String, escaping '"' and '\'. */
static enum sfv_status ser_string(struct out *o, const char *s, size_t n)
{
	size_t i;

	if (!string_valid(s, n))
		return SFV_EINVAL;
	put(o, "\"", 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			put(o, "\\", 1);
		put(o, &s[i], 1);
	}
	put(o, "\"", 1);
	return SFV_OK;
}

/* RFC 8941 4.1.8: Byte Sequence, base64 with padding. */
static enum sfv_status ser_bytes(struct out *o, const uint8_t *bin, size_t n)
{
	char b64[sodium_base64_ENCODED_LEN(SFV_MAX_BYTES, sodium_base64_VARIANT_ORIGINAL)];

	if (n > SFV_MAX_BYTES)
		return SFV_EINVAL;
	sodium_bin2base64(b64, sizeof(b64), bin, n, sodium_base64_VARIANT_ORIGINAL);
	put(o, ":", 1);
	put_str(o, b64);
	put(o, ":", 1);
	return SFV_OK;
}

/* RFC 8941 4.1.3.1: Bare Item. */
static enum sfv_status ser_bare(struct out *o, const struct sfv_field *f, const struct sfv_bare *b)
{
	const char *text = f->pool;

	if (b->type == SFV_STRING || b->type == SFV_TOKEN || b->type == SFV_BYTES) {
		if (b->off >= sizeof(f->pool) || b->len >= sizeof(f->pool) - b->off)
			return SFV_EINVAL;
		text = f->pool + b->off;
	}
	switch (b->type) {
	case SFV_INTEGER:
	case SFV_DECIMAL:
		return ser_number(o, b);
	case SFV_STRING:
		return ser_string(o, text, b->len);
	case SFV_TOKEN:
		if (!token_valid(text, b->len))
			return SFV_EINVAL;
		put(o, text, b->len);
		return SFV_OK;
	case SFV_BYTES:
		return ser_bytes(o, (const uint8_t *)text, b->len);
	case SFV_BOOLEAN:
		put_str(o, b->boolean ? "?1" : "?0");
		return SFV_OK;
	}
	return SFV_EINVAL;
}

/* RFC 8941 4.1.1.3: Key. */
static enum sfv_status ser_key(struct out *o, const struct sfv_field *f, uint32_t off, uint32_t len)
{
	if (off >= sizeof(f->pool) || len >= sizeof(f->pool) - off ||
	    !key_valid(f->pool + off, len))
		return SFV_EINVAL;
	put(o, f->pool + off, len);
	return SFV_OK;
}

/* RFC 8941 4.1.1.2: Parameters; a true Boolean value is left implicit. */
static enum sfv_status ser_params(struct out *o, const struct sfv_field *f,
                                  const struct sfv_params *ps)
{
	enum sfv_status st;
	size_t j;

	if ((size_t)ps->first + ps->n > f->n_params)
		return SFV_EINVAL;
	for (j = 0; j < ps->n; j++) {
		const struct sfv_param *p = &f->params[ps->first + j];

		put(o, ";", 1);
		st = ser_key(o, f, p->key_off, p->key_len);
		if (st != SFV_OK)
			return st;
		if (p->value.type == SFV_BOOLEAN && p->value.boolean)
			continue;
		put(o, "=", 1);
		st = ser_bare(o, f, &p->value);
		if (st != SFV_OK)
			return st;
	}
	return SFV_OK;
}

/* RFC 8941 4.1.3: Item. */
static enum sfv_status ser_item(struct out *o, const struct sfv_field *f, const struct sfv_item *it)
{
	enum sfv_status st = ser_bare(o, f, &it->value);

	return st != SFV_OK ? st : ser_params(o, f, &it->params);
}

/* RFC 8941 4.1.1.1: Inner List. */
static enum sfv_status ser_inner(struct out *o, const struct sfv_field *f,
                                 const struct sfv_member *m)
{
	enum sfv_status st;
	size_t j;

	if (!m->is_inner || (size_t)m->first + m->n > f->n_items)
		return SFV_EINVAL;
	put(o, "(", 1);
	for (j = 0; j < m->n; j++) {
		if (j > 0)
			put(o, " ", 1);
		st = ser_item(o, f, &f->items[m->first + j]);
		if (st != SFV_OK)
			return st;
	}
	put(o, ")", 1);
	return ser_params(o, f, &m->params);
}

/* A list member, or a dictionary member's value (RFC 8941 4.1.1, 4.1.2). */
static enum sfv_status ser_member(struct out *o, const struct sfv_field *f,
                                  const struct sfv_member *m)
{
	const struct sfv_item *it;
	enum sfv_status st;

	if (m->is_inner)
		return ser_inner(o, f, m);
	if (m->n != 1 || m->first >= f->n_items)
		return SFV_EINVAL;
	it = &f->items[m->first];
	if (f->kind == SFV_KIND_DICT) {
		st = ser_key(o, f, m->key_off, m->key_len);
		if (st != SFV_OK)
			return st;
		if (it->value.type == SFV_BOOLEAN && it->value.boolean)
			return ser_params(o, f, &it->params);
		put(o, "=", 1);
	}
	return ser_item(o, f, it);
}

/* NUL-terminate, or report that the output did not fit. */
static enum sfv_status out_finish(struct out *o, size_t *out_n)
{
	if (o->n >= o->cap) {
		if (o->cap > 0)
			o->p[0] = '\0';
		return SFV_ESPACE;
	}
	o->p[o->n] = '\0';
	if (out_n != NULL)
		*out_n = o->n;
	return SFV_OK;
}

enum sfv_status sfv_serialize(const struct sfv_field *f, char *out, size_t out_len, size_t *out_n)
{
	struct out o = {.p = out, .cap = out_len, .n = 0};
	enum sfv_status st = SFV_OK;
	size_t j;

	if (f->kind == SFV_KIND_ITEM && f->n_members != 1)
		return SFV_EINVAL;
	for (j = 0; j < f->n_members && j < SFV_MAX_MEMBERS; j++) {
		const struct sfv_member *m = &f->members[j];

		if (j > 0)
			put(&o, ", ", 2);
		if (f->kind == SFV_KIND_DICT && m->is_inner) {
			st = ser_key(&o, f, m->key_off, m->key_len);
			if (st != SFV_OK)
				return st;
			put(&o, "=", 1);
		}
		st = ser_member(&o, f, m);
		if (st != SFV_OK)
			return st;
	}
	return out_finish(&o, out_n);
}

enum sfv_status sfv_serialize_inner_list(const struct sfv_field *f, const struct sfv_member *m,
                                         char *out, size_t out_len, size_t *out_n)
{
	struct out o = {.p = out, .cap = out_len, .n = 0};
	enum sfv_status st = ser_inner(&o, f, m);

	if (st != SFV_OK)
		return st;
	return out_finish(&o, out_n);
}
