/*
 * jspec — declarative JSON validation (see include/jspec.h).
 *
 * Why a table and one walker: every endpoint that takes a body describes it
 * once, as data, and the same code answers every client with the same
 * error codes and the same JSON pointers. Nothing about a particular body
 * lives here.
 *
 * The walk is depth-first and stops at the first violation. Inside an
 * object, members the schema does not know are looked for first (in
 * document order, which jansson preserves), then the spec fields in table
 * order. Recursion follows the spec, never the document, so its depth is
 * bounded by the deepest spec table whatever the client sends.
 *
 * The JSON pointer of the current position is kept in a fixed buffer as
 * the walk descends. A segment that does not fit is not written at all, nor
 * is anything below it: a pointer that would be too long names the deepest
 * ancestor that fits, which is still a valid pointer into the document and
 * never a cut-off escape or UTF-8 sequence.
 *
 * Error details are built only from the spec (names, bounds, vocabularies)
 * and never quote the client's values, so they are always valid UTF-8 and
 * cannot carry the client's text back into logs or responses.
 *
 * The functions here own nothing, so they return at the point of failure
 * instead of the usual single `goto out` exit: there is nothing to free.
 *
 * Must never: allocate, keep state between calls, write past a buffer, or
 * know about HTTP or the database.
 */
#include "jspec.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Deepest spec nesting jspec_spec_valid() follows before calling it a cycle. */
#define JSPEC_MAX_SPEC_DEPTH 32

/* Position in the document, as a JSON pointer, plus the first error found. */
struct jspec_walk {
	struct jspec_error *err;
	char path[sizeof(((struct jspec_error *)0)->pointer)];
	size_t path_len;
	bool path_full; /* a segment did not fit: deeper segments are dropped */
};

/* What jspec_walk_push() changed, for jspec_walk_pop() to undo. */
struct jspec_mark {
	size_t path_len;
	bool path_full;
};

/* Bytes needed for `s` escaped per RFC 6901 (~ as ~0, / as ~1). */
static size_t jspec_escaped_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += (*s == '~' || *s == '/') ? 2 : 1;
	return n;
}

/* Append "/<escaped name>" to the path when it fits whole; see the essay. */
static struct jspec_mark jspec_walk_push(struct jspec_walk *w, const char *name)
{
	struct jspec_mark mark = {w->path_len, w->path_full};
	size_t need = 1 + jspec_escaped_len(name);
	char *p;

	if (w->path_full || need >= sizeof(w->path) - w->path_len) {
		w->path_full = true;
		goto out;
	}
	p = w->path + w->path_len;
	*p++ = '/';
	for (; *name != '\0'; name++) {
		if (*name == '~' || *name == '/') {
			*p++ = '~';
			*p++ = (*name == '~') ? '0' : '1';
		} else {
			*p++ = *name;
		}
	}
	*p = '\0';
	w->path_len += need;
out:
	return mark;
}

/* Append "/<index>" for an array item. */
static struct jspec_mark jspec_walk_push_index(struct jspec_walk *w, size_t index)
{
	char digits[24];

	snprintf(digits, sizeof(digits), "%zu", index);
	return jspec_walk_push(w, digits);
}

static void jspec_walk_pop(struct jspec_walk *w, struct jspec_mark mark)
{
	w->path_len = mark.path_len;
	w->path_full = mark.path_full;
	w->path[w->path_len] = '\0';
}

/* Record the error at the current path; always returns false. */
static bool jspec_fail(struct jspec_walk *w, enum err_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static bool jspec_fail(struct jspec_walk *w, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	w->err->code = code;
	memcpy(w->err->pointer, w->path, w->path_len + 1);
	va_start(ap, fmt);
	vsnprintf(w->err->detail, sizeof(w->err->detail), fmt, ap);
	va_end(ap);
	return false;
}

/* "s" unless n is 1, for "1 byte" but "2 bytes". */
static const char *jspec_plural(size_t n)
{
	return (n == 1) ? "" : "s";
}

/* The JSON type a kind wants, for WRONG_TYPE details. */
static const char *jspec_kind_noun(enum jspec_kind kind)
{
	switch (kind) {
	case JSPEC_STRING:
		return "a string";
	case JSPEC_ENUM:
		return "a string from its vocabulary";
	case JSPEC_INTEGER:
		return "an integer";
	case JSPEC_BOOLEAN:
		return "true or false";
	case JSPEC_TIMESTAMP:
		return "a string holding an RFC 3339 date-time";
	case JSPEC_UUID:
		return "a string holding a UUID";
	case JSPEC_OBJECT:
		return "an object";
	case JSPEC_ARRAY:
		return "an array";
	}
	return "a value of another type";
}

/* Write "a, b, c" into buf, whole words only, ", ..." when it runs out. */
static void jspec_vocab_list(const char *const *vocab, char *buf, size_t cap)
{
	static const char more[] = ", ...";
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; vocab[i] != NULL; i++) {
		const char *sep = (i == 0) ? "" : ", ";
		size_t need = strlen(sep) + strlen(vocab[i]);

		if (len + need + sizeof(more) > cap) {
			if (len + sizeof(more) <= cap)
				memcpy(buf + len, more, sizeof(more));
			return;
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, vocab[i]);
	}
}

