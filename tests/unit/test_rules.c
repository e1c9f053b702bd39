/*
 * test_rules.c — every rule: a statement that triggers it and its safe
 * alternative that does not; the exemption of objects created earlier in
 * the same migration; suppression by ignore directives; configuration.
 *
 * Migrations are parsed by sqlparse_migration and analysed by
 * analyze_migration, as the pipeline does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyze.h"
#include "rules.h"
#include "sqlparse.h"

/* How a case runs. */
enum {
	NOTX = 1 << 0,           /* the file starts with -- migsafe:no-transaction */
	PG10 = 1 << 1,           /* --pg-version 10 */
	OTHER = 1 << 2           /* --applied-by other */
};

typedef struct RuleCase {
	const char *rule;
	unsigned flags;
	const char *bad;         /* triggers the rule */
	const char *good;        /* the safe alternative: does not */
} RuleCase;

static const RuleCase cases[] = {
	{"adding-column-volatile-default", 0,
	 "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
	 "ALTER TABLE users ADD COLUMN token uuid;\n"
	 "ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();"},
	{"adding-column-volatile-default", PG10,
	 "ALTER TABLE users ADD COLUMN n int DEFAULT 0;",
	 "ALTER TABLE users ADD COLUMN n int;\nALTER TABLE users ALTER COLUMN n SET DEFAULT 0;"},
	{"changing-column-type", 0,
	 "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
	 "ALTER TABLE users ADD COLUMN id_new bigint;"},
	{"setting-not-null", 0,
	 "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
	 "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;"},
	{"adding-check-constraint", 0,
	 "ALTER TABLE users ADD CONSTRAINT age_pos CHECK (age > 0);",
	 "ALTER TABLE users ADD CONSTRAINT age_pos CHECK (age > 0) NOT VALID;"},
	{"adding-foreign-key", 0,
	 "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
	 "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) "
	 "NOT VALID;"},
	{"adding-foreign-key", 0,
	 "ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id);",
	 "ALTER TABLE orders ADD COLUMN user_id bigint;"},
	{"adding-unique-constraint", 0,
	 "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
	 "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;"},
	{"adding-unique-constraint", 0,
	 "ALTER TABLE users ADD PRIMARY KEY (id);",
	 "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;"},
	{"adding-exclusion-constraint", 0,
	 "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
	 "CREATE TABLE bookings2 (room int, during tstzrange, "
	 "EXCLUDE USING gist (room WITH =, during WITH &&));"},
	{"adding-stored-generated-column", 0,
	 "ALTER TABLE users ADD COLUMN name_lower text GENERATED ALWAYS AS (lower(name)) STORED;",
	 "ALTER TABLE users ADD COLUMN name_lower text;"},
	{"adding-serial-column", 0,
	 "ALTER TABLE users ADD COLUMN seq bigserial;",
	 "ALTER TABLE users ADD COLUMN seq bigint;"},
	{"adding-serial-column", 0,
	 "ALTER TABLE users ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;",
	 "ALTER TABLE users ADD COLUMN seq bigint;"},
	{"set-logged-unlogged", 0,
	 "ALTER TABLE events SET UNLOGGED;",
	 "CREATE UNLOGGED TABLE events_staging (id bigint);"},
	{"vacuum-full", NOTX, "VACUUM FULL users;", "VACUUM users;"},
	{"cluster", 0, "CLUSTER users USING users_pkey;", "ANALYZE users;"},
	{"create-index-non-concurrently", NOTX,
	 "CREATE INDEX users_email_idx ON users (email);",
	 "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);"},
	{"drop-index-non-concurrently", NOTX,
	 "DROP INDEX users_email_idx;",
	 "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;"},
	{"reindex-non-concurrently", NOTX,
	 "REINDEX INDEX users_email_idx;",
	 "REINDEX INDEX CONCURRENTLY users_email_idx;"},
	{"concurrently-in-transaction", 0,
	 "CREATE TABLE t (id bigint);\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
	 "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);"},
	{"concurrently-in-transaction", NOTX,
	 "BEGIN;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCOMMIT;",
	 "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);"},
	{"create-index-concurrently-if-not-exists", NOTX,
	 "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
	 "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n"
	 "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);"},
	{"statements-after-access-exclusive", 0,
	 "ALTER TABLE users ADD COLUMN a int;\nUPDATE users SET a = 1;",
	 "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;"},
	{"multiple-tables-locked-strongly", 0,
	 "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE orders ADD COLUMN b int;",
	 "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;"},
	{"lock-table", 0,
	 "LOCK TABLE users IN ACCESS EXCLUSIVE MODE;",
	 "LOCK TABLE users IN ROW EXCLUSIVE MODE;"},
	{"missing-lock-timeout", OTHER,
	 "ALTER TABLE users ADD COLUMN a int;",
	 "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a int;"},
	{"detach-partition-non-concurrently", NOTX,
	 "ALTER TABLE events DETACH PARTITION events_2023;",
	 "ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;"},
	{"dropping-column", 0,
	 "ALTER TABLE users DROP COLUMN legacy;",
	 "CREATE TABLE scratch (legacy int);\nALTER TABLE scratch DROP COLUMN legacy;"},
	{"dropping-table", 0,
	 "DROP TABLE users;",
	 "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;"},
	{"renaming-column", 0,
	 "ALTER TABLE users RENAME COLUMN name TO full_name;",
	 "ALTER TABLE users ADD COLUMN full_name text;"},
	{"renaming-table", 0,
	 "ALTER TABLE users RENAME TO accounts;",
	 "CREATE VIEW accounts AS SELECT * FROM users;"},
	{"adding-required-column", 0,
	 "ALTER TABLE users ADD COLUMN plan text NOT NULL;",
	 "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';"},
	{"dropping-not-null", 0,
	 "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
	 "ALTER TABLE users ALTER COLUMN email SET DEFAULT '';"},
	{"truncate-cascade", 0, "TRUNCATE users CASCADE;", "TRUNCATE users, orders;"},
	{"prefer-jsonb", 0,
	 "CREATE TABLE docs (id bigint, body json);",
	 "CREATE TABLE docs (id bigint, body jsonb);"},
	{"prefer-text-over-varchar", 0,
	 "CREATE TABLE people (name varchar(255));",
	 "CREATE TABLE people (name text CHECK (char_length(name) <= 255));"},
	{"prefer-text-over-char", 0,
	 "CREATE TABLE countries (code char(2));",
	 "CREATE TABLE countries (code text CHECK (char_length(code) = 2));"},
	{"prefer-timestamptz", 0,
	 "ALTER TABLE users ADD COLUMN seen_at timestamp;",
	 "ALTER TABLE users ADD COLUMN seen_at timestamptz;"},
	{"prefer-bigint-primary-key", 0,
	 "CREATE TABLE things (id serial PRIMARY KEY);",
	 "CREATE TABLE things (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"},
	{"prefer-bigint-primary-key", 0,
	 "CREATE TABLE things (id int, name text, PRIMARY KEY (id));",
	 "CREATE TABLE things (id bigint, name text, PRIMARY KEY (id));"},
	{"enum-value-without-position", 0,
	 "ALTER TYPE mood ADD VALUE 'meh';",
	 "ALTER TYPE mood ADD VALUE 'meh' AFTER 'ok';"},
	{"identifier-too-long", 0,
	 "CREATE TABLE t (id bigint, "
	 "a_column_name_that_goes_on_and_on_well_past_the_limit_of_sixty_three_bytes int);",
	 "CREATE TABLE t (id bigint, "
	 "a_column_name_that_stops_just_at_the_limit_of_sixty_three_bytes int);"},
	{"non-idempotent-ddl", NOTX,
	 "CREATE TABLE t (id bigint);",
	 "CREATE TABLE IF NOT EXISTS t (id bigint);"},
	{"non-idempotent-ddl", NOTX,
	 "ALTER TABLE users DROP COLUMN legacy;",
	 "ALTER TABLE users DROP COLUMN IF EXISTS legacy;"},
	{"unknown-lock", 0,
	 "ALTER DATABASE app SET work_mem = '64MB';",
	 "-- migsafe:ignore unknown-lock checked: a database setting, no table lock\n"
	 "ALTER DATABASE app SET work_mem = '64MB';"},
	{"unused-ignore", 0,
	 "-- migsafe:ignore dropping-table the old table is unused\nSELECT 1;",
	 "-- migsafe:ignore dropping-table the old table is unused\nDROP TABLE users;"},
	{"unused-ignore", 0,
	 "-- migsafe:ignore no-such-rule because\nDROP TABLE users;",
	 "-- migsafe:ignore-file dropping-table tables of the retired billing module\nDROP TABLE users;"},
	{"ignore-without-reason", 0,
	 "-- migsafe:ignore dropping-table\nDROP TABLE users;",
	 "-- migsafe:ignore dropping-table nothing reads it since v2.3\nDROP TABLE users;"},
	{"unknown-directive", 0,
	 "-- migsafe:frobnicate\nSELECT 1;",
	 "-- migsafe:no-transaction\nSELECT 1;"},
};

