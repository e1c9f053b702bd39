/*
 * rules.c — the rule catalogue (a table), the pass that runs it over a
 * migration, and the suppression of findings by ignore directives.
 */
#include "rules_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pgfacts.h"
#include "sqlparse.h"

#define E SEVERITY_ERROR
#define W SEVERITY_WARNING
#define I SEVERITY_INFO

/*
 * The catalogue. Adding a rule: one entry here, one check function in the
 * family's file, a section in docs/rules.md and a test in test_rules.c.
 */
static const Rule catalogue[] = {
	/* rewrites and long scans under strong locks */
	{"adding-column-volatile-default", "rewrite", E, true,
	 "ADD COLUMN with a volatile default (any default before PostgreSQL 11) rewrites the table",
	 check_adding_column_volatile_default},
	{"changing-column-type", "rewrite", E, true,
	 "ALTER COLUMN ... TYPE that rewrites the table and breaks code using the old type",
	 check_changing_column_type},
	{"setting-not-null", "rewrite", E, true,
	 "SET NOT NULL scans the whole table under AccessExclusiveLock",
	 check_setting_not_null},
	{"adding-check-constraint", "rewrite", E, true,
	 "CHECK constraint added without NOT VALID scans the table under lock",
	 check_adding_check_constraint},
	{"adding-foreign-key", "rewrite", E, true,
	 "FOREIGN KEY added without NOT VALID scans the table and locks both tables",
	 check_adding_foreign_key},
	{"adding-unique-constraint", "rewrite", E, true,
	 "UNIQUE / PRIMARY KEY added without USING INDEX builds the index under AccessExclusiveLock",
	 check_adding_unique_constraint},
	{"adding-exclusion-constraint", "rewrite", E, true,
	 "EXCLUDE constraint added to an existing table builds its index under AccessExclusiveLock",
	 check_adding_exclusion_constraint},
	{"adding-stored-generated-column", "rewrite", E, true,
	 "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites the table",
	 check_adding_stored_generated_column},
	{"adding-serial-column", "rewrite", E, true,
	 "ADD COLUMN of a serial or identity column rewrites the table",
	 check_adding_serial_column},
	{"set-logged-unlogged", "rewrite", E, true,
	 "SET LOGGED / SET UNLOGGED rewrites the table under AccessExclusiveLock",
	 check_set_logged_unlogged},
	{"vacuum-full", "rewrite", E, true,
	 "VACUUM FULL rewrites the table under AccessExclusiveLock",
	 check_vacuum_full},
	{"cluster", "rewrite", E, true,
	 "CLUSTER rewrites the table under AccessExclusiveLock",
	 check_cluster},

	/* indexes */
	{"create-index-non-concurrently", "index", E, true,
	 "CREATE INDEX without CONCURRENTLY on an existing table blocks writes while it builds",
	 check_create_index_non_concurrently},
	{"drop-index-non-concurrently", "index", W, true,
	 "DROP INDEX without CONCURRENTLY takes AccessExclusiveLock on the table",
	 check_drop_index_non_concurrently},
	{"reindex-non-concurrently", "index", E, true,
	 "REINDEX without CONCURRENTLY blocks writes (and reads using the index)",
	 check_reindex_non_concurrently},
	{"concurrently-in-transaction", "index", E, true,
	 "a statement PostgreSQL refuses inside a transaction block (CONCURRENTLY, VACUUM, ...) runs in one",
	 check_concurrently_in_transaction},
	{"create-index-concurrently-if-not-exists", "index", W, true,
	 "CREATE INDEX CONCURRENTLY IF NOT EXISTS silently keeps a leftover invalid index",
	 check_create_index_concurrently_if_not_exists},

	/* lock discipline */
	{"statements-after-access-exclusive", "locking", W, true,
	 "more work after an AccessExclusiveLock in the same transaction keeps the lock held",
	 check_statements_after_access_exclusive},
	{"multiple-tables-locked-strongly", "locking", W, true,
	 "several existing tables locked strongly in one transaction (lock order, deadlocks)",
	 check_multiple_tables_locked_strongly},
	{"lock-table", "locking", W, true,
	 "LOCK TABLE in a mode that blocks writes",
	 check_lock_table},
	{"missing-lock-timeout", "locking", W, true,
	 "strong lock with no SET lock_timeout before it (only with --applied-by other)",
	 check_missing_lock_timeout},
	{"detach-partition-non-concurrently", "locking", W, true,
	 "DETACH PARTITION without CONCURRENTLY takes AccessExclusiveLock on the partitioned table",
	 check_detach_partition_non_concurrently},

	/* breaking changes for the running application */
	{"dropping-column", "breaking", W, true,
	 "DROP COLUMN breaks code that still reads or writes the column",
	 check_dropping_column},
	{"dropping-table", "breaking", W, true,
	 "DROP TABLE breaks code that still uses the table",
	 check_dropping_table},
	{"renaming-column", "breaking", W, true,
	 "RENAME COLUMN breaks code that uses the old name",
	 check_renaming_column},
	{"renaming-table", "breaking", W, true,
	 "RENAME TO breaks code that uses the old table name",
	 check_renaming_table},
	{"adding-required-column", "breaking", E, true,
	 "ADD COLUMN ... NOT NULL without a default fails on a non-empty table and breaks inserts",
	 check_adding_required_column},
	{"dropping-not-null", "breaking", I, true,
	 "DROP NOT NULL lets NULLs in that code may not expect",
	 check_dropping_not_null},
	{"truncate-cascade", "breaking", W, true,
	 "TRUNCATE ... CASCADE also empties every table that references it",
	 check_truncate_cascade},

	/* hygiene */
	{"prefer-jsonb", "hygiene", W, true,
	 "json column: jsonb is smaller to query, indexable and comparable",
	 check_prefer_jsonb},
	{"prefer-text-over-varchar", "hygiene", I, true,
	 "varchar(n): changing n later takes a lock; text with a CHECK is easier to change",
	 check_prefer_text_over_varchar},
	{"prefer-text-over-char", "hygiene", W, true,
	 "char(n) pads with spaces and is never faster than text",
	 check_prefer_text_over_char},
	{"prefer-timestamptz", "hygiene", W, true,
	 "timestamp without time zone loses the instant when sessions use different time zones",
	 check_prefer_timestamptz},
	{"prefer-bigint-primary-key", "hygiene", W, true,
	 "int / smallint primary key runs out of values; bigint avoids a rewrite later",
	 check_prefer_bigint_primary_key},
	{"enum-value-without-position", "hygiene", I, true,
	 "ALTER TYPE ... ADD VALUE without BEFORE / AFTER appends the value at the end",
	 check_enum_value_without_position},
	{"identifier-too-long", "hygiene", W, true,
	 "identifier longer than 63 bytes: PostgreSQL truncates it silently",
	 check_identifier_too_long},
	{"non-idempotent-ddl", "hygiene", W, true,
	 "DDL without IF [NOT] EXISTS in a migration that does not run in a transaction",
	 check_non_idempotent_ddl},

	/* migsafe itself: emitted by the analysis, the parser and the suppression pass */
	{"unknown-lock", "migsafe", W, true,
	 "migsafe does not know which lock the statement takes", NULL},
	{"unused-ignore", "migsafe", W, true,
	 "a migsafe:ignore directive that suppressed nothing", NULL},
	{"ignore-without-reason", "migsafe", W, true,
	 "a migsafe:ignore directive without the reason it is safe", NULL},
	{"unknown-directive", "migsafe", W, true,
	 "a migsafe: comment that is not a known directive", NULL},
};

