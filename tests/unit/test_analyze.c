/*
 * test_analyze.c — static lock analysis of parse trees: locks, rewrites,
 * scans, transactional, the catalog across statements, search_path, and
 * version facts. The expected locks are PostgreSQL's documented ones (the
 * lock-truth end-to-end suite holds the same table against a real server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "analyze.h"

/* A migration built from SQL with libpg_query, one statement per parse tree entry. */
static Migration *
migration_from_sql(const char *sql)
{
	PgQueryParseResult r = pg_query_parse(sql);
	Migration *m = migration_new("test.sql");
	const cJSON *stmt;
	size_t n = 0;

	assert_null(r.error);
	m->parse_tree = jsondoc_parse(r.parse_tree);
	pg_query_free_parse_result(r);
	assert_non_null(m->parse_tree);
	m->nstmts = (size_t) cJSON_GetArraySize(cJSON_GetObjectItem(jsondoc_root(m->parse_tree),
																 "stmts"));
	m->stmts = xcalloc(m->nstmts ? m->nstmts : 1, sizeof(Statement));
	cJSON_ArrayForEach(stmt, cJSON_GetObjectItem(jsondoc_root(m->parse_tree), "stmts")) {
		m->stmts[n].index = (int) n;
		m->stmts[n].line = 1;
		m->stmts[n].column = 1;
		m->stmts[n].sql = xstrdup("");
		m->stmts[n].tree = cJSON_GetObjectItem(stmt, "stmt");
		n++;
	}
	return m;
}

/* Analyses sql (after setup, a migration of its own) with the given version. */
static Migration *
analyze_sql(int pg_version, const char *setup, const char *sql)
{
	AnalyzeContext *ctx = analyze_context_new("public", pg_version);
	Migration *m;

	if (setup) {
		Migration *s = migration_from_sql(setup);

		analyze_migration(ctx, s);
		migration_free(s);
	}
	m = migration_from_sql(sql);
	analyze_migration(ctx, m);
	analyze_context_free(ctx);
	return m;
}

/* The mode statement i of m takes on relation (LOCK_NONE when none). */
static LockMode
lock_at(const Migration *m, size_t i, const char *relation)
{
	const Analysis *a = &m->stmts[i].analysis;

	for (size_t i = 0; i < a->nlocks; i++)
		if (strcmp(a->locks[i].relation, relation) == 0)
			return a->locks[i].mode;
	return LOCK_NONE;
}

/* The mode the last statement of m takes on relation. */
static LockMode
lock_on(const Migration *m, const char *relation)
{
	return lock_at(m, m->nstmts - 1, relation);
}

static const Analysis *
last(const Migration *m)
{
	return &m->stmts[m->nstmts - 1].analysis;
}

static const char *const SCHEMA =
	"CREATE TABLE accounts (id serial PRIMARY KEY, email varchar(100), balance numeric(10,2), name text);"
	"CREATE TABLE orders (id bigserial PRIMARY KEY, account_id int REFERENCES accounts (id), note varchar(50));"
	"CREATE INDEX orders_account_idx ON orders (account_id);"
	"CREATE TABLE items (id int, order_id bigint REFERENCES orders (id) ON DELETE CASCADE);"
	"CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);"
	"CREATE TABLE events_a PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
	"CREATE VIEW account_emails AS SELECT id, email FROM accounts;"
	"CREATE MATERIALIZED VIEW order_counts AS SELECT account_id, count(*) FROM orders GROUP BY 1;"
	"CREATE TYPE mood AS ENUM ('ok');";

static void
test_add_column_defaults_by_version(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA, "ALTER TABLE accounts ADD COLUMN score int DEFAULT 0");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ACCESS_EXCLUSIVE);
	assert_int_equal(last(m)->rewrites.count, 0);
	assert_true(last(m)->known);
	assert_string_equal(last(m)->kind, "ALTER TABLE");
	migration_free(m);

	m = analyze_sql(10, SCHEMA, "ALTER TABLE accounts ADD COLUMN score int DEFAULT 0");
	assert_true(strlist_contains(&last(m)->rewrites, "public.accounts"));
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid()");
	assert_true(strlist_contains(&last(m)->rewrites, "public.accounts"));
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "ALTER TABLE accounts ADD COLUMN seen timestamptz DEFAULT now()");
	assert_int_equal(last(m)->rewrites.count, 0);
	migration_free(m);
}