#define N_CASES (sizeof cases / sizeof cases[0])

/* Parses, analyses and checks sql as one migration under the case's flags. */
static Migration *
check_sql(const char *sql, unsigned flags, const RulesOptions *base)
{
	Migration *m = migration_new("t.sql");
	char *text = xasprintf("%s%s", (flags & NOTX) ? "-- migsafe:no-transaction\n" : "", sql);
	SqlError err = {0};
	RulesOptions opts = base ? *base : (RulesOptions) {0};
	AnalyzeContext *ctx;

	opts.pg_version = (flags & PG10) ? 10 : 15;
	opts.applied_by_other = (flags & OTHER) != 0;
	m->text = text;
	m->text_len = strlen(text);
	if (!sqlparse_migration(m, text, &err))
		fail_msg("cannot parse %s: %s", sql, err.message);
	ctx = analyze_context_new("public", opts.pg_version);
	analyze_migration(ctx, m);
	rules_check_migration(&opts, m);
	analyze_context_free(ctx);
	return m;
}

/* The number of findings of rule in m. */
static int
count_rule(const Migration *m, const char *rule)
{
	int n = 0;

	for (size_t i = 0; i < m->nfindings; i++)
		n += strcmp(m->findings[i].rule, rule) == 0;
	return n;
}

