/*
 * test_blocker_policy.c — churn vs blockers, whom cancel/terminate may
 * signal, the conflict masks sent to the server, and which relations a
 * migration's pre-check looks at.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyze.h"
#include "blocker_policy.h"
#include "loader.h"
#include "locks_live.h"

/* A conflicting session: state, transaction age, application, user, backend type. */
static LiveSession
session(const char *state, int64_t age_ms, const char *app, const char *user, const char *type)
{
	LiveSession s;

	memset(&s, 0, sizeof s);
	s.b.pid = 4242;
	s.b.state = (char *) state;
	s.b.xact_age_ms = age_ms;
	s.b.application_name = (char *) app;
	s.b.usename = (char *) user;
	s.b.backend_type = (char *) type;
	s.conflicts = true;
	return s;
}

static Options
options(BlockerPolicy policy)
{
	Options o;

	options_init(&o, CMD_APPLY, "apply");
	o.on_blockers = policy;
	return o;
}

/* Young active transactions are churn; idle-in-transaction and old ones are blockers. */
static void
test_churn_rule(void **state)
{
	LiveSession young = session("active", 50, "web", "app", "client backend");
	LiveSession old = session("active", 5000, "web", "app", "client backend");
	LiveSession idle = session("idle in transaction", 10, "web", "app", "client backend");
	LiveSession aborted = session("idle in transaction (aborted)", 10, "web", "app",
								  "client backend");
	LiveSession hidden = session(NULL, -1, "web", "other", "client backend");
	LiveSession harmless = session("idle in transaction", 99999, "web", "app", "client backend");
	LiveSession vacuum = session("active", 99999, "", "postgres", "autovacuum worker");

	(void) state;
	harmless.conflicts = false;
	vacuum.yields = true;
	assert_false(policy_is_blocker(&young, 100));
	assert_true(policy_is_blocker(&old, 100));
	assert_true(policy_is_blocker(&idle, 100));
	assert_true(policy_is_blocker(&aborted, 100));
	assert_true(policy_is_blocker(&hidden, 100));
	assert_false(policy_is_blocker(&harmless, 0));
	assert_false(policy_is_blocker(&vacuum, 0));
	assert_true(policy_is_blocker(&young, 0));
}

/* The age rule alone, as the blockers command uses it on any session of the tree. */
static void
test_churn_by_age(void **state)
{
	LiveSession young = session("active", 50, "web", "app", "client backend");
	LiveSession idle = session("idle in transaction", 10, "web", "app", "client backend");
	LiveSession hidden = session(NULL, -1, "web", "other", "client backend");

	(void) state;
	assert_true(policy_is_churn(&young.b, false, 100));
	assert_false(policy_is_churn(&young.b, false, 50));
	assert_false(policy_is_churn(&young.b, true, 100));
	assert_false(policy_is_churn(&idle.b, false, 100));
	assert_false(policy_is_churn(&hidden.b, false, 100));
}

/* Replication senders, autovacuum, prepared transactions and migsafe are never signalled. */
static void
test_never_signalled(void **state)
{
	Options o = options(ON_BLOCKERS_TERMINATE);
	const char *types[] = {"walsender", "autovacuum worker", "parallel worker"};

	(void) state;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		LiveSession s = session("active", 99999, "", "postgres", types[i]);
		char *why = policy_refusal(&o, &s);

		assert_non_null(why);
		assert_non_null(strstr(why, "never signalled"));
		free(why);
	}
	{
		LiveSession s = session("idle in transaction", 99999, "migsafe-watcher", "ci",
								"client backend");
		char *why = policy_refusal(&o, &s);

		assert_non_null(why);
		assert_non_null(strstr(why, "migsafe"));
		free(why);
	}
	{
		LiveSession s = session("prepared", -1, NULL, NULL, "prepared transaction");
		char *why;

		s.prepared = true;
		s.b.pid = 0;
		why = policy_refusal(&o, &s);
		assert_non_null(why);
		free(why);
	}
	{
		LiveSession s = session("idle in transaction", 99999, "billing", "app", "client backend");

		assert_null(policy_refusal(&o, &s));
	}
	options_free(&o);
}

/* Refusal text for s under o, or NULL. */
static bool
refused(const Options *o, const LiveSession *s, const char *needle)
{
	char *why = policy_refusal(o, s);
	bool hit = why != NULL && (needle == NULL || strstr(why, needle) != NULL);

	free(why);
	return hit;
}

