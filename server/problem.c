/*
 * problem — the error table rendered as RFC 9457 problem details.
 *
 * The table itself is include/errors.def; this file only expands it. It must
 * never invent a status or a title that is not in that table.
 */
#include "problem.h"

#include <stdio.h>

struct problem_row {
	unsigned status;
	const char *slug;
	const char *title;
};

static const struct problem_row problem_rows[ERR__COUNT] = {
#define E(name, status, slug, title) [ERR_##name] = {status, slug, title},
#include "errors.def"
#undef E
};

static const struct problem_row *problem_row(enum err_code code)
{
	if ((unsigned)code >= ERR__COUNT)
		return &problem_rows[ERR_INTERNAL];
	return &problem_rows[code];
}

unsigned problem_status(enum err_code code)
{
	return problem_row(code)->status;
}

const char *problem_slug(enum err_code code)
{
	return problem_row(code)->slug;
}

const char *problem_title(enum err_code code)
{
	return problem_row(code)->title;
}

json_t *problem_json(enum err_code code, const char *detail, const char *pointer,
                     const char *request_id)
{
	const struct problem_row *row = problem_row(code);
	char type[128];
	json_t *o;

	snprintf(type, sizeof type, "urn:isacd:problem:%s", row->slug);
	o = json_pack("{s:s, s:s, s:I}", "type", type, "title", row->title, "status",
	              (json_int_t)row->status);
	if (o == NULL)
		return NULL;
	if (detail != NULL && *detail != '\0')
		json_object_set_new(o, "detail", json_string(detail));
	if (pointer != NULL)
		json_object_set_new(o, "pointer", json_string(pointer));
	if (request_id != NULL)
		json_object_set_new(o, "request_id", json_string(request_id));
	return o;
}