static const Finding *
find_rule(const Migration *m, const char *rule)
{
	for (size_t i = 0; i < m->nfindings; i++)
		if (strcmp(m->findings[i].rule, rule) == 0)
			return &m->findings[i];
	return NULL;
}

static void
test_each_rule_bad_and_good(void **state)
{
	(void) state;
	for (size_t i = 0; i < N_CASES; i++) {
		Migration *bad = check_sql(cases[i].bad, cases[i].flags, NULL);
		Migration *good = check_sql(cases[i].good, cases[i].flags, NULL);

		if (count_rule(bad, cases[i].rule) == 0)
			fail_msg("%s: not triggered by: %s", cases[i].rule, cases[i].bad);
		if (count_rule(good, cases[i].rule) != 0)
			fail_msg("%s: triggered by the safe alternative: %s", cases[i].rule, cases[i].good);
		migration_free(bad);
		migration_free(good);
	}
}

/* Every rule of the catalogue has a case above, and ids are unique kebab-case. */
static void
test_catalogue_complete(void **state)
{
	(void) state;
	assert_true(rules_count() >= 35);
	for (size_t r = 0; r < rules_count(); r++) {
		const Rule *rule = rules_at(r);
		bool covered = false;

		for (size_t i = 0; i < N_CASES; i++)
			covered = covered || strcmp(cases[i].rule, rule->id) == 0;
		if (!covered)
			fail_msg("rule %s has no test case", rule->id);
		assert_ptr_equal(rules_find(rule->id), rule);
		assert_int_equal(strspn(rule->id, "abcdefghijklmnopqrstuvwxyz0123456789-"),
						 strlen(rule->id));
		assert_true(strlen(rule->summary) > 10);
	}
	assert_null(rules_find("no-such-rule"));
}

