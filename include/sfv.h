/*
 * sfv — RFC 8941 Structured Field Values: a strict parser and a serializer.
 *
 * A parsed field lives in one fixed-size struct sfv_field that owns
 * everything: members, items, parameters and a byte pool for keys, strings,
 * tokens and byte sequences. Nothing is allocated; every count and length is
 * capped below, and input beyond a cap is refused (SFV_ELIMIT), never
 * truncated. Text in the pool is addressed by offset, so a field may be
 * copied by value; use sfv_text() to reach it. Every key, string and token
 * in the pool is NUL-terminated (they cannot contain NUL); byte sequences
 * carry their length.
 *
 * The parser follows RFC 8941 section 4.2 step by step and must never
 * accept what the RFC says to fail on. The only documented departure:
 * byte sequences with non-zero pad bits are refused, because libsodium's
 * decoder cannot be configured to accept them (RFC 8941 4.2.7 allows this).
 * Missing "=" padding is accepted, as the RFC asks.
 *
 * Pure: no I/O, no allocation, no global state; thread-safe.
 */
#ifndef ISACD_SFV_H
#define ISACD_SFV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SFV_MAX_FIELD        8192 /* bytes of one field value */
#define SFV_MAX_MEMBERS      32   /* members of a list or dictionary */
#define SFV_MAX_INNER_ITEMS  32   /* items in one inner list */
#define SFV_MAX_PARAMS       16   /* parameters of one item or inner list */
#define SFV_MAX_KEY          64   /* bytes of one key (the RFC's minimum to support) */
#define SFV_MAX_STRING       1024 /* bytes of one string or token */
#define SFV_MAX_BYTES        512  /* decoded bytes of one byte sequence */
#define SFV_MAX_ITEMS_TOTAL  256  /* items in the whole field */
#define SFV_MAX_PARAMS_TOTAL 256  /* parameters in the whole field */
/* Every stored byte (plus its NUL) comes from a distinct input byte. */
#define SFV_POOL_BYTES (2 * SFV_MAX_FIELD)

#define SFV_INTEGER_MAX 999999999999999LL /* 15 digits, RFC 8941 3.3.1 */
/* Decimals are held in thousandths: 12 integer and 3 fractional digits. */
#define SFV_DECIMAL_MAX_THOUSANDTHS 999999999999999LL

enum sfv_status {
	SFV_OK = 0,
	SFV_EINVAL = -1, /* not valid RFC 8941 (parse), or not serializable */
	SFV_ELIMIT = -2, /* valid, but beyond one of the caps above */
	SFV_ESPACE = -3, /* output buffer too small (serializer) */
};

enum sfv_kind { SFV_KIND_ITEM, SFV_KIND_LIST, SFV_KIND_DICT };

enum sfv_type {
	SFV_INTEGER = 1,
	SFV_DECIMAL, /* value in thousandths: 1.5 is 1500 */
	SFV_STRING,
	SFV_TOKEN,
	SFV_BYTES,
	SFV_BOOLEAN,
};

/* A bare item as stored in a field. */
struct sfv_bare {
	enum sfv_type type;
	bool boolean;      /* SFV_BOOLEAN */
	int64_t num;       /* SFV_INTEGER; SFV_DECIMAL in thousandths */
	uint32_t off, len; /* SFV_STRING, SFV_TOKEN, SFV_BYTES: sfv_text(f, off), len bytes */
};

/* A run of parameters: f->params[first .. first + n), in received order. */
struct sfv_params {
	uint16_t first, n;
};

struct sfv_param {
	uint32_t key_off, key_len;
	struct sfv_bare value;
};

struct sfv_item {
	struct sfv_bare value;
	struct sfv_params params;
};

/*
 * A member of a list or dictionary, or the single member of an item field.
 * Its items are f->items[first .. first + n): exactly one when !is_inner
 * (that item carries its own parameters), otherwise the inner list, whose
 * own parameters are `params`.
 */
struct sfv_member {
	uint32_t key_off, key_len; /* dictionary key; 0, 0 otherwise */
	bool is_inner;
	uint16_t first, n;
	struct sfv_params params; /* inner list parameters; empty for a plain item */
};

struct sfv_field {
	enum sfv_kind kind;
	size_t err_offset;      /* parse failure: byte offset in the input */
	const char *err_reason; /* parse failure: static sentence, never NULL after a failure */
	size_t n_members;
	struct sfv_member members[SFV_MAX_MEMBERS];
	size_t n_items;
	struct sfv_item items[SFV_MAX_ITEMS_TOTAL];
	size_t n_params;
	struct sfv_param params[SFV_MAX_PARAMS_TOTAL];
	size_t pool_used;
	char pool[SFV_POOL_BYTES];
};

