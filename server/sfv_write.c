/*
 * sfv_write — building structured fields and serializing them (RFC 8941
 * section 4.1); the parser is sfv.c. Values are checked against the same
 * grammar the parser enforces, so what is built always parses back.
 *
 * Must never: allocate, write past a pool or an output buffer, or emit a
 * serialization the RFC would refuse.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "sfv.h"
#include "sfv_internal.h"

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
		if (v->len > 0 && (v->data == NULL || !sfv_string_valid(v->data, v->len)))
			return SFV_EINVAL;
		break;
	case SFV_TOKEN:
		if (v->data == NULL || !sfv_token_valid(v->data, v->len))
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
	return sfv_pool_put(f, v->data, v->len, &out->off);
}

enum sfv_status sfv_add_member(struct sfv_field *f, const char *key, const struct sfv_value *v,
                               struct sfv_member **out)
{
	struct sfv_member *m;
	enum sfv_status st;

	if ((f->kind == SFV_KIND_DICT) != (key != NULL) ||
	    (f->kind == SFV_KIND_ITEM && (f->n_members > 0 || v == NULL)))
		return SFV_EINVAL;
	if (key != NULL && (!sfv_key_valid(key, strlen(key)) || sfv_dict_get(f, key) != NULL))
		return SFV_EINVAL;
	if (f->n_members >= SFV_MAX_MEMBERS || (v != NULL && f->n_items >= SFV_MAX_ITEMS_TOTAL))
		return SFV_ELIMIT;
	m = &f->members[f->n_members];
	memset(m, 0, sizeof(*m));
	m->is_inner = v == NULL;
	m->first = (uint16_t)f->n_items;
	if (key != NULL) {
		st = sfv_pool_put(f, key, strlen(key), &m->key_off);
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

	if (!sfv_key_valid(key, kn) || sfv_param_get(f, ps, key) != NULL)
		return SFV_EINVAL;
	if (ps->n > 0 && (size_t)ps->first + ps->n != f->n_params)
		return SFV_EINVAL;
	st = value_store(f, v, &b);
	if (st != SFV_OK)
		return st;
	return sfv_param_set(f, ps, key, kn, &b);
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

	if (!sfv_string_valid(s, n))
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
		if (!sfv_token_valid(text, b->len))
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
	    !sfv_key_valid(f->pool + off, len))
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
