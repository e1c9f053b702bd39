/*
 * rules_rewrite.c — statements that rewrite a table or scan all of it while
 * holding a lock the application waits for.
 */
#include "rules_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pgfacts.h"

/* The ColumnDef an ADD COLUMN sub-command adds; NULL for other sub-commands. */
static const cJSON *
added_column(const cJSON *cmd)
{
	return rule_cmd_is(cmd, "AT_AddColumn") ? rule_cmd_def(cmd, "ColumnDef") : NULL;
}

/* The Constraint of type contype an ADD CONSTRAINT sub-command adds; NULL for others. */
static const cJSON *
added_constraint(const cJSON *cmd, const char *contype)
{
	const cJSON *con = rule_cmd_def(cmd, "Constraint");

	if (!rule_cmd_is(cmd, "AT_AddConstraint") || !rule_str_is(con, "contype", contype))
		return NULL;
	return con;
}

/* A name for messages; "<name>" when the SQL gave none. */
static const char *
or_placeholder(const char *name)
{
	return name ? name : "<name>";
}

/* adding-column-volatile-default for one ADD COLUMN. */
static void
alter_volatile_default(RuleCtx *ctx, const AlterCmd *ac)
{
	const cJSON *col = rule_cmd_def(ac->cmd, "ColumnDef");
	const cJSON *def = rule_column_constraint(col, "CONSTR_DEFAULT");
	const char *name = or_placeholder(pgnode_str(col, "colname"));
	bool vol;

	if (def == NULL)
		return;
	vol = rule_expr_volatile(pgnode_get(def, "raw_expr"));
	if (pgfacts_has(ctx->opts->pg_version, PGFACT_FAST_DEFAULT) && !vol)
		return;
	rule_report(ctx, rule_location(col),
				xasprintf("ADD COLUMN \"%s\" with %s rewrites every row of %s while holding "
						  "%s, which blocks %s until the rewrite ends", name,
						  vol ? "a volatile default (evaluated per row)" :
						  "a default (PostgreSQL before 11 stores it in every row)",
						  ac->rel, lockmode_name(ac->mode), lockmode_blocks(ac->mode)),
				xasprintf("Add the column without a default, give new rows the default, then "
						  "fill existing rows in batches outside this migration:\n"
						  "  ALTER TABLE %s ADD COLUMN %s <type>;\n"
						  "  ALTER TABLE %s ALTER COLUMN %s SET DEFAULT <expression>;\n"
						  "  UPDATE %s SET %s = <expression> WHERE <key range>;  -- per batch",
						  ac->rel, name, ac->rel, name, ac->rel, name));
}

/*
 * adding-column-volatile-default: ADD COLUMN with a volatile default (any default before
 * PostgreSQL 11) rewrites the table.
 */
void
check_adding_column_volatile_default(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_AddColumn", alter_volatile_default);
}

/* changing-column-type for one ALTER COLUMN ... TYPE. */
static void
alter_column_type(RuleCtx *ctx, const AlterCmd *ac)
{
	const cJSON *col = rule_cmd_def(ac->cmd, "ColumnDef");
	const char *name = or_placeholder(pgnode_str(ac->cmd, "name"));

	/* binary-coercible changes (varchar(10) to varchar(20), to text) rewrite nothing */
	if (!rule_rewrites(ctx, ac->rel) && ctx->st->analysis.known)
		return;
	rule_report(ctx, rule_location(col),
				xasprintf("ALTER COLUMN \"%s\" TYPE %s rewrites %s and rebuilds its indexes "
						  "while holding %s, which blocks %s until it ends; code that reads or "
						  "writes the old type may break", name,
						  rule_type_name(pgnode_get(col, "typeName")),
						  ac->rel, lockmode_name(ac->mode), lockmode_blocks(ac->mode)),
				xasprintf("Change the type in steps: add a new column of the new type, keep it "
						  "in sync with a trigger, backfill it in batches, switch the code to "
						  "it, then drop the old one:\n"
						  "  ALTER TABLE %s ADD COLUMN %s_new <new type>;\n"
						  "  -- trigger + batched UPDATE %s SET %s_new = %s, then switch reads\n"
						  "  ALTER TABLE %s DROP COLUMN %s;  -- in a later migration\n"
						  "Changes PostgreSQL can do without a rewrite (varchar(n) to a larger "
						  "n or to text, numeric to a larger precision) need none of this.",
						  ac->rel, name, ac->rel, name, name, ac->rel, name));
}

