/*
 * test_strset.c — the hashed string set: membership, insertion order and
 * duplicates, across the table's growth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"

static void
test_empty_set_contains_nothing(void **state)
{
	StrSet set = {0};

	(void) state;
	assert_false(strset_contains(&set, ""));
	assert_false(strset_contains(&set, "public.users"));
	strset_free(&set);
}

static void
test_add_contains_order_and_duplicates(void **state)
{
	StrSet set = {0};
	char name[32];

	(void) state;
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "public.t%d", i);
		assert_true(strset_add(&set, name));
		assert_false(strset_add(&set, name));            /* already there */
	}
	assert_int_equal(set.list.count, 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "public.t%d", i);
		assert_true(strset_contains(&set, name));
		assert_string_equal(set.list.items[i], name);    /* insertion order */
		snprintf(name, sizeof name, "other.t%d", i);
		assert_false(strset_contains(&set, name));
	}
	assert_true(strset_add(&set, ""));
	assert_true(strset_contains(&set, ""));
	strset_free(&set);
	assert_false(strset_contains(&set, "public.t1"));
	strset_free(&set);                                   /* freeing twice is harmless */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_set_contains_nothing),
		cmocka_unit_test(test_add_contains_order_and_duplicates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
