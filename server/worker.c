/*
 * worker — one background thread with its own database connection.
 *
 * Wakes once a second to see whether it must stop; runs maintenance every
 * minute. It shares nothing mutable with the HTTP threads except the stop
 * flag, which is atomic.
 */
#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "db.h"
#include "db_report.h"
#include "log.h"

#define WORKER_MAINTENANCE_S 60

static pthread_t worker_thread;
static atomic_bool worker_stopping;
static bool worker_running;
static unsigned worker_replay_keep_s;

static void worker_maintenance(void)
{
	PGconn *c = db_conn();

	if (c == NULL)
		return;
	/* a signature older than the window fails the created check anyway */
	if (db_seen_signature_purge(c, worker_replay_keep_s) != ERR_OK)
		log_msg(LOG_WARN, "replay-guard purge failed; will retry");
}

static void *worker_loop(void *arg)
{
	unsigned since = WORKER_MAINTENANCE_S;

	(void)arg;
	while (!atomic_load(&worker_stopping)) {
		struct timespec one = {1, 0};
		if (since >= WORKER_MAINTENANCE_S) {
			worker_maintenance();
			since = 0;
		}
		nanosleep(&one, NULL);
		since++;
	}
	db_close();
	return NULL;
}

int worker_start(const struct config *cfg)
{
	worker_replay_keep_s = 2 * cfg->skew_s + 60;
	atomic_store(&worker_stopping, false);
	if (pthread_create(&worker_thread, NULL, worker_loop, NULL) != 0)
		return -1;
	worker_running = true;
	return 0;
}

void worker_stop(void)
{
	if (!worker_running)
		return;
	atomic_store(&worker_stopping, true);
	pthread_join(worker_thread, NULL);
	worker_running = false;
}
