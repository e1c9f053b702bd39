/*
 * retry.c — the retry schedule: escalating lock_timeout, exponential
 * backoff with jitter, bounded by attempts and by time.
 */
#include "retry.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "defaults.h"

void
retry_schedule_init(RetrySchedule *s, const Options *opts)
{
	s->lock_timeout_ms = opts->lock_timeout_ms > 0 ? opts->lock_timeout_ms : DEFAULT_LOCK_TIMEOUT_MS;
	s->lock_timeout_growth = DEFAULT_LOCK_TIMEOUT_GROWTH;
	s->lock_timeout_max_ms = DEFAULT_LOCK_TIMEOUT_MAX_MS;
	s->statement_timeout_ms = opts->statement_timeout_ms;
	s->sleep_ms = DEFAULT_RETRY_SLEEP_MS;
	s->sleep_max_ms = DEFAULT_RETRY_SLEEP_MAX_MS;
	s->jitter = DEFAULT_RETRY_JITTER;
	s->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 1;
	s->max_wait_ms = opts->max_wait_ms;
}

int64_t
retry_lock_timeout(const RetrySchedule *s, int n)
{
	double t = (double) s->lock_timeout_ms;
	int64_t cap = s->lock_timeout_max_ms > s->lock_timeout_ms ? s->lock_timeout_max_ms :
		s->lock_timeout_ms;
	int64_t ms;

	for (int i = 1; i < n && t < (double) cap; i++)
		t *= s->lock_timeout_growth;
	ms = t > (double) cap ? cap : (int64_t) t;
	/* A lock wait must end before statement_timeout could fire. */
	if (s->statement_timeout_ms > 0 && ms >= s->statement_timeout_ms)
		ms = s->statement_timeout_ms > 1 ? s->statement_timeout_ms / 2 : 1;
	return ms > 0 ? ms : 1;
}

int64_t
retry_sleep(const RetrySchedule *s, int n, double draw)
{
	double base = (double) s->sleep_ms;
	double lo, hi;

	for (int i = 1; i < n && base < (double) s->sleep_max_ms; i++)
		base *= 2;
	if (base > (double) s->sleep_max_ms)
		base = (double) s->sleep_max_ms;
	lo = base * (1 - s->jitter);
	hi = base * (1 + s->jitter);
	return (int64_t) (lo + (hi - lo) * draw);
}

bool
retry_may_attempt(const RetrySchedule *s, int n, int64_t spent_ms)
{
	if (n > s->max_attempts)
		return false;
	return n == 1 || spent_ms < s->max_wait_ms;
}

double
retry_random(void)
{
	static bool seeded = false;

	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		srand48((long) ts.tv_nsec ^ (long) getpid());
		seeded = true;
	}
	return drand48();
}
