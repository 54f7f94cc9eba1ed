/*
 * bulletin_list — the coordinators' list of bulletins (GET
 * /v1/coord/bulletins): status filter, keyset pages, and for each bulletin
 * its reach (subscribers entitled to its latest publication) and its
 * webhook deliveries by state.
 */
#ifndef ISACD_BULLETIN_LIST_H
#define ISACD_BULLETIN_LIST_H

#include <stddef.h>
#include <jansson.h>
#include "problem.h"
#include "signer.h"

/* Query parameters as received; NULL when absent. */
struct bulletin_list_query {
	const char *status, *limit, *cursor;
};

/*
 * A page: {"bulletins": [...], "next_cursor": …|null}, newest updated
 * first. Cursors are authenticated with the server key and bound to the
 * status they were made with. ERR_BAD_QUERY (detail names the parameter),
 * ERR_UNAVAILABLE.
 */
enum err_code bulletin_list(const struct signer_key *key, const struct bulletin_list_query *q,
                            json_t **out, char *detail, size_t detail_len);

#endif