#undef E
#undef W
#undef I

#define N_RULES (sizeof catalogue / sizeof catalogue[0])

size_t
rules_count(void)
{
	return N_RULES;
}

const Rule *
rules_at(size_t i)
{
	return i < N_RULES ? &catalogue[i] : NULL;
}

const Rule *
rules_find(const char *id)
{
	for (size_t i = 0; id && i < N_RULES; i++)
		if (strcmp(catalogue[i].id, id) == 0)
			return &catalogue[i];
	return NULL;
}

/* Whether the configuration keeps rule r on. */
static bool
rule_enabled(const RulesOptions *o, const Rule *r)
{
	if (o->disable && strlist_contains(o->disable, r->id))
		return false;
	if (o->enable && strlist_contains(o->enable, r->id))
		return true;
	return r->enabled;
}

/* The severity the configuration gives rule r ("rule-id=severity" entries). */
static Severity
rule_severity(const RulesOptions *o, const Rule *r)
{
	size_t idlen = strlen(r->id);
	Severity s = r->severity;

	for (size_t i = 0; o->severities && i < o->severities->count; i++) {
		const char *e = o->severities->items[i];

		if (strncmp(e, r->id, idlen) == 0 && e[idlen] == '=')
			severity_parse(e + idlen + 1, &s);
	}
	return s;
}

