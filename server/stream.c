/*
 * stream — the live streams as Server-Sent Events (see stream.h): a
 * subscriber's feed stream or a coordinator's audit stream.
 *
 * Why one item per page for the feed: an event needs its own id, so that
 * a client that drops mid-batch resumes exactly after the last event it
 * received, and the feed's cursor after a one-item page is exactly that
 * id. One indexed query per event is cheap next to the bundle it carries,
 * and reusing subscriber_feed() means the stream cannot drift from GET
 * /v1/bulletins: one entitlement, one set of filters, one JSON shape, one
 * cursor. The audit log needs none of that: its seq is the id, and one
 * keyset query reads a whole batch.
 *
 * Must never: send an event the feed would not, accept an id it did not
 * issue to this subscriber for this subscription, or skip or repeat an
 * audit entry.
 */
#include "stream.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "db.h"
#include "db_stream.h"
#include "subscriber.h"
#include "uuid.h"

#define STREAM_BATCH_EVENTS 16           /* events per round before the buffer drains */
#define STREAM_BATCH_BYTES  (256 * 1024) /* or fewer, once this much is waiting */
#define STREAM_TEXT_MAX     (64u * 1024 * 1024)
#define STREAM_RETRY_MS     3000 /* the reconnection delay clients are told */

enum stream_kind {
	STREAM_FEED,  /* a subscriber's bulletins */
	STREAM_AUDIT, /* a coordinator's audit entries */
};

struct stream {
	enum stream_kind kind;
	char token_id[UUID_STR_LEN + 1]; /* re-checked every round */
	/* STREAM_FEED */
	const struct signer_key *key;
	char subscriber[UUID_STR_LEN + 1];
	char subscription[UUID_STR_LEN + 1];
	bool filtered;                /* subscription applies */
	char cursor[CURSOR_MAX_TEXT]; /* the feed position after the last event sent */
	/* STREAM_AUDIT */
	long long seq; /* the seq of the last entry sent (or of the head at the start) */
};

static int stream_text_add(struct stream_text *t, const char *s, size_t n)
{
	size_t cap = t->cap != 0 ? t->cap : 4096;
	char *p;

	if (n > STREAM_TEXT_MAX - t->len)
		return -1;
	while (cap < t->len + n + 1)
		cap *= 2;
	if (cap != t->cap) {
		p = realloc(t->p, cap);
		if (p == NULL)
			return -1;
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
	return 0;
}

static int stream_text_str(struct stream_text *t, const char *s)
{
	return stream_text_add(t, s, strlen(s));
}

int stream_text_heartbeat(struct stream_text *t)
{
	return stream_text_str(t, ": keep-alive\n\n");
}

void stream_text_free(struct stream_text *t)
{
	free(t->p);
	*t = (struct stream_text){0};
}

void stream_free(struct stream *s)
{
	free(s);
}

unsigned stream_wakes(const struct stream *s)
{
	return s->kind == STREAM_AUDIT ? STREAM_WAKE_AUDIT : STREAM_WAKE_BULLETINS;
}

/* The opening of every stream: how long clients wait before reconnecting. */
static enum err_code stream_text_retry(struct stream_text *t)
{
	char retry[32];

	snprintf(retry, sizeof retry, "retry: %d\n\n", STREAM_RETRY_MS);
	return stream_text_str(t, retry) == 0 ? ERR_OK : ERR_INTERNAL;
}

/*
 * The feed cursor of position seq. Its payload is the one subscriber.c
 * authenticates ("feed v1|<subscriber>|<subscription or ->|<seq>", keyed
 * with cursor_key): a stream starts at the end of the log, which no feed
 * page names. tests/e2e/test_stream.py checks that ids and feed cursors
 * stay interchangeable.
 */
static int stream_cursor_at(struct stream *s, long long seq)
{
	char payload[160];
	uint8_t k[32];
	int rc;

	snprintf(payload, sizeof payload, "feed v1|%s|%s|%lld", s->subscriber,
	         s->filtered ? s->subscription : "-", seq);
	cursor_key(s->key, k);
	rc = cursor_encode(k, payload, s->cursor, sizeof s->cursor);
	sodium_memzero(k, sizeof k);
	return rc;
}

/* One feed page of one item after s->cursor; appended as an event when there is one. */
static enum err_code stream_one(struct stream *s, struct stream_text *out, bool *got, char *detail,
                                size_t detail_len)
{
	json_t *page = NULL, *item;
	const char *next;
	char *data = NULL;
	enum err_code rc =
	        subscriber_feed(s->key, s->subscriber, s->cursor, "1",
	                        s->filtered ? s->subscription : NULL, &page, detail, detail_len);

	*got = false;
	if (rc != ERR_OK)
		return rc;
	item = json_array_get(json_object_get(page, "bulletins"), 0);
	next = json_string_value(json_object_get(page, "next_cursor"));
	if (item != NULL) {
		data = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER);
		/* compact JSON escapes every control character: the data is one line */
		if (data == NULL || next == NULL || strlen(next) >= sizeof s->cursor ||
		    stream_text_str(out, "id: ") != 0 || stream_text_str(out, next) != 0 ||
		    stream_text_str(out, "\nevent: bulletin\ndata: ") != 0 ||
		    stream_text_str(out, data) != 0 || stream_text_str(out, "\n\n") != 0) {
			rc = ERR_INTERNAL;
		} else {
			memcpy(s->cursor, next, strlen(next) + 1);
			*got = true;
		}
	}
	free(data);
	json_decref(page);
	return rc;
}

