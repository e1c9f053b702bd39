/*
 * rules_hygiene.c — column types and habits that cost later: json, varchar(n),
 * char(n), timestamp, int keys, unordered enum values, long identifiers,
 * DDL that cannot be re-run.
 */
#include "rules_internal.h"

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgfacts.h"

/* Looks at one column definition (colname may come from ALTER COLUMN ... TYPE). */
typedef void (*ColumnCheck)(RuleCtx *ctx, const char *colname, const cJSON *coldef);

/*
 * Calls check for every column the statement defines or retypes: CREATE
 * TABLE elements, ALTER TABLE ... ADD COLUMN and ALTER COLUMN ... TYPE.
 */
static void
each_column(RuleCtx *ctx, ColumnCheck check)
{
	const cJSON *item;

	if (strcmp(ctx->tag, "CreateStmt") == 0) {
		cJSON_ArrayForEach(item, pgnode_list(ctx->body, "tableElts")) {
			const cJSON *col = pgnode_as(item, "ColumnDef");

			if (col)
				check(ctx, pgnode_str(col, "colname"), col);
		}
		return;
	}
	cJSON_ArrayForEach(item, rule_alter_cmds(ctx)) {
		const cJSON *cmd = pgnode_as(item, "AlterTableCmd");
		const cJSON *col = rule_cmd_def(cmd, "ColumnDef");

		if (col && rule_cmd_is(cmd, "AT_AddColumn"))
			check(ctx, pgnode_str(col, "colname"), col);
		else if (col && rule_cmd_is(cmd, "AT_AlterColumnType"))
			check(ctx, pgnode_str(cmd, "name"), col);
	}
}

/* The TypeName body of a column definition. */
static const cJSON *
column_type(const cJSON *coldef)
{
	return pgnode_get(coldef, "typeName");
}

/*
 * True when a column's type is PostgreSQL's built-in `name`: written bare
 * or as pg_catalog.name (the grammar qualifies SQL-standard spellings).
 */
static bool
type_is(const cJSON *coldef, const char *name)
{
	const cJSON *names = pgnode_list(column_type(coldef), "names");
	int n = pgnode_list_len(names);

	if (n == 0 || strcmp(pgnode_name_at(names, n - 1), name) != 0)
		return false;
	return n == 1 || (n == 2 && strcmp(pgnode_name_at(names, 0), "pg_catalog") == 0);
}

/* A column name for messages; "<column>" when the statement gave none. */
static const char *
col_or_placeholder(const char *colname)
{
	return colname ? colname : "<column>";
}

/* prefer-jsonb for one column. */
static void
column_json(RuleCtx *ctx, const char *colname, const cJSON *coldef)
{
	if (!type_is(coldef, "json"))
		return;
	rule_report(ctx, rule_location(column_type(coldef)),
				xasprintf("column \"%s\" is json: stored as text and re-parsed on every access, it "
						  "has no equality operator (DISTINCT, UNIQUE, GROUP BY fail) and no GIN "
						  "indexing", col_or_placeholder(colname)),
				xasprintf("Use jsonb: %s jsonb (keep json only to preserve key order and "
						  "duplicate keys).", col_or_placeholder(colname)));
}

/* prefer-jsonb: json column: jsonb is smaller to query, indexable and comparable. */
void
check_prefer_jsonb(RuleCtx *ctx)
{
	each_column(ctx, column_json);
}

/* prefer-text-over-varchar for one column. */
static void
column_varchar(RuleCtx *ctx, const char *colname, const cJSON *coldef)
{
	const cJSON *mods = pgnode_list(column_type(coldef), "typmods");
	int n = 0;

	if (!type_is(coldef, "varchar") || mods == NULL)
		return;
	pgnode_const_int(cJSON_GetArrayItem(mods, 0), &n);
	rule_report(ctx, rule_location(column_type(coldef)),
				xasprintf("column \"%s\" is varchar(%d): raising the limit later is cheap, but "
						  "lowering it rewrites the table, and the limit is rarely the real rule",
						  col_or_placeholder(colname), n),
				xasprintf("Use text with a CHECK that can be changed with NOT VALID + VALIDATE:\n"
						  "  %s text CHECK (char_length(%s) <= %d)",
						  col_or_placeholder(colname), col_or_placeholder(colname), n));
}

