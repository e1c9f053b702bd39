/*
 * rules_internal.h — what the rule families share: the context a check runs
 * in, helpers to read the statement and to report, and every check function.
 * Not part of the public API (see rules.h).
 */
#ifndef MIGSAFE_RULES_INTERNAL_H
#define MIGSAFE_RULES_INTERNAL_H

#include <cjson/cJSON.h>

#include "pgnode.h"
#include "rules.h"

struct RuleCtx {
	const RulesOptions *opts;
	Migration *m;
	const Statement *st;        /* the statement being checked */
	const char *tag;            /* its node type: "AlterTableStmt", ... */
	const cJSON *body;          /* its node body */
	StrSet created;             /* relations created by earlier statements of m */
	int *tx;                    /* per statement: transaction block number, -1 outside one */
	StrList *blocks_writes;     /* per statement: relations that existed before it, locked */
	                            /* in ShareLock or stronger (writes wait) */
	StrList *exclusive;         /* per statement: the same in AccessExclusiveLock */
	StrList *second_table;      /* per statement: when it is the first of its transaction to */
	                            /* lock a second table strongly, all the tables locked so far */
	const Rule *rule;           /* the rule being run */
};

/*
 * Reports a finding of the current rule at byte offset `location` of the
 * file (-1: the statement's first token). Takes ownership of message and
 * help (built with xasprintf).
 */
void rule_report(RuleCtx *ctx, int location, char *message, char *help);

/* The byte offset stored in a node body's "location", or -1. */
int rule_location(const cJSON *body);

/* True when a node body's string field key is value (false when absent). */
bool rule_str_is(const cJSON *body, const char *key, const char *value);

/*
 * The String nodes of list joined with sep ("a, b"; "schema.name" with "."),
 * or none when the list names nothing. The caller frees.
 */
char *rule_names_joined(const cJSON *list, const char *sep, const char *none);

/*
 * The relation a RangeVar body names, as the analysis qualified it when it
 * locked it ("public.users"), else as written. The caller frees.
 */
char *rule_relation(const RuleCtx *ctx, const cJSON *rangevar);

/* True when an earlier statement of the migration created the RangeVar's relation. */
bool rule_is_new(const RuleCtx *ctx, const cJSON *rangevar);
/* The same for a "schema.name" relation name as the analysis writes it. */
bool rule_is_new_name(const RuleCtx *ctx, const char *relation);

/* True when the statement is a DROP of objects of remove_type ("OBJECT_TABLE"). */
bool rule_drop_is(const RuleCtx *ctx, const char *remove_type);

/*
 * A RangeVar body for a DROP object's name list ([schema.]name), to ask
 * rule_is_new and rule_relation about it. The caller cJSON_Deletes it.
 */
cJSON *rule_names_rangevar(const cJSON *names);

/*
 * The "relation" RangeVar body of a statement of node type tag
 * ("AlterTableStmt", "RenameStmt", ...) when that relation existed before
 * this migration; NULL for other statements and for relations created
 * earlier in it.
 */
const cJSON *rule_existing_relation(const RuleCtx *ctx, const char *tag);

/*
 * The mode the statement locks relation in, per the analysis; `expected`
 * when the analysis does not know (the mode PostgreSQL documents).
 */
LockMode rule_lock_on(const RuleCtx *ctx, const char *relation, LockMode expected);

/* True when the statement's analysis lists relation among rewrites / scans. */
bool rule_rewrites(const RuleCtx *ctx, const char *relation);
bool rule_scans(const RuleCtx *ctx, const char *relation);

/* The commands of an AlterTableStmt (items are {"AlterTableCmd": ...}); NULL otherwise. */
const cJSON *rule_alter_cmds(const RuleCtx *ctx);

/* True when an AlterTableCmd body's subtype is subtype ("AT_AddColumn"). */
bool rule_cmd_is(const cJSON *cmd, const char *subtype);

/* The "def" of an AlterTableCmd body when it is a node of type tag ("ColumnDef"), else NULL. */
const cJSON *rule_cmd_def(const cJSON *cmd, const char *tag);

