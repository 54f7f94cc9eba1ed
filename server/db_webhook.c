/*
 * db_webhook — the deliveries table's SQL (see db_webhook.h).
 *
 * The head rule ("no earlier pending delivery of the same subscription")
 * is written once, as PENDING_HEAD, and used by both the claim and the
 * wake-up time, so a delivery waiting behind another never makes a
 * delivery thread spin. Times of attempts are clock_timestamp(): the
 * claiming transaction may have started up to a send timeout earlier.
 */
#include "db_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

/* SQL fragments read best as written: */
/* clang-format off */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define PENDING(d) d ".delivered_at IS NULL AND " d ".dead_at IS NULL"

#define PENDING_HEAD                                                                               \
	PENDING("d")                                                                               \
	" AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.subscription = d.subscription"        \
	" AND e.publication < d.publication AND " PENDING("e") ")"

#define STATE                                                                                      \
	"CASE WHEN d.delivered_at IS NOT NULL THEN 'delivered' WHEN d.dead_at IS NOT NULL"         \
	" THEN 'dead' ELSE 'pending' END"

/* Why a delivery must not be sent now; NULL when it may. */
#define UNUSABLE                                                                                   \
	"CASE WHEN s.revoked_at IS NOT NULL THEN 'the subscription was revoked'"                   \
	" WHEN s.webhook_url IS NULL THEN 'the subscription has no webhook'"                       \
	" WHEN NOT entitled(p.bulletin_id, p.tlp, p.sector, s.org_id)"                             \
	" THEN 'the subscriber is no longer entitled to this bulletin' END"

#define VIEW                                                                                       \
	"json_build_object('id', d.id, 'state', " STATE ", 'subscription_id', d.subscription,"     \
	" 'subscriber_id', s.org_id, 'webhook_url', s.webhook_url, 'bulletin_id', p.bulletin_id,"  \
	" 'version', p.version, 'published_at', " TS("p.published_at") ","                         \
	" 'idempotency_key', d.idempotency_key, 'attempts', d.attempts,"                           \
	" 'created_at', " TS("d.created_at") ", 'next_at', CASE WHEN " PENDING("d") " THEN "       \
	TS("d.next_at") " END, 'last_attempt_at', " TS("d.last_attempt_at") ","                    \
	" 'last_status', d.last_status, 'last_error', d.last_error,"                               \
	" 'delivered_at', " TS("d.delivered_at") ", 'dead_at', " TS("d.dead_at") ")::text"

#define JOINS                                                                                      \
	" FROM deliveries d JOIN subscriptions s ON s.id = d.subscription"                         \
	" JOIN publications p ON p.seq = d.publication"

