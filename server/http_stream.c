/*
 * http_stream — Server-Sent Events on suspended libmicrohttpd connections
 * (see http_stream.h for the shape and the bounds).
 *
 * Why suspend/resume: a stream is idle nearly all of its life. Blocking a
 * thread per stream would let a few hundred subscribers take every HTTP
 * thread; returning "no data yet" from the body callback makes MHD spin.
 * A suspended connection costs a socket and a small struct, and nothing
 * runs for it until the listener resumes it.
 *
 * The one rule that keeps this safe: MHD_resume_connection only on a
 * connection that is suspended, exactly once. `suspended` below says so,
 * under http_stream_lock; whoever flips it to false owns the resume, and
 * calls it after unlocking (so no MHD lock is ever taken under ours). A
 * callback that suspends and then finds a wake-up pending resumes itself.
 * A suspended connection cannot finish, so a stream being resumed is
 * never freed under the resumer's feet.
 *
 * Both kinds of stream (stream.h) ride the same slots, listener and
 * heartbeats; a notification wakes only the streams that wait for its
 * channel (a burst of audit entries does not make every subscriber stream
 * re-read the feed), a heartbeat wakes them all.
 *
 * Must never: resume a connection that is not suspended, leave one
 * suspended at shutdown, or query the database from the listener for a
 * stream.
 */
#include "http_stream.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"

#define HTTP_STREAM_DRAIN_S 5 /* at shutdown, how long streams get to end */
#define HTTP_STREAM_BLOCK   (16 * 1024)
#define HTTP_STREAM_POLL_MS 1000

struct http_stream {
	struct http_stream *prev, *next; /* the registry, under http_stream_lock */
	struct MHD_Connection *conn;
	struct stream *src;
	unsigned wakes; /* the notifications it waits for (stream_wakes), fixed */
	/* only the connection's callback touches these */
	struct stream_text out;
	size_t sent;
	bool ending;
	/* under http_stream_lock */
	bool wake;      /* something may be new: read the feed */
	bool beat;      /* heartbeat due */
	bool suspended; /* parked by its callback; the one who clears this resumes it */
};

static pthread_mutex_t http_stream_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t http_stream_drained = PTHREAD_COND_INITIALIZER;
static struct http_stream *http_stream_list;
static unsigned http_stream_count; /* reservations and live streams */
static bool http_stream_accepting;
static atomic_bool http_stream_stopping;

static unsigned http_stream_max; /* from the configuration, at start */
static unsigned http_stream_heartbeat_s;
static bool http_stream_started;
static pthread_t http_stream_thread;
static int http_stream_pipe[2] = {-1, -1}; /* wakes the listener at shutdown */
/* scratch of the one thread that wakes streams (the listener, then stop) */
static struct MHD_Connection **http_stream_resumes;

/*
 * Mark the streams that wait for one of the notifications in `wakes`
 * (STREAM_WAKE_* bits), or every stream with a heartbeat when beat; resume
 * the parked ones among them.
 */
static void http_stream_wake(unsigned wakes, bool beat)
{
	size_t n = 0;

	pthread_mutex_lock(&http_stream_lock);
	for (struct http_stream *s = http_stream_list; s != NULL; s = s->next) {
		if (!beat && (s->wakes & wakes) == 0)
			continue;
		s->wake = true;
		s->beat = s->beat || beat;
		if (s->suspended && n < http_stream_max) {
			s->suspended = false;
			http_stream_resumes[n++] = s->conn;
		}
	}
	pthread_mutex_unlock(&http_stream_lock);
	for (size_t i = 0; i < n; i++)
		MHD_resume_connection(http_stream_resumes[i]);
}

/* With nothing left to send: read what is new, or a heartbeat, or decide to end. */
static void http_stream_fill(struct http_stream *s)
{
	bool fetch, beat, more = false;
	enum err_code rc = ERR_OK;

	pthread_mutex_lock(&http_stream_lock);
	fetch = s->wake || s->beat;
	beat = s->beat;
	s->wake = s->beat = false;
	pthread_mutex_unlock(&http_stream_lock);
	if (atomic_load(&http_stream_stopping)) {
		s->ending = true;
		return;
	}
	if (fetch)
		rc = stream_next(s->src, &s->out, &more);
	if (rc != ERR_OK && rc != ERR_UNAVAILABLE) {
		log_emit(LOG_INFO, "stream ended", json_pack("{s:s}", "reason", problem_slug(rc)));
		s->ending = true;
		return;
	}
	if (more) {
		pthread_mutex_lock(&http_stream_lock);
		s->wake = true;
		pthread_mutex_unlock(&http_stream_lock);
	}
	if (beat && s->out.len == 0 && stream_text_heartbeat(&s->out) != 0)
		s->ending = true;
}