static void
test_type_changes(void **state)
{
	static const struct {
		const char *sql;
		bool rewrites;
	} cases[] = {
		{"ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200)", false},
		{"ALTER TABLE accounts ALTER COLUMN email TYPE text", false},
		{"ALTER TABLE accounts ALTER COLUMN email TYPE varchar(50)", true},
		{"ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12,2)", false},
		{"ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12,3)", true},
		{"ALTER TABLE accounts ALTER COLUMN id TYPE bigint", true},
		{"ALTER TABLE accounts ALTER COLUMN name TYPE varchar(10)", true},
		{"ALTER TABLE accounts ALTER COLUMN email TYPE text USING lower(email)", true},
		/* a column the catalog does not know: assume the worst */
		{"ALTER TABLE accounts ALTER COLUMN unknown_col TYPE text", true},
	};

	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		Migration *m = analyze_sql(15, SCHEMA, cases[i].sql);

		assert_int_equal(lock_on(m, "public.accounts"), LOCK_ACCESS_EXCLUSIVE);
		if (strlist_contains(&last(m)->rewrites, "public.accounts") != cases[i].rewrites)
			fail_msg("%s: rewrite expected %d", cases[i].sql, cases[i].rewrites);
		migration_free(m);
	}
}

static void
test_foreign_keys(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA, "ALTER TABLE items ADD CONSTRAINT f FOREIGN KEY (id) REFERENCES accounts (id)");
	assert_int_equal(lock_on(m, "public.items"), LOCK_SHARE_ROW_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_SHARE_ROW_EXCLUSIVE);
	assert_true(strlist_contains(&last(m)->scans, "public.items"));
	migration_free(m);

	m = analyze_sql(15, SCHEMA,
					"ALTER TABLE items ADD CONSTRAINT f FOREIGN KEY (id) REFERENCES accounts (id) NOT VALID;"
					"ALTER TABLE items VALIDATE CONSTRAINT f");
	assert_int_equal(m->stmts[0].analysis.scans.count, 0);
	assert_int_equal(lock_on(m, "public.items"), LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ROW_SHARE);
	assert_true(strlist_contains(&last(m)->scans, "public.items"));
	migration_free(m);

	/* writes check the referenced table; deletes reach the referencing ones */
	m = analyze_sql(15, SCHEMA, "INSERT INTO orders (account_id) VALUES (1)");
	assert_int_equal(lock_on(m, "public.orders"), LOCK_ROW_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.orders_id_seq"), LOCK_ROW_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ROW_SHARE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "DELETE FROM orders WHERE id = 1");
	assert_int_equal(lock_on(m, "public.items"), LOCK_ROW_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_NONE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "UPDATE orders SET note = 'x'");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_NONE);
	assert_int_equal(lock_on(m, "public.items"), LOCK_NONE);
	migration_free(m);

	/* a renamed foreign key column is still checked */
	m = analyze_sql(15, SCHEMA, "ALTER TABLE orders RENAME COLUMN account_id TO acc; UPDATE orders SET acc = 2");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ROW_SHARE);
	migration_free(m);
}

static void
test_indexes_lock_their_table(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA, "CREATE INDEX CONCURRENTLY i ON accounts (email)");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_false(last(m)->transactional);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "DROP INDEX orders_account_idx");
	assert_int_equal(lock_on(m, "public.orders"), LOCK_ACCESS_EXCLUSIVE);
	assert_true(last(m)->transactional);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "DROP INDEX CONCURRENTLY orders_account_idx");
	assert_int_equal(lock_on(m, "public.orders"), LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_false(last(m)->transactional);
	migration_free(m);

	/* an index created elsewhere: its table is unknown, so is the lock */
	m = analyze_sql(15, SCHEMA, "DROP INDEX somewhere_idx");
	assert_false(last(m)->known);
	assert_int_equal(m->nfindings, 1);
	assert_string_equal(m->findings[0].rule, "unknown-lock");
	assert_int_equal(m->findings[0].severity, SEVERITY_WARNING);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "CREATE INDEX e_at ON events (at)");
	assert_int_equal(lock_on(m, "public.events"), LOCK_SHARE);
	assert_int_equal(lock_on(m, "public.events_a"), LOCK_SHARE);
	migration_free(m);
}