int
rule_location(const cJSON *body)
{
	const cJSON *v = pgnode_get(body, "location");

	return cJSON_IsNumber(v) && v->valueint >= 0 ? v->valueint : -1;
}

bool
rule_str_is(const cJSON *body, const char *key, const char *value)
{
	const char *s = pgnode_str(body, key);

	return s && strcmp(s, value) == 0;
}

char *
rule_names_joined(const cJSON *list, const char *sep, const char *none)
{
	StrBuf sb = {0};
	const cJSON *item;

	cJSON_ArrayForEach(item, list) {
		const char *n = pgnode_sval(item);

		if (n)
			strbuf_appendf(&sb, "%s%s", sb.len ? sep : "", n);
	}
	if (sb.data == NULL)
		strbuf_append(&sb, none);
	return strbuf_detach(&sb);
}

void
rule_report(RuleCtx *ctx, int location, char *message, char *help)
{
	Finding *f = migration_add_finding(ctx->m, ctx->rule->id, ctx->rule->severity,
									   ctx->st->index, message, help);

	if (location >= 0 && (size_t) location < ctx->m->text_len) {
		if ((size_t) location >= ctx->st->offset) {
			f->line = ctx->st->line;
			f->column = ctx->st->column;
			sqlparse_position_from(ctx->m->text, ctx->st->offset, &f->line, &f->column,
								   (size_t) location);
		} else
			sqlparse_position(ctx->m->text, (size_t) location, &f->line, &f->column);
	}
	free(message);
	free(help);
}

/*
 * True when "schema.name" (as the analysis writes names) is the relation a
 * RangeVar spells as [schema.]name: unqualified names match in any schema.
 */
static bool
name_matches(const char *qualified, const char *schema, const char *rel)
{
	const char *dot = strchr(qualified, '.');

	if (rel == NULL)
		return false;
	if (dot == NULL)
		return schema == NULL && strcmp(qualified, rel) == 0;
	if (strcmp(dot + 1, rel) != 0)
		return false;
	return schema == NULL || (strlen(schema) == (size_t) (dot - qualified) &&
							  strncmp(qualified, schema, (size_t) (dot - qualified)) == 0);
}

/*
 * The name the analysis gave the RangeVar's relation when it locked it
 * (resolved through the search_path), or NULL when it locked no such relation.
 */
static const char *
locked_name(const RuleCtx *ctx, const cJSON *rv)
{
	const char *schema = pgnode_str(rv, "schemaname");
	const char *rel = pgnode_str(rv, "relname");
	const Analysis *a = &ctx->st->analysis;

	for (size_t i = 0; i < a->nlocks; i++)
		if (name_matches(a->locks[i].relation, schema, rel))
			return a->locks[i].relation;
	return NULL;
}

char *
rule_relation(const RuleCtx *ctx, const cJSON *rv)
{
	const char *schema = pgnode_str(rv, "schemaname");
	const char *rel = pgnode_str(rv, "relname");
	const char *locked = locked_name(ctx, rv);

	if (locked)
		return xstrdup(locked);
	if (schema)
		return xasprintf("%s.%s", schema, rel ? rel : "?");
	return xstrdup(rel ? rel : "?");
}

bool
rule_is_new(const RuleCtx *ctx, const cJSON *rv)
{
	const char *schema = pgnode_str(rv, "schemaname");
	const char *rel = pgnode_str(rv, "relname");
	const char *locked = locked_name(ctx, rv);

	/* the analysis resolved the name through the search_path: trust its answer */
	if (locked)
		return strset_contains(&ctx->created, locked);
	for (size_t i = 0; i < ctx->created.list.count; i++)
		if (name_matches(ctx->created.list.items[i], schema, rel))
			return true;
	return false;
}

bool
rule_is_new_name(const RuleCtx *ctx, const char *relation)
{
	return strset_contains(&ctx->created, relation);
}

bool
rule_drop_is(const RuleCtx *ctx, const char *remove_type)
{
	return strcmp(ctx->tag, "DropStmt") == 0 &&
		rule_str_is(ctx->body, "removeType", remove_type);
}

cJSON *
rule_names_rangevar(const cJSON *names)
{
	int n = pgnode_list_len(names);
	cJSON *rv = cJSON_CreateObject();

	if (n >= 2)
		cJSON_AddStringToObject(rv, "schemaname", pgnode_name_at(names, n - 2));
	if (n >= 1)
		cJSON_AddStringToObject(rv, "relname", pgnode_name_at(names, n - 1));
	return rv;
}