/* MHD's body callback, in the HTTP thread that owns the connection. */
static ssize_t http_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = cls;
	bool park;

	(void)pos;
	if (s->sent == s->out.len && !s->ending)
		http_stream_fill(s);
	if (s->sent < s->out.len) {
		size_t n = s->out.len - s->sent < max ? s->out.len - s->sent : max;
		memcpy(buf, s->out.p + s->sent, n);
		s->sent += n;
		if (s->sent == s->out.len)
			s->sent = s->out.len = 0;
		return (ssize_t)n;
	}
	if (s->ending)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* nothing to say: park until the listener (or stop) wakes us */
	MHD_suspend_connection(s->conn);
	pthread_mutex_lock(&http_stream_lock);
	park = !s->wake && !s->beat && !atomic_load(&http_stream_stopping);
	s->suspended = park;
	pthread_mutex_unlock(&http_stream_lock);
	if (!park) /* a wake-up came in between: ours to resume */
		MHD_resume_connection(s->conn);
	return 0;
}

/* MHD frees the response: the stream is over (its connection is done with it). */
static void http_stream_free(void *cls)
{
	struct http_stream *s = cls;

	pthread_mutex_lock(&http_stream_lock);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		http_stream_list = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	http_stream_count--;
	if (http_stream_count == 0)
		pthread_cond_broadcast(&http_stream_drained);
	pthread_mutex_unlock(&http_stream_lock);
	stream_free(s->src);
	stream_text_free(&s->out);
	free(s);
}

enum err_code http_stream_reserve(char *detail, size_t detail_len)
{
	enum err_code rc = ERR_OK;

	pthread_mutex_lock(&http_stream_lock);
	if (!http_stream_accepting) {
		snprintf(detail, detail_len, "the server is stopping; reconnect shortly");
		rc = ERR_UNAVAILABLE;
	} else if (http_stream_count >= http_stream_max) {
		snprintf(detail, detail_len,
		         "this server serves at most %u streams at once; retry later",
		         http_stream_max);
		rc = ERR_UNAVAILABLE;
	} else {
		http_stream_count++;
	}
	pthread_mutex_unlock(&http_stream_lock);
	return rc;
}

void http_stream_release(void)
{
	pthread_mutex_lock(&http_stream_lock);
	http_stream_count--;
	if (http_stream_count == 0)
		pthread_cond_broadcast(&http_stream_drained);
	pthread_mutex_unlock(&http_stream_lock);
}

enum err_code http_stream_response(struct MHD_Connection *conn, struct stream *src,
                                   struct stream_text *first, struct MHD_Response **out)
{
	struct http_stream *s = calloc(1, sizeof *s);
	struct MHD_Response *r = NULL;

	*out = NULL;
	if (s != NULL)
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK,
		                                      http_stream_read, s, http_stream_free);
	if (r == NULL) {
		free(s);
		stream_free(src);
		stream_text_free(first);
		http_stream_release();
		return ERR_INTERNAL;
	}
	s->conn = conn;
	s->src = src;
	s->wakes = stream_wakes(src);
	s->out = *first;
	*first = (struct stream_text){0};
	s->wake = true; /* catch what was published while the stream was being opened */
	pthread_mutex_lock(&http_stream_lock);
	s->next = http_stream_list;
	if (http_stream_list != NULL)
		http_stream_list->prev = s;
	http_stream_list = s;
	pthread_mutex_unlock(&http_stream_lock);
	/* proxies (nginx) must pass events on as they come */
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	*out = r;
	return ERR_OK;
}

/* The listener's connection, LISTENing (again after a reconnect: *fresh). */
static PGconn *http_stream_listen_conn(int *pid, bool *fresh)
{
	PGconn *c = db_conn();

	*fresh = false;
	if (c == NULL)
		return NULL;
	if (PQbackendPID(c) != *pid) {
		if (db_script(c, "LISTEN isacd_bulletins; LISTEN isacd_audit") != ERR_OK)
			return NULL;
		*pid = PQbackendPID(c);
		*fresh = true;
	}
	return c;
}

static long long http_stream_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for notifications (or the stop pipe) until the next heartbeat is
 * due, at most 1 s. Returns the STREAM_WAKE_* bits of the channels notified.
 */
