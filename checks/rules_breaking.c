/*
 * rules_breaking.c — changes that break the application version still
 * running while (and right after) the migration is applied.
 */
#include "rules_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pgfacts.h"

/* Reports one ALTER TABLE sub-command (its body) on table rel. */
typedef void (*CmdReport)(RuleCtx *ctx, const char *rel, const cJSON *cmd);

/* Calls report for each sub-command of type subtype of an ALTER TABLE on an existing table. */
static void
each_cmd(RuleCtx *ctx, const char *subtype, CmdReport report)
{
	const cJSON *rv = rule_existing_alter(ctx), *item;
	char *rel;

	if (rv == NULL)
		return;
	rel = rule_relation(ctx, rv);
	cJSON_ArrayForEach(item, rule_alter_cmds(ctx)) {
		const cJSON *cmd = pgnode_as(item, "AlterTableCmd");

		if (rule_cmd_is(cmd, subtype))
			report(ctx, rel, cmd);
	}
	free(rel);
}

/*
 * The lock clause every breaking-change message ends with: the change itself
 * is quick, but it queues behind running queries and everything queues
 * behind it. The caller frees.
 */
static char *
lock_clause(const RuleCtx *ctx, const char *rel)
{
	LockMode mode = rule_lock_on(ctx, rel, LOCK_ACCESS_EXCLUSIVE);

	return xasprintf("; it takes %s on %s, which blocks %s while it waits and runs",
					 lockmode_name(mode), rel, lockmode_blocks(mode));
}

/* The column a sub-command names, for messages. */
static const char *
cmd_name(const cJSON *cmd)
{
	const char *n = pgnode_str(cmd, "name");

	return n ? n : "<column>";
}

/* dropping-column for one DROP COLUMN. */
static void
report_drop_column(RuleCtx *ctx, const char *rel, const cJSON *cmd)
{
	char *lock = lock_clause(ctx, rel);

	rule_report(ctx, -1,
				xasprintf("DROP COLUMN \"%s\" on %s: the application still running reads or writes "
						  "it and fails (ORMs that select every column fail at once)%s",
						  cmd_name(cmd), rel, lock),
				xasprintf("Deploy code that no longer uses %s.%s first (and remove it from the ORM "
						  "model, e.g. ignored_columns), then drop it in a later migration:\n"
						  "  ALTER TABLE %s DROP COLUMN IF EXISTS %s;",
						  rel, cmd_name(cmd), rel, cmd_name(cmd)));
	free(lock);
}

/* dropping-column: DROP COLUMN breaks code that still reads or writes the column. */
void
check_dropping_column(RuleCtx *ctx)
{
	each_cmd(ctx, "AT_DropColumn", report_drop_column);
}

/* dropping-table: DROP TABLE breaks code that still uses the table. */
void
check_dropping_table(RuleCtx *ctx)
{
	const char *rt;
	const cJSON *item;

	if (strcmp(ctx->tag, "DropStmt") != 0)
		return;
	rt = pgnode_str(ctx->body, "removeType");
	if (rt == NULL || strcmp(rt, "OBJECT_TABLE") != 0)
		return;
	cJSON_ArrayForEach(item, pgnode_list(ctx->body, "objects")) {
		const cJSON *names = pgnode_list(pgnode_as(item, "List"), "items");
		int n = pgnode_list_len(names);
		cJSON *rv = cJSON_CreateObject();
		char *rel;

		if (n >= 2)
			cJSON_AddStringToObject(rv, "schemaname", pgnode_name_at(names, n - 2));
		cJSON_AddStringToObject(rv, "relname", n >= 1 ? pgnode_name_at(names, n - 1) : "?");
		if (!rule_is_new(ctx, rv)) {
			char *lock;

			rel = rule_relation(ctx, rv);
			lock = lock_clause(ctx, rel);
			rule_report(ctx, -1,
						xasprintf("DROP TABLE %s: code still using it fails, and the data is gone "
								  "for good (no rollback after COMMIT)%s", rel, lock),
						xasprintf("Deploy code that no longer uses %s first, keep a backup or "
								  "rename it aside for a release (ALTER TABLE %s RENAME TO "
								  "%s_old), then drop it in a later migration.", rel, rel, rel));
			free(lock);
			free(rel);
		}
		cJSON_Delete(rv);
	}
}

/* renaming-column: RENAME COLUMN breaks code that uses the old name. */
void
check_renaming_column(RuleCtx *ctx)
{
	const char *rt;
	const cJSON *rv;
	char *rel, *lock;

	if (strcmp(ctx->tag, "RenameStmt") != 0)
		return;
	rt = pgnode_str(ctx->body, "renameType");
	rv = cJSON_GetObjectItemCaseSensitive(ctx->body, "relation");
	if (rt == NULL || strcmp(rt, "OBJECT_COLUMN") != 0 || rv == NULL || rule_is_new(ctx, rv))
		return;
	rel = rule_relation(ctx, rv);
	lock = lock_clause(ctx, rel);
	rule_report(ctx, -1,
				xasprintf("RENAME COLUMN \"%s\" TO \"%s\" on %s: the application still running uses "
						  "the old name and fails%s", pgnode_str(ctx->body, "subname"),
						  pgnode_str(ctx->body, "newname"), rel, lock),
				xasprintf("Expand and contract: add \"%s\", write both columns (trigger or code), "
						  "backfill, switch the reads, then drop \"%s\" in a later migration:\n"
						  "  ALTER TABLE %s ADD COLUMN %s <type>;",
						  pgnode_str(ctx->body, "newname"), pgnode_str(ctx->body, "subname"), rel,
						  pgnode_str(ctx->body, "newname")));
	free(lock);
	free(rel);
}

