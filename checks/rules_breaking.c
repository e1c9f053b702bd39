/*
 * rules_breaking.c — changes that break the application version still
 * running while (and right after) the migration is applied.
 */
#include "rules_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pgfacts.h"

/*
 * Reports a breaking change on table rel. Every breaking-change message ends
 * with the lock it takes: the change itself is quick, but it queues behind
 * running queries and everything queues behind it. Takes ownership of
 * message and help.
 */
static void
report_breaking(RuleCtx *ctx, int location, const char *rel, char *message, char *help)
{
	LockMode mode = rule_lock_on(ctx, rel, LOCK_ACCESS_EXCLUSIVE);

	rule_report(ctx, location,
				xasprintf("%s; it takes %s on %s, which blocks %s while it waits and runs",
						  message, lockmode_name(mode), rel, lockmode_blocks(mode)),
				help);
	free(message);
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
alter_drop_column(RuleCtx *ctx, const AlterCmd *ac)
{
	report_breaking(ctx, -1, ac->rel,
					xasprintf("DROP COLUMN \"%s\" on %s: the application still running reads or "
							  "writes it and fails (ORMs that select every column fail at once)",
							  cmd_name(ac->cmd), ac->rel),
					xasprintf("Deploy code that no longer uses %s.%s first (and remove it from the "
							  "ORM model, e.g. ignored_columns), then drop it in a later migration:\n"
							  "  ALTER TABLE %s DROP COLUMN IF EXISTS %s;",
							  ac->rel, cmd_name(ac->cmd), ac->rel, cmd_name(ac->cmd)));
}

/* dropping-column: DROP COLUMN breaks code that still reads or writes the column. */
void
check_dropping_column(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_DropColumn", alter_drop_column);
}

/* dropping-table: DROP TABLE breaks code that still uses the table. */
void
check_dropping_table(RuleCtx *ctx)
{
	const cJSON *item;

	if (!rule_drop_is(ctx, "OBJECT_TABLE"))
		return;
	cJSON_ArrayForEach(item, pgnode_list(ctx->body, "objects")) {
		cJSON *rv = rule_names_rangevar(pgnode_list(pgnode_as(item, "List"), "items"));

		if (!rule_is_new(ctx, rv)) {
			char *rel = rule_relation(ctx, rv);

			report_breaking(ctx, -1, rel,
							xasprintf("DROP TABLE %s: code still using it fails, and the data is "
									  "gone for good (no rollback after COMMIT)", rel),
							xasprintf("Deploy code that no longer uses %s first, keep a backup or "
									  "rename it aside for a release (ALTER TABLE %s RENAME TO "
									  "%s_old), then drop it in a later migration.", rel, rel, rel));
			free(rel);
		}
		cJSON_Delete(rv);
	}
}

/*
 * The table a RENAME of rename_type (OBJECT_COLUMN, OBJECT_TABLE) changes,
 * as the analysis names it, when it existed before this migration; NULL for
 * any other statement. The caller frees.
 */
static char *
renamed_table(const RuleCtx *ctx, const char *rename_type)
{
	const cJSON *rv = rule_existing_relation(ctx, "RenameStmt");

	if (rv == NULL || !rule_str_is(ctx->body, "renameType", rename_type))
		return NULL;
	return rule_relation(ctx, rv);
}

/* renaming-column: RENAME COLUMN breaks code that uses the old name. */
void
check_renaming_column(RuleCtx *ctx)
{
	char *rel = renamed_table(ctx, "OBJECT_COLUMN");
	const char *old_name = pgnode_str(ctx->body, "subname");
	const char *new_name = pgnode_str(ctx->body, "newname");

	if (rel == NULL)
		return;
	report_breaking(ctx, -1, rel,
					xasprintf("RENAME COLUMN \"%s\" TO \"%s\" on %s: the application still running "
							  "uses the old name and fails", old_name, new_name, rel),
					xasprintf("Expand and contract: add \"%s\", write both columns (trigger or "
							  "code), backfill, switch the reads, then drop \"%s\" in a later "
							  "migration:\n"
							  "  ALTER TABLE %s ADD COLUMN %s <type>;",
							  new_name, old_name, rel, new_name));
	free(rel);
}

/* renaming-table: RENAME TO breaks code that uses the old table name. */
void
check_renaming_table(RuleCtx *ctx)
{
	char *rel = renamed_table(ctx, "OBJECT_TABLE");
	const char *new_name = pgnode_str(ctx->body, "newname");

	if (rel == NULL)
		return;
	report_breaking(ctx, -1, rel,
					xasprintf("RENAME %s TO %s: the application still running uses the old name "
							  "and fails", rel, new_name),
					xasprintf("Rename and leave a view under the old name in the same transaction, "
							  "until no code uses it:\n"
							  "  ALTER TABLE %s RENAME TO %s;\n"
							  "  CREATE VIEW %s AS SELECT * FROM %s;  -- simple views are updatable",
							  rel, new_name, rel, new_name));
	free(rel);
}

/* adding-required-column for one ADD COLUMN, unless something fills the column. */
static void
alter_required_column(RuleCtx *ctx, const AlterCmd *ac)
{
	const cJSON *col = rule_cmd_def(ac->cmd, "ColumnDef");
	static const char *const fillers[] = {
		"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED", NULL
	};
	const char *name = pgnode_str(col, "colname");
	const char *type = rule_type_name(pgnode_get(col, "typeName"));

	if (rule_column_constraint(col, "CONSTR_NOTNULL") == NULL &&
		rule_column_constraint(col, "CONSTR_PRIMARY") == NULL)
		return;
	for (int i = 0; fillers[i]; i++)
		if (rule_column_constraint(col, fillers[i]))
			return;
	if (pgfacts_serial_base(type))
		return;              /* serial columns come with a default */
	report_breaking(ctx, rule_location(col), ac->rel,
					xasprintf("ADD COLUMN \"%s\" NOT NULL without a DEFAULT fails when %s has rows, "
							  "and INSERTs from code that does not know the column fail",
							  name ? name : "<column>", ac->rel),
					xasprintf("Give it a default (PostgreSQL 11+ adds a constant default without a "
							  "rewrite), or add it nullable, backfill, and add NOT NULL later (see "
							  "setting-not-null):\n"
							  "  ALTER TABLE %s ADD COLUMN %s %s NOT NULL DEFAULT <constant>;",
							  ac->rel, name ? name : "<column>", type));
}

/*
 * adding-required-column: ADD COLUMN ... NOT NULL without a default fails on a non-empty
 * table and breaks inserts.
 */
void
check_adding_required_column(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_AddColumn", alter_required_column);
}

/* dropping-not-null for one DROP NOT NULL. */
static void
alter_drop_not_null(RuleCtx *ctx, const AlterCmd *ac)
{
	report_breaking(ctx, -1, ac->rel,
					xasprintf("DROP NOT NULL on \"%s\" of %s: code that reads the column may now "
							  "get NULLs it does not expect", cmd_name(ac->cmd), ac->rel),
					xstrdup("Make sure every reader handles NULL before code starts writing "
							"NULLs."));
}

/* dropping-not-null: DROP NOT NULL lets NULLs in that code may not expect. */
void
check_dropping_not_null(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_DropNotNull", alter_drop_not_null);
}

/* truncate-cascade: TRUNCATE ... CASCADE also empties every table that references it. */
void
check_truncate_cascade(RuleCtx *ctx)
{
	if (strcmp(ctx->tag, "TruncateStmt") != 0 ||
		!rule_str_is(ctx->body, "behavior", "DROP_CASCADE"))
		return;
	rule_report(ctx, -1,
				xstrdup("TRUNCATE ... CASCADE also empties every table with a foreign key to "
						"these tables, and those tables' referencing tables, recursively, under "
						"AccessExclusiveLock"),
				xstrdup("Name every table you mean to empty in the TRUNCATE and leave out CASCADE: "
						"PostgreSQL then refuses when a table you did not name references them."));
}
