/*
 * test_locktree.c — the lock tree from pg_blocking_pids() edges: roots,
 * levels, parents, display order, sessions held up, narrowing and cycles.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "locktree.h"
#include "util.h"

/* Adds pid with its transaction age and the pids it waits for (0-terminated). */
static TreeNode *
add(LockTree *t, int pid, int64_t age_ms, ...)
{
	TreeNode *n = locktree_add(t, pid);
	va_list ap;
	int by;

	n->b.xact_age_ms = age_ms;
	va_start(ap, age_ms);
	while ((by = va_arg(ap, int)) != 0) {
		n->blocked_by = xrealloc(n->blocked_by, (n->nblocked_by + 1) * sizeof(int));
		n->blocked_by[n->nblocked_by++] = by;
	}
	va_end(ap);
	return n;
}

static const TreeNode *
node(const LockTree *t, int pid)
{
	int i = locktree_find(t, pid);

	assert_true(i >= 0);
	return &t->items[i];
}

static int
shown_pid(const LockTree *t, size_t k)
{
	return t->items[t->order[k]].b.pid;
}

/* holder -> waiting DDL -> two queued readers: levels 0, 1, 2 in that order. */
static void
test_three_level_chain(void **state)
{
	LockTree t = {0};

	(void) state;
	add(&t, 30, 100, 20, 0);     /* a reader queued behind the DDL */
	add(&t, 20, 5000, 10, 0);    /* the DDL waiting for the holder */
	add(&t, 31, 50, 20, 0);
	add(&t, 10, 9000, 0);        /* the holder */
	locktree_build(&t, false);

	assert_int_equal(t.norder, 4);
	assert_int_equal(shown_pid(&t, 0), 10);
	assert_int_equal(shown_pid(&t, 1), 20);
	assert_int_equal(shown_pid(&t, 2), 30);   /* older transaction first */
	assert_int_equal(shown_pid(&t, 3), 31);
	assert_int_equal(node(&t, 10)->level, 0);
	assert_int_equal(node(&t, 10)->parent, -1);
	assert_int_equal(node(&t, 10)->holds_up, 3);
	assert_int_equal(node(&t, 20)->level, 1);
	assert_int_equal(node(&t, 20)->parent, 10);
	assert_int_equal(node(&t, 20)->holds_up, 2);
	assert_int_equal(node(&t, 30)->level, 2);
	assert_int_equal(node(&t, 30)->parent, 20);
	assert_int_equal(node(&t, 31)->holds_up, 0);
	locktree_free(&t);
}

/* Two independent roots: the older transaction's tree comes first. */
static void
test_roots_oldest_first(void **state)
{
	LockTree t = {0};

	(void) state;
	add(&t, 1, 1000, 0);
	add(&t, 2, 500, 1, 0);
	add(&t, 3, 8000, 0);
	add(&t, 4, 100, 3, 0);
	locktree_build(&t, false);
	assert_int_equal(t.norder, 4);
	assert_int_equal(shown_pid(&t, 0), 3);
	assert_int_equal(shown_pid(&t, 1), 4);
	assert_int_equal(shown_pid(&t, 2), 1);
	assert_int_equal(shown_pid(&t, 3), 2);
	locktree_free(&t);
}

/* A session waiting for two others is shown once, at its smallest level, but held up by both. */
static void
test_two_blockers_shown_once(void **state)
{
	LockTree t = {0};

	(void) state;
	add(&t, 1, 9000, 0);
	add(&t, 2, 8000, 1, 0);
	add(&t, 3, 100, 2, 1, 0);   /* waits for 2 (level 1) and 1 (level 0) */
	locktree_build(&t, false);
	assert_int_equal(t.norder, 3);
	assert_int_equal(node(&t, 3)->level, 1);
	assert_int_equal(node(&t, 3)->parent, 1);
	assert_int_equal(node(&t, 1)->holds_up, 2);
	assert_int_equal(node(&t, 2)->holds_up, 1);
	locktree_free(&t);
}

