/*
 * test_duration.c — PostgreSQL-style durations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "duration.h"

static void
test_units(void **state)
{
	static const struct {
		const char *text;
		int64_t ms;
	} cases[] = {
		{"100ms", 100}, {"2s", 2000}, {"1min", 60000}, {"1h", 3600000}, {"1d", 86400000},
		{"250", 250}, {"1.5s", 1500}, {"500us", 1}, {"0", 0}, {"3 s", 3000},
	};
	int64_t ms;

	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_true(duration_parse(cases[i].text, &ms));
		assert_int_equal(ms, cases[i].ms);
	}
}

static void
test_rejects(void **state)
{
	static const char *const bad[] = {"", "fast", "-1s", "10 parsecs", "ms", "1e99s", "s1", "1sec"};
	int64_t ms;

	(void) state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(duration_parse(bad[i], &ms));
	assert_false(duration_parse(NULL, &ms));
}

static void
test_format_round_trips(void **state)
{
	char buf[32];
	int64_t ms;

	(void) state;
	duration_format(250, buf, sizeof buf);
	assert_string_equal(buf, "250ms");
	duration_format(2000, buf, sizeof buf);
	assert_string_equal(buf, "2s");
	duration_format(1500, buf, sizeof buf);
	assert_true(duration_parse(buf, &ms));
	assert_int_equal(ms, 1500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_format_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
