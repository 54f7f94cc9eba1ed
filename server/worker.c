/*
 * worker — one background thread with its own database connection.
 *
 * It LISTENs on "isacd_outbox" (ingest NOTIFYs in its transaction) and also
 * polls once a second, so a missed notification delays a job by a second at
 * most. Each job runs in one transaction with its claim: the bulletin
 * version, its audit entry and the job's completion commit together. A job
 * that fails is retried later with exponential backoff; none is dropped.
 * It shares nothing mutable with the HTTP threads except the atomic stop
 * flag.
 */
#include "worker.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_bulletin.h"
#include "db_report.h"
#include "log.h"

#define WORKER_MAINTENANCE_S 60
#define WORKER_BATCH         100 /* jobs per wake-up before checking the stop flag */
#define WORKER_MAX_BACKOFF_S 300

static pthread_t worker_thread;
static atomic_bool worker_stopping;
static bool worker_running;
static const struct bulletin_env *worker_env;
static char worker_name[64];
static int worker_wake_fd = -1; /* eventfd: this process committed outbox jobs */

struct worker_job {
	long long id;
	char subject[UUID_STR_LEN + 1];
	int attempts_hint;
};

static enum err_code worker_job_tx(PGconn *c, void *ctx)
{
	struct worker_job *job = ctx;
	enum err_code rc;

	job->id = 0;
	rc = db_outbox_claim(c, "anonymize", worker_name, &job->id, job->subject);
	if (rc != ERR_OK)
		return rc; /* ERR_NOT_FOUND: nothing due */
	rc = bulletin_from_report(c, worker_env, job->subject);
	if (rc == ERR_OK)
		rc = db_outbox_done(c, job->id);
	return rc;
}

/* Do one job; returns false when there was none (or the database is away). */
static bool worker_one(void)
{
	struct worker_job job = {0};
	enum err_code rc = db_tx(worker_job_tx, &job, false);
	PGconn *c;

	if (rc == ERR_OK)
		return true;
	if (rc == ERR_NOT_FOUND && job.id == 0)
		return false;
	if (job.id == 0 || (c = db_conn()) == NULL)
		return false;
	/* the job's transaction rolled back: count the attempt and back off */
	log_emit(LOG_ERROR, "outbox job failed; will retry",
	         json_pack("{s:I, s:s, s:s}", "job", (json_int_t)job.id, "report_id", job.subject,
	                   "error", problem_slug(rc)));
	(void)db_outbox_retry(c, job.id, problem_slug(rc), WORKER_MAX_BACKOFF_S);
	return true;
}

/* LISTEN on this thread's connection (again after a reconnect). */
static PGconn *worker_listen(int *listening_pid)
{
	PGconn *c = db_conn();

	if (c == NULL)
		return NULL;
	if (PQbackendPID(c) != *listening_pid) {
		if (db_script(c, "LISTEN isacd_outbox") != ERR_OK)
			return NULL;
		*listening_pid = PQbackendPID(c);
	}
	return c;
}

void worker_wake(void)
{
	uint64_t one = 1;

	if (worker_wake_fd >= 0 && write(worker_wake_fd, &one, sizeof one) < 0) {
		/* the counter is saturated: a wake-up is pending anyway */
	}
}

/* Wait up to one second for a notification or a local wake-up; drain what arrived. */
static void worker_wait(PGconn *c)
{
	struct pollfd p[2] = {{.fd = c != NULL ? PQsocket(c) : -1, .events = POLLIN},
	                      {.fd = worker_wake_fd, .events = POLLIN}};
	PGnotify *n;
	uint64_t count;

	if (poll(p, 2, 1000) <= 0)
		return;
	if ((p[1].revents & POLLIN) != 0 && read(worker_wake_fd, &count, sizeof count) < 0) {
		/* nothing to drain */
	}
	if ((p[0].revents & POLLIN) != 0 && PQconsumeInput(c) == 1)
		while ((n = PQnotifies(c)) != NULL)
			PQfreemem(n);
}

static void *worker_loop(void *arg)
{
	time_t last_maintenance = 0;
	int listening_pid = 0;

	(void)arg;
	while (!atomic_load(&worker_stopping)) {
		PGconn *c = worker_listen(&listening_pid);

		for (int i = 0; c != NULL && i < WORKER_BATCH && !atomic_load(&worker_stopping);
		     i++)
			if (!worker_one())
				break;
		if (time(NULL) - last_maintenance >= WORKER_MAINTENANCE_S && c != NULL) {
			/* a signature older than the window fails the created check anyway */
			if (db_seen_signature_purge(c, 2 * worker_env->cfg->skew_s + 60) != ERR_OK)
				log_msg(LOG_WARN, "replay-guard purge failed; will retry");
			last_maintenance = time(NULL);
		}
		worker_wait(c);
	}
	db_close();
	return NULL;
}

int worker_start(const struct bulletin_env *env)
{
	char host[32] = "";

	worker_env = env;
	gethostname(host, sizeof host - 1);
	snprintf(worker_name, sizeof worker_name, "%s:%d", host, (int)getpid());
	atomic_store(&worker_stopping, false);
	if (worker_wake_fd < 0)
		worker_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (worker_wake_fd < 0)
		return -1;
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
