/*
 * test_sqlparse.c — statements, positions and directives from libpg_query,
 * and the loader's version order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loader.h"
#include "sqlparse.h"

static Migration *
parse(const char *sql, bool *ok, SqlError *err)
{
	Migration *m = migration_new("t.sql");

	m->text = strdup(sql);
	m->text_len = strlen(sql);
	*ok = sqlparse_migration(m, sql, err);
	return m;
}

static void
test_statements_and_positions(void **state)
{
	SqlError err = {0};
	bool ok;
	Migration *m = parse("-- c\n\nSELECT 1;  /* x */ SELECT 'a;b'\n;\n\tCREATE TABLE t(id int)", &ok,
						 &err);

	(void) state;
	assert_true(ok);
	assert_int_equal(m->nstmts, 3);
	assert_int_equal(m->stmts[0].line, 3);
	assert_int_equal(m->stmts[0].column, 1);
	assert_string_equal(m->stmts[0].sql, "SELECT 1");
	assert_int_equal(m->stmts[1].line, 3);
	assert_int_equal(m->stmts[1].column, 20);
	assert_string_equal(m->stmts[1].sql, "SELECT 'a;b'");
	assert_int_equal(m->stmts[2].line, 5);
	assert_int_equal(m->stmts[2].column, 2);
	assert_non_null(cJSON_GetObjectItem(m->stmts[2].tree, "CreateStmt"));
	migration_free(m);
}

static void
test_syntax_error_location(void **state)
{
	SqlError err = {0};
	bool ok;
	Migration *m = parse("SELECT 1;\n  ALTER TABEL x;\n", &ok, &err);

	(void) state;
	assert_false(ok);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 9);
	assert_non_null(strstr(err.message, "syntax error"));
	sqlparse_error_free(&err);
	migration_free(m);
}

static void
test_directives(void **state)
{
	SqlError err = {0};
	bool ok;
	Migration *m = parse("-- migsafe:no-transaction\n"
						 "-- migsafe:ignore-file json-type legacy table\n"
						 "SELECT 1;\n"
						 "-- migsafe:ignore require-concurrent-index tiny table\n"
						 "CREATE INDEX i ON t (a);\n"
						 "-- migsafe:bogus\n"
						 "-- migsafe:ignore dangling-rule at the end\n",
						 &ok, &err);

	(void) state;
	assert_true(ok);
	assert_false(m->transactional);
	assert_int_equal(m->nfile_ignores, 1);
	assert_string_equal(m->file_ignores[0].rule, "json-type");
	assert_string_equal(m->file_ignores[0].reason, "legacy table");
	assert_int_equal(m->stmts[0].nignores, 0);
	assert_int_equal(m->stmts[1].nignores, 1);
	assert_string_equal(m->stmts[1].ignores[0].rule, "require-concurrent-index");
	assert_string_equal(m->stmts[1].ignores[0].reason, "tiny table");
	assert_int_equal(m->stmts[1].ignores[0].line, 4);
	assert_int_equal(m->nfindings, 2);
	assert_string_equal(m->findings[0].rule, "unknown-directive");
	assert_int_equal(m->findings[0].line, 6);
	assert_string_equal(m->findings[1].rule, "unused-ignore");
	assert_int_equal(m->findings[1].line, 7);
	migration_free(m);
}

static void
test_comments_listed(void **state)
{
	const char *sql = "SELECT '-- not a comment'; -- real one\n/* block */";
	SqlCommentList l = {0};
	SqlError err = {0};

	(void) state;
	assert_true(sqlparse_comments(sql, strlen(sql), &l, &err));
	assert_int_equal(l.count, 2);
	assert_string_equal(l.items[0].body, "real one");
	assert_string_equal(l.items[1].body, "block");
	assert_int_equal(l.items[1].line, 2);
	sqlparse_comments_free(&l);
}

static void
test_version_order(void **state)
{
	(void) state;
	assert_true(loader_version_compare("1.9", "1.10") < 0);
	assert_true(loader_version_compare("1.10", "1.9") > 0);
	assert_true(loader_version_compare("0001", "1") == 0);
	assert_true(loader_version_compare("9", "10") < 0);
	assert_true(loader_version_compare("1", "1.1") < 0);
	assert_true(loader_version_compare("20240101000000", "20231231235959") > 0);
	assert_true(loader_version_compare("2.0", "10.0") < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statements_and_positions),
		cmocka_unit_test(test_syntax_error_location),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_comments_listed),
		cmocka_unit_test(test_version_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