/* renaming-table: RENAME TO breaks code that uses the old table name. */
void
check_renaming_table(RuleCtx *ctx)
{
	const char *rt;
	const cJSON *rv;
	char *rel, *lock;

	if (strcmp(ctx->tag, "RenameStmt") != 0)
		return;
	rt = pgnode_str(ctx->body, "renameType");
	rv = cJSON_GetObjectItemCaseSensitive(ctx->body, "relation");
	if (rt == NULL || strcmp(rt, "OBJECT_TABLE") != 0 || rv == NULL || rule_is_new(ctx, rv))
		return;
	rel = rule_relation(ctx, rv);
	lock = lock_clause(ctx, rel);
	rule_report(ctx, -1,
				xasprintf("RENAME %s TO %s: the application still running uses the old name and "
						  "fails%s", rel, pgnode_str(ctx->body, "newname"), lock),
				xasprintf("Rename and leave a view under the old name in the same transaction, "
						  "until no code uses it:\n"
						  "  ALTER TABLE %s RENAME TO %s;\n"
						  "  CREATE VIEW %s AS SELECT * FROM %s;  -- simple views are updatable",
						  rel, pgnode_str(ctx->body, "newname"), rel,
						  pgnode_str(ctx->body, "newname")));
	free(lock);
	free(rel);
}

/* adding-required-column for one ADD COLUMN, unless something fills the column. */
static void
report_required_column(RuleCtx *ctx, const char *rel, const cJSON *cmd)
{
	const cJSON *col = pgnode_as(cJSON_GetObjectItemCaseSensitive(cmd, "def"), "ColumnDef");
	static const char *const fillers[] = {
		"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED", NULL
	};
	const char *name = pgnode_str(col, "colname");
	const char *type = rule_type_name(cJSON_GetObjectItemCaseSensitive(col, "typeName"));
	char *lock;

	if (rule_column_constraint(col, "CONSTR_NOTNULL") == NULL &&
		rule_column_constraint(col, "CONSTR_PRIMARY") == NULL)
		return;
	for (int i = 0; fillers[i]; i++)
		if (rule_column_constraint(col, fillers[i]))
			return;
	if (pgfacts_serial_base(type))
		return;              /* serial columns come with a default */
	lock = lock_clause(ctx, rel);
	rule_report(ctx, rule_location(col),
				xasprintf("ADD COLUMN \"%s\" NOT NULL without a DEFAULT fails when %s has rows, "
						  "and INSERTs from code that does not know the column fail%s",
						  name ? name : "<column>", rel, lock),
				xasprintf("Give it a default (PostgreSQL 11+ adds a constant default without a "
						  "rewrite), or add it nullable, backfill, and add NOT NULL later (see "
						  "setting-not-null):\n"
						  "  ALTER TABLE %s ADD COLUMN %s %s NOT NULL DEFAULT <constant>;",
						  rel, name ? name : "<column>", type));
	free(lock);
}

/*
 * adding-required-column: ADD COLUMN ... NOT NULL without a default fails on a non-empty
 * table and breaks inserts.
 */
void
check_adding_required_column(RuleCtx *ctx)
{
	each_cmd(ctx, "AT_AddColumn", report_required_column);
}

/* dropping-not-null for one DROP NOT NULL. */
static void
report_drop_not_null(RuleCtx *ctx, const char *rel, const cJSON *cmd)
{
	char *lock = lock_clause(ctx, rel);

	rule_report(ctx, -1,
				xasprintf("DROP NOT NULL on \"%s\" of %s: code that reads the column may now get "
						  "NULLs it does not expect%s", cmd_name(cmd), rel, lock),
				xstrdup("Make sure every reader handles NULL before code starts writing NULLs."));
	free(lock);
}

/* dropping-not-null: DROP NOT NULL lets NULLs in that code may not expect. */
void
check_dropping_not_null(RuleCtx *ctx)
{
	each_cmd(ctx, "AT_DropNotNull", report_drop_not_null);
}

/* truncate-cascade: TRUNCATE ... CASCADE also empties every table that references it. */
void
check_truncate_cascade(RuleCtx *ctx)
{
	const char *behavior;

	if (strcmp(ctx->tag, "TruncateStmt") != 0)
		return;
	behavior = pgnode_str(ctx->body, "behavior");
	if (behavior == NULL || strcmp(behavior, "DROP_CASCADE") != 0)
		return;
	rule_report(ctx, -1,
				xstrdup("TRUNCATE ... CASCADE also empties every table with a foreign key to "
						"these tables, and those tables' referencing tables, recursively, under "
						"AccessExclusiveLock"),
				xstrdup("Name every table you mean to empty in the TRUNCATE and leave out CASCADE: "
						"PostgreSQL then refuses when a table you did not name references them."));
}
