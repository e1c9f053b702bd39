/*
 * retry.h — the retry schedule of a migration: which lock_timeout each
 * attempt gets, how long to sleep between attempts, and when to give up.
 *
 * Pure arithmetic (the random draw for jitter is passed in), so the unit
 * tests can check the schedule without a clock or a server.
 */
#ifndef MIGSAFE_RETRY_H
#define MIGSAFE_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"

typedef struct RetrySchedule {
	int64_t lock_timeout_ms;      /* first attempt */
	double lock_timeout_growth;   /* multiplier per attempt */
	int64_t lock_timeout_max_ms;  /* escalation stops here */
	int64_t statement_timeout_ms; /* lock_timeout stays below it */
	int64_t sleep_ms;             /* sleep after the first failed attempt */
	int64_t sleep_max_ms;
	double jitter;                /* fraction: sleep in [s*(1-j), s*(1+j)] */
	int max_attempts;
	int64_t max_wait_ms;          /* lock waits plus sleeps, per migration */
} RetrySchedule;

/* The schedule the options ask for, the rest from defaults.h. */
void retry_schedule_init(RetrySchedule *s, const Options *opts);

/*
 * lock_timeout of attempt n (1-based): the first one's, multiplied by the
 * growth per attempt, capped by the maximum (or the first when that is
 * larger) and kept below statement_timeout.
 */
int64_t retry_lock_timeout(const RetrySchedule *s, int n);

/*
 * Sleep after failed attempt n: doubles from sleep_ms, capped, with jitter
 * drawn from `draw` in [0, 1).
 */
int64_t retry_sleep(const RetrySchedule *s, int n, double draw);

/*
 * Whether attempt n (1-based) may start when `spent_ms` of the budget is
 * gone: within max_attempts and max_wait.
 */
bool retry_may_attempt(const RetrySchedule *s, int n, int64_t spent_ms);

/* A uniform draw in [0, 1) for the jitter, seeded once per process. */
double retry_random(void);

#endif
