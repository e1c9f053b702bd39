/*
 * rules_index.c — building, dropping and rebuilding indexes without
 * blocking the application, and the traps of CONCURRENTLY.
 */
#include "rules_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pgfacts.h"

/* The index name of an IndexStmt for messages. */
static const char *
index_name(const cJSON *body)
{
	const char *n = pgnode_str(body, "idxname");

	return n ? n : "<name>";
}

/*
 * create-index-non-concurrently: CREATE INDEX without CONCURRENTLY on an existing table
 * blocks writes while it builds.
 */
void
check_create_index_non_concurrently(RuleCtx *ctx)
{
	const cJSON *rv = rule_existing_relation(ctx, "IndexStmt");
	char *rel;
	LockMode mode;

	if (rv == NULL || pgnode_bool(ctx->body, "concurrent"))
		return;
	rel = rule_relation(ctx, rv);
	mode = rule_lock_on(ctx, rel, LOCK_SHARE);
	rule_report(ctx, -1,
				xasprintf("CREATE %sINDEX %s on %s holds %s while it reads the whole table, which "
						  "blocks %s until the build ends",
						  pgnode_bool(ctx->body, "unique") ? "UNIQUE " : "", index_name(ctx->body),
						  rel, lockmode_name(mode), lockmode_blocks(mode)),
				xasprintf("Build it CONCURRENTLY (ShareUpdateExclusiveLock: reads and writes go on), "
						  "in a migration that does not run in a transaction "
						  "(-- migsafe:no-transaction):\n"
						  "  CREATE %sINDEX CONCURRENTLY %s ON %s (...);",
						  pgnode_bool(ctx->body, "unique") ? "UNIQUE " : "", index_name(ctx->body),
						  rel));
	free(rel);
}

/*
 * True when every relation the statement locks was created earlier in this
 * migration (dropping an index of a new table blocks nobody).
 */
static bool
locks_only_new(const RuleCtx *ctx)
{
	const Analysis *a = &ctx->st->analysis;

	if (a->nlocks == 0)
		return false;
	for (size_t i = 0; i < a->nlocks; i++)
		if (!rule_is_new_name(ctx, a->locks[i].relation))
			return false;
	return true;
}

/* True when a DROP's object (a name list) was created earlier in this migration. */
static bool
object_is_new(const RuleCtx *ctx, const cJSON *names)
{
	cJSON *rv = rule_names_rangevar(names);
	bool is_new = rule_is_new(ctx, rv);

	cJSON_Delete(rv);
	return is_new;
}

/*
 * drop-index-non-concurrently: DROP INDEX without CONCURRENTLY takes AccessExclusiveLock on
 * the table.
 */
void
check_drop_index_non_concurrently(RuleCtx *ctx)
{
	const cJSON *item;

	if (!rule_drop_is(ctx, "OBJECT_INDEX") || pgnode_bool(ctx->body, "concurrent") ||
		locks_only_new(ctx))
		return;
	cJSON_ArrayForEach(item, pgnode_list(ctx->body, "objects")) {
		const cJSON *names = pgnode_list(pgnode_as(item, "List"), "items");
		char *name;

		if (object_is_new(ctx, names))
			continue;
		name = rule_names_joined(names, ".", "?");
		rule_report(ctx, -1,
					xasprintf("DROP INDEX %s takes %s on the index's table, which blocks %s; it "
							  "waits for every running query on the table, and everything queues "
							  "behind it", name, lockmode_name(LOCK_ACCESS_EXCLUSIVE),
							  lockmode_blocks(LOCK_ACCESS_EXCLUSIVE)),
					xasprintf("Drop it CONCURRENTLY (ShareUpdateExclusiveLock), in a migration that "
							  "does not run in a transaction (-- migsafe:no-transaction):\n"
							  "  DROP INDEX CONCURRENTLY IF EXISTS %s;", name));
		free(name);
	}
}