const cJSON *
rule_existing_relation(const RuleCtx *ctx, const char *tag)
{
	const cJSON *rv;

	if (strcmp(ctx->tag, tag) != 0)
		return NULL;
	rv = pgnode_get(ctx->body, "relation");
	return rv && !rule_is_new(ctx, rv) ? rv : NULL;
}

LockMode
rule_lock_on(const RuleCtx *ctx, const char *relation, LockMode expected)
{
	const Analysis *a = &ctx->st->analysis;

	for (size_t i = 0; i < a->nlocks; i++)
		if (strcmp(a->locks[i].relation, relation) == 0 && a->known)
			return a->locks[i].mode;
	return expected;
}

bool
rule_rewrites(const RuleCtx *ctx, const char *relation)
{
	return strlist_contains(&ctx->st->analysis.rewrites, relation);
}

bool
rule_scans(const RuleCtx *ctx, const char *relation)
{
	return strlist_contains(&ctx->st->analysis.scans, relation);
}

const cJSON *
rule_alter_cmds(const RuleCtx *ctx)
{
	if (strcmp(ctx->tag, "AlterTableStmt") != 0)
		return NULL;
	return pgnode_list(ctx->body, "cmds");
}

bool
rule_cmd_is(const cJSON *cmd, const char *subtype)
{
	return rule_str_is(cmd, "subtype", subtype);
}

const cJSON *
rule_cmd_def(const cJSON *cmd, const char *tag)
{
	return pgnode_as(pgnode_get(cmd, "def"), tag);
}

void
rule_each_alter_cmd(RuleCtx *ctx, const char *subtype, AlterCmdCheck check)
{
	const cJSON *rv = rule_existing_relation(ctx, "AlterTableStmt"), *item;
	AlterCmd ac;
	char *rel;

	if (rv == NULL)
		return;
	rel = rule_relation(ctx, rv);
	ac.rel = rel;
	ac.mode = rule_lock_on(ctx, rel, LOCK_ACCESS_EXCLUSIVE);
	cJSON_ArrayForEach(item, rule_alter_cmds(ctx)) {
		ac.cmd = pgnode_as(item, "AlterTableCmd");
		if (ac.cmd && (subtype == NULL || rule_cmd_is(ac.cmd, subtype)))
			check(ctx, &ac);
	}
	free(rel);
}

const cJSON *
rule_column_constraint(const cJSON *coldef, const char *contype)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, pgnode_list(coldef, "constraints")) {
		const cJSON *con = pgnode_as(c, "Constraint");

		if (rule_str_is(con, "contype", contype))
			return con;
	}
	return NULL;
}

const char *
rule_type_name(const cJSON *type_name)
{
	const char *n = pgnode_last_name(pgnode_list(type_name, "names"));

	return n ? n : "";
}

bool
rule_expr_volatile(const cJSON *node)
{
	const cJSON *child;

	if (node == NULL)
		return false;
	if (cJSON_IsObject(node)) {
		const cJSON *call = pgnode_as(node, "FuncCall");

		if (call && pgfacts_function_volatile(pgnode_last_name(pgnode_list(call, "funcname"))))
			return true;
	}
	cJSON_ArrayForEach(child, node) {
		if (rule_expr_volatile(child))
			return true;
	}
	return false;
}

/*
 * Numbers the transaction blocks statements run in: the whole file when the
 * migration runs in a transaction, else each BEGIN ... COMMIT; -1 outside a
 * block (every statement is then its own transaction). migsafe runs a file
 * made only of statements that refuse a transaction block outside one; another
 * tool (--applied-by other) is assumed to wrap every unmarked file.
 */
static int *
transactions_number(const Migration *m, bool applied_by_other)
{
	int *tx = xcalloc(m->nstmts ? m->nstmts : 1, sizeof *tx);
	bool whole = applied_by_other ? m->transactional : migration_runs_in_transaction(m);
	int current = whole ? 0 : -1, next = 1;

	for (size_t i = 0; i < m->nstmts; i++) {
		const cJSON *body = pgnode_as(m->stmts[i].tree, "TransactionStmt");

		if (!whole && (rule_str_is(body, "kind", "TRANS_STMT_BEGIN") ||
					   rule_str_is(body, "kind", "TRANS_STMT_START")))
			current = next++;
		tx[i] = current;
		if (!whole && (rule_str_is(body, "kind", "TRANS_STMT_COMMIT") ||
					   rule_str_is(body, "kind", "TRANS_STMT_ROLLBACK")))
			current = -1;
	}
	return tx;
}

