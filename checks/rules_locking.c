/*
 * rules_locking.c — lock discipline: how long strong locks are held, how
 * many tables a transaction locks strongly, and lock_timeout.
 */
#include "rules_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pgfacts.h"

/* Statement types that read or write rows of existing tables (backfills). */
static const char *const dml_tags[] = {
	"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt", NULL
};

/* True when tag is one of list (NULL-terminated). */
static bool
tag_in(const char *tag, const char *const *list)
{
	for (int i = 0; tag && list[i]; i++)
		if (strcmp(tag, list[i]) == 0)
			return true;
	return false;
}

/* True when relation is not one this migration created before statement j or in it. */
static bool
existed(const RuleCtx *ctx, size_t j, const char *relation)
{
	return !rule_is_new_name(ctx, relation) &&
		!strlist_contains(&ctx->m->stmts[j].analysis.creates, relation);
}

/* The list joined with ", " (caller frees). */
static char *
joined(const StrList *l)
{
	StrBuf sb = {0};

	for (size_t i = 0; i < l->count; i++)
		strbuf_appendf(&sb, "%s%s", i ? ", " : "", l->items[i]);
	if (sb.data == NULL)
		strbuf_append(&sb, "");
	return strbuf_detach(&sb);
}

/*
 * True when statement j does work while locks taken before it are held:
 * it rewrites or scans, writes rows, or needs a lock on a relation outside
 * held (and may wait for it in the lock queue).
 */
static bool
does_work(const RuleCtx *ctx, size_t j, const StrList *held)
{
	const Statement *st = &ctx->m->stmts[j];
	const Analysis *a = &st->analysis;

	if (a->rewrites.count > 0 || a->scans.count > 0 || tag_in(pgnode_tag(st->tree, NULL), dml_tags))
		return true;
	for (size_t i = 0; i < a->nlocks; i++)
		if (!strlist_contains(held, a->locks[i].relation) &&
			existed(ctx, j, a->locks[i].relation))
			return true;
	return false;
}

/*
 * statements-after-access-exclusive: more work after an AccessExclusiveLock in the same
 * transaction keeps the lock held.
 */
void
check_statements_after_access_exclusive(RuleCtx *ctx)
{
	size_t i = (size_t) ctx->st->index;
	int tx = ctx->tx[i];
	const StrList *held = &ctx->exclusive[i];
	size_t later = 0, first = 0;
	char *names;

	if (tx < 0 || held->count == 0)
		return;
	/* report the first such statement of the transaction only */
	for (size_t k = 0; k < i; k++)
		if (ctx->tx[k] == tx && ctx->exclusive[k].count > 0)
			return;
	for (size_t j = i + 1; j < ctx->m->nstmts && ctx->tx[j] == tx; j++) {
		if (!does_work(ctx, j, held))
			continue;
		if (later++ == 0)
			first = j;
	}
	if (later == 0)
		return;
	names = joined(held);
	rule_report(ctx, -1,
				xasprintf("%s takes %s on %s, which blocks %s, and the transaction goes on with %zu "
						  "more statement%s doing work (the first at line %d): the lock is held, "
						  "and the application waits, until COMMIT",
						  ctx->st->analysis.kind ? ctx->st->analysis.kind : ctx->tag,
						  lockmode_name(LOCK_ACCESS_EXCLUSIVE), names,
						  lockmode_blocks(LOCK_ACCESS_EXCLUSIVE), later, later > 1 ? "s" : "",
						  ctx->m->stmts[first].line),
				xstrdup("Keep the AccessExclusiveLock statement in a short transaction of its own: "
						"move backfills, index builds and changes to other tables into separate "
						"migrations, or put the strong statement last."));
	free(names);
}

/*
 * multiple-tables-locked-strongly: several existing tables locked strongly in one
 * transaction (lock order, deadlocks), reported once, at the statement that adds
 * the second table (strong_locks_collect finds it).
 */
void
check_multiple_tables_locked_strongly(RuleCtx *ctx)
{
	const StrList *held = &ctx->second_table[ctx->st->index];
	char *names;

	if (held->count == 0)
		return;
	names = joined(held);
	rule_report(ctx, -1,
				xasprintf("this transaction now holds locks that block writes on %zu tables (%s) "
						  "until COMMIT; another session taking them in a different order "
						  "deadlocks with it, and each table's queries wait for the others' work",
						  held->count, names),
				xstrdup("Change one table per migration (or per transaction). When several tables "
						"must change together, lock them up front in a fixed order with "
						"SET LOCAL lock_timeout and LOCK TABLE ... IN <mode> MODE, and keep the "
						"transaction short."));
	free(names);
}