static unsigned http_stream_wait(PGconn *c, long long next_beat_ms)
{
	struct pollfd p[2] = {{.fd = http_stream_pipe[0], .events = POLLIN},
	                      {.fd = c != NULL ? PQsocket(c) : -1, .events = POLLIN}};
	long long wait_ms = next_beat_ms - http_stream_now_ms();
	unsigned notified = 0;
	PGnotify *n;

	if (wait_ms > HTTP_STREAM_POLL_MS)
		wait_ms = HTTP_STREAM_POLL_MS;
	if (wait_ms < 0)
		wait_ms = 0;
	if (poll(p, 2, (int)wait_ms) > 0 && p[1].revents != 0 && PQconsumeInput(c) == 1)
		while ((n = PQnotifies(c)) != NULL) {
			notified |= strcmp(n->relname, "isacd_audit") == 0 ? STREAM_WAKE_AUDIT
			                                                   : STREAM_WAKE_BULLETINS;
			PQfreemem(n);
		}
	return notified;
}

static void *http_stream_listen(void *arg)
{
	long long next_beat = http_stream_now_ms() + (long long)http_stream_heartbeat_s * 1000;
	int pid = 0;

	(void)arg;
	while (!atomic_load(&http_stream_stopping)) {
		bool fresh;
		PGconn *c = http_stream_listen_conn(&pid, &fresh);
		unsigned wakes = http_stream_wait(c, next_beat);

		/* after a reconnect, notifications may have been missed: look anyway */
		if (fresh)
			wakes = STREAM_WAKE_BULLETINS | STREAM_WAKE_AUDIT;
		if (atomic_load(&http_stream_stopping))
			break;
		if (http_stream_now_ms() >= next_beat) {
			http_stream_wake(0, true);
			next_beat =
			        http_stream_now_ms() + (long long)http_stream_heartbeat_s * 1000;
		} else if (wakes != 0) {
			http_stream_wake(wakes, false);
		}
	}
	db_close();
	return NULL;
}

int http_stream_start(const struct config *cfg)
{
	http_stream_max = cfg->max_streams;
	http_stream_heartbeat_s = cfg->stream_heartbeat_s;
	http_stream_resumes = calloc(http_stream_max, sizeof *http_stream_resumes);
	if (http_stream_resumes == NULL || pipe2(http_stream_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_msg(LOG_ERROR, "stream listener: out of resources");
		free(http_stream_resumes);
		http_stream_resumes = NULL;
		return -1;
	}
	atomic_store(&http_stream_stopping, false);
	if (pthread_create(&http_stream_thread, NULL, http_stream_listen, NULL) != 0) {
		log_msg(LOG_ERROR, "stream listener: cannot start its thread");
		close(http_stream_pipe[0]);
		close(http_stream_pipe[1]);
		free(http_stream_resumes);
		http_stream_resumes = NULL;
		return -1;
	}
	http_stream_started = true;
	pthread_mutex_lock(&http_stream_lock);
	http_stream_accepting = true;
	pthread_mutex_unlock(&http_stream_lock);
	log_emit(LOG_INFO, "streams",
	         json_pack("{s:i, s:i}", "max_streams", (int)http_stream_max, "heartbeat_s",
	                   (int)http_stream_heartbeat_s));
	return 0;
}

void http_stream_stop(void)
{
	struct timespec deadline;
	unsigned left;

	if (!http_stream_started)
		return;
	pthread_mutex_lock(&http_stream_lock);
	http_stream_accepting = false;
	pthread_mutex_unlock(&http_stream_lock);
	atomic_store(&http_stream_stopping, true);
	(void)!write(http_stream_pipe[1], "x", 1);
	pthread_join(http_stream_thread, NULL);
	/* the listener is gone: this thread is now the only one that wakes */
	http_stream_wake(STREAM_WAKE_BULLETINS | STREAM_WAKE_AUDIT, false);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += HTTP_STREAM_DRAIN_S;
	pthread_mutex_lock(&http_stream_lock);
	while (http_stream_count > 0 &&
	       pthread_cond_timedwait(&http_stream_drained, &http_stream_lock, &deadline) == 0)
		;
	left = http_stream_count;
	pthread_mutex_unlock(&http_stream_lock);
	if (left > 0)
		log_msg(LOG_WARN, "%u stream(s) still sending at shutdown; closed with the server",
		        left);
	close(http_stream_pipe[0]);
	close(http_stream_pipe[1]);
	http_stream_pipe[0] = http_stream_pipe[1] = -1;
	free(http_stream_resumes);
	http_stream_resumes = NULL;
	http_stream_started = false;
}