/* A wait cycle has no natural root: its oldest member becomes one, marked. */
static void
test_cycle_gets_a_root(void **state)
{
	LockTree t = {0};

	(void) state;
	add(&t, 1, 100, 2, 0);
	add(&t, 2, 900, 1, 0);
	locktree_build(&t, false);
	assert_int_equal(t.norder, 2);
	assert_int_equal(shown_pid(&t, 0), 2);
	assert_true(node(&t, 2)->in_cycle);
	assert_int_equal(node(&t, 2)->level, 0);
	assert_int_equal(node(&t, 1)->level, 1);
	assert_int_equal(node(&t, 1)->parent, 2);
	locktree_free(&t);
}

/* Narrowing keeps the conflicting session, what it waits for and what waits behind it. */
static void
test_narrow_keeps_the_chain_of_conflicting_sessions(void **state)
{
	LockTree t = {0};

	(void) state;
	add(&t, 1, 9000, 0);          /* holder */
	add(&t, 2, 5000, 1, 0)->conflicts = true;
	add(&t, 3, 100, 2, 0);        /* behind the conflicting one */
	add(&t, 7, 8000, 0);          /* another, unrelated chain */
	add(&t, 8, 100, 7, 0);
	add(&t, 9, 3000, 0)->conflicts = true;   /* conflicts, nobody waits */
	locktree_build(&t, true);
	assert_int_equal(t.norder, 4);
	assert_int_equal(shown_pid(&t, 0), 1);
	assert_int_equal(shown_pid(&t, 1), 2);
	assert_int_equal(shown_pid(&t, 2), 3);
	assert_int_equal(shown_pid(&t, 3), 9);
	assert_false(node(&t, 7)->shown);
	assert_false(node(&t, 8)->shown);
	assert_int_equal(node(&t, 9)->level, 0);
	locktree_free(&t);
}

/*
 * A churn root goes with what waits only on it; a session waiting on it and
 * on a root that stays is shown under that one.
 */
static void
test_churn_roots_left_out_with_their_waiters(void **state)
{
	LockTree t = {0};

	(void) state;
	add(&t, 1, 9000, 0);          /* old holder: stays */
	add(&t, 2, 50, 0)->churn = true;
	add(&t, 3, 40, 2, 0);         /* waits on the churn root only */
	add(&t, 4, 30, 3, 0);         /* and behind it */
	add(&t, 5, 20, 2, 1, 0);      /* waits on both roots */
	add(&t, 6, 10, 1, 0)->churn = true;   /* churn flag on a waiter: no effect */
	locktree_build(&t, false);
	assert_int_equal(t.hidden, 3);
	assert_int_equal(t.norder, 3);
	assert_int_equal(shown_pid(&t, 0), 1);
	assert_false(node(&t, 2)->shown);
	assert_false(node(&t, 3)->shown);
	assert_false(node(&t, 4)->shown);
	assert_int_equal(node(&t, 5)->parent, 1);
	assert_int_equal(node(&t, 6)->parent, 1);
	assert_false(node(&t, 5)->in_cycle);
	locktree_free(&t);
}

/* Unknown pids in blocked_by (another database, a prepared transaction) are ignored. */
static void
test_unknown_blockers_ignored(void **state)
{
	LockTree t = {0};

	(void) state;
	add(&t, 5, 100, 4242, 0);
	locktree_build(&t, false);
	assert_int_equal(t.norder, 1);
	assert_int_equal(node(&t, 5)->level, 0);
	locktree_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_level_chain),
		cmocka_unit_test(test_roots_oldest_first),
		cmocka_unit_test(test_two_blockers_shown_once),
		cmocka_unit_test(test_cycle_gets_a_root),
		cmocka_unit_test(test_narrow_keeps_the_chain_of_conflicting_sessions),
		cmocka_unit_test(test_unknown_blockers_ignored),
		cmocka_unit_test(test_churn_roots_left_out_with_their_waiters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