/*
 * prefer-text-over-varchar: varchar(n): changing n later takes a lock; text with a CHECK is
 * easier to change.
 */
void
check_prefer_text_over_varchar(RuleCtx *ctx)
{
	each_column(ctx, column_varchar);
}

/* prefer-text-over-char for one column. */
static void
column_char(RuleCtx *ctx, const char *colname, const cJSON *coldef)
{
	if (!type_is(coldef, "bpchar"))
		return;
	rule_report(ctx, rule_location(column_type(coldef)),
				xasprintf("column \"%s\" is char(n): values are padded with spaces, comparisons "
						  "ignore trailing spaces, and it is never faster than text",
						  col_or_placeholder(colname)),
				xasprintf("Use text (or varchar) with a CHECK on the length:\n"
						  "  %s text CHECK (char_length(%s) = <n>)",
						  col_or_placeholder(colname), col_or_placeholder(colname)));
}

/* prefer-text-over-char: char(n) pads with spaces and is never faster than text. */
void
check_prefer_text_over_char(RuleCtx *ctx)
{
	each_column(ctx, column_char);
}

/* prefer-timestamptz for one column. */
static void
column_timestamp(RuleCtx *ctx, const char *colname, const cJSON *coldef)
{
	if (!type_is(coldef, "timestamp"))
		return;
	rule_report(ctx, rule_location(column_type(coldef)),
				xasprintf("column \"%s\" is timestamp without time zone: it stores wall-clock "
						  "time, so the same instant written by sessions in different time zones "
						  "(or across a DST change) gets different values",
						  col_or_placeholder(colname)),
				xasprintf("Use timestamptz, which stores the instant:\n  %s timestamptz",
						  col_or_placeholder(colname)));
}

/*
 * prefer-timestamptz: timestamp without time zone loses the instant when sessions use
 * different time zones.
 */
void
check_prefer_timestamptz(RuleCtx *ctx)
{
	each_column(ctx, column_timestamp);
}

/* 32-bit and 16-bit integer types, as the grammar spells them, and their serials. */
static const char *const small_int_types[] = {
	"int4", "int2", "integer", "smallint", "serial", "serial4", "smallserial", "serial2", NULL
};

/* True when the column is a 16- or 32-bit integer (or serial). */
static bool
type_is_small_int(const cJSON *coldef)
{
	for (int i = 0; small_int_types[i]; i++)
		if (type_is(coldef, small_int_types[i]))
			return true;
	return false;
}

/* 16-bit types among small_int_types: they run out at 32,767. */
static const char *const tiny_int_types[] = {"int2", "smallint", "smallserial", "serial2", NULL};

/* Reports a primary key column of a type that runs out. */
static void
report_int_key(RuleCtx *ctx, const char *colname, const cJSON *coldef)
{
	bool tiny = false;

	for (int i = 0; tiny_int_types[i]; i++)
		tiny = tiny || type_is(coldef, tiny_int_types[i]);
	rule_report(ctx, rule_location(column_type(coldef)),
				xasprintf("primary key \"%s\" is %s: it runs out after %s ids, and changing it to "
						  "bigint later rewrites the table and every table referencing it",
						  col_or_placeholder(colname), rule_type_name(column_type(coldef)),
						  tiny ? "32,767" : "2,147,483,647"),
				xasprintf("Use bigint from the start:\n"
						  "  %s bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
						  col_or_placeholder(colname)));
}

/* prefer-bigint-primary-key for a column with an inline PRIMARY KEY. */
static void
column_int_key(RuleCtx *ctx, const char *colname, const cJSON *coldef)
{
	if (rule_column_constraint(coldef, "CONSTR_PRIMARY") && type_is_small_int(coldef))
		report_int_key(ctx, colname, coldef);
}