/*
 * changing-column-type: ALTER COLUMN ... TYPE that rewrites the table and breaks code using
 * the old type.
 */
void
check_changing_column_type(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_AlterColumnType", alter_column_type);
}

/* setting-not-null for one SET NOT NULL. */
static void
alter_set_not_null(RuleCtx *ctx, const AlterCmd *ac)
{
	const char *name = or_placeholder(pgnode_str(ac->cmd, "name"));
	const char *rel = ac->rel;

	/* a valid CHECK (col IS NOT NULL) lets PostgreSQL 12+ skip the scan: no finding */
	if (!rule_scans(ctx, rel) && ctx->st->analysis.known)
		return;
	rule_report(ctx, -1,
				xasprintf("SET NOT NULL on \"%s\" scans all of %s while holding %s, which "
						  "blocks %s until the scan ends", name, rel, lockmode_name(ac->mode),
						  lockmode_blocks(ac->mode)),
				pgfacts_has(ctx->opts->pg_version, PGFACT_NOT_NULL_FROM_CHECK) ?
				xasprintf("Prove the column has no NULLs with a constraint validated without "
						  "the strong lock, then SET NOT NULL skips the scan:\n"
						  "  ALTER TABLE %s ADD CONSTRAINT %s_not_null CHECK (%s IS NOT NULL) NOT VALID;\n"
						  "  ALTER TABLE %s VALIDATE CONSTRAINT %s_not_null;  -- own transaction\n"
						  "  ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n"
						  "  ALTER TABLE %s DROP CONSTRAINT %s_not_null;",
						  rel, name, name, rel, name, rel, name, rel, name) :
				xasprintf("Before PostgreSQL 12 SET NOT NULL always scans; keep a validated "
						  "CHECK instead:\n"
						  "  ALTER TABLE %s ADD CONSTRAINT %s_not_null CHECK (%s IS NOT NULL) NOT VALID;\n"
						  "  ALTER TABLE %s VALIDATE CONSTRAINT %s_not_null;  -- own transaction",
						  rel, name, name, rel, name));
}

/* setting-not-null: SET NOT NULL scans the whole table under AccessExclusiveLock. */
void
check_setting_not_null(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_SetNotNull", alter_set_not_null);
}

/* adding-check-constraint for one ADD CONSTRAINT ... CHECK without NOT VALID. */
static void
alter_check_constraint(RuleCtx *ctx, const AlterCmd *ac)
{
	const cJSON *con = added_constraint(ac->cmd, "CONSTR_CHECK");
	const char *name = or_placeholder(pgnode_str(con, "conname"));

	if (con == NULL || pgnode_bool(con, "skip_validation"))
		return;
	rule_report(ctx, rule_location(con),
				xasprintf("ADD CONSTRAINT %s CHECK validates every row of %s while holding %s, "
						  "which blocks %s until the scan ends", name, ac->rel,
						  lockmode_name(ac->mode), lockmode_blocks(ac->mode)),
				xasprintf("Add it NOT VALID (new rows are checked at once), then validate it "
						  "in its own transaction under ShareUpdateExclusiveLock, which lets "
						  "reads and writes go on:\n"
						  "  ALTER TABLE %s ADD CONSTRAINT %s CHECK (...) NOT VALID;\n"
						  "  ALTER TABLE %s VALIDATE CONSTRAINT %s;",
						  ac->rel, name, ac->rel, name));
}

/* adding-check-constraint: CHECK constraint added without NOT VALID scans the table under lock. */
void
check_adding_check_constraint(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_AddConstraint", alter_check_constraint);
}