static void
test_multi_command_takes_strongest(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA, "ALTER TABLE accounts ALTER COLUMN name SET STATISTICS 100, SET (fillfactor = 70)");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_SHARE_UPDATE_EXCLUSIVE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "ALTER TABLE accounts ALTER COLUMN name SET STATISTICS 100, ADD COLUMN x int");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ACCESS_EXCLUSIVE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "ALTER TABLE accounts SET (fillfactor = 70, security_barrier = true)");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ACCESS_EXCLUSIVE);
	migration_free(m);
}

static void
test_views_partitions_and_lock_table(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA, "SELECT * FROM account_emails");
	assert_int_equal(lock_on(m, "public.account_emails"), LOCK_ACCESS_SHARE);
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ACCESS_SHARE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "SELECT * FROM ONLY events");
	assert_int_equal(lock_on(m, "public.events_a"), LOCK_NONE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "LOCK TABLE accounts, events IN SHARE ROW EXCLUSIVE MODE NOWAIT");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_SHARE_ROW_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.events_a"), LOCK_SHARE_ROW_EXCLUSIVE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "REFRESH MATERIALIZED VIEW CONCURRENTLY order_counts");
	assert_int_equal(lock_on(m, "public.order_counts"), LOCK_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.orders"), LOCK_ACCESS_SHARE);
	assert_int_equal(last(m)->rewrites.count, 0);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "TRUNCATE accounts CASCADE");
	assert_int_equal(lock_on(m, "public.orders"), LOCK_ACCESS_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.items"), LOCK_ACCESS_EXCLUSIVE);
	migration_free(m);
}

static void
test_search_path(void **state)
{
	Migration *m;
	AnalyzeContext *ctx = analyze_context_new("public", 15);

	(void) state;
	m = migration_from_sql("SET search_path = app, public; CREATE TABLE t (id int); ALTER TABLE t ADD x int;"
						   "ALTER TABLE accounts ADD y int");
	analyze_migration(ctx, m);
	assert_int_equal(lock_at(m, 2, "app.t"), LOCK_ACCESS_EXCLUSIVE);
	assert_true(strlist_contains(&m->stmts[1].analysis.creates, "app.t"));
	assert_int_equal(m->stmts[3].analysis.locks[0].mode, LOCK_ACCESS_EXCLUSIVE);
	assert_string_equal(m->stmts[3].analysis.locks[0].relation, "app.accounts");
	migration_free(m);

	/* a new file starts again from the default schema; the catalog stays */
	m = migration_from_sql("ALTER TABLE t ADD z int");
	analyze_migration(ctx, m);
	assert_int_equal(lock_on(m, "public.t"), LOCK_ACCESS_EXCLUSIVE);
	migration_free(m);
	analyze_context_free(ctx);
}