/* Objects created earlier in the migration are exempt from rules about existing tables. */
static void
test_created_in_same_migration(void **state)
{
	static const char *const rules_on_existing[] = {
		"create-index-non-concurrently", "adding-foreign-key", "setting-not-null",
		"adding-column-volatile-default", "dropping-column", "renaming-column",
		"adding-unique-constraint", "dropping-table",
	};
	const char *sql =
		"CREATE TABLE accounts (id bigint PRIMARY KEY, email text, owner_id bigint);\n"
		"CREATE INDEX accounts_email_idx ON accounts (email);\n"
		"ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) "
		"REFERENCES accounts (id);\n"
		"ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n"
		"ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();\n"
		"ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);\n"
		"ALTER TABLE accounts RENAME COLUMN email TO mail;\n"
		"ALTER TABLE accounts DROP COLUMN owner_id;\n"
		"DROP INDEX accounts_email_idx;\n"
		"DROP TABLE accounts;\n";
	Migration *m;

	(void) state;
	m = check_sql(sql, 0, NULL);
	for (size_t i = 0; i < sizeof rules_on_existing / sizeof rules_on_existing[0]; i++)
		if (count_rule(m, rules_on_existing[i]) != 0)
			fail_msg("%s reported on a table created by the same migration",
					 rules_on_existing[i]);
	assert_int_equal(count_rule(m, "drop-index-non-concurrently"), 0);
	migration_free(m);

	/* a table of the same name created in another schema does not exempt public.users */
	m = check_sql("CREATE TABLE audit.users (id bigint PRIMARY KEY, email text);\n"
				  "CREATE INDEX users_email_idx ON users (email);\n", 0, NULL);
	assert_int_equal(count_rule(m, "create-index-non-concurrently"), 1);
	migration_free(m);

	/* the same statement on a table the migration did not create is reported */
	m = check_sql("CREATE TABLE accounts (id bigint PRIMARY KEY);\n"
				  "CREATE INDEX users_email_idx ON users (email);\n", 0, NULL);
	assert_int_equal(count_rule(m, "create-index-non-concurrently"), 1);
	migration_free(m);
}

/* Findings are located at the offending node and name the object and the lock. */
static void
test_message_names_object_and_lock(void **state)
{
	Migration *m;
	const Finding *f;

	(void) state;
	m = check_sql("SELECT 1;\nALTER TABLE app.users\n  ADD COLUMN token uuid DEFAULT gen_random_uuid();",
				  0, NULL);
	f = find_rule(m, "adding-column-volatile-default");
	assert_non_null(f);
	assert_int_equal(f->statement, 1);
	assert_int_equal(f->line, 3);
	assert_int_equal(f->column, 14);
	assert_non_null(strstr(f->message, "app.users"));
	assert_non_null(strstr(f->message, "AccessExclusiveLock"));
	assert_non_null(strstr(f->message, "reads, writes and DDL"));
	assert_non_null(strstr(f->help, "SET DEFAULT"));
	migration_free(m);
}

/* An ignore directive drops the finding it names, and only that one. */
static void
test_ignore_suppresses(void **state)
{
	Migration *m;

	(void) state;
	m = check_sql("-- migsafe:ignore create-index-non-concurrently the table has 10 rows\n"
				  "CREATE INDEX users_email_idx ON users (email);\n"
				  "CREATE INDEX orders_user_idx ON orders (user_id);\n", 0, NULL);
	assert_int_equal(count_rule(m, "create-index-non-concurrently"), 1);
	assert_int_equal(find_rule(m, "create-index-non-concurrently")->statement, 1);
	assert_true(m->stmts[0].ignores[0].used);
	assert_int_equal(count_rule(m, "unused-ignore"), 0);
	assert_int_equal(count_rule(m, "ignore-without-reason"), 0);
	migration_free(m);

	/* a file ignore covers every statement */
	m = check_sql("-- migsafe:ignore-file create-index-non-concurrently empty tables at launch\n"
				  "CREATE INDEX users_email_idx ON users (email);\n"
				  "CREATE INDEX orders_user_idx ON orders (user_id);\n", 0, NULL);
	assert_int_equal(count_rule(m, "create-index-non-concurrently"), 0);
	assert_int_equal(count_rule(m, "unused-ignore"), 0);
	migration_free(m);

	/* an ignore without a reason still suppresses, and is reported at the comment */
	m = check_sql("SELECT 1;\n-- migsafe:ignore dropping-table\nDROP TABLE users;\n", 0, NULL);
	assert_int_equal(count_rule(m, "dropping-table"), 0);
	assert_int_equal(find_rule(m, "ignore-without-reason")->line, 2);
	assert_int_equal(find_rule(m, "ignore-without-reason")->severity, SEVERITY_WARNING);
	migration_free(m);
}

