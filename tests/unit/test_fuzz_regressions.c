/*
 * test_fuzz_regressions.c — every input with which a fuzz target
 * (fuzz/fuzz_*.c) once crashed or broke an invariant, kept as a test so
 * that the fix stays fixed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "duration.h"
#include "log.h"
#include "options.h"

/*
 * fuzz_duration: "999999999999d" is 8.64e19 ms, past int64: the conversion
 * was undefined behaviour (UBSan: outside the range of representable values).
 */
static void
test_duration_overflow_is_rejected(void **state)
{
	int64_t ms = -1;

	(void) state;
	assert_false(duration_parse("999999999999d", &ms));
	assert_false(duration_parse("1e300s", &ms));
	assert_int_equal(ms, -1);
}

/*
 * fuzz_duration: "777777777.7...h" was accepted (2.8e15 ms) while the same
 * duration written in seconds was refused, so a parsed value could not be
 * formatted and read back. Now both are out of range.
 */
static void
test_duration_round_trip_at_the_limit(void **state)
{
	int64_t ms = -1, again = -1;
	char buf[64];

	(void) state;
	assert_false(duration_parse("777777777.7777777777777532h", &ms));
	assert_true(duration_parse("24d", &ms));
	assert_int_equal(ms, 24LL * 86400 * 1000);
	duration_format(ms, buf, sizeof buf);
	assert_true(duration_parse(buf, &again));
	assert_int_equal(again, ms);
	assert_false(duration_parse("25d", &ms));
	assert_true(duration_parse("2147483647", &ms));
	assert_int_equal(ms, DURATION_MAX_MS);
	assert_false(duration_parse("2147483648", &ms));
}

/*
 * fuzz_config: a number too large for long long ("max_attempts": 1e300)
 * was cast before its range was checked, which is undefined behaviour.
 * It must be refused as an invalid value, like any other.
 */
static void
test_config_huge_number_is_rejected(void **state)
{
	static const char *const texts[] = {
		"{\"max_attempts\": 1e300}",
		"{\"lock_timeout\": -1e300}",
		"{\"small_table_rows\": 1e19}",
	};

	(void) state;
	log_set_level(LOG_LEVEL_QUIET);
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		Options opts;

		options_init(&opts, CMD_APPLY, "apply");
		assert_false(config_apply_text(&opts, texts[i], strlen(texts[i]), "test.json"));
		options_free(&opts);
	}
	log_set_level(LOG_LEVEL_INFO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_overflow_is_rejected),
		cmocka_unit_test(test_duration_round_trip_at_the_limit),
		cmocka_unit_test(test_config_huge_number_is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
