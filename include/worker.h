/*
 * worker — the background thread of `isacd serve`: periodic maintenance
 * now (purging expired replay-guard rows); the outbox consumers join it.
 */
#ifndef ISACD_WORKER_H
#define ISACD_WORKER_H

#include "config.h"

/* Start the worker thread. Returns 0, or -1 when the thread cannot start. */
int worker_start(const struct config *cfg);

/* Ask the worker to stop and join it (bounded by its sleep, ≤ 1 s). */
void worker_stop(void);

#endif
