/*
 * db_taxii — the SQL of the TAXII collections: keyset pages of the
 * feed_objects a subscriber may read, its clearance, and whether it may read
 * any version of an object.
 *
 * What a subscriber may read is decided here, in SQL, on every query: rows
 * marked `shared` when its clearance includes the row's TLP, or rows of a
 * publication entitled() grants it. Nothing here trusts a position beyond
 * "rows added after this time".
 */
#ifndef ISACD_DB_TAXII_H
#define ISACD_DB_TAXII_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"

/* A page query; JSON arrays are text, NULL for "any". */
struct db_taxii_filter {
	const char *subscriber; /* organization id */
	const char *tlp;
	const char *after; /* timestamp text; NULL: from the start */
	const char *ids_json, *types_json, *spec_versions_json;
	const char *versions_json; /* match[version] timestamps */
	bool version_all, version_first, version_last;
	bool with_object; /* fetch the object text (objects listings) */
	int limit;
};

/* One row as the page callback sees it (valid during the call only). */
struct db_taxii_row {
	const char *object_id, *version;
	const char *date_added; /* "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
	const char *object;     /* compact JSON; NULL without with_object */
};

typedef enum err_code (*db_taxii_row_fn)(void *ctx, const struct db_taxii_row *row);

/*
 * Call fn for each row of f, oldest date_added first, at most f->limit
 * rows. Stops at and returns fn's first error; else db_exec's codes.
 */
enum err_code db_taxii_rows(PGconn *c, const struct db_taxii_filter *f, db_taxii_row_fn fn,
                            void *ctx);

/*
 * The subscriber's clearance as a new JSON array of TLP names (empty when
 * the organization has no subscriber row).
 */
enum err_code db_taxii_clearance(PGconn *c, const char *org, json_t **clearance);

/* *visible: whether the subscriber may read any version of object_id in tlp. */
enum err_code db_taxii_object_visible(PGconn *c, const char *org, const char *tlp,
                                      const char *object_id, bool *visible);

#endif
