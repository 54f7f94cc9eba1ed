/*
 * bulletin_list — the coordinators' list of bulletins, one page at a time.
 *
 * Validates the query (ERR_BAD_QUERY naming the parameter), decodes and
 * re-checks the cursor, and asks db_bulletin_list for one row more than the
 * page so next_cursor is null exactly on the last page. Read-only: nothing
 * here changes state, so nothing is audited.
 */
#include "bulletin_list.h"

#include <stdio.h>
#include <string.h>

#include "coord.h"
#include "cursor.h"
#include "db.h"
#include "db_bulletin_list.h"
#include "jspec.h"
#include "uuid.h"

#define BULLETIN_LIST_TAG "bulletins v1"

static const char *const bulletin_list_statuses[] = {"pending_review", "published", "rejected",
                                                     "withheld", NULL};

/* Cursor payload: "bulletins v1|<status or ->|" then "<updated_at>|<id>" of the page's last row. */
static void bulletin_list_prefix(const struct bulletin_list_query *q, char *out, size_t len)
{
	snprintf(out, len, BULLETIN_LIST_TAG "|%s|", q->status != NULL ? q->status : "-");
}

/* Split a cursor's position into the filter; false when it is not one of ours. */
static bool bulletin_list_position(char *pos, struct db_bulletin_filter *f)
{
	char *bar = strchr(pos, '|');
	long long us;

	if (bar == NULL)
		return false;
	*bar = '\0';
	if (!jspec_parse_timestamp(pos, &us) || !uuid_parse(bar + 1, NULL))
		return false;
	f->after_ts = pos;
	f->after_id = bar + 1;
	return true;
}

enum err_code bulletin_list(const struct signer_key *key, const struct bulletin_list_query *q,
                            json_t **out, char *detail, size_t detail_len)
{
	struct db_bulletin_filter f = {q->status, NULL, NULL, 0};
	char prefix[64], payload[CURSOR_MAX_PAYLOAD + 1];
	json_t *rows = NULL, *next = json_null();
	PGconn *c;
	enum err_code rc =
	        coord_vocab("status", q->status, bulletin_list_statuses, detail, detail_len);

	*out = NULL;
	if (rc == ERR_OK)
		rc = coord_limit(q->limit, &f.limit, detail, detail_len);
	bulletin_list_prefix(q, prefix, sizeof prefix);
	if (rc == ERR_OK && q->cursor != NULL &&
	    (coord_cursor_decode(key, q->cursor, payload, sizeof payload) != 0 ||
	     strncmp(payload, prefix, strlen(prefix)) != 0 ||
	     !bulletin_list_position(payload + strlen(prefix), &f)))
		rc = coord_bad(detail, detail_len, "cursor", "not a cursor of this query");
	if (rc == ERR_OK && (c = db_conn()) == NULL)
		rc = ERR_UNAVAILABLE;
	if (rc == ERR_OK) {
		f.limit += 1; /* one more tells whether a next page exists */
		rc = db_bulletin_page(c, &f, &rows);
		f.limit -= 1;
	}
	if (rc == ERR_OK && json_array_size(rows) > (size_t)f.limit) {
		json_t *last = json_array_get(rows, (size_t)f.limit - 1);
		char text[sizeof prefix + 64];
		json_array_remove(rows, (size_t)f.limit);
		snprintf(text, sizeof text, "%s%s|%s", prefix,
		         json_string_value(json_object_get(last, "updated_at")),
		         json_string_value(json_object_get(last, "id")));
		next = coord_cursor_encode(key, text);
	}
	if (rc == ERR_OK)
		*out = json_pack("{s:o, s:o}", "bulletins", rows, "next_cursor", next);
	else
		json_decref(rows);
	return rc == ERR_OK && *out == NULL ? ERR_INTERNAL : rc;
}
