/*
 * worker — the background thread of `isacd serve`: it consumes the outbox
 * (anonymize each report into its bulletin) and runs periodic maintenance
 * (purging expired replay-guard rows).
 *
 * Several isacd processes may run workers on one database: a job is
 * claimed with FOR UPDATE SKIP LOCKED inside the transaction that does it,
 * so each job is done once, and a crash mid-job simply leaves it for the
 * next claim.
 */
#ifndef ISACD_WORKER_H
#define ISACD_WORKER_H

#include "bulletin.h"

/* Start the worker thread. Returns 0, or -1 when the thread cannot start. */
int worker_start(const struct bulletin_env *env);

/*
 * Tell this process's worker that outbox jobs were committed (call after
 * COMMIT). Cheap and safe from any thread; a no-op before worker_start.
 * Jobs committed by other processes are found by the worker's poll.
 */
void worker_wake(void);

/* Ask the worker to stop and join it (bounded by its wait, ≤ 1 s, and the job at hand). */
void worker_stop(void);

#endif
