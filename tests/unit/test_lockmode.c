/*
 * test_lockmode.c — the conflict matrix against the documentation's table
 * "Conflicting Lock Modes", names, and the statement-level table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lockmode.h"

#define AS LOCK_ACCESS_SHARE
#define RS LOCK_ROW_SHARE
#define RE LOCK_ROW_EXCLUSIVE
#define SUE LOCK_SHARE_UPDATE_EXCLUSIVE
#define S LOCK_SHARE
#define SRE LOCK_SHARE_ROW_EXCLUSIVE
#define E LOCK_EXCLUSIVE
#define AE LOCK_ACCESS_EXCLUSIVE

/* The documentation's table, row by row: X marks a conflict. */
static const char *const documented[8] = {
	/* AS RS RE SUE S SRE E AE */
	"       X",  /* ACCESS SHARE */
	"      XX",  /* ROW SHARE */
	"    XXXX",  /* ROW EXCLUSIVE */
	"   XXXXX",  /* SHARE UPDATE EXCLUSIVE */
	"  XX XXX",  /* SHARE */
	"  XXXXXX",  /* SHARE ROW EXCLUSIVE */
	" XXXXXXX",  /* EXCLUSIVE */
	"XXXXXXXX",  /* ACCESS EXCLUSIVE */
};

static void
test_matrix_matches_documentation(void **state)
{
	(void) state;
	for (int a = AS; a <= AE; a++)
		for (int b = AS; b <= AE; b++)
			assert_int_equal(lockmode_conflicts((LockMode) a, (LockMode) b),
							 documented[a - 1][b - 1] == 'X');
}

static void
test_matrix_is_symmetric_and_none_conflicts_with_nothing(void **state)
{
	(void) state;
	for (int a = LOCK_NONE; a < LOCKMODE_COUNT; a++) {
		assert_false(lockmode_conflicts(LOCK_NONE, (LockMode) a));
		for (int b = LOCK_NONE; b < LOCKMODE_COUNT; b++)
			assert_int_equal(lockmode_conflicts((LockMode) a, (LockMode) b),
							 lockmode_conflicts((LockMode) b, (LockMode) a));
	}
}

static void
test_names_round_trip(void **state)
{
	(void) state;
	assert_string_equal(lockmode_name(AE), "AccessExclusiveLock");
	assert_string_equal(lockmode_name(SUE), "ShareUpdateExclusiveLock");
	assert_string_equal(lockmode_sql_name(SRE), "SHARE ROW EXCLUSIVE");
	for (int m = AS; m <= AE; m++) {
		assert_int_equal(lockmode_parse(lockmode_name((LockMode) m)), m);
		assert_int_equal(lockmode_parse(lockmode_sql_name((LockMode) m)), m);
	}
	assert_int_equal(lockmode_parse("access_exclusive"), AE);
	assert_int_equal(lockmode_parse("RowExclusive"), RE);
	assert_int_equal(lockmode_parse("share"), S);
	assert_int_equal(lockmode_parse("shared"), LOCK_NONE);
	assert_int_equal(lockmode_parse(NULL), LOCK_NONE);
}

static void
test_strongest(void **state)
{
	(void) state;
	assert_int_equal(lockmode_strongest(AS, AE), AE);
	assert_int_equal(lockmode_strongest(SRE, S), SRE);
	assert_int_equal(lockmode_strongest(LOCK_NONE, RS), RS);
}

static void
test_blocks_in_words(void **state)
{
	(void) state;
	assert_non_null(strstr(lockmode_blocks(AE), "reads"));
	assert_null(strstr(lockmode_blocks(S), "reads"));
	assert_non_null(strstr(lockmode_blocks(S), "writes"));
	assert_null(strstr(lockmode_blocks(SUE), "writes and"));
}

/*
 * The seeds' table of which statements run at the same time on one table
 * (PostgreSQL documentation, "Table-Level Locks").
 */
static void
test_statement_classes(void **state)
{
	static const struct {
		StatementClass a, b;
		bool together;
	} facts[] = {
		{STMT_CLASS_SELECT, STMT_CLASS_SELECT, true},
		{STMT_CLASS_SELECT, STMT_CLASS_DML, true},
		{STMT_CLASS_SELECT, STMT_CLASS_CREATE_INDEX, true},
		{STMT_CLASS_SELECT, STMT_CLASS_CREATE_TRIGGER, true},
		{STMT_CLASS_SELECT, STMT_CLASS_ALTER, false},
		{STMT_CLASS_DML, STMT_CLASS_DML, true},
		{STMT_CLASS_DML, STMT_CLASS_MAINTENANCE, true},
		{STMT_CLASS_DML, STMT_CLASS_CREATE_INDEX, false},
		{STMT_CLASS_DML, STMT_CLASS_CREATE_TRIGGER, false},
		{STMT_CLASS_MAINTENANCE, STMT_CLASS_MAINTENANCE, false},
		{STMT_CLASS_CREATE_INDEX, STMT_CLASS_CREATE_INDEX, true},
		{STMT_CLASS_CREATE_INDEX, STMT_CLASS_MAINTENANCE, false},
		{STMT_CLASS_CREATE_TRIGGER, STMT_CLASS_CREATE_TRIGGER, false},
		{STMT_CLASS_ALTER, STMT_CLASS_ALTER, false},
	};

	(void) state;
	for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
		assert_int_equal(lockmode_class_concurrent(facts[i].a, facts[i].b), facts[i].together);
		assert_int_equal(lockmode_class_concurrent(facts[i].b, facts[i].a), facts[i].together);
	}
	assert_string_equal(lockmode_class_name(STMT_CLASS_MAINTENANCE), "CREATE INDEX CONCURRENTLY / VACUUM");
	assert_int_equal(lockmode_class_mode(STMT_CLASS_CREATE_TRIGGER), SRE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_matches_documentation),
		cmocka_unit_test(test_matrix_is_symmetric_and_none_conflicts_with_nothing),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_strongest),
		cmocka_unit_test(test_blocks_in_words),
		cmocka_unit_test(test_statement_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
