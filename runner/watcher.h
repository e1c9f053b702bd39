/*
 * watcher.h — the runner's second connection. While an attempt's statement
 * runs, it samples who blocks the runner's backend (pg_blocking_pids and
 * pg_stat_activity) for the report, and who queues behind it for the
 * lock-queue watchdog.
 */
#ifndef MIGSAFE_WATCHER_H
#define MIGSAFE_WATCHER_H

#include <stdbool.h>
#include <stdint.h>

#include "blocker.h"
#include "options.h"
#include "pgsql.h"

typedef struct Watcher {
	PgConn *conn;
	int target_pid;          /* the runner's backend */
	bool redact;             /* queries as normalized text (--redact-queries) */
	int max_queued;          /* watchdog: more queued sessions than this cancel */
	int64_t max_queue_wait_ms;   /* watchdog: or the oldest waiting this long */
	BlockerList seen;        /* blockers of the current attempt, one per pid, latest sample */
	int queued;              /* sessions queued behind the runner, last sample */
	int64_t oldest_wait_ms;  /* the longest of their waits, last sample */
	int max_seen_queued;     /* the most queued at once during the attempt */
} Watcher;

/* Opens the watcher's connection; NULL (logged) on failure. */
Watcher *watcher_new(const char *conninfo, const Options *opts);
void watcher_free(Watcher *w);

/* Starts watching a new attempt of the backend target_pid. */
void watcher_begin(Watcher *w, int target_pid);

/*
 * Takes one sample. Sets *fire when the watchdog's limits are passed (the
 * caller cancels the runner's statement). False when the watcher's own
 * queries failed (logged once; the attempt goes on unwatched).
 */
bool watcher_sample(Watcher *w, bool *fire);

/* Why the watchdog fired, for the report and progress ("6 sessions queued"). */
char *watcher_reason(const Watcher *w);


#endif
