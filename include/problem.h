/*
 * problem — the error table (include/errors.def) and its RFC 9457 rendering.
 *
 * Codes are values; handlers return them and never build error bodies by
 * hand. problem_render() is the one place problem+json is made.
 */
#ifndef ISACD_PROBLEM_H
#define ISACD_PROBLEM_H

#include <jansson.h>

enum err_code {
#define E(name, status, slug, title) ERR_##name,
#include "errors.def"
#undef E
	ERR__COUNT
};

/* HTTP status of a code (500 for an out-of-range code). */
unsigned problem_status(enum err_code code);

/* The slug ("signature-replayed"); never NULL. */
const char *problem_slug(enum err_code code);

/* The short human title; never NULL. */
const char *problem_title(enum err_code code);

/*
 * Build the problem+json object: type ("urn:isacd:problem:<slug>"), title,
 * status, detail (may be NULL: omitted), pointer (JSON pointer of the
 * offending field, may be NULL: omitted), request_id (may be NULL).
 * Returns a new reference the caller owns, or NULL on allocation failure.
 */
json_t *problem_json(enum err_code code, const char *detail, const char *pointer,
                     const char *request_id);

#endif