/* Configuration switches rules off and on and changes severities. */
static void
test_configured_rules(void **state)
{
	StrList disable = {0}, severities = {0};
	RulesOptions opts = {0};
	Migration *m;

	(void) state;
	strlist_add(&disable, "dropping-table");
	strlist_add(&severities, "prefer-jsonb=error");
	opts.disable = &disable;
	opts.severities = &severities;
	m = check_sql("-- migsafe:ignore dropping-table kept for a release\nDROP TABLE users;\n"
				  "CREATE TABLE docs (body json);\n", 0, &opts);
	assert_int_equal(count_rule(m, "dropping-table"), 0);
	/* an ignore of a switched-off rule is not reported as unused */
	assert_int_equal(count_rule(m, "unused-ignore"), 0);
	assert_int_equal(find_rule(m, "prefer-jsonb")->severity, SEVERITY_ERROR);
	migration_free(m);

	/* the analysis' own finding is configurable too */
	strlist_add(&disable, "unknown-lock");
	m = check_sql("ALTER DATABASE app SET work_mem = '64MB';", 0, &opts);
	assert_int_equal(count_rule(m, "unknown-lock"), 0);
	migration_free(m);
	strlist_free(&disable);
	strlist_free(&severities);
}

/* missing-lock-timeout is silent unless another tool applies the files. */
static void
test_lock_timeout_only_for_other_tools(void **state)
{
	Migration *m;

	(void) state;
	m = check_sql("ALTER TABLE users ADD COLUMN a int;", 0, NULL);
	assert_int_equal(count_rule(m, "missing-lock-timeout"), 0);
	migration_free(m);
	m = check_sql("SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN a int;", OTHER, NULL);
	assert_int_equal(count_rule(m, "missing-lock-timeout"), 1);
	migration_free(m);
}

/* Parses and analyses sql as the next migration of ctx (facts carry over). */
static Migration *
check_next(AnalyzeContext *ctx, const char *sql)
{
	Migration *m = migration_new("next.sql");
	SqlError err = {0};
	RulesOptions opts = {.pg_version = 15};

	m->text = xstrdup(sql);
	m->text_len = strlen(sql);
	if (!sqlparse_migration(m, m->text, &err))
		fail_msg("cannot parse %s: %s", sql, err.message);
	analyze_migration(ctx, m);
	rules_check_migration(&opts, m);
	return m;
}

/*
 * Rules take rewrites and scans from the analysis, which knows what earlier
 * migrations did: a binary-coercible type change and a SET NOT NULL proven
 * by a validated CHECK are not reported; the same statements without that
 * knowledge are.
 */
static void
test_facts_from_earlier_migrations(void **state)
{
	AnalyzeContext *ctx = analyze_context_new("public", 15);
	Migration *first, *m;

	(void) state;
	first = check_next(ctx, "CREATE TABLE people (name varchar(10), email text);\n"
					   "ALTER TABLE people ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
					   "ALTER TABLE people VALIDATE CONSTRAINT email_nn;\n");
	m = check_next(ctx, "ALTER TABLE people ALTER COLUMN name TYPE varchar(20);\n"
				   "ALTER TABLE people ALTER COLUMN email SET NOT NULL;\n");
	assert_int_equal(count_rule(m, "changing-column-type"), 0);
	assert_int_equal(count_rule(m, "setting-not-null"), 0);
	migration_free(m);
	m = check_next(ctx, "ALTER TABLE people ALTER COLUMN name TYPE integer USING length(name);\n"
				   "ALTER TABLE people ALTER COLUMN name SET NOT NULL;\n");
	assert_int_equal(count_rule(m, "changing-column-type"), 1);
	assert_int_equal(count_rule(m, "setting-not-null"), 1);
	migration_free(m);
	migration_free(first);
	analyze_context_free(ctx);
}

/* Findings come out sorted by position in the file. */
static void
test_findings_sorted(void **state)
{
	Migration *m;

	(void) state;
	m = check_sql("DROP TABLE a;\nCREATE TABLE b (x json, y timestamp);\nDROP TABLE c;\n", 0, NULL);
	assert_true(m->nfindings >= 4);
	for (size_t i = 1; i < m->nfindings; i++)
		assert_true(m->findings[i - 1].line < m->findings[i].line ||
					(m->findings[i - 1].line == m->findings[i].line &&
					 m->findings[i - 1].column <= m->findings[i].column));
	migration_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_rule_bad_and_good),
		cmocka_unit_test(test_catalogue_complete),
		cmocka_unit_test(test_created_in_same_migration),
		cmocka_unit_test(test_message_names_object_and_lock),
		cmocka_unit_test(test_ignore_suppresses),
		cmocka_unit_test(test_configured_rules),
		cmocka_unit_test(test_lock_timeout_only_for_other_tools),
		cmocka_unit_test(test_findings_sorted),
		cmocka_unit_test(test_facts_from_earlier_migrations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