/* Reports one foreign key (constraint body con) added to table rel. */
static void
report_foreign_key(RuleCtx *ctx, const char *rel, const cJSON *con, const char *column)
{
	const cJSON *pk = pgnode_get(con, "pktable");
	char *ref = rule_relation(ctx, pk);
	const char *name = or_placeholder(pgnode_str(con, "conname"));
	LockMode mode = rule_lock_on(ctx, rel, LOCK_SHARE_ROW_EXCLUSIVE);
	char *cols = column ? xstrdup(column) :
		rule_names_joined(pgnode_list(con, "fk_attrs"), ", ", "<columns>");

	rule_report(ctx, rule_location(con),
				xasprintf("FOREIGN KEY %s on %s (%s) references %s: validating it reads every row of "
						  "%s while holding %s on both tables, which blocks %s on them until it ends",
						  name, rel, cols, ref, rel, lockmode_name(mode), lockmode_blocks(mode)),
				column ?
				xasprintf("Add the column first, then the foreign key NOT VALID, then validate it in "
						  "its own transaction (ShareUpdateExclusiveLock; reads and writes go on):\n"
						  "  ALTER TABLE %s ADD COLUMN %s <type>;\n"
						  "  ALTER TABLE %s ADD CONSTRAINT %s_fkey FOREIGN KEY (%s) REFERENCES %s NOT VALID;\n"
						  "  ALTER TABLE %s VALIDATE CONSTRAINT %s_fkey;",
						  rel, cols, rel, cols, cols, ref, rel, cols) :
				xasprintf("Add it NOT VALID (new rows are checked at once), then validate it in its "
						  "own transaction (ShareUpdateExclusiveLock; reads and writes go on):\n"
						  "  ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s NOT VALID;\n"
						  "  ALTER TABLE %s VALIDATE CONSTRAINT %s;",
						  rel, name, cols, ref, rel, name));
	free(cols);
	free(ref);
}

/*
 * adding-foreign-key for one sub-command: ADD CONSTRAINT ... FOREIGN KEY without NOT VALID,
 * or ADD COLUMN ... REFERENCES.
 */
static void
alter_foreign_key(RuleCtx *ctx, const AlterCmd *ac)
{
	const cJSON *con = added_constraint(ac->cmd, "CONSTR_FOREIGN");
	const cJSON *col = added_column(ac->cmd);

	if (con && !pgnode_bool(con, "skip_validation"))
		report_foreign_key(ctx, ac->rel, con, NULL);
	con = rule_column_constraint(col, "CONSTR_FOREIGN");
	if (con)
		report_foreign_key(ctx, ac->rel, con, or_placeholder(pgnode_str(col, "colname")));
}

/* adding-foreign-key: FOREIGN KEY added without NOT VALID scans the table and locks both tables. */
void
check_adding_foreign_key(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, NULL, alter_foreign_key);
}

/* Reports a UNIQUE or PRIMARY KEY (body con) that builds its index under the table's lock. */
static void
report_unique(RuleCtx *ctx, const AlterCmd *ac, const cJSON *con, const char *column)
{
	bool pk = rule_str_is(con, "contype", "CONSTR_PRIMARY");
	const char *what = pk ? "PRIMARY KEY" : "UNIQUE";
	const char *name = or_placeholder(pgnode_str(con, "conname"));
	char *cols = column ? xstrdup(column) :
		rule_names_joined(pgnode_list(con, "keys"), ", ", "<columns>");

	rule_report(ctx, rule_location(con),
				xasprintf("%s (%s) on %s builds a unique index over every row while holding %s, "
						  "which blocks %s until the build ends", what, cols, ac->rel,
						  lockmode_name(ac->mode), lockmode_blocks(ac->mode)),
				xasprintf("Build the index without blocking writes, then attach it as the "
						  "constraint (a short catalog change):\n"
						  "  CREATE UNIQUE INDEX CONCURRENTLY %s_idx ON %s (%s);  -- no transaction\n"
						  "  ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s_idx;%s",
						  column ? column : name, ac->rel, cols, ac->rel, name, what,
						  column ? column : name,
						  pk ? "\nThe columns must already be NOT NULL (see setting-not-null)." : ""));
	free(cols);
}

/*
 * adding-unique-constraint for one sub-command: ADD UNIQUE / PRIMARY KEY without USING
 * INDEX, or ADD COLUMN ... UNIQUE / PRIMARY KEY.
 */
static void
alter_unique(RuleCtx *ctx, const AlterCmd *ac)
{
	static const char *const kinds[] = {"CONSTR_UNIQUE", "CONSTR_PRIMARY"};

	for (int k = 0; k < 2; k++) {
		const cJSON *con = added_constraint(ac->cmd, kinds[k]);
		const cJSON *col = added_column(ac->cmd);

		if (con && pgnode_str(con, "indexname") == NULL)
			report_unique(ctx, ac, con, NULL);
		con = rule_column_constraint(col, kinds[k]);
		if (con)
			report_unique(ctx, ac, con, or_placeholder(pgnode_str(col, "colname")));
	}
}