/*
 * Fills ctx->second_table from ctx->blocks_writes: in each transaction, the
 * first statement that locks a table strongly while another is already held
 * gets the list of tables held then (itself included). Once a transaction has
 * one, it is not followed further, so this stays linear.
 */
static void
second_tables_find(RuleCtx *ctx)
{
	const Migration *m = ctx->m;
	size_t n = m->nstmts ? m->nstmts : 1;
	StrList *held = xcalloc(n + 1, sizeof(StrList));    /* by transaction number */
	bool *found = xcalloc(n + 1, sizeof(bool));

	ctx->second_table = xcalloc(n, sizeof(StrList));
	for (size_t i = 0; i < m->nstmts; i++) {
		const StrList *mine = &ctx->blocks_writes[i];
		int tx = ctx->tx[i];
		bool adds = false;

		if (tx < 0 || (size_t) tx > n || found[tx])
			continue;
		/* a statement that locks two tables at once while none is held does not count */
		for (size_t r = 0; r < mine->count && !adds; r++)
			adds = held[tx].count > 0 && !strlist_contains(&held[tx], mine->items[r]);
		for (size_t r = 0; r < mine->count; r++)
			strlist_add_unique(&held[tx], mine->items[r]);
		if (adds) {
			found[tx] = true;
			ctx->second_table[i] = held[tx];
			memset(&held[tx], 0, sizeof held[tx]);
		}
	}
	for (size_t t = 0; t <= n; t++)
		strlist_free(&held[t]);
	free(held);
	free(found);
}

/*
 * Fills ctx->blocks_writes and ctx->exclusive: per statement, the relations
 * it locks strongly that neither an earlier statement nor itself created;
 * then ctx->second_table. Computed once, so that checks looking across
 * statements stay linear.
 */
static void
strong_locks_collect(RuleCtx *ctx)
{
	const Migration *m = ctx->m;
	StrSet created = {0};

	ctx->blocks_writes = xcalloc(m->nstmts ? m->nstmts : 1, sizeof(StrList));
	ctx->exclusive = xcalloc(m->nstmts ? m->nstmts : 1, sizeof(StrList));
	for (size_t j = 0; j < m->nstmts; j++) {
		const Analysis *a = &m->stmts[j].analysis;

		for (size_t k = 0; k < a->creates.count; k++)
			strset_add(&created, a->creates.items[k]);
		for (size_t i = 0; i < a->nlocks; i++) {
			if (a->locks[i].mode < LOCK_SHARE || strset_contains(&created, a->locks[i].relation))
				continue;
			strlist_add_unique(&ctx->blocks_writes[j], a->locks[i].relation);
			if (a->locks[i].mode == LOCK_ACCESS_EXCLUSIVE)
				strlist_add_unique(&ctx->exclusive[j], a->locks[i].relation);
		}
	}
	strset_free(&created);
	second_tables_find(ctx);
}

/* Runs every enabled check on every statement, in order. */
static void
checks_run(const RulesOptions *opts, Migration *m)
{
	RuleCtx ctx = {0};

	ctx.opts = opts;
	ctx.m = m;
	ctx.tx = transactions_number(m, opts->applied_by_other);
	strong_locks_collect(&ctx);
	for (size_t i = 0; i < m->nstmts; i++) {
		ctx.st = &m->stmts[i];
		ctx.tag = pgnode_tag(ctx.st->tree, &ctx.body);
		if (ctx.tag == NULL)
			continue;
		for (size_t r = 0; r < N_RULES; r++) {
			if (catalogue[r].check == NULL || !rule_enabled(opts, &catalogue[r]))
				continue;
			ctx.rule = &catalogue[r];
			catalogue[r].check(&ctx);
		}
		for (size_t k = 0; k < ctx.st->analysis.creates.count; k++)
			strset_add(&ctx.created, ctx.st->analysis.creates.items[k]);
	}
	for (size_t i = 0; i < m->nstmts; i++) {
		strlist_free(&ctx.blocks_writes[i]);
		strlist_free(&ctx.exclusive[i]);
		strlist_free(&ctx.second_table[i]);
	}
	free(ctx.blocks_writes);
	free(ctx.exclusive);
	free(ctx.second_table);
	strset_free(&ctx.created);
	free(ctx.tx);
}