/* lock-table: LOCK TABLE in a mode that blocks writes. */
void
check_lock_table(RuleCtx *ctx)
{
	const cJSON *item;
	LockMode mode;
	StrList rels = {0};
	char *names;

	if (strcmp(ctx->tag, "LockStmt") != 0)
		return;
	mode = (LockMode) pgnode_int(ctx->body, "mode");
	if (mode < LOCK_SHARE || mode > LOCK_ACCESS_EXCLUSIVE)
		return;
	cJSON_ArrayForEach(item, pgnode_list(ctx->body, "relations")) {
		const cJSON *rv = pgnode_as(item, "RangeVar");

		if (rv && !rule_is_new(ctx, rv)) {
			char *rel = rule_relation(ctx, rv);

			strlist_add_unique(&rels, rel);
			free(rel);
		}
	}
	if (rels.count == 0)
		goto done;
	names = joined(&rels);
	rule_report(ctx, -1,
				xasprintf("LOCK TABLE %s IN %s MODE blocks %s on %s until the transaction ends%s",
						  names, lockmode_sql_name(mode), lockmode_blocks(mode), names,
						  pgnode_bool(ctx->body, "nowait") ? "" :
						  ", and waits (with everyone queued behind it) while others use it"),
				xstrdup("Let each statement take the lock it needs, or take the weakest mode that "
						"is enough; when you must lock up front, do it with NOWAIT or after "
						"SET LOCAL lock_timeout = '2s', and keep the transaction short."));
	free(names);
done:
	strlist_free(&rels);
}

/*
 * True when statement k sets lock_timeout; *on tells whether to a non-zero
 * value (RESET, DEFAULT and 0 switch it off).
 */
static bool
sets_lock_timeout(const Statement *st, bool *on)
{
	const cJSON *body = pgnode_as(st->tree, "VariableSetStmt");
	const cJSON *arg;
	const char *text;
	int v = 0;

	if (!rule_str_is(body, "name", "lock_timeout"))
		return false;
	*on = false;
	if (!rule_str_is(body, "kind", "VAR_SET_VALUE"))
		return true;
	arg = cJSON_GetArrayItem(pgnode_list(body, "args"), 0);
	text = pgnode_const_str(arg);
	if (text)
		*on = strtod(text, NULL) != 0;
	else if (pgnode_const_int(arg, &v))
		*on = v != 0;
	return true;
}

/*
 * missing-lock-timeout: strong lock with no SET lock_timeout before it (only with --applied-
 * by other).
 */
void
check_missing_lock_timeout(RuleCtx *ctx)
{
	size_t i = (size_t) ctx->st->index;
	bool timeout = false;
	char *names;

	if (!ctx->opts->applied_by_other || ctx->blocks_writes[i].count == 0)
		return;
	for (size_t k = 0; k < i; k++) {
		bool on;

		if (sets_lock_timeout(&ctx->m->stmts[k], &on))
			timeout = on;
		if (ctx->blocks_writes[k].count > 0 && !timeout)
			return;            /* reported at that earlier statement */
	}
	if (timeout)
		return;
	names = joined(&ctx->blocks_writes[i]);
	rule_report(ctx, -1,
				xasprintf("%s needs %s on %s with no lock_timeout set: while it waits for a "
						  "running transaction, every query on %s queues behind it (%s is "
						  "blocked) for as long as that takes",
						  ctx->st->analysis.kind ? ctx->st->analysis.kind : ctx->tag,
						  lockmode_name(analysis_strongest(&ctx->st->analysis)), names, names,
						  lockmode_blocks(analysis_strongest(&ctx->st->analysis))),
				xstrdup("Set a short lock_timeout before the first statement that locks, and retry "
						"the migration when it times out:\n"
						"  SET lock_timeout = '2s';\n"
						"(migsafe apply sets it, with retries, by itself.)"));
	free(names);
}

/* detach-partition-non-concurrently for one DETACH PARTITION without CONCURRENTLY. */
static void
alter_detach(RuleCtx *ctx, const AlterCmd *ac)
{
	const cJSON *pc = rule_cmd_def(ac->cmd, "PartitionCmd");
	const cJSON *part = pgnode_get(pc, "name");
	const char *rel = ac->rel;
	char *name;

	if (pgnode_bool(pc, "concurrent"))
		return;
	name = part ? rule_relation(ctx, part) : xstrdup("<partition>");
	rule_report(ctx, rule_location(part),
				xasprintf("DETACH PARTITION %s takes %s on the partitioned table %s, which "
						  "blocks %s on every partition until the transaction ends",
						  name, lockmode_name(ac->mode), rel, lockmode_blocks(ac->mode)),
				pgfacts_has(ctx->opts->pg_version, PGFACT_DETACH_CONCURRENTLY) ?
				xasprintf("Detach it CONCURRENTLY (ShareUpdateExclusiveLock on %s: reads and "
						  "writes go on), in a migration that does not run in a transaction:\n"
						  "  ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY;", rel, rel, name) :
				xasprintf("Before PostgreSQL 14 there is no concurrent detach: run it in a "
						  "short transaction of its own, with SET LOCAL lock_timeout, at a "
						  "quiet time:\n  ALTER TABLE %s DETACH PARTITION %s;", rel, name));
	free(name);
}

/*
 * detach-partition-non-concurrently: DETACH PARTITION takes AccessExclusiveLock on the
 * partitioned table; from PostgreSQL 14 CONCURRENTLY takes ShareUpdateExclusiveLock.
 */
void
check_detach_partition_non_concurrently(RuleCtx *ctx)
{
	rule_each_alter_cmd(ctx, "AT_DetachPartition", alter_detach);
}