static enum err_code stream_batch(struct stream *s, struct stream_text *out, bool *more,
                                  char *detail, size_t detail_len)
{
	bool got = true;
	enum err_code rc = ERR_OK;
	int n;

	for (n = 0; got && rc == ERR_OK && n < STREAM_BATCH_EVENTS && out->len < STREAM_BATCH_BYTES;
	     n++)
		rc = stream_one(s, out, &got, detail, detail_len);
	*more = rc == ERR_OK && got;
	return rc;
}

/* Append one audit entry (an element of db_stream_audit_page) as an event; its id is its seq. */
static int stream_audit_event(struct stream_text *out, const json_t *entry, long long *seq)
{
	char head[64];
	size_t before = out->len;
	json_int_t n = json_integer_value(json_object_get(entry, "seq"));
	char *data = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = -1;

	/* compact JSON escapes every control character: the data is one line */
	if (data != NULL && n > *seq) {
		snprintf(head, sizeof head, "id: %lld\nevent: audit\ndata: ", (long long)n);
		if (stream_text_str(out, head) == 0 && stream_text_str(out, data) == 0 &&
		    stream_text_str(out, "\n\n") == 0)
			rc = 0;
	}
	if (rc == 0) {
		*seq = n;
	} else if (out->p != NULL) { /* no half event on the wire */
		out->len = before;
		out->p[before] = '\0';
	}
	free(data);
	return rc;
}

/* The audit entries after s->seq: one bounded batch. */
static enum err_code stream_audit_batch(struct stream *s, struct stream_text *out, bool *more)
{
	json_t *entries = NULL;
	size_t i = 0, n = 0;
	PGconn *c = db_conn();
	enum err_code rc = c != NULL
	                           ? db_stream_audit_page(c, s->seq, STREAM_BATCH_EVENTS, &entries)
	                           : ERR_UNAVAILABLE;

	if (rc == ERR_OK) {
		n = json_array_size(entries);
		for (i = 0; i < n && out->len < STREAM_BATCH_BYTES && rc == ERR_OK; i++)
			if (stream_audit_event(out, json_array_get(entries, i), &s->seq) != 0)
				rc = ERR_INTERNAL;
	}
	*more = rc == ERR_OK && (i < n || n == STREAM_BATCH_EVENTS);
	json_decref(entries);
	return rc;
}

enum err_code stream_next(struct stream *s, struct stream_text *out, bool *more)
{
	char detail[256];
	PGconn *c = db_conn();
	enum err_code rc = c != NULL ? db_stream_token_live(c, s->token_id) : ERR_UNAVAILABLE;

	*more = false;
	if (rc == ERR_NOT_FOUND)
		return ERR_TOKEN_INVALID;
	if (rc == ERR_OK && s->kind == STREAM_AUDIT)
		rc = stream_audit_batch(s, out, more);
	else if (rc == ERR_OK)
		rc = stream_batch(s, out, more, detail, sizeof detail);
	return rc;
}

static enum err_code stream_start(struct stream *s, const char *last_event_id,
                                  struct stream_text *first, char *detail, size_t detail_len)
{
	bool more;
	long long head = 0;
	PGconn *c = db_conn();
	enum err_code rc = c != NULL ? ERR_OK : ERR_UNAVAILABLE;