/* Marks and returns the first directive of list[0..n) naming rule. */
static bool
directives_match(Directive *list, size_t n, const char *rule)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].rule, rule) == 0) {
			list[i].used = true;
			return true;
		}
	}
	return false;
}

/* Frees the strings of a finding dropped from the list. */
static void
finding_release(Finding *f)
{
	free(f->rule);
	free(f->message);
	free(f->help);
}

/*
 * Drops the findings an ignore directive covers (the statement's own, then
 * the file's) and those of rules switched off; gives the others their
 * configured severity.
 */
static void
findings_filter(const RulesOptions *opts, Migration *m)
{
	size_t kept = 0;

	for (size_t i = 0; i < m->nfindings; i++) {
		Finding *f = &m->findings[i];
		const Rule *r = rules_find(f->rule);
		bool drop = false;

		if (r && !rule_enabled(opts, r))
			drop = true;
		else if (f->statement >= 0 && (size_t) f->statement < m->nstmts &&
				 directives_match(m->stmts[f->statement].ignores,
								  m->stmts[f->statement].nignores, f->rule))
			drop = true;
		else if (directives_match(m->file_ignores, m->nfile_ignores, f->rule))
			drop = true;
		if (drop) {
			finding_release(f);
			continue;
		}
		if (r)
			f->severity = rule_severity(opts, r);
		m->findings[kept++] = *f;
	}
	m->nfindings = kept;
}

/* Adds a finding of a migsafe rule located at a directive's comment. */
static void
directive_finding(const RulesOptions *opts, Migration *m, const char *rule, const Directive *d,
				  const char *message, const char *help)
{
	const Rule *r = rules_find(rule);
	Finding *f;

	if (r == NULL || !rule_enabled(opts, r))
		return;
	f = migration_add_finding(m, rule, rule_severity(opts, r), -1, message, help);
	f->line = d->line;
	f->column = d->column;
}

/* Reports directives without a reason and directives that suppressed nothing. */
static void
directives_review(const RulesOptions *opts, Migration *m, Directive *list, size_t n,
				  const char *form)
{
	for (size_t i = 0; i < n; i++) {
		const Directive *d = &list[i];
		const Rule *r = rules_find(d->rule);
		char *msg;

		if (d->reason[0] == '\0') {
			msg = xasprintf("migsafe:%s %s gives no reason", form, d->rule);
			directive_finding(opts, m, "ignore-without-reason", d, msg,
							  "Say why the statement is safe: "
							  "-- migsafe:ignore <rule-id> <reason>.");
			free(msg);
		}
		if (d->used || (r && !rule_enabled(opts, r)))
			continue;
		if (r == NULL)
			msg = xasprintf("migsafe:%s names \"%s\", which is not a migsafe rule", form,
							d->rule);
		else
			msg = xasprintf("migsafe:%s %s suppressed nothing: no %s finding %s", form, d->rule,
							d->rule, strcmp(form, "ignore") == 0 ?
							"on the statement that follows" : "in this file");
		directive_finding(opts, m, "unused-ignore", d, msg,
						  "Remove the directive, or fix the rule id (see docs/rules.md).");
		free(msg);
	}
}

typedef struct SortItem {
	Finding f;
	size_t order;
} SortItem;

/* qsort order: line, column, then the order the findings were made in. */
static int
sort_item_cmp(const void *a, const void *b)
{
	const SortItem *x = a, *y = b;

	if (x->f.line != y->f.line)
		return x->f.line < y->f.line ? -1 : 1;
	if (x->f.column != y->f.column)
		return x->f.column < y->f.column ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Orders findings by position in the file, keeping their order on ties. */
static void
findings_sort(Migration *m)
{
	SortItem *items;

	if (m->nfindings < 2)
		return;
	items = xmalloc(m->nfindings * sizeof *items);
	for (size_t i = 0; i < m->nfindings; i++) {
		items[i].f = m->findings[i];
		items[i].order = i;
	}
	qsort(items, m->nfindings, sizeof *items, sort_item_cmp);
	for (size_t i = 0; i < m->nfindings; i++)
		m->findings[i] = items[i].f;
	free(items);
}

void
rules_check_migration(const RulesOptions *opts, Migration *m)
{
	checks_run(opts, m);
	findings_filter(opts, m);
	for (size_t i = 0; i < m->nstmts; i++)
		directives_review(opts, m, m->stmts[i].ignores, m->stmts[i].nignores, "ignore");
	directives_review(opts, m, m->file_ignores, m->nfile_ignores, "ignore-file");
	findings_sort(m);
}