/* The ColumnDef called name among a CREATE TABLE's elements, or NULL. */
static const cJSON *
find_column(const cJSON *elts, const char *name)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, elts) {
		const cJSON *col = pgnode_as(item, "ColumnDef");
		const char *n = pgnode_str(col, "colname");

		if (n && name && strcmp(n, name) == 0)
			return col;
	}
	return NULL;
}

/*
 * prefer-bigint-primary-key: int / smallint primary key runs out of values; bigint avoids a
 * rewrite later.
 */
void
check_prefer_bigint_primary_key(RuleCtx *ctx)
{
	const cJSON *item, *elts;

	each_column(ctx, column_int_key);
	if (strcmp(ctx->tag, "CreateStmt") != 0)
		return;
	/* table constraint PRIMARY KEY (id): a single key column defined in the same statement */
	elts = pgnode_list(ctx->body, "tableElts");
	cJSON_ArrayForEach(item, elts) {
		const cJSON *con = pgnode_as(item, "Constraint");
		const cJSON *keys = pgnode_list(con, "keys");
		const cJSON *col;

		if (!rule_str_is(con, "contype", "CONSTR_PRIMARY") || pgnode_list_len(keys) != 1)
			continue;
		col = find_column(elts, pgnode_name_at(keys, 0));
		if (col && type_is_small_int(col))
			report_int_key(ctx, pgnode_name_at(keys, 0), col);
	}
}

/*
 * enum-value-without-position: ALTER TYPE ... ADD VALUE without BEFORE / AFTER appends the
 * value at the end.
 */
void
check_enum_value_without_position(RuleCtx *ctx)
{
	const char *type;

	if (strcmp(ctx->tag, "AlterEnumStmt") != 0 || pgnode_str(ctx->body, "oldVal") ||
		pgnode_str(ctx->body, "newVal") == NULL || pgnode_str(ctx->body, "newValNeighbor"))
		return;
	type = pgnode_last_name(pgnode_list(ctx->body, "typeName"));
	rule_report(ctx, -1,
				xasprintf("ALTER TYPE %s ADD VALUE '%s' appends the value after all others: enum "
						  "values sort and compare by position, not by name",
						  type ? type : "<type>", pgnode_str(ctx->body, "newVal")),
				xasprintf("Say where it goes when order matters:\n"
						  "  ALTER TYPE %s ADD VALUE '%s' BEFORE '<existing value>';",
						  type ? type : "<type>", pgnode_str(ctx->body, "newVal")));
}

#define NAMEDATALEN_MAX 63

/*
 * The identifier's length in bytes as PostgreSQL stores it before
 * truncating: without the quotes of a quoted identifier, a doubled quote
 * counting once.
 */
static size_t
identifier_bytes(const char *tok, size_t len)
{
	size_t n = 0;

	if (len < 2 || tok[0] != '"')
		return len;
	for (size_t i = 1; i + 1 < len; i++) {
		if (tok[i] == '"' && tok[i + 1] == '"')
			i++;
		n++;
	}
	return n;
}

/*
 * The parser truncates identifiers to 63 bytes before the tree is built, so
 * long names are found among the statement's scanner tokens: its IDENT tokens.
 */
void
check_identifier_too_long(RuleCtx *ctx)
{
	const Statement *st = ctx->st;
	const char *text = ctx->m->text;
	StrList seen = {0};

	for (size_t i = st->first_token; ctx->m->tokens && i < st->first_token + st->ntokens; i++) {
		const SqlToken *t = &ctx->m->tokens[i];
		size_t len = t->end - t->start;
		char *name;

		if (t->kind != PG_QUERY__TOKEN__IDENT ||
			identifier_bytes(text + t->start, len) <= NAMEDATALEN_MAX)
			continue;
		name = xstrndup(text + t->start, len);
		if (!strlist_contains(&seen, name)) {
			strlist_add(&seen, name);
			rule_report(ctx, t->start,
						xasprintf("identifier %s is %zu bytes: PostgreSQL silently truncates it to "
								  "63, so names sharing their first 63 bytes collide and tools "
								  "comparing names see a different one",
								  name, identifier_bytes(name, len)),
						xstrdup("Choose a name of at most 63 bytes."));
		}
		free(name);
	}
	strlist_free(&seen);
}

