/*
 * jspec — declarative JSON validation.
 *
 * A schema is a table of field specs; jspec_check() walks a json_t against
 * it and stops at the first violation, naming it by JSON pointer (RFC 6901)
 * and by an error code from include/errors.def. Handlers and domain code
 * never walk json_t by hand to validate; they describe and call this.
 *
 * Pure: knows neither HTTP nor the database.
 */
#ifndef ISACD_JSPEC_H
#define ISACD_JSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "problem.h"

enum jspec_kind {
	JSPEC_STRING,  /* UTF-8 string; min/max bound its length in bytes */
	JSPEC_ENUM,    /* string that must be one of `vocab` (NULL-terminated list) */
	JSPEC_INTEGER, /* integer; min_int/max_int bound it */
	JSPEC_BOOLEAN,
	JSPEC_TIMESTAMP, /* RFC 3339 date-time with 'Z' or offset, e.g. 2026-11-25T07:30:00Z */
	JSPEC_UUID,      /* canonical lower- or upper-case 8-4-4-4-12 hex UUID */
	JSPEC_OBJECT,    /* object checked against `fields`; unknown members refused */
	JSPEC_ARRAY,     /* array; min/max bound the item count; items checked against `item` */
};

struct jspec_field {
	const char *name; /* member name; ignored for an array item spec */
	enum jspec_kind kind;
	bool required;
	/* string bytes or array items; STRING and ARRAY need max > 0 (0 is a spec bug) */
	size_t min, max;
	long long min_int, max_int;       /* JSPEC_INTEGER */
	const char *const *vocab;         /* JSPEC_ENUM */
	const struct jspec_field *fields; /* JSPEC_OBJECT: terminated by {.name = NULL} */
	const struct jspec_field *item;   /* JSPEC_ARRAY: the one spec every item meets */
	/* optional extra check on a string value; returns true when acceptable */
	bool (*check)(const char *s, size_t n);
	const char *check_what; /* for the error detail: "an ATT&CK technique id like T1566.001" */
};

struct jspec_error {
	enum err_code code; /* ERR_OK when valid */
	char pointer[256];  /* JSON pointer of the offending member ("" = the document) */
	char detail[256];   /* a sentence for the human */
};

/*
 * Validate `doc` against the object spec `fields` (terminated by a field
 * with name NULL). Refuses unknown members (ERR_UNKNOWN_FIELD), missing
 * required ones (ERR_MISSING_FIELD), wrong JSON types (ERR_WRONG_TYPE),
 * strings and arrays out of bounds (ERR_TOO_LONG, ERR_TOO_SHORT), values
 * outside a vocabulary (ERR_NOT_IN_VOCABULARY) and anything else
 * (ERR_VALIDATION: bad timestamp, uuid, failed `check`).
 * JSON null counts as absent for optional fields and as WRONG_TYPE for
 * required ones. Returns true when valid; otherwise false with *err filled.
 *
 * Order, so the "first" error is well defined: depth-first; inside an
 * object, unknown members first (in document order), then the spec fields
 * in table order; array items in index order. An integer outside
 * min_int..max_int and a string holding a NUL byte are ERR_VALIDATION.
 * Pointers escape '~' as "~0" and '/' as "~1"; one that would not fit in
 * err->pointer names the deepest ancestor that fits. A spec mistake met on
 * the way (STRING/ARRAY with max 0, ENUM without vocab, OBJECT without
 * fields, ARRAY without item) is ERR_INTERNAL: the caller logs it as our
 * bug. Details never quote the client's values. `err` may be NULL.
 */
bool jspec_check(const json_t *doc, const struct jspec_field *fields, struct jspec_error *err);

/*
 * Check a spec table itself, recursively: STRING and ARRAY have 0 < max and
 * min <= max, ENUM has a non-empty vocab, INTEGER has min_int <= max_int,
 * OBJECT has fields, ARRAY has an item, no object names a member twice, and
 * nesting stays under 32 levels. Returns true when sound; otherwise false
 * with err->code ERR_INTERNAL and err->pointer naming the spec field ("-"
 * stands for an array's item). Meant for start-up and unit tests, so a bad
 * table fails loudly before any client meets it. `err` may be NULL.
 */
bool jspec_spec_valid(const struct jspec_field *fields, struct jspec_error *err);

/*
 * Parse an RFC 3339 timestamp into microseconds since the epoch (UTC).
 * Accepts fractional seconds up to 9 digits (truncated to microseconds),
 * 'Z'/'z' or ±hh:mm offsets. Years 1970..9999. Returns true on success.
 * Strict: 'T' or 't' separator, real calendar days (leap years included),
 * hour < 24, minute < 60, offset hours < 24. A leap second (":60") is
 * refused: our clocks and PostgreSQL do not keep them. Nothing is written
 * to *epoch_us on failure. Does not depend on the process time zone.
 */
bool jspec_parse_timestamp(const char *s, long long *epoch_us);

/*
 * Maximum nesting depth of arrays and objects in raw JSON text (strings are
 * skipped correctly). Used before parsing to refuse hostile nesting cheaply.
 * "{}" and "[1]" are depth 1, a scalar 0. Brackets inside strings, escaped
 * quotes included, do not count. The text need not be valid JSON nor
 * NUL-terminated; unmatched closers are ignored. Linear, no allocation.
 */
size_t jspec_nesting_depth(const char *text, size_t len);

#endif