static bool jspec_in_vocab(const char *const *vocab, const char *s, size_t n)
{
	for (size_t i = 0; vocab[i] != NULL; i++) {
		if (strlen(vocab[i]) == n && memcmp(vocab[i], s, n) == 0)
			return true;
	}
	return false;
}

/* 8-4-4-4-12 hex digits, either case. */
static bool jspec_uuid_valid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash_here = (i == 8 || i == 13 || i == 18 || i == 23);
		unsigned char c = (unsigned char)s[i];
		bool hex =
		        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

		if (dash_here ? (c != '-') : !hex)
			return false;
	}
	return true;
}

/* STRING bounds in bytes; ENUM vocabulary; TIMESTAMP and UUID syntax. */
static bool jspec_check_text(struct jspec_walk *w, const json_t *v, const struct jspec_field *f)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	long long ignored_us;
	char list[200];

	if (memchr(s, '\0', n) != NULL)
		return jspec_fail(w, ERR_VALIDATION, "must not contain NUL characters");
	switch (f->kind) {
	case JSPEC_STRING:
		if (n < f->min)
			return jspec_fail(w, ERR_TOO_SHORT, "must be at least %zu byte%s", f->min,
			                  jspec_plural(f->min));
		if (n > f->max)
			return jspec_fail(w, ERR_TOO_LONG, "must be at most %zu byte%s", f->max,
			                  jspec_plural(f->max));
		break;
	case JSPEC_ENUM:
		if (!jspec_in_vocab(f->vocab, s, n)) {
			jspec_vocab_list(f->vocab, list, sizeof(list));
			return jspec_fail(w, ERR_NOT_IN_VOCABULARY, "must be one of: %s", list);
		}
		break;
	case JSPEC_TIMESTAMP:
		if (!jspec_parse_timestamp(s, &ignored_us))
			return jspec_fail(
			        w, ERR_VALIDATION,
			        "must be an RFC 3339 date-time like 2026-11-25T07:30:00Z");
		break;
	case JSPEC_UUID:
		if (!jspec_uuid_valid(s, n))
			return jspec_fail(
			        w, ERR_VALIDATION,
			        "must be a UUID like 123e4567-e89b-12d3-a456-426614174000");
		break;
	default:
		return jspec_fail(w, ERR_INTERNAL, "jspec: text check on a non-text kind");
	}
	if (f->check != NULL && !f->check(s, n))
		return jspec_fail(w, ERR_VALIDATION, "must be %s",
		                  f->check_what != NULL ? f->check_what : "well-formed");
	return true;
}

static bool jspec_check_object(struct jspec_walk *w, const json_t *obj,
                               const struct jspec_field *fields);

/* Item count bounds, then every item against the one item spec. */
static bool jspec_check_array(struct jspec_walk *w, const json_t *arr, const struct jspec_field *f);

/*
 * The value `v` (present, possibly null) against spec `f`. Spec-table
 * mistakes that make a field unbounded or unusable are answered with
 * ERR_INTERNAL rather than silently accepted.
 */
static bool jspec_check_value(struct jspec_walk *w, const json_t *v, const struct jspec_field *f)
{
	bool ok = false;
	json_int_t i;

	if ((f->kind == JSPEC_STRING || f->kind == JSPEC_ARRAY) && f->max == 0)
		return jspec_fail(w, ERR_INTERNAL, "jspec: field has no upper bound");
	if ((f->kind == JSPEC_ENUM && f->vocab == NULL) ||
	    (f->kind == JSPEC_OBJECT && f->fields == NULL) ||
	    (f->kind == JSPEC_ARRAY && f->item == NULL))
		return jspec_fail(w, ERR_INTERNAL, "jspec: incomplete field spec");
	switch (f->kind) {
	case JSPEC_STRING:
	case JSPEC_ENUM:
	case JSPEC_TIMESTAMP:
	case JSPEC_UUID:
		ok = json_is_string(v);
		break;
	case JSPEC_INTEGER:
		ok = json_is_integer(v);
		break;
	case JSPEC_BOOLEAN:
		ok = json_is_boolean(v);
		break;
	case JSPEC_OBJECT:
		ok = json_is_object(v);
		break;
	case JSPEC_ARRAY:
		ok = json_is_array(v);
		break;
	}
	if (!ok)
		return jspec_fail(w, ERR_WRONG_TYPE, "must be %s%s", jspec_kind_noun(f->kind),
		                  json_is_null(v) ? ", not null" : "");
	switch (f->kind) {
	case JSPEC_INTEGER:
		i = json_integer_value(v);
		if (i < f->min_int || i > f->max_int)
			return jspec_fail(w, ERR_VALIDATION, "must be between %lld and %lld",
			                  f->min_int, f->max_int);
		return true;
	case JSPEC_BOOLEAN:
		return true;
	case JSPEC_OBJECT:
		return jspec_check_object(w, v, f->fields);
	case JSPEC_ARRAY:
		return jspec_check_array(w, v, f);
	default:
		return jspec_check_text(w, v, f);
	}
}