/* A statement type and the flag that makes it safe to run twice. */
typedef struct IdempotentFlag {
	const char *tag;
	const char *flag;
	const char *spelling;    /* what to write */
} IdempotentFlag;

static const IdempotentFlag idempotent_flags[] = {
	{"CreateStmt", "if_not_exists", "CREATE TABLE IF NOT EXISTS"},
	{"CreateTableAsStmt", "if_not_exists", "CREATE TABLE IF NOT EXISTS ... AS"},
	{"IndexStmt", "if_not_exists", "CREATE INDEX IF NOT EXISTS"},
	{"CreateSeqStmt", "if_not_exists", "CREATE SEQUENCE IF NOT EXISTS"},
	{"CreateSchemaStmt", "if_not_exists", "CREATE SCHEMA IF NOT EXISTS"},
	{"CreateExtensionStmt", "if_not_exists", "CREATE EXTENSION IF NOT EXISTS"},
	{"DropStmt", "missing_ok", "DROP ... IF EXISTS"},
	{"ViewStmt", "replace", "CREATE OR REPLACE VIEW"},
	{"CreateFunctionStmt", "replace", "CREATE OR REPLACE FUNCTION"},
	{"CreateTrigStmt", "replace", "CREATE OR REPLACE TRIGGER"},
	{NULL, NULL, NULL}
};

/* ALTER TABLE sub-commands that take IF [NOT] EXISTS (their missing_ok flag). */
static const char *const idempotent_cmds[][2] = {
	{"AT_AddColumn", "ADD COLUMN IF NOT EXISTS"},
	{"AT_DropColumn", "DROP COLUMN IF EXISTS"},
	{"AT_DropConstraint", "DROP CONSTRAINT IF EXISTS"},
	{NULL, NULL}
};

/* Reports the statement, saying what to write instead. */
static void
report_not_idempotent(RuleCtx *ctx, const char *spelling)
{
	rule_report(ctx, -1,
				xasprintf("%s without IF [NOT] EXISTS in a migration that does not run in a "
						  "transaction: when a later statement fails, the statements before it "
						  "stay applied and re-running the file fails here",
						  ctx->st->analysis.kind ? ctx->st->analysis.kind : ctx->tag),
				xasprintf("Write %s so the file can be run again after a partial failure.",
						  spelling));
}

/*
 * non-idempotent-ddl: DDL without IF [NOT] EXISTS in a migration that does not run in a
 * transaction.
 */
void
check_non_idempotent_ddl(RuleCtx *ctx)
{
	const cJSON *item;

	if (ctx->m->transactional || ctx->tx[ctx->st->index] >= 0)
		return;
	/* CONCURRENTLY: IF NOT EXISTS would keep an invalid index (see the index rules) */
	if (strcmp(ctx->tag, "IndexStmt") == 0 && pgnode_bool(ctx->body, "concurrent"))
		return;
	for (int i = 0; idempotent_flags[i].tag; i++) {
		if (strcmp(ctx->tag, idempotent_flags[i].tag) == 0) {
			if (!pgnode_bool(ctx->body, idempotent_flags[i].flag))
				report_not_idempotent(ctx, idempotent_flags[i].spelling);
			return;
		}
	}
	cJSON_ArrayForEach(item, rule_alter_cmds(ctx)) {
		const cJSON *cmd = pgnode_as(item, "AlterTableCmd");

		for (int i = 0; idempotent_cmds[i][0]; i++) {
			if (rule_cmd_is(cmd, idempotent_cmds[i][0]) && !pgnode_bool(cmd, "missing_ok")) {
				report_not_idempotent(ctx, idempotent_cmds[i][1]);
				return;
			}
		}
	}
}
