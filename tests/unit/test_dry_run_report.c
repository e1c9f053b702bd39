/*
 * test_dry_run_report.c — how the dry-run writes sizes and row counts in the
 * impact ranking and in findings: pg_size_pretty-like units of 1024 for bytes,
 * thousands for rows, one decimal below 10, "unknown" for missing values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "dry_run_report.h"

static void
check_bytes(int64_t bytes, const char *expected)
{
	char *s = dry_run_format_bytes(bytes);

	assert_string_equal(s, expected);
	free(s);
}

static void
check_rows(double rows, const char *expected)
{
	char *s = dry_run_format_rows(rows);

	assert_string_equal(s, expected);
	free(s);
}

static void
test_bytes(void **state)
{
	(void) state;
	check_bytes(0, "0 bytes");
	check_bytes(1023, "1023 bytes");
	check_bytes(1024, "1.0 kB");
	check_bytes(8192, "8.0 kB");
	check_bytes(106496, "104 kB");
	check_bytes((int64_t) 1288490188, "1.2 GB");
	check_bytes((int64_t) 5 * 1024 * 1024 * 1024 * 1024, "5.0 TB");
	check_bytes(-1, "unknown size");
}

static void
test_rows(void **state)
{
	(void) state;
	check_rows(0, "0 rows");
	check_rows(1, "1 row");
	check_rows(999, "999 rows");
	check_rows(1000, "1.0 k rows");
	check_rows(100000, "100 k rows");
	check_rows(8100000, "8.1 M rows");
	check_rows(-1, "unknown rows (never analysed)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
