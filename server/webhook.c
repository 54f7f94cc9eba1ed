/*
 * webhook — the delivery thread and the coordinators' view of deliveries.
 *
 * The thread's shape follows the worker's: its own connection, LISTEN on
 * "isacd_webhooks" (publication and replay NOTIFY it at COMMIT), a round =
 * one transaction that claims a batch of due head deliveries (FOR UPDATE
 * SKIP LOCKED), sends them (webhook_send.c) and records every outcome.
 * Between rounds it sleeps until the next retry is due (at most a second),
 * or until a notification. The rows stay locked while their POSTs are in
 * flight, so another isacd neither sends them nor, by the head rule, the
 * next delivery of the same subscription.
 *
 * It shares nothing mutable with other threads except its atomic stop
 * flag; the configuration and server key are read-only.
 */
#include "webhook.h"

#include <curl/curl.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "db.h"
#include "db_audit.h"
#include "db_webhook.h"
#include "log.h"
#include "report_schema.h"
#include "webhook_internal.h"

#define WEBHOOK_BATCH          16 /* deliveries claimed and sent together */
#define WEBHOOK_ROUNDS         8  /* rounds per wake-up before sleeping again */
#define WEBHOOK_IDLE_MS        1000
#define WEBHOOK_BUSY_MS        200 /* due, yet none claimable: in flight elsewhere */
#define WEBHOOK_MAX_BACKOFF_MS (3600LL * 1000)
#define WEBHOOK_LIMIT_DEFAULT  50
#define WEBHOOK_LIMIT_MAX      100

static pthread_t webhook_thread;
static atomic_bool webhook_stopping;
static bool webhook_running;
static const struct bulletin_env *webhook_env;

/* ---------------------------------------------------------------- publication */

enum err_code webhook_enqueue(PGconn *c, long long seq)
{
	json_t *order = json_array();
	char *order_text = NULL, seq_s[24];
	int made = 0;
	enum err_code rc = ERR_INTERNAL;

	for (size_t i = 0; order != NULL && report_severities[i] != NULL; i++)
		json_array_append_new(order, json_string(report_severities[i]));
	if (order != NULL)
		order_text = json_dumps(order, JSON_COMPACT);
	if (order_text != NULL)
		rc = db_webhook_enqueue(c, seq, order_text, &made);
	snprintf(seq_s, sizeof seq_s, "%lld", seq);
	if (rc == ERR_OK && made > 0)
		rc = db_webhook_notify(c, seq_s);
	free(order_text);
	json_decref(order);
	return rc;
}

/* ---------------------------------------------------------------- the thread */

/* Backoff after the n-th failed attempt (n ≥ 1): base·2^(n-1), capped, half of it jitter. */
static long long webhook_backoff_ms(unsigned base_ms, int n)
{
	long long d = base_ms;

	for (int i = 1; i < n && d < WEBHOOK_MAX_BACKOFF_MS; i++)
		d *= 2;
	if (d > WEBHOOK_MAX_BACKOFF_MS)
		d = WEBHOOK_MAX_BACKOFF_MS;
	return d - d / 2 + randombytes_uniform((uint32_t)(d / 2) + 1);
}

struct webhook_round {
	struct db_delivery items[WEBHOOK_BATCH];
	struct webhook_attempt tries[WEBHOOK_BATCH];
	bool dead[WEBHOOK_BATCH];
	int n_items;
	size_t n_tries;
};

static void webhook_round_clear(struct webhook_round *r)
{
	for (int i = 0; i < r->n_items; i++)
		db_delivery_clear(&r->items[i]);
	r->n_items = 0;
	r->n_tries = 0;
}

/* Record every finished attempt of the round. */
static enum err_code webhook_record(PGconn *c, struct webhook_round *r)
{
	const struct config *cfg = webhook_env->cfg;
	enum err_code rc = ERR_OK;

	for (size_t i = 0; rc == ERR_OK && i < r->n_tries; i++) {
		const struct webhook_attempt *t = &r->tries[i];

		if (!t->finished)
			continue; /* abandoned at stop: still pending, attempt not counted */
		rc = db_webhook_result(
		        c, t->d->id, t->ok, t->status, t->ok ? NULL : t->error,
		        webhook_backoff_ms(cfg->webhook_retry_base_ms, t->d->attempts + 1),
		        cfg->webhook_max_age_s, &r->dead[i]);
	}
	return rc;
}