static void
test_version_facts(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(11, SCHEMA, "REINDEX TABLE CONCURRENTLY accounts");
	assert_false(last(m)->known);
	migration_free(m);
	m = analyze_sql(12, SCHEMA, "REINDEX TABLE CONCURRENTLY accounts");
	assert_true(last(m)->known);
	assert_false(last(m)->transactional);
	migration_free(m);

	m = analyze_sql(11, SCHEMA, "ALTER TYPE mood ADD VALUE 'great'");
	assert_false(last(m)->transactional);
	migration_free(m);
	m = analyze_sql(12, SCHEMA, "ALTER TYPE mood ADD VALUE 'great'");
	assert_true(last(m)->transactional);
	migration_free(m);

	m = analyze_sql(13, SCHEMA, "ALTER TABLE events DETACH PARTITION events_a CONCURRENTLY");
	assert_false(last(m)->known);
	migration_free(m);
	m = analyze_sql(14, SCHEMA, "ALTER TABLE events DETACH PARTITION events_a CONCURRENTLY");
	assert_true(last(m)->known);
	assert_int_equal(lock_on(m, "public.events"), LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.events_a"), LOCK_SHARE_UPDATE_EXCLUSIVE);
	migration_free(m);

	m = analyze_sql(11, SCHEMA, "ALTER TABLE events ATTACH PARTITION accounts FOR VALUES FROM (1) TO (2)");
	assert_int_equal(lock_on(m, "public.events"), LOCK_ACCESS_EXCLUSIVE);
	migration_free(m);
	m = analyze_sql(12, SCHEMA, "ALTER TABLE events ATTACH PARTITION accounts FOR VALUES FROM (1) TO (2)");
	assert_int_equal(lock_on(m, "public.events"), LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ACCESS_EXCLUSIVE);
	migration_free(m);
}

static void
test_unknown_statements_are_never_safe(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA, "DO $$ BEGIN EXECUTE 'SELECT 1'; END $$");
	assert_false(last(m)->known);
	assert_int_equal(m->nfindings, 1);
	assert_string_equal(m->findings[0].rule, "unknown-lock");
	assert_int_equal(m->findings[0].statement, 0);
	migration_free(m);

	/* a statement type with no entry: the strongest lock on what it names */
	m = analyze_sql(15, SCHEMA, "ALTER MATERIALIZED VIEW order_counts DEPENDS ON EXTENSION e");
	assert_false(last(m)->known);
	assert_int_equal(lock_on(m, "public.order_counts"), LOCK_ACCESS_EXCLUSIVE);
	migration_free(m);

	/* statements that lock nothing are known, with no finding */
	m = analyze_sql(15, NULL, "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'; SET lock_timeout = '1s'");
	assert_int_equal(m->nfindings, 0);
	assert_int_equal(last(m)->nlocks, 0);
	migration_free(m);
}

static void
test_not_null_proven_by_check(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA, "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL");
	assert_true(strlist_contains(&last(m)->scans, "public.accounts"));
	migration_free(m);

	m = analyze_sql(15, SCHEMA,
					"ALTER TABLE accounts ADD CONSTRAINT n CHECK (name IS NOT NULL) NOT VALID;"
					"ALTER TABLE accounts VALIDATE CONSTRAINT n;"
					"ALTER TABLE accounts ALTER COLUMN name SET NOT NULL");
	assert_int_equal(last(m)->scans.count, 0);
	migration_free(m);
}

/*
 * The catalog forgets what DROP COLUMN / DROP CONSTRAINT drop and follows
 * RENAME CONSTRAINT: a NOT NULL check on a dropped column, or dropped by its
 * new name, no longer spares SET NOT NULL its scan; a renamed foreign key is
 * still found when dropped by its new name.
 */
static void
test_catalog_forgets_dropped_columns(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA,
					"ALTER TABLE accounts ADD CONSTRAINT n CHECK (name IS NOT NULL);"
					"ALTER TABLE accounts DROP COLUMN name;"
					"ALTER TABLE accounts ADD COLUMN name text;"
					"ALTER TABLE accounts ALTER COLUMN name SET NOT NULL");
	assert_true(strlist_contains(&last(m)->scans, "public.accounts"));
	migration_free(m);

	m = analyze_sql(15, SCHEMA,
					"ALTER TABLE accounts ADD CONSTRAINT n CHECK (name IS NOT NULL);"
					"ALTER TABLE accounts RENAME CONSTRAINT n TO m;"
					"ALTER TABLE accounts DROP CONSTRAINT m;"
					"ALTER TABLE accounts ALTER COLUMN name SET NOT NULL");
	assert_true(strlist_contains(&last(m)->scans, "public.accounts"));
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "ALTER TABLE orders DROP COLUMN account_id;"
					"INSERT INTO orders (note) VALUES ('x')");
	assert_int_equal(lock_at(m, 0, "public.accounts"), LOCK_ACCESS_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_NONE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "ALTER TABLE orders RENAME CONSTRAINT orders_account_id_fkey TO fk;"
					"ALTER TABLE orders DROP CONSTRAINT fk");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ACCESS_EXCLUSIVE);
	migration_free(m);
}