static bool jspec_check_array(struct jspec_walk *w, const json_t *arr, const struct jspec_field *f)
{
	size_t n = json_array_size(arr);
	bool ok = true;

	if (n < f->min)
		return jspec_fail(w, ERR_TOO_SHORT, "must hold at least %zu item%s", f->min,
		                  jspec_plural(f->min));
	if (n > f->max)
		return jspec_fail(w, ERR_TOO_LONG, "must hold at most %zu item%s", f->max,
		                  jspec_plural(f->max));
	for (size_t i = 0; ok && i < n; i++) {
		struct jspec_mark mark = jspec_walk_push_index(w, i);

		/* An item is never "absent": null is simply the wrong type. */
		ok = jspec_check_value(w, json_array_get(arr, i), f->item);
		jspec_walk_pop(w, mark);
	}
	return ok;
}

static const struct jspec_field *jspec_find(const struct jspec_field *fields, const char *name)
{
	for (; fields->name != NULL; fields++) {
		if (strcmp(fields->name, name) == 0)
			return fields;
	}
	return NULL;
}

/* Unknown members first (document order), then spec fields in table order. */
static bool jspec_check_object(struct jspec_walk *w, const json_t *obj,
                               const struct jspec_field *fields)
{
	struct jspec_mark mark;
	const char *key;
	json_t *member;
	bool ok = true;

	json_object_foreach((json_t *)obj, key, member)
	{
		if (jspec_find(fields, key) == NULL) {
			jspec_walk_push(w, key);
			return jspec_fail(w, ERR_UNKNOWN_FIELD, "is not part of the schema");
		}
	}
	for (const struct jspec_field *f = fields; ok && f->name != NULL; f++) {
		member = json_object_get(obj, f->name);
		mark = jspec_walk_push(w, f->name);
		if (member == NULL || (json_is_null(member) && !f->required)) {
			if (f->required)
				ok = jspec_fail(w, ERR_MISSING_FIELD, "is required");
		} else {
			ok = jspec_check_value(w, member, f);
		}
		jspec_walk_pop(w, mark);
	}
	return ok;
}

bool jspec_check(const json_t *doc, const struct jspec_field *fields, struct jspec_error *err)
{
	struct jspec_error scratch = {.code = ERR_OK};
	struct jspec_walk w = {.err = err != NULL ? err : &scratch};
	bool ok = false;

	w.err->code = ERR_OK;
	w.err->pointer[0] = '\0';
	w.err->detail[0] = '\0';
	if (fields == NULL) {
		jspec_fail(&w, ERR_INTERNAL, "jspec: no spec");
		goto out;
	}
	if (!json_is_object(doc)) {
		jspec_fail(&w, ERR_WRONG_TYPE, "the document must be a JSON object");
		goto out;
	}
	ok = jspec_check_object(&w, doc, fields);
out:
	return ok;
}

/* Spec-table sanity for one field; recursion bounded by `depth`. */
static bool jspec_spec_field_valid(struct jspec_walk *w, const struct jspec_field *f,
                                   unsigned depth);

static bool jspec_spec_fields_valid(struct jspec_walk *w, const struct jspec_field *fields,
                                    unsigned depth)
{
	bool ok = true;

	for (const struct jspec_field *f = fields; ok && f->name != NULL; f++) {
		struct jspec_mark mark = jspec_walk_push(w, f->name);

		if (jspec_find(fields, f->name) != f)
			ok = jspec_fail(w, ERR_INTERNAL, "jspec: field named twice");
		else
			ok = jspec_spec_field_valid(w, f, depth);
		jspec_walk_pop(w, mark);
	}
	return ok;
}