/* One round: claim, cancel what may no longer be sent, send the rest, record. */
static enum err_code webhook_round_tx(PGconn *c, void *ctx)
{
	struct webhook_round *r = ctx;
	enum err_code rc;

	webhook_round_clear(r); /* db_tx may run this again after a lost connection */
	rc = db_webhook_claim(c, WEBHOOK_BATCH, r->items, &r->n_items);
	for (int i = 0; rc == ERR_OK && i < r->n_items; i++) {
		if (r->items[i].unusable[0] != '\0')
			rc = db_webhook_cancel(c, r->items[i].id, r->items[i].unusable);
		else
			r->tries[r->n_tries++] = (struct webhook_attempt){.d = &r->items[i]};
	}
	if (rc != ERR_OK || r->n_tries == 0)
		return rc;
	memset(r->dead, 0, sizeof r->dead);
	webhook_send_batch(webhook_env->key, r->tries, r->n_tries, &webhook_stopping);
	return webhook_record(c, r);
}

/* Log a committed round; never the URL. */
static void webhook_log(const struct webhook_round *r)
{
	for (int i = 0; i < r->n_items; i++)
		if (r->items[i].unusable[0] != '\0')
			log_emit(LOG_WARN, "webhook delivery dropped",
			         json_pack("{s:I, s:s, s:s}", "delivery",
			                   (json_int_t)r->items[i].id, "subscription",
			                   r->items[i].subscription, "reason",
			                   r->items[i].unusable));
	for (size_t i = 0; i < r->n_tries; i++) {
		const struct webhook_attempt *t = &r->tries[i];

		if (!t->finished)
			continue;
		log_emit(t->ok ? LOG_INFO : LOG_WARN,
		         t->ok        ? "webhook delivered"
		         : r->dead[i] ? "webhook delivery dead: retry window over"
		                      : "webhook delivery failed; will retry",
		         json_pack("{s:I, s:s, s:s, s:i, s:i, s:i, s:s}", "delivery",
		                   (json_int_t)t->d->id, "subscription", t->d->subscription,
		                   "bulletin_id", t->d->bulletin_id, "version", t->d->version,
		                   "attempt", t->d->attempts + 1, "status", (int)t->status, "error",
		                   t->ok ? "" : t->error));
	}
}

/* One round; returns how many deliveries it claimed, or -1 when it failed. */
static int webhook_round(struct webhook_round *r)
{
	enum err_code rc = db_tx(webhook_round_tx, r, false);
	int claimed = r->n_items;

	if (rc == ERR_OK)
		webhook_log(r);
	else
		log_emit(LOG_ERROR, "webhook round failed; its deliveries stay pending",
		         json_pack("{s:s, s:i}", "error", problem_slug(rc), "claimed", claimed));
	webhook_round_clear(r);
	return rc == ERR_OK ? claimed : -1;
}

/* LISTEN on this thread's connection (again after a reconnect). */
static PGconn *webhook_listen(int *listening_pid)
{
	PGconn *c = db_conn();

	if (c == NULL)
		return NULL;
	if (PQbackendPID(c) != *listening_pid) {
		if (db_script(c, "LISTEN isacd_webhooks") != ERR_OK)
			return NULL;
		*listening_pid = PQbackendPID(c);
	}
	return c;
}

/* Drain notifications libpq already holds; true when there were any. */
static bool webhook_drain(PGconn *c)
{
	PGnotify *n;
	bool any = false;

	while ((n = PQnotifies(c)) != NULL) {
		PQfreemem(n);
		any = true;
	}
	return any;
}

/* Sleep up to ms, or until a notification arrives. */
static void webhook_wait(PGconn *c, long long ms)
{
	struct pollfd p = {.fd = c != NULL ? PQsocket(c) : -1, .events = POLLIN};

	if (p.fd < 0) {
		usleep((useconds_t)ms * 1000);
		return;
	}
	if (webhook_drain(c)) /* arrived while a round ran */
		return;
	if (poll(&p, 1, (int)ms) > 0 && PQconsumeInput(c) == 1)
		(void)webhook_drain(c);
}