/* WITH query names and temporary tables are not locks on public tables. */
static void
test_cte_and_temp_names(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA, "WITH orders AS (SELECT 1 AS id) SELECT * FROM orders");
	assert_int_equal(last(m)->nlocks, 0);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "CREATE TEMP TABLE accounts (id int);"
					"INSERT INTO accounts SELECT id FROM orders");
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_NONE);
	assert_int_equal(lock_on(m, "public.orders"), LOCK_ACCESS_SHARE);
	migration_free(m);
}

/* A DO block's SQL is analysed; dynamic SQL or another language stays unknown. */
static void
test_do_blocks(void **state)
{
	Migration *m;

	(void) state;
	m = analyze_sql(15, SCHEMA, "DO $$ BEGIN UPDATE orders SET note = 'x'; "
					"ALTER TABLE accounts ADD COLUMN c int; END $$");
	assert_true(last(m)->known);
	assert_int_equal(lock_on(m, "public.orders"), LOCK_ROW_EXCLUSIVE);
	assert_int_equal(lock_on(m, "public.accounts"), LOCK_ACCESS_EXCLUSIVE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "DO $$ BEGIN PERFORM 1 FROM items; EXECUTE 'TRUNCATE orders'; END $$");
	assert_false(last(m)->known);
	assert_int_equal(lock_on(m, "public.items"), LOCK_ACCESS_SHARE);
	migration_free(m);

	m = analyze_sql(15, SCHEMA, "DO LANGUAGE plperl $$ 1; $$");
	assert_false(last(m)->known);
	migration_free(m);
}

/*
 * A call to a function an earlier migration created runs a body migsafe does
 * not analyse: unknown, naming the function. Built-in functions, a function of
 * another schema, and a call stored in a view are not.
 */
static void
test_calls_to_created_functions(void **state)
{
	const char *setup = "CREATE TABLE items (id int);"
		"CREATE FUNCTION backfill() RETURNS void LANGUAGE plpgsql AS "
		"'BEGIN UPDATE orders SET note = ''x''; END';";
	struct {
		const char *sql;
		bool known;
	} cases[] = {
		{"SELECT backfill()", false},
		{"SELECT public.backfill()", false},
		{"UPDATE items SET id = id + 1 WHERE backfill() IS NULL", false},
		{"DO $$ BEGIN PERFORM backfill(); END $$", false},
		{"SELECT now(), lower('A'), count(*) FROM items", true},
		{"SELECT other.backfill()", true},
		{"CREATE VIEW v AS SELECT backfill()", true},
		{"CREATE SCHEMA s; SET search_path = s; SELECT backfill()", true},
		{"CREATE SCHEMA s; SET search_path = s, public; SELECT backfill()", false},
	};

	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *all = xasprintf("%s%s", SCHEMA, setup);
		Migration *m = analyze_sql(15, all, cases[i].sql);
		bool found = false;

		if (last(m)->known != cases[i].known)
			fail_msg("%s: known %d", cases[i].sql, last(m)->known);
		for (size_t f = 0; f < m->nfindings; f++)
			if (strcmp(m->findings[f].rule, "unknown-lock") == 0) {
				found = true;
				assert_non_null(strstr(m->findings[f].message, "calls public.backfill()"));
			}
		assert_int_equal(found, !cases[i].known);
		migration_free(m);
		free(all);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_column_defaults_by_version),
		cmocka_unit_test(test_type_changes),
		cmocka_unit_test(test_foreign_keys),
		cmocka_unit_test(test_indexes_lock_their_table),
		cmocka_unit_test(test_multi_command_takes_strongest),
		cmocka_unit_test(test_views_partitions_and_lock_table),
		cmocka_unit_test(test_search_path),
		cmocka_unit_test(test_version_facts),
		cmocka_unit_test(test_unknown_statements_are_never_safe),
		cmocka_unit_test(test_calls_to_created_functions),
		cmocka_unit_test(test_not_null_proven_by_check),
		cmocka_unit_test(test_catalog_forgets_dropped_columns),
		cmocka_unit_test(test_cte_and_temp_names),
		cmocka_unit_test(test_do_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
