/*
 * test_gitrepo.c — blob ids as git computes them, behaviour outside a
 * repository, and the reported view --since leaves to the renderers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "gitrepo.h"
#include "since.h"

/* Blob ids printed by `git hash-object` for the same bytes. */
static void
test_blob_ids(void **state)
{
	static const struct {
		const char *data;
		const char *id;
	} cases[] = {
		{"", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"},
		{"hello\n", "ce013625030ba8dba906f756967f9e9ca394464a"},
		{"a\r\nb\r\n", "c30dea8a3641ea99b125d04d599d843712292759"},
	};
	char out[41];

	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_true(gitrepo_blob_id(cases[i].data, strlen(cases[i].data), out));
		assert_string_equal(out, cases[i].id);
	}
}

/* A directory outside any repository: no repository, and a null "git" in reports. */
static void
test_outside_a_repository(void **state)
{
	char dir[] = "/tmp/migsafe-gitrepo-XXXXXX";
	cJSON *git;

	(void) state;
	assert_non_null(mkdtemp(dir));
	assert_null(gitrepo_open(dir, false));
	git = gitrepo_report_json(dir);
	assert_true(cJSON_IsNull(git));
	cJSON_Delete(git);
	assert_int_equal(rmdir(dir), 0);
}

/* The view keeps the reported migrations, in order, without owning them. */
static void
test_reported_view(void **state)
{
	MigrationList l = {0}, view;
	const char *paths[] = {"a.sql", "b.sql", "c.sql", "d.sql"};

	(void) state;
	for (size_t i = 0; i < 4; i++)
		migration_list_add(&l, migration_new(paths[i]));
	l.items[1]->context_only = true;
	l.items[3]->context_only = true;
	since_reported_view(&l, &view);
	assert_int_equal(view.count, 2);
	assert_ptr_equal(view.items[0], l.items[0]);
	assert_ptr_equal(view.items[1], l.items[2]);
	since_view_free(&view);
	assert_null(view.items);
	migration_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_ids),
		cmocka_unit_test(test_outside_a_repository),
		cmocka_unit_test(test_reported_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