/* How long to sleep after a round that claimed `claimed`. */
static long long webhook_sleep_ms(PGconn *c, int claimed)
{
	long long due_ms = 0;
	bool any = false;

	if (claimed < 0 || db_webhook_next_due(c, &due_ms, &any) != ERR_OK || !any)
		return WEBHOOK_IDLE_MS;
	if (due_ms <= 0)
		return WEBHOOK_BUSY_MS;
	return due_ms < WEBHOOK_IDLE_MS ? due_ms : WEBHOOK_IDLE_MS;
}

static void *webhook_loop(void *arg)
{
	struct webhook_round *r = calloc(1, sizeof *r);
	int listening_pid = 0;

	(void)arg;
	while (r != NULL && !atomic_load(&webhook_stopping)) {
		PGconn *c = webhook_listen(&listening_pid);
		int claimed = -1;

		for (int i = 0; c != NULL && i < WEBHOOK_ROUNDS && !atomic_load(&webhook_stopping);
		     i++)
			if ((claimed = webhook_round(r)) <= 0)
				break;
		if (claimed > 0) /* more may be due right away */
			continue;
		webhook_wait(c, c != NULL ? webhook_sleep_ms(c, claimed) : WEBHOOK_IDLE_MS);
	}
	if (r == NULL)
		LOG_BUG("no memory for the webhook thread");
	free(r);
	db_close();
	return NULL;
}

int webhook_start(const struct bulletin_env *env)
{
	webhook_env = env;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	atomic_store(&webhook_stopping, false);
	if (pthread_create(&webhook_thread, NULL, webhook_loop, NULL) != 0) {
		curl_global_cleanup();
		return -1;
	}
	webhook_running = true;
	return 0;
}

void webhook_stop(void)
{
	if (!webhook_running)
		return;
	atomic_store(&webhook_stopping, true);
	pthread_join(webhook_thread, NULL);
	webhook_running = false;
	curl_global_cleanup();
}

/* ---------------------------------------------------------------- coordinators */

static const char *const webhook_states[] = {"pending", "delivered", "dead", NULL};

/* A delivery id as the API names it: a positive decimal. */
static bool webhook_id(const char *s, long long *id)
{
	char *end = NULL;

	if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 18)
		return false;
	*id = strtoll(s, &end, 10);
	return *end == '\0' && *id > 0;
}

static enum err_code webhook_bad(char *detail, size_t len, const char *what)
{
	snprintf(detail, len, "%s", what);
	return ERR_BAD_QUERY;
}

/* Cursor payload: "deliveries v1|<state or ->|<subscription or ->|<last id>". */
static void webhook_cursor_prefix(const struct webhook_query *q, char *out, size_t len)
{
	snprintf(out, len, "deliveries v1|%s|%s|", q->state != NULL ? q->state : "-",
	         q->subscription != NULL ? q->subscription : "-");
}

static enum err_code webhook_cursor_in(const struct signer_key *key, const struct webhook_query *q,
                                       long long *before)
{
	char payload[256], want[160];
	uint8_t k[32];
	int rc;

	*before = 0;
	if (q->cursor == NULL)
		return ERR_OK;
	cursor_key(key, k);
	rc = cursor_decode(k, q->cursor, payload, sizeof payload);
	sodium_memzero(k, sizeof k);
	webhook_cursor_prefix(q, want, sizeof want);
	if (rc != 0 || strncmp(payload, want, strlen(want)) != 0 ||
	    !webhook_id(payload + strlen(want), before))
		return ERR_BAD_QUERY;
	return ERR_OK;
}

static json_t *webhook_cursor_out(const struct signer_key *key, const struct webhook_query *q,
                                  long long last)
{
	char payload[256], text[CURSOR_MAX_TEXT];
	uint8_t k[32];
	int rc;

	webhook_cursor_prefix(q, payload, sizeof payload);
	snprintf(payload + strlen(payload), sizeof payload - strlen(payload), "%lld", last);
	cursor_key(key, k);
	rc = cursor_encode(k, payload, text, sizeof text);
	sodium_memzero(k, sizeof k);
	return rc == 0 ? json_string(text) : NULL;
}

