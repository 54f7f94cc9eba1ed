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
	JSPEC_STRING,    /* UTF-8 string; min/max bound its length in bytes */
	JSPEC_ENUM,      /* string that must be one of `vocab` (NULL-terminated list) */
	JSPEC_INTEGER,   /* integer; min_int/max_int bound it */
	JSPEC_BOOLEAN,
	JSPEC_TIMESTAMP, /* RFC 3339 date-time with 'Z' or offset, e.g. 2026-11-25T07:30:00Z */
	JSPEC_UUID,      /* canonical lower- or upper-case 8-4-4-4-12 hex UUID */
	JSPEC_OBJECT,    /* object checked against `fields`; unknown members refused */
	JSPEC_ARRAY,     /* array; min/max bound the item count; items checked against `item` */
};

struct jspec_field {
	const char *name;              /* member name; ignored for an array item spec */
	enum jspec_kind kind;
	bool required;
	size_t min, max;               /* string bytes or array items; max 0 = no bound (not allowed for STRING/ARRAY: checked) */
	long long min_int, max_int;    /* JSPEC_INTEGER */
	const char *const *vocab;      /* JSPEC_ENUM */
	const struct jspec_field *fields;       /* JSPEC_OBJECT: terminated by {.name = NULL} */
	const struct jspec_field *item;         /* JSPEC_ARRAY: the one spec every item meets */
	/* optional extra check on a string value; returns true when acceptable */
	bool (*check)(const char *s, size_t n);
	const char *check_what;        /* for the error detail: "an ATT&CK technique id like T1566.001" */
};

struct jspec_error {
	enum err_code code;   /* ERR_OK when valid */
	char pointer[256];    /* JSON pointer of the offending member ("" = the document) */
	char detail[256];     /* a sentence for the human */
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
 */
bool jspec_check(const json_t *doc, const struct jspec_field *fields, struct jspec_error *err);

/*
 * Parse an RFC 3339 timestamp into microseconds since the epoch (UTC).
 * Accepts fractional seconds up to 9 digits (truncated to microseconds),
 * 'Z'/'z' or ±hh:mm offsets. Years 1970..9999. Returns true on success.
 */
bool jspec_parse_timestamp(const char *s, long long *epoch_us);

/*
 * Maximum nesting depth of arrays and objects in raw JSON text (strings are
 * skipped correctly). Used before parsing to refuse hostile nesting cheaply.
 */
size_t jspec_nesting_depth(const char *text, size_t len);

#endif
