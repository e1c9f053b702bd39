/*
 * test_retry.c — the retry schedule: escalation, caps, backoff, jitter, budget.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "defaults.h"
#include "options.h"
#include "retry.h"

static void
schedule_from(RetrySchedule *s, int64_t lock_timeout_ms, int64_t statement_timeout_ms)
{
	Options opts;

	options_init(&opts, CMD_APPLY, "apply");
	opts.lock_timeout_ms = lock_timeout_ms;
	opts.statement_timeout_ms = statement_timeout_ms;
	retry_schedule_init(s, &opts);
	options_free(&opts);
}

/* lock_timeout starts at the option, grows by the growth factor, stops at the cap. */
static void
test_lock_timeout_escalates_to_cap(void **state)
{
	RetrySchedule s;
	int64_t prev = 0;

	(void) state;
	schedule_from(&s, 100, 60000);
	assert_int_equal(retry_lock_timeout(&s, 1), 100);
	assert_int_equal(retry_lock_timeout(&s, 2), 150);
	assert_int_equal(retry_lock_timeout(&s, 3), 225);
	for (int n = 1; n <= 30; n++) {
		int64_t t = retry_lock_timeout(&s, n);

		assert_true(t >= prev);
		assert_true(t <= DEFAULT_LOCK_TIMEOUT_MAX_MS);
		prev = t;
	}
	assert_int_equal(retry_lock_timeout(&s, 30), DEFAULT_LOCK_TIMEOUT_MAX_MS);
}

/* A first lock_timeout above the cap is kept, never lowered. */
static void
test_lock_timeout_above_cap_is_kept(void **state)
{
	RetrySchedule s;

	(void) state;
	schedule_from(&s, 20000, 60000);
	assert_int_equal(retry_lock_timeout(&s, 1), 20000);
	assert_int_equal(retry_lock_timeout(&s, 5), 20000);
}

/* lock_timeout always stays below statement_timeout. */
static void
test_lock_timeout_below_statement_timeout(void **state)
{
	RetrySchedule s;

	(void) state;
	schedule_from(&s, 5000, 3000);
	assert_true(retry_lock_timeout(&s, 1) < 3000);
	assert_true(retry_lock_timeout(&s, 10) < 3000);
	schedule_from(&s, 100, 1000);
	assert_int_equal(retry_lock_timeout(&s, 1), 100);
	assert_true(retry_lock_timeout(&s, 20) < 1000);
}

/* Sleeps double per attempt, stay within the jitter band, and are capped. */
static void
test_sleep_backoff_and_jitter(void **state)
{
	RetrySchedule s;
	double lo = 1 - DEFAULT_RETRY_JITTER, hi = 1 + DEFAULT_RETRY_JITTER;

	(void) state;
	schedule_from(&s, 100, 60000);
	for (int n = 1; n <= 6; n++) {
		double base = (double) DEFAULT_RETRY_SLEEP_MS * (double) (1 << (n - 1));

		if (base > DEFAULT_RETRY_SLEEP_MAX_MS)
			base = DEFAULT_RETRY_SLEEP_MAX_MS;
		assert_int_equal(retry_sleep(&s, n, 0.0), (int64_t) (base * lo));
		assert_true(retry_sleep(&s, n, 0.999999) <= (int64_t) (base * hi));
		assert_true(retry_sleep(&s, n, 0.5) == (int64_t) base);
	}
	assert_true(retry_sleep(&s, 40, 0.999999) <= (int64_t) (DEFAULT_RETRY_SLEEP_MAX_MS * hi));
	assert_true(retry_sleep(&s, 40, 0.0) >= (int64_t) (DEFAULT_RETRY_SLEEP_MAX_MS * lo));
}

/* The budget: attempts and waited time. */
static void
test_may_attempt_budget(void **state)
{
	RetrySchedule s;

	(void) state;
	schedule_from(&s, 100, 60000);
	s.max_attempts = 3;
	s.max_wait_ms = 1000;
	assert_true(retry_may_attempt(&s, 1, 5000));   /* the first attempt always runs */
	assert_true(retry_may_attempt(&s, 2, 999));
	assert_false(retry_may_attempt(&s, 2, 1000));
	assert_true(retry_may_attempt(&s, 3, 0));
	assert_false(retry_may_attempt(&s, 4, 0));
}

/* Draws stay in [0, 1). */
static void
test_random_range(void **state)
{
	(void) state;
	for (int i = 0; i < 1000; i++) {
		double d = retry_random();

		assert_true(d >= 0.0 && d < 1.0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_timeout_escalates_to_cap),
		cmocka_unit_test(test_lock_timeout_above_cap_is_kept),
		cmocka_unit_test(test_lock_timeout_below_statement_timeout),
		cmocka_unit_test(test_sleep_backoff_and_jitter),
		cmocka_unit_test(test_may_attempt_budget),
		cmocka_unit_test(test_random_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