static enum err_code webhook_query_check(const struct signer_key *key,
                                         const struct webhook_query *q,
                                         struct db_delivery_query *dq, char *detail, size_t len)
{
	char *end = NULL;
	long limit = WEBHOOK_LIMIT_DEFAULT;

	if (q->state != NULL && report_vocab_index(webhook_states, q->state) < 0)
		return webhook_bad(detail, len, "state: pending, delivered or dead");
	if (q->subscription != NULL && !uuid_parse(q->subscription, NULL))
		return webhook_bad(detail, len, "subscription: a subscription id (uuid)");
	if (q->limit != NULL && ((limit = strtol(q->limit, &end, 10)) < 1 ||
	                         limit > WEBHOOK_LIMIT_MAX || end == q->limit || *end != '\0'))
		return webhook_bad(detail, len, "limit: a whole number from 1 to 100");
	*dq = (struct db_delivery_query){q->state, q->subscription, 0, (int)limit};
	if (webhook_cursor_in(key, q, &dq->before) != ERR_OK)
		return webhook_bad(detail, len, "cursor: not a cursor of this query");
	return ERR_OK;
}

enum err_code webhook_deliveries(const struct signer_key *key, const struct webhook_query *q,
                                 json_t **out, char *detail, size_t detail_len)
{
	struct db_delivery_query dq;
	long long last = 0;
	json_t *rows = NULL, *next;
	PGconn *c;
	enum err_code rc = webhook_query_check(key, q, &dq, detail, detail_len);

	*out = NULL;
	if (rc != ERR_OK)
		return rc;
	if ((c = db_conn()) == NULL)
		return ERR_UNAVAILABLE;
	rc = db_delivery_list(c, &dq, &rows, &last);
	if (rc != ERR_OK)
		return rc;
	next = json_array_size(rows) == (size_t)dq.limit ? webhook_cursor_out(key, q, last)
	                                                 : json_null();
	*out = json_pack("{s:o, s:o*}", "deliveries", rows, "next_cursor", next);
	return *out != NULL ? ERR_OK : ERR_INTERNAL;
}

enum err_code webhook_delivery(const char *id, json_t **out)
{
	long long n;
	PGconn *c;

	*out = NULL;
	if (!webhook_id(id, &n))
		return ERR_NOT_FOUND;
	if ((c = db_conn()) == NULL)
		return ERR_UNAVAILABLE;
	return db_delivery_get(c, n, out);
}

struct webhook_replay_tx {
	long long id;
	const char *id_text, *actor, *actor_org;
	char *detail;
	size_t detail_len;
};

static enum err_code webhook_replay_tx(PGconn *c, void *ctx)
{
	struct webhook_replay_tx *t = ctx;
	char state[16] = "", unusable[128] = "";
	json_t *facts = NULL;
	enum err_code rc = db_delivery_lock(c, t->id, state, unusable, &facts);

	if (rc == ERR_OK && strcmp(state, "dead") != 0) {
		snprintf(t->detail, t->detail_len,
		         "only a dead delivery can be replayed; this one is %s", state);
		rc = ERR_CONFLICT;
	}
	if (rc == ERR_OK && unusable[0] != '\0') {
		snprintf(t->detail, t->detail_len, "cannot be sent: %s", unusable);
		rc = ERR_CONFLICT;
	}
	if (rc == ERR_OK)
		rc = db_delivery_replay(c, t->id);
	if (rc == ERR_OK)
		rc = db_webhook_notify(c, t->id_text);
	if (rc == ERR_OK && t->actor_org != NULL)
		json_object_set_new(facts, "by_org", json_string(t->actor_org));
	if (rc == ERR_OK) /* last: the audit lock is held until COMMIT */
		rc = db_audit_append(c, t->actor, "delivery.replayed", t->id_text, facts);
	json_decref(facts);
	return rc;
}

enum err_code webhook_replay(const char *id, const char *actor, const char *actor_org, json_t **out,
                             char *detail, size_t detail_len)
{
	struct webhook_replay_tx t = {0, id, actor, actor_org, detail, detail_len};
	enum err_code rc;

	*out = NULL;
	if (!webhook_id(id, &t.id))
		return ERR_NOT_FOUND;
	rc = db_tx(webhook_replay_tx, &t, false);
	return rc == ERR_OK ? webhook_delivery(id, out) : rc;
}