/* One sub-command of an ALTER TABLE on a table that existed before the migration. */
typedef struct AlterCmd {
	const cJSON *cmd;           /* the AlterTableCmd body */
	const char *rel;            /* the table, as the analysis names it ("public.users") */
	LockMode mode;              /* the statement's lock on it (AccessExclusiveLock when unknown) */
} AlterCmd;

/* Looks at one ALTER TABLE sub-command and reports what its rule finds. */
typedef void (*AlterCmdCheck)(RuleCtx *ctx, const AlterCmd *ac);

/*
 * Calls check for each sub-command of type subtype ("AT_AddColumn"; NULL:
 * every one) of an ALTER TABLE on a table that existed before this
 * migration: tables created earlier in it block nobody.
 */
void rule_each_alter_cmd(RuleCtx *ctx, const char *subtype, AlterCmdCheck check);


/* The Constraint bodies of a ColumnDef body with contype, one at a time: NULL when none. */
const cJSON *rule_column_constraint(const cJSON *coldef, const char *contype);

/* The last part of a TypeName's name ("int4", "varchar", "json"), or "". */
const char *rule_type_name(const cJSON *type_name);

/* True when the expression calls a function that PostgreSQL evaluates per row (volatile). */
bool rule_expr_volatile(const cJSON *node);

/* rewrite: rewrites and long scans under strong locks (rules_rewrite.c) */
void check_adding_column_volatile_default(RuleCtx *ctx);
void check_changing_column_type(RuleCtx *ctx);
void check_setting_not_null(RuleCtx *ctx);
void check_adding_check_constraint(RuleCtx *ctx);
void check_adding_foreign_key(RuleCtx *ctx);
void check_adding_unique_constraint(RuleCtx *ctx);
void check_adding_exclusion_constraint(RuleCtx *ctx);
void check_adding_stored_generated_column(RuleCtx *ctx);
void check_adding_serial_column(RuleCtx *ctx);
void check_set_logged_unlogged(RuleCtx *ctx);
void check_vacuum_full(RuleCtx *ctx);
void check_cluster(RuleCtx *ctx);

/* index: building and dropping indexes (rules_index.c) */
void check_create_index_non_concurrently(RuleCtx *ctx);
void check_drop_index_non_concurrently(RuleCtx *ctx);
void check_reindex_non_concurrently(RuleCtx *ctx);
void check_concurrently_in_transaction(RuleCtx *ctx);
void check_create_index_concurrently_if_not_exists(RuleCtx *ctx);

/* locking: how long and in which order locks are held (rules_locking.c) */
void check_statements_after_access_exclusive(RuleCtx *ctx);
void check_multiple_tables_locked_strongly(RuleCtx *ctx);
void check_lock_table(RuleCtx *ctx);
void check_missing_lock_timeout(RuleCtx *ctx);
void check_detach_partition_non_concurrently(RuleCtx *ctx);

/* breaking: changes the running application notices (rules_breaking.c) */
void check_dropping_column(RuleCtx *ctx);
void check_dropping_table(RuleCtx *ctx);
void check_renaming_column(RuleCtx *ctx);
void check_renaming_table(RuleCtx *ctx);
void check_adding_required_column(RuleCtx *ctx);
void check_dropping_not_null(RuleCtx *ctx);
void check_truncate_cascade(RuleCtx *ctx);

/* hygiene: types and habits that cost later (rules_hygiene.c) */
void check_prefer_jsonb(RuleCtx *ctx);
void check_prefer_text_over_varchar(RuleCtx *ctx);
void check_prefer_text_over_char(RuleCtx *ctx);
void check_prefer_timestamptz(RuleCtx *ctx);
void check_prefer_bigint_primary_key(RuleCtx *ctx);
void check_enum_value_without_position(RuleCtx *ctx);
void check_identifier_too_long(RuleCtx *ctx);
void check_non_idempotent_ddl(RuleCtx *ctx);

#endif