/*
 * adding-unique-constraint: UNIQUE / PRIMARY KEY added without USING INDEX builds the index
 * under AccessExclusiveLock.
 */
void
check_adding_unique_constraint(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, NULL, alter_unique);
}

/* adding-exclusion-constraint for one ADD CONSTRAINT ... EXCLUDE. */
static void
alter_exclusion(RuleCtx *ctx, const AlterCmd *ac)
{
	const cJSON *con = added_constraint(ac->cmd, "CONSTR_EXCLUSION");

	if (con == NULL)
		return;
	rule_report(ctx, rule_location(con),
				xasprintf("EXCLUDE constraint %s on %s builds its index over every row while "
						  "holding %s, which blocks %s until the build ends",
						  or_placeholder(pgnode_str(con, "conname")), ac->rel,
						  lockmode_name(ac->mode), lockmode_blocks(ac->mode)),
				xasprintf("PostgreSQL cannot build an exclusion constraint concurrently nor "
						  "attach one USING INDEX. Add it when the table is created, or to a "
						  "new copy of %s that you fill in batches and swap in with RENAME; if "
						  "equality is all you need, use CREATE UNIQUE INDEX CONCURRENTLY.",
						  ac->rel));
}

/*
 * adding-exclusion-constraint: EXCLUDE constraint added to an existing table builds its
 * index under AccessExclusiveLock.
 */
void
check_adding_exclusion_constraint(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_AddConstraint", alter_exclusion);
}

/* adding-stored-generated-column for one ADD COLUMN ... GENERATED ALWAYS AS (...) STORED. */
static void
alter_stored_generated(RuleCtx *ctx, const AlterCmd *ac)
{
	const cJSON *col = rule_cmd_def(ac->cmd, "ColumnDef");
	const char *name = or_placeholder(pgnode_str(col, "colname"));

	if (rule_column_constraint(col, "CONSTR_GENERATED") == NULL)
		return;
	rule_report(ctx, rule_location(col),
				xasprintf("ADD COLUMN \"%s\" GENERATED ALWAYS AS (...) STORED computes and "
						  "writes the value for every row of %s while holding %s, which blocks "
						  "%s until the rewrite ends", name, ac->rel, lockmode_name(ac->mode),
						  lockmode_blocks(ac->mode)),
				xasprintf("Add a plain column, fill it for new rows with a trigger and for old "
						  "rows in batches, or compute the value at query time (a view or an "
						  "expression index):\n"
						  "  ALTER TABLE %s ADD COLUMN %s <type>;\n"
						  "  -- BEFORE INSERT OR UPDATE trigger setting %s, then batched UPDATEs",
						  ac->rel, name, name));
}

/*
 * adding-stored-generated-column: ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites
 * the table.
 */
void
check_adding_stored_generated_column(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_AddColumn", alter_stored_generated);
}

/* adding-serial-column for one ADD COLUMN of a serial or identity column. */
static void
alter_serial_column(RuleCtx *ctx, const AlterCmd *ac)
{
	const cJSON *col = rule_cmd_def(ac->cmd, "ColumnDef");
	const char *type = rule_type_name(pgnode_get(col, "typeName"));
	const char *name = or_placeholder(pgnode_str(col, "colname"));
	const char *rel = ac->rel;
	bool identity = rule_column_constraint(col, "CONSTR_IDENTITY") != NULL;

	if (col == NULL || (!identity && pgfacts_serial_base(type) == NULL))
		return;
	rule_report(ctx, rule_location(col),
				xasprintf("ADD COLUMN \"%s\" %s draws a sequence value for every existing row "
						  "of %s, rewriting it while holding %s, which blocks %s until the "
						  "rewrite ends", name, identity ? "GENERATED AS IDENTITY" : type, rel,
						  lockmode_name(ac->mode), lockmode_blocks(ac->mode)),
				xasprintf("Add a nullable column, give new rows sequence values, backfill old "
						  "rows in batches, then make it NOT NULL (see setting-not-null):\n"
						  "  CREATE SEQUENCE %s_%s_seq;\n"
						  "  ALTER TABLE %s ADD COLUMN %s bigint;\n"
						  "  ALTER TABLE %s ALTER COLUMN %s SET DEFAULT nextval('%s_%s_seq');\n"
						  "  UPDATE %s SET %s = nextval('%s_%s_seq') WHERE %s IS NULL AND <key range>;",
						  rel, name, rel, name, rel, name, rel, name, rel, name, rel, name,
						  name));
}