	if (rc == ERR_OK && last_event_id != NULL) {
		if (strlen(last_event_id) >= sizeof s->cursor)
			rc = ERR_BAD_QUERY;
		else
			memcpy(s->cursor, last_event_id, strlen(last_event_id) + 1);
	} else if (rc == ERR_OK) {
		rc = db_stream_head(c, &head);
		if (rc == ERR_OK && stream_cursor_at(s, head) != 0)
			rc = ERR_INTERNAL;
	}
	if (rc == ERR_OK)
		rc = stream_text_retry(first);
	/* the first round checks the subscription and the id, before anything is sent */
	if (rc == ERR_OK)
		rc = stream_batch(s, first, &more, detail, detail_len);
	if (rc == ERR_BAD_QUERY && last_event_id != NULL) {
		/* which was it? the subscription, when a fresh position fails too */
		rc = db_stream_head(c, &head);
		if (rc == ERR_OK && stream_cursor_at(s, head) != 0)
			rc = ERR_INTERNAL;
		if (rc == ERR_OK)
			rc = stream_batch(s, first, &more, detail, detail_len);
		if (rc == ERR_OK) {
			snprintf(detail, detail_len,
			         "Last-Event-ID: not an event id this server issued to you on a "
			         "stream with this subscription");
			rc = ERR_BAD_QUERY;
		}
	}
	return rc;
}

enum err_code stream_open(const struct signer_key *key, const char *subscriber,
                          const char *token_id, const char *subscription, const char *last_event_id,
                          struct stream **out, struct stream_text *first, char *detail,
                          size_t detail_len)
{
	struct stream *s = calloc(1, sizeof *s);
	enum err_code rc = s != NULL ? ERR_OK : ERR_INTERNAL;

	*out = NULL;
	if (rc == ERR_OK) {
		s->kind = STREAM_FEED;
		s->key = key;
		snprintf(s->subscriber, sizeof s->subscriber, "%s", subscriber);
		snprintf(s->token_id, sizeof s->token_id, "%s", token_id);
		s->filtered = subscription != NULL;
		if (s->filtered && strlen(subscription) > UUID_STR_LEN) {
			snprintf(detail, detail_len, "subscription: not one of yours");
			rc = ERR_BAD_QUERY;
		} else if (s->filtered) {
			memcpy(s->subscription, subscription, strlen(subscription) + 1);
		}
	}
	if (rc == ERR_OK)
		rc = stream_start(s, last_event_id, first, detail, detail_len);
	if (rc != ERR_OK) {
		stream_free(s);
		stream_text_free(first);
		return rc;
	}
	*out = s;
	return ERR_OK;
}

/* Last-Event-ID of an audit stream: a seq, 1–18 decimal digits ("0": from the first entry). */
static bool stream_audit_position(const char *v, long long *seq)
{
	size_t n = strspn(v, "0123456789");

	if (n == 0 || n > 18 || v[n] != '\0')
		return false;
	*seq = strtoll(v, NULL, 10);
	return true;
}

enum err_code stream_open_audit(const char *token_id, const char *last_event_id,
                                struct stream **out, struct stream_text *first, char *detail,
                                size_t detail_len)
{
	struct stream *s = calloc(1, sizeof *s);
	PGconn *c = db_conn();
	long long head = 0;
	bool more;
	enum err_code rc = s == NULL ? ERR_INTERNAL : c == NULL ? ERR_UNAVAILABLE : ERR_OK;

	*out = NULL;
	if (rc == ERR_OK) {
		s->kind = STREAM_AUDIT;
		snprintf(s->token_id, sizeof s->token_id, "%s", token_id);
		rc = db_stream_audit_head(c, &head);
	}
	if (rc == ERR_OK && last_event_id == NULL) {
		s->seq = head;
	} else if (rc == ERR_OK && !stream_audit_position(last_event_id, &s->seq)) {
		snprintf(detail, detail_len, "Last-Event-ID: not the seq of an audit entry");
		rc = ERR_BAD_QUERY;
	} else if (rc == ERR_OK && s->seq > head) {
		snprintf(detail, detail_len, "Last-Event-ID: beyond the latest audit entry");
		rc = ERR_BAD_QUERY;
	}
	if (rc == ERR_OK)
		rc = stream_text_retry(first);
	if (rc == ERR_OK)
		rc = stream_audit_batch(s, first, &more);
	if (rc != ERR_OK) {
		stream_free(s);
		stream_text_free(first);
		return rc;
	}
	*out = s;
	return ERR_OK;
}