/* A bare item as the builder takes it: data is copied into the field. */
struct sfv_value {
	enum sfv_type type;
	bool boolean;     /* SFV_BOOLEAN */
	int64_t num;      /* SFV_INTEGER; SFV_DECIMAL in thousandths */
	const void *data; /* SFV_STRING, SFV_TOKEN, SFV_BYTES */
	size_t len;
};

/*
 * Parse `n` bytes at `s` (need not be NUL-terminated) as a Dictionary
 * (RFC 8941 4.2.2), a List (4.2.1) or an Item (4.2.3) into *f, which is
 * overwritten. Leading and trailing SP are discarded, as the RFC says; an
 * empty input is an empty dictionary or list, and invalid as an item.
 * Duplicate dictionary keys and parameter keys keep their first position
 * and take the last value. Returns SFV_OK, SFV_EINVAL (not RFC 8941) or
 * SFV_ELIMIT (beyond a cap); on failure f->err_offset and f->err_reason say
 * where and why, and the rest of *f is unspecified.
 */
enum sfv_status sfv_parse_dictionary(const char *s, size_t n, struct sfv_field *f);
enum sfv_status sfv_parse_list(const char *s, size_t n, struct sfv_field *f);
enum sfv_status sfv_parse_item(const char *s, size_t n, struct sfv_field *f);

/* The pool bytes at `off` (keys, strings and tokens are NUL-terminated). */
const char *sfv_text(const struct sfv_field *f, uint32_t off);

/*
 * The dictionary member named `key` (NUL-terminated), or NULL when absent
 * or when f is not a dictionary. The pointer is into *f.
 */
const struct sfv_member *sfv_dict_get(const struct sfv_field *f, const char *key);

/* The parameter named `key` in the run *ps, or NULL when absent. */
const struct sfv_param *sfv_param_get(const struct sfv_field *f, const struct sfv_params *ps,
                                      const char *key);

/*
 * Start building a field of `kind` in *f (overwritten). Then add members,
 * items and parameters in the order they are to be serialized.
 */
void sfv_init(struct sfv_field *f, enum sfv_kind kind);

/*
 * Append a member: a plain item holding *v, or an empty inner list when v
 * is NULL. `key` (NUL-terminated) is required for a dictionary and must be
 * NULL otherwise; an item field takes exactly one member. *out (may be
 * NULL) receives the member, a pointer into *f (stable).
 * Returns SFV_OK, SFV_EINVAL (bad key, duplicate key, invalid value, wrong
 * use) or SFV_ELIMIT.
 */
enum sfv_status sfv_add_member(struct sfv_field *f, const char *key, const struct sfv_value *v,
                               struct sfv_member **out);

/*
 * Append an item holding *v to the inner list *m, which must be the inner
 * list items were last added to (items of one list stay contiguous).
 * *out (may be NULL) receives the item. Returns SFV_OK, SFV_EINVAL or
 * SFV_ELIMIT.
 */
enum sfv_status sfv_add_item(struct sfv_field *f, struct sfv_member *m, const struct sfv_value *v,
                             struct sfv_item **out);

/*
 * Append parameter key=*v to the run *ps (an item's or inner list's
 * `params`), which must be empty or the run parameters were last added to.
 * Returns SFV_OK, SFV_EINVAL (bad key, duplicate key, invalid value, run
 * out of order) or SFV_ELIMIT.
 */
enum sfv_status sfv_add_param(struct sfv_field *f, struct sfv_params *ps, const char *key,
                              const struct sfv_value *v);

/*
 * Serialize the whole field (RFC 8941 4.1) into out, NUL-terminated; *out_n
 * (may be NULL) receives the length without the NUL. Returns SFV_OK,
 * SFV_EINVAL (a value that cannot be serialized, e.g. an empty item field)
 * or SFV_ESPACE (out_len too small; out holds no partial result then).
 */
enum sfv_status sfv_serialize(const struct sfv_field *f, char *out, size_t out_len, size_t *out_n);

/*
 * Serialize one inner list with its parameters (RFC 8941 4.1.1.1), as
 * RFC 9421 needs for "@signature-params". Same returns as sfv_serialize;
 * SFV_EINVAL also when *m is not an inner list.
 */
enum sfv_status sfv_serialize_inner_list(const struct sfv_field *f, const struct sfv_member *m,
                                         char *out, size_t out_len, size_t *out_n);

#endif
