/*
 * db_bulletin_list — the coordinators' list of bulletins in PostgreSQL
 * (api.md, GET /v1/coord/bulletins). The only place its SQL lives.
 */
#ifndef ISACD_DB_BULLETIN_LIST_H
#define ISACD_DB_BULLETIN_LIST_H

#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"

/* A page's filter and position; NULL members do not filter. */
struct db_bulletin_filter {
	const char *status;
	const char *after_ts, *after_id; /* the page starts after (updated_at, id), newest first */
	int limit;
};

/*
 * The page as a JSON array of list items, newest updated first (new
 * reference in *out). Returns db_exec's codes.
 */
enum err_code db_bulletin_page(PGconn *c, const struct db_bulletin_filter *f, json_t **out);

#endif
