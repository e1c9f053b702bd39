/*
 * runlock.h — one runner at a time: a session-level advisory lock on a key
 * derived from the history table's name.
 *
 * Taken by polling pg_try_advisory_lock with backoff, never by a blocking
 * pg_advisory_lock: a session waiting in pg_advisory_lock is a transaction
 * that CREATE INDEX CONCURRENTLY in the runner holding the lock waits for,
 * so the two would deadlock. While it waits it says who holds the lock.
 */
#ifndef MIGSAFE_RUNLOCK_H
#define MIGSAFE_RUNLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "pgsql.h"

typedef enum RunlockResult {
	RUNLOCK_ACQUIRED = 0,
	RUNLOCK_TIMED_OUT,       /* another runner held it for the whole wait: exit 3 */
	RUNLOCK_INTERRUPTED,     /* a signal arrived while waiting */
	RUNLOCK_ERROR            /* database error, logged: exit 4 */
} RunlockResult;

/* The advisory lock's second key for a history table name (first key is fixed). */
int32_t runlock_key(const char *history_table);

/*
 * Takes the lock for history_table on conn, polling for at most wait_ms.
 * *interrupted is checked between polls (a signal handler sets it).
 */
RunlockResult runlock_acquire(PgConn *conn, const char *history_table, int64_t wait_ms,
							  volatile const int *interrupted);

/* Releases it; the session's end releases it too. */
void runlock_release(PgConn *conn, const char *history_table);

#endif