static bool jspec_spec_field_valid(struct jspec_walk *w, const struct jspec_field *f,
                                   unsigned depth)
{
	struct jspec_mark mark;
	bool ok;

	if (depth > JSPEC_MAX_SPEC_DEPTH)
		return jspec_fail(w, ERR_INTERNAL, "jspec: spec nests too deeply (a cycle?)");
	switch (f->kind) {
	case JSPEC_STRING:
		if (f->max == 0 || f->min > f->max)
			return jspec_fail(w, ERR_INTERNAL,
			                  "jspec: string needs 0 < max, min <= max");
		return true;
	case JSPEC_ENUM:
		if (f->vocab == NULL || f->vocab[0] == NULL)
			return jspec_fail(w, ERR_INTERNAL, "jspec: enum needs a vocabulary");
		return true;
	case JSPEC_INTEGER:
		if (f->min_int > f->max_int)
			return jspec_fail(w, ERR_INTERNAL,
			                  "jspec: integer needs min_int <= max_int");
		return true;
	case JSPEC_OBJECT:
		if (f->fields == NULL)
			return jspec_fail(w, ERR_INTERNAL, "jspec: object needs fields");
		return jspec_spec_fields_valid(w, f->fields, depth + 1);
	case JSPEC_ARRAY:
		if (f->max == 0 || f->min > f->max || f->item == NULL)
			return jspec_fail(w, ERR_INTERNAL,
			                  "jspec: array needs an item spec, 0 < max, min <= max");
		mark = jspec_walk_push(w, "-");
		ok = jspec_spec_field_valid(w, f->item, depth + 1);
		jspec_walk_pop(w, mark);
		return ok;
	case JSPEC_BOOLEAN:
	case JSPEC_TIMESTAMP:
	case JSPEC_UUID:
		return true;
	}
	return jspec_fail(w, ERR_INTERNAL, "jspec: unknown kind");
}

bool jspec_spec_valid(const struct jspec_field *fields, struct jspec_error *err)
{
	struct jspec_error scratch = {.code = ERR_OK};
	struct jspec_walk w = {.err = err != NULL ? err : &scratch};

	w.err->code = ERR_OK;
	w.err->pointer[0] = '\0';
	w.err->detail[0] = '\0';
	if (fields == NULL)
		return jspec_fail(&w, ERR_INTERNAL, "jspec: no spec");
	return jspec_spec_fields_valid(&w, fields, 0);
}

/* Exactly `n` decimal digits at s; their value in *out. */
static bool jspec_digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's algorithm). */
static long long jspec_days_from_civil(int y, int m, int d)
{
	long long yy = (m <= 2) ? y - 1 : y;
	long long era = (yy >= 0 ? yy : yy - 399) / 400;
	long long yoe = yy - era * 400;
	long long doy = (153LL * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int jspec_days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return (m == 2 && leap) ? 29 : days[m - 1];
}

/* ".d{1,9}" at *s when present: microseconds (truncated) in *us; advances *s. */
static bool jspec_parse_fraction(const char **s, long long *us)
{
	const char *p = *s;
	long long scale = 100000;
	size_t n = 0;

	*us = 0;
	if (*p != '.')
		return true;
	for (p++; *p >= '0' && *p <= '9'; p++, n++) {
		*us += (*p - '0') * scale;
		scale /= 10;
	}
	*s = p;
	return n >= 1 && n <= 9;
}

/* "Z", "z" or "+hh:mm"/"-hh:mm" ending the string: offset east of UTC in seconds. */
static bool jspec_parse_offset(const char *p, long long *offset_s)
{
	int oh, om;

	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*offset_s = 0;
		return true;
	}
	if (strnlen(p, 7) != 6 || (p[0] != '+' && p[0] != '-') || p[3] != ':')
		return false;
	if (!jspec_digits(p + 1, 2, &oh) || !jspec_digits(p + 4, 2, &om) || oh > 23 || om > 59)
		return false;
	*offset_s = (oh * 3600LL + om * 60LL) * (p[0] == '-' ? -1 : 1);
	return true;
}

bool jspec_parse_timestamp(const char *s, long long *epoch_us)
{
	int y, mo, d, h, mi, sec;
	long long frac_us, offset_s, secs;
	const char *p;

	if (s == NULL || epoch_us == NULL || strnlen(s, 20) < 20)
		return false;
	if (!jspec_digits(s, 4, &y) || s[4] != '-' || !jspec_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !jspec_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !jspec_digits(s + 11, 2, &h) || s[13] != ':' || !jspec_digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !jspec_digits(s + 17, 2, &sec))
		return false;
	/* A leap second (:60) is refused: no clock we compare against keeps one. */
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > jspec_days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return false;
	p = s + 19;
	if (!jspec_parse_fraction(&p, &frac_us) || !jspec_parse_offset(p, &offset_s))
		return false;
	secs = jspec_days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec - offset_s;
	*epoch_us = secs * 1000000LL + frac_us;
	return true;
}

size_t jspec_nesting_depth(const char *text, size_t len)
{
	size_t depth = 0, max_depth = 0;
	bool in_string = false;

	if (text == NULL)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++; /* the escaped byte cannot end the string */
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				max_depth = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max_depth;
}