const struct db_stmt db_webhook_stmts[] = {
	{"webhook_enqueue",
	 "INSERT INTO deliveries (subscription, publication)"
	 " SELECT s.id, p.seq FROM publications p, subscriptions s"
	 " WHERE p.seq = $1 AND s.webhook_url IS NOT NULL AND s.revoked_at IS NULL"
	 " AND entitled(p.bulletin_id, p.tlp, p.sector, s.org_id)"
	 " AND (SELECT v.i FROM json_array_elements_text($2::json) WITH ORDINALITY v(name, i)"
	 "      WHERE v.name = p.severity)"
	 "  >= (SELECT v.i FROM json_array_elements_text($2::json) WITH ORDINALITY v(name, i)"
	 "      WHERE v.name = s.min_severity)"
	 " AND (cardinality(s.incident_types) = 0 OR p.incident_type = ANY (s.incident_types))"
	 " AND (cardinality(s.sectors) = 0 OR p.sector = ANY (s.sectors))"
	 " ORDER BY s.id ON CONFLICT (subscription, publication) DO NOTHING", 2},
	{"webhook_notify", "SELECT pg_notify('isacd_webhooks', $1)", 1},
	{"webhook_claim",
	 "SELECT d.id, d.idempotency_key, d.subscription, d.attempts, s.webhook_url, " UNUSABLE ","
	 " p.bulletin_id, p.version, convert_from(v.bundle, 'UTF8'), v.signature"
	 JOINS
	 " JOIN bulletin_versions v ON v.bulletin_id = p.bulletin_id AND v.version = p.version"
	 " WHERE " PENDING_HEAD " AND d.next_at <= clock_timestamp()"
	 " ORDER BY d.next_at, d.id LIMIT $1 FOR UPDATE OF d SKIP LOCKED", 1},
	{"webhook_result",
	 "UPDATE deliveries SET attempts = attempts + 1, last_attempt_at = clock_timestamp(),"
	 " last_status = $3::integer, last_error = $4,"
	 " delivered_at = CASE WHEN $2::boolean THEN clock_timestamp() END,"
	 " dead_at = CASE WHEN NOT $2::boolean"
	 "  AND clock_timestamp() >= window_from + $6::bigint * interval '1 second'"
	 "  THEN clock_timestamp() END,"
	 " next_at = least(clock_timestamp() + $5::bigint * interval '1 millisecond',"
	 "  window_from + $6::bigint * interval '1 second')"
	 " WHERE id = $1 RETURNING dead_at IS NOT NULL", 6},
	{"webhook_cancel",
	 "UPDATE deliveries SET dead_at = clock_timestamp(), last_error = $2 WHERE id = $1", 2},
	{"webhook_next_due",
	 "SELECT floor(extract(epoch FROM min(d.next_at) - clock_timestamp()) * 1000)::bigint"
	 " FROM deliveries d WHERE " PENDING_HEAD, 0},
	{"delivery_list",
	 "SELECT " VIEW ", d.id" JOINS
	 " WHERE ($2::uuid IS NULL OR d.subscription = $2::uuid)"
	 " AND ($1::text IS NULL OR (" STATE ") = $1::text)"
	 " AND ($3::bigint IS NULL OR d.id < $3::bigint)"
	 " ORDER BY d.id DESC LIMIT $4", 4},
	{"delivery_get", "SELECT " VIEW JOINS " WHERE d.id = $1", 1},
	{"delivery_lock",
	 "SELECT " STATE ", " UNUSABLE ", json_build_object('subscription_id', d.subscription,"
	 " 'bulletin_id', p.bulletin_id, 'version', p.version, 'attempts', d.attempts,"
	 " 'last_status', d.last_status, 'last_error', d.last_error)::text"
	 JOINS " WHERE d.id = $1 FOR UPDATE OF d", 1},
	{"delivery_replay",
	 "UPDATE deliveries SET dead_at = NULL, attempts = 0, window_from = clock_timestamp(),"
	 " next_at = clock_timestamp() WHERE id = $1 AND dead_at IS NOT NULL", 1},

	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_webhook_enqueue(PGconn *c, long long seq, const char *severities_json, int *made)
{
	char seq_s[24];
	const char *v[2] = {seq_s, severities_json};
	PGresult *r = NULL;
	enum err_code rc;

	snprintf(seq_s, sizeof seq_s, "%lld", seq);
	*made = 0;
	rc = db_exec(c, "webhook_enqueue", 2, v, NULL, NULL, &r);
	if (rc == ERR_OK)
		*made = atoi(PQcmdTuples(r));
	PQclear(r);
	return rc;
}

enum err_code db_webhook_notify(PGconn *c, const char *what)
{
	const char *v[1] = {what};

	return db_exec(c, "webhook_notify", 1, v, NULL, NULL, NULL);
}

void db_delivery_clear(struct db_delivery *d)
{
	free(d->url);
	free(d->bundle);
	d->url = d->bundle = NULL;
}

/* One claimed row into d; -1 when a column is not what the schema promises. */
static int db_delivery_row(const PGresult *r, int i, struct db_delivery *d)
{
	memset(d, 0, sizeof *d);
	d->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	db_get_text(r, i, 1, d->idempotency_key, sizeof d->idempotency_key);
	db_get_text(r, i, 2, d->subscription, sizeof d->subscription);
	d->attempts = atoi(PQgetvalue(r, i, 3));
	if (!PQgetisnull(r, i, 4) && (d->url = strdup(PQgetvalue(r, i, 4))) == NULL)
		return -1;
	db_get_text(r, i, 5, d->unusable, sizeof d->unusable);
	db_get_text(r, i, 6, d->bulletin_id, sizeof d->bulletin_id);
	d->version = atoi(PQgetvalue(r, i, 7));
	d->bundle_len = (size_t)PQgetlength(r, i, 8);
	d->bundle = malloc(d->bundle_len + 1);
	if (d->bundle == NULL || db_get_bytea(r, i, 9, d->signature, 64) != 0)
		return -1;
	memcpy(d->bundle, PQgetvalue(r, i, 8), d->bundle_len + 1);
	return 0;
}

enum err_code db_webhook_claim(PGconn *c, int max, struct db_delivery *out, int *n)
{
	char max_s[16];
	const char *v[1] = {max_s};
	PGresult *r = NULL;
	enum err_code rc;

	*n = 0;
	snprintf(max_s, sizeof max_s, "%d", max);
	rc = db_exec(c, "webhook_claim", 1, v, NULL, NULL, &r);
	for (int i = 0; rc == ERR_OK && i < PQntuples(r) && i < max; i++) {
		if (db_delivery_row(r, i, &out[i]) != 0) {
			db_delivery_clear(&out[i]);
			LOG_BUG("a claimed delivery has no bundle or signature");
			rc = ERR_INTERNAL;
			break;
		}
		(*n)++;
	}
	PQclear(r);
	return rc;
}

enum err_code db_webhook_result(PGconn *c, long long id, bool delivered, long status,
                                const char *error, long long retry_ms, unsigned max_age_s,
                                bool *dead)
{
	char id_s[24], status_s[16], retry_s[24], age_s[16];
	const char *v[6] = {
	        id_s, delivered ? "t" : "f", status > 0 ? status_s : NULL, error, retry_s, age_s};
	PGresult *r = NULL;
	enum err_code rc;

	snprintf(id_s, sizeof id_s, "%lld", id);
	snprintf(status_s, sizeof status_s, "%ld", status);
	snprintf(retry_s, sizeof retry_s, "%lld", retry_ms);
	snprintf(age_s, sizeof age_s, "%u", max_age_s);
	*dead = false;
	rc = db_exec(c, "webhook_result", 6, v, NULL, NULL, &r);
	if (rc == ERR_OK && PQntuples(r) == 1)
		*dead = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return rc;
}

enum err_code db_webhook_cancel(PGconn *c, long long id, const char *reason)
{
	char id_s[24];
	const char *v[2] = {id_s, reason};

	snprintf(id_s, sizeof id_s, "%lld", id);
	return db_exec(c, "webhook_cancel", 2, v, NULL, NULL, NULL);
}

enum err_code db_webhook_next_due(PGconn *c, long long *ms, bool *any)
{
	PGresult *r = NULL;
	enum err_code rc = db_exec(c, "webhook_next_due", 0, NULL, NULL, NULL, &r);

	*any = false;
	*ms = 0;
	if (rc == ERR_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
		*any = true;
		*ms = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	}
	PQclear(r);
	return rc;
}

enum err_code db_delivery_list(PGconn *c, const struct db_delivery_query *q, json_t **out,
                               long long *last)
{
	char before_s[24], limit_s[16], seq[24];
	const char *v[4] = {q->state, q->subscription, q->before > 0 ? before_s : NULL, limit_s};
	enum err_code rc;

	snprintf(before_s, sizeof before_s, "%lld", q->before);
	snprintf(limit_s, sizeof limit_s, "%d", q->limit);
	rc = db_json_rows(c, "delivery_list", 4, v, out, seq, sizeof seq);
	if (rc == ERR_OK && json_array_size(*out) > 0)
		*last = strtoll(seq, NULL, 10);
	return rc;
}

enum err_code db_delivery_get(PGconn *c, long long id, json_t **out)
{
	char id_s[24];
	const char *v[1] = {id_s};

	snprintf(id_s, sizeof id_s, "%lld", id);
	return db_json_row(c, "delivery_get", 1, v, out);
}

enum err_code db_delivery_lock(PGconn *c, long long id, char state[16], char unusable[128],
                               json_t **facts)
{
	char id_s[24];
	const char *v[1] = {id_s};
	PGresult *r = NULL;
	enum err_code rc;

	snprintf(id_s, sizeof id_s, "%lld", id);
	*facts = NULL;
	rc = db_exec_row(c, "delivery_lock", 1, v, NULL, NULL, &r);
	if (rc == ERR_OK) {
		db_get_text(r, 0, 0, state, 16);
		db_get_text(r, 0, 1, unusable, 128);
		if ((*facts = json_loads(PQgetvalue(r, 0, 2), 0, NULL)) == NULL)
			rc = ERR_INTERNAL;
	}
	PQclear(r);
	return rc;
}

enum err_code db_delivery_replay(PGconn *c, long long id)
{
	char id_s[24];
	const char *v[1] = {id_s};
	PGresult *r = NULL;
	enum err_code rc;

	snprintf(id_s, sizeof id_s, "%lld", id);
	rc = db_exec(c, "delivery_replay", 1, v, NULL, NULL, &r);
	if (rc == ERR_OK && atoi(PQcmdTuples(r)) != 1)
		rc = ERR_CONFLICT;
	PQclear(r);
	return rc;
}