/*
 * reindex-non-concurrently: REINDEX without CONCURRENTLY blocks writes (and reads using the
 * index).
 */
void
check_reindex_non_concurrently(RuleCtx *ctx)
{
	const cJSON *rv;
	char *rel;
	LockMode mode;
	bool table;

	if (strcmp(ctx->tag, "ReindexStmt") != 0 ||
		pgnode_has_option(pgnode_list(ctx->body, "params"), "concurrently"))
		return;
	table = rule_str_is(ctx->body, "kind", "REINDEX_OBJECT_TABLE");
	rv = pgnode_get(ctx->body, "relation");
	if ((rv && rule_is_new(ctx, rv)) || locks_only_new(ctx))
		return;
	rel = rv ? rule_relation(ctx, rv) : xstrdup(pgnode_str(ctx->body, "name") ?
												 pgnode_str(ctx->body, "name") : "the database");
	mode = analysis_strongest(&ctx->st->analysis);
	if (mode == LOCK_NONE)
		mode = LOCK_ACCESS_EXCLUSIVE;
	rule_report(ctx, -1,
				xasprintf("REINDEX %s rebuilds its indexes while holding %s, which blocks %s until "
						  "the rebuild ends", rel, lockmode_name(mode), lockmode_blocks(mode)),
				pgfacts_has(ctx->opts->pg_version, PGFACT_REINDEX_CONCURRENTLY) ?
				xasprintf("Rebuild it CONCURRENTLY (PostgreSQL 12+), in a migration that does not "
						  "run in a transaction:\n  REINDEX %s CONCURRENTLY %s;",
						  table ? "TABLE" : "INDEX", rel) :
				xasprintf("Before PostgreSQL 12 there is no REINDEX CONCURRENTLY: build a copy with "
						  "CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY the old one, and "
						  "rename the copy (%s).", rel));
	free(rel);
}

/*
 * concurrently-in-transaction: a statement PostgreSQL refuses inside a transaction block
 * (CONCURRENTLY, VACUUM, ...) runs in one.
 */
void
check_concurrently_in_transaction(RuleCtx *ctx)
{
	const Analysis *a = &ctx->st->analysis;
	int tx = ctx->tx[ctx->st->index];

	if (a->transactional || tx < 0)
		return;
	rule_report(ctx, -1,
				xasprintf("%s cannot run inside a transaction block, and %s: PostgreSQL refuses it "
						  "and the migration fails", a->kind ? a->kind : ctx->tag,
						  ctx->m->transactional ?
						  "this migration runs in one" : "it sits between BEGIN and COMMIT"),
				xstrdup("Move it to a migration of its own that does not run in a transaction: "
						"put -- migsafe:no-transaction at the top (or your tool's equivalent, "
						"e.g. -- +goose NO TRANSACTION, disable_ddl_transaction!), and remove "
						"BEGIN / COMMIT around it."));
}

/*
 * create-index-concurrently-if-not-exists: CREATE INDEX CONCURRENTLY IF NOT EXISTS silently
 * keeps a leftover invalid index.
 */
void
check_create_index_concurrently_if_not_exists(RuleCtx *ctx)
{
	char *rel;

	if (strcmp(ctx->tag, "IndexStmt") != 0 || !pgnode_bool(ctx->body, "concurrent") ||
		!pgnode_bool(ctx->body, "if_not_exists"))
		return;
	rel = rule_relation(ctx, pgnode_get(ctx->body, "relation"));
	rule_report(ctx, -1,
				xasprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s: when an earlier attempt "
						  "failed half-way, the INVALID index it left behind makes this succeed "
						  "silently, and %s keeps an index that is never used",
						  index_name(ctx->body), rel),
				xasprintf("Drop any leftover first, then build it:\n"
						  "  DROP INDEX CONCURRENTLY IF EXISTS %s;\n"
						  "  CREATE INDEX CONCURRENTLY %s ON %s (...);",
						  index_name(ctx->body), index_name(ctx->body), rel));
	free(rel);
}