/* adding-serial-column: ADD COLUMN of a serial or identity column rewrites the table. */
void
check_adding_serial_column(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_AddColumn", alter_serial_column);
}

/* set-logged-unlogged for one SET LOGGED or SET UNLOGGED. */
static void
alter_persistence(RuleCtx *ctx, const AlterCmd *ac)
{
	bool logged = rule_cmd_is(ac->cmd, "AT_SetLogged");

	if (!logged && !rule_cmd_is(ac->cmd, "AT_SetUnLogged"))
		return;
	rule_report(ctx, -1,
				xasprintf("SET %s rewrites all of %s%s while holding %s, which blocks %s until "
						  "the rewrite ends", logged ? "LOGGED" : "UNLOGGED", ac->rel,
						  logged ? " and writes it all to the WAL" : "",
						  lockmode_name(ac->mode), lockmode_blocks(ac->mode)),
				xasprintf("There is no online way to change persistence: create a new %s table, "
						  "copy the rows in batches, and swap the names in one short "
						  "transaction (ALTER TABLE %s RENAME TO ...), or do it in a "
						  "maintenance window.", logged ? "logged" : "unlogged", ac->rel));
}

/* set-logged-unlogged: SET LOGGED / SET UNLOGGED rewrites the table under AccessExclusiveLock. */
void
check_set_logged_unlogged(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, NULL, alter_persistence);
}

/* vacuum-full: VACUUM FULL rewrites the table under AccessExclusiveLock. */
void
check_vacuum_full(RuleCtx *ctx)
{
	const cJSON *item;
	bool any = false;

	if (strcmp(ctx->tag, "VacuumStmt") != 0 || !pgnode_bool(ctx->body, "is_vacuumcmd") ||
		!pgnode_has_option(pgnode_list(ctx->body, "options"), "full"))
		return;
	cJSON_ArrayForEach(item, pgnode_list(ctx->body, "rels")) {
		const cJSON *rv = pgnode_get(pgnode_as(item, "VacuumRelation"),
														   "relation");
		char *rel;

		if (rv == NULL)
			continue;
		any = true;
		if (rule_is_new(ctx, rv))
			continue;
		rel = rule_relation(ctx, rv);
		rule_report(ctx, rule_location(rv),
					xasprintf("VACUUM FULL rewrites all of %s while holding %s, which blocks %s "
							  "until the rewrite ends", rel, lockmode_name(LOCK_ACCESS_EXCLUSIVE),
							  lockmode_blocks(LOCK_ACCESS_EXCLUSIVE)),
					xasprintf("Use plain VACUUM %s (it takes ShareUpdateExclusiveLock and lets "
							  "reads and writes go on), or compact the table online with "
							  "pg_repack or pg_squeeze.", rel));
		free(rel);
	}
	if (!any)
		rule_report(ctx, -1,
					xasprintf("VACUUM FULL without a table rewrites every table of the database, "
							  "each under %s, which blocks %s",
							  lockmode_name(LOCK_ACCESS_EXCLUSIVE),
							  lockmode_blocks(LOCK_ACCESS_EXCLUSIVE)),
					xstrdup("Use plain VACUUM, or pg_repack / pg_squeeze on the tables that need "
							"compacting."));
}

/* cluster: CLUSTER rewrites the table under AccessExclusiveLock. */
void
check_cluster(RuleCtx *ctx)
{
	const cJSON *rv;
	char *rel;

	if (strcmp(ctx->tag, "ClusterStmt") != 0)
		return;
	rv = pgnode_get(ctx->body, "relation");
	if (rv && rule_is_new(ctx, rv))
		return;
	rel = rv ? rule_relation(ctx, rv) : xstrdup("every previously clustered table");
	rule_report(ctx, rule_location(rv),
				xasprintf("CLUSTER rewrites %s in index order while holding %s, which blocks %s "
						  "until the rewrite ends", rel, lockmode_name(LOCK_ACCESS_EXCLUSIVE),
						  lockmode_blocks(LOCK_ACCESS_EXCLUSIVE)),
				xstrdup("Reorder the table online with pg_repack (--order-by) or pg_squeeze, or "
						"run CLUSTER in a maintenance window outside the migrations."));
	free(rel);
}