static void
test_filters(void **state)
{
	Options o = options(ON_BLOCKERS_CANCEL);
	LiveSession report = session("active", 5000, "nightly-report", "etl", "client backend");
	LiveSession idle = session("idle in transaction", 5000, "billing", "app", "client backend");

	(void) state;
	strlist_add(&o.include_apps, "nightly-report");
	assert_false(refused(&o, &report, NULL));
	assert_true(refused(&o, &idle, "--include-app"));
	strlist_free(&o.include_apps);

	strlist_add(&o.exclude_apps, "billing");
	assert_true(refused(&o, &idle, "--exclude-app"));
	assert_false(refused(&o, &report, NULL));
	strlist_free(&o.exclude_apps);

	strlist_add(&o.include_users, "etl");
	assert_true(refused(&o, &idle, "--include-user"));
	strlist_free(&o.include_users);
	strlist_add(&o.exclude_users, "etl");
	assert_true(refused(&o, &report, "--exclude-user"));
	strlist_free(&o.exclude_users);

	o.only_idle_in_transaction = true;
	assert_true(refused(&o, &report, "--only-idle-in-transaction"));
	assert_false(refused(&o, &idle, NULL));
	o.only_idle_in_transaction = false;

	o.cancel_after_ms = 10000;
	assert_true(refused(&o, &report, "--cancel-after"));
	report.b.xact_age_ms = 10000;
	assert_false(refused(&o, &report, NULL));
	report.b.xact_age_ms = -1;
	assert_true(refused(&o, &report, "hidden"));
	options_free(&o);
}

/* The masks the scan sends: one bit per held mode that conflicts with a needed one. */
static void
test_conflict_masks(void **state)
{
	unsigned all = 0;

	(void) state;
	for (int m = LOCK_ACCESS_SHARE; m < LOCKMODE_COUNT; m++)
		all |= 1u << m;
	assert_int_equal(lock_conflict_mask(1u << LOCK_ACCESS_EXCLUSIVE), all);
	assert_int_equal(lock_conflict_mask(1u << LOCK_ACCESS_SHARE), 1u << LOCK_ACCESS_EXCLUSIVE);
	/* ShareUpdateExclusive (CREATE INDEX CONCURRENTLY) does not conflict with RowExclusive */
	assert_int_equal(lock_conflict_mask(1u << LOCK_SHARE_UPDATE_EXCLUSIVE) &
					 (1u << LOCK_ROW_EXCLUSIVE), 0);
	assert_true(lock_conflict_mask(1u << LOCK_SHARE) & (1u << LOCK_ROW_EXCLUSIVE));
	/* Two needs on one table: the union, not the stronger one's set */
	assert_int_equal(lock_conflict_mask((1u << LOCK_SHARE) | (1u << LOCK_SHARE_UPDATE_EXCLUSIVE)),
					 lock_conflict_mask(1u << LOCK_SHARE) |
					 lock_conflict_mask(1u << LOCK_SHARE_UPDATE_EXCLUSIVE));
	assert_true(lock_conflict_mask((1u << LOCK_SHARE) | (1u << LOCK_SHARE_UPDATE_EXCLUSIVE)) &
				(1u << LOCK_SHARE));
	assert_false(lock_conflict_mask(1u << LOCK_SHARE) & (1u << LOCK_SHARE));
}

/* What the migration creates itself is not looked up; the rest is, modes merged. */
static void
test_targets_of_a_migration(void **state)
{
	const char *text = "CREATE TABLE fresh (id int);\n"
		"CREATE INDEX fresh_id ON fresh (id);\n"
		"CREATE INDEX accounts_name ON accounts (name);\n"
		"ALTER TABLE accounts ADD COLUMN note text;\n";
	MigrationList l = {0};
	AnalyzeContext *ctx = analyze_context_new("public", 15);
	LockTargets t = {0};

	(void) state;
	assert_true(loader_load_text(text, strlen(text), "0001_x.sql", &l));
	analyze_migration(ctx, l.items[0]);
	lock_targets_from_migration(&t, l.items[0], -1);
	assert_int_equal(t.count, 1);
	assert_string_equal(t.items[0].relation, "public.accounts");
	assert_int_equal(t.items[0].modes, (1u << LOCK_SHARE) | (1u << LOCK_ACCESS_EXCLUSIVE));
	lock_targets_free(&t);

	/* one statement run on its own: what earlier statements created is visible */
	lock_targets_from_migration(&t, l.items[0], 1);
	assert_int_equal(t.count, 1);
	assert_string_equal(t.items[0].relation, "public.fresh");
	lock_targets_free(&t);

	analyze_context_free(ctx);
	migration_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn_rule),
		cmocka_unit_test(test_churn_by_age),
		cmocka_unit_test(test_never_signalled),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_conflict_masks),
		cmocka_unit_test(test_targets_of_a_migration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
