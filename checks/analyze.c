/*
 * analyze.c — static lock analysis: the context (version, search_path,
 * catalog), name resolution, and the table that sends each statement type to
 * the function that knows its locks.
 */
#include "analyze_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Starts an analysis with the default schema (public when empty) as the search_path. */
AnalyzeContext *
analyze_context_new(const char *default_schema, int pg_version)
{
	AnalyzeContext *ctx = xcalloc(1, sizeof *ctx);

	ctx->default_schema = xstrdup(default_schema && *default_schema ? default_schema : "public");
	ctx->pg_version = pg_version > 0 ? pg_version : ANALYZE_DEFAULT_PG_VERSION;
	ctx->catalog = catalog_new();
	strlist_add(&ctx->search_path, ctx->default_schema);
	ctx->check_function_bodies = true;
	return ctx;
}

/* Releases the context and its catalog. */
void
analyze_context_free(AnalyzeContext *ctx)
{
	if (ctx == NULL)
		return;
	free(ctx->default_schema);
	strlist_free(&ctx->search_path);
	catalog_free(ctx->catalog);
	free(ctx);
}

/* The PostgreSQL major version whose facts apply. */
int
analyze_context_pg_version(const AnalyzeContext *ctx)
{
	return ctx->pg_version;
}

/* Puts the search_path back to the default schema alone. */
static void
search_path_reset(AnalyzeContext *ctx)
{
	strlist_free(&ctx->search_path);
	strlist_add(&ctx->search_path, ctx->default_schema);
}

/* A new file starts with the default settings; the catalog carries over. */
void
analyze_context_begin_migration(AnalyzeContext *ctx)
{
	search_path_reset(ctx);
	ctx->check_function_bodies = true;
}

/*
 * A boolean setting's value as PostgreSQL's parse_bool reads it: false for
 * off, no, 0 and any prefix of false; true otherwise (on, yes, 1, true, or a
 * value migsafe cannot read, PostgreSQL's default for the settings used).
 */
static bool
setting_bool(const cJSON *arg)
{
	const char *v = pgnode_const_str(arg);
	int n;
	size_t len;

	if (v == NULL)
		return !(pgnode_const_int(arg, &n) && n == 0);
	len = strlen(v);
	if (len == 0)
		return true;
	return !(strncasecmp(v, "false", len) == 0 || strncasecmp(v, "no", len) == 0 ||
			 strcasecmp(v, "off") == 0 || strcasecmp(v, "of") == 0 || strcmp(v, "0") == 0);
}

/* True for the session's temporary schema, however it is spelled (pg_temp, pg_temp_3). */
static bool
schema_is_temp(const char *schema)
{
	return strcmp(schema, "pg_temp") == 0 || strncmp(schema, "pg_temp_", 8) == 0;
}

/*
 * Resolves a name the way PostgreSQL's search_path lookup would, with the
 * catalog as the database. The temporary schema is searched first, as
 * PostgreSQL does for relations; it is always called "pg_temp".
 */
char *
analyze_qualify(const AnalyzeContext *ctx, const char *schema, const char *name)
{
	char *temp;

	if (name == NULL)
		return NULL;
	if (schema && *schema)
		return xasprintf("%s.%s", schema_is_temp(schema) ? ANALYZE_TEMP_SCHEMA : schema, name);
	temp = xasprintf("%s.%s", ANALYZE_TEMP_SCHEMA, name);
	if (catalog_find(ctx->catalog, temp))
		return temp;
	free(temp);
	for (size_t i = 0; i < ctx->search_path.count; i++) {
		char *candidate = xasprintf("%s.%s", ctx->search_path.items[i], name);

		if (catalog_find(ctx->catalog, candidate))
			return candidate;
		free(candidate);
	}
	return xasprintf("%s.%s", ctx->search_path.count ? ctx->search_path.items[0] : ctx->default_schema,
					 name);
}

/* The qualified name of a RangeVar body; CREATE TEMP names the temporary schema. */
char *
analyze_rangevar(const AnalyzeContext *ctx, const cJSON *rv)
{
	const char *persistence = pgnode_str(rv, "relpersistence");

	if (persistence && strcmp(persistence, "t") == 0 && pgnode_str(rv, "relname"))
		return xasprintf("%s.%s", ANALYZE_TEMP_SCHEMA, pgnode_str(rv, "relname"));
	return analyze_qualify(ctx, pgnode_str(rv, "schemaname"), pgnode_str(rv, "relname"));
}

/* True for a relation of the session's temporary schema. */
bool
analyze_is_temp(const char *qualified)
{
	size_t n = strlen(ANALYZE_TEMP_SCHEMA);

	return qualified && strncmp(qualified, ANALYZE_TEMP_SCHEMA, n) == 0 && qualified[n] == '.';
}

/* The qualified relation of a name list, ignoring its last ndrop items. */
char *
analyze_name_list(const AnalyzeContext *ctx, const cJSON *names, int ndrop)
{
	int n = pgnode_list_len(names) - ndrop;

	if (n <= 0)
		return NULL;
	/* [catalog.]schema.name: the last two items that remain */
	if (n >= 2)
		return analyze_qualify(ctx, pgnode_name_at(names, n - 2), pgnode_name_at(names, n - 1));
	return analyze_qualify(ctx, NULL, pgnode_name_at(names, 0));
}

/*
 * A call resolves like a relation name, except that only functions an
 * earlier statement created are known: migsafe does not analyse their
 * bodies, so such a call's locks are unknown. A function it did not see
 * created (built in, from an extension, from before the migrations) cannot
 * be told apart and counts as lock-free.
 */
char *
analyze_created_function(const AnalyzeContext *ctx, const cJSON *funcname)
{
	int n = pgnode_list_len(funcname);
	const char *name = n > 0 ? pgnode_name_at(funcname, n - 1) : NULL;
	char *qualified;

	if (name == NULL)
		return NULL;
	if (n >= 2) {
		qualified = analyze_qualify(ctx, pgnode_name_at(funcname, n - 2), name);
		if (catalog_function_exists(ctx->catalog, qualified))
			return qualified;
		free(qualified);
		return NULL;
	}
	for (size_t i = 0; i < (ctx->search_path.count ? ctx->search_path.count : 1); i++) {
		qualified = xasprintf("%s.%s", ctx->search_path.count ? ctx->search_path.items[i] :
							  ctx->default_schema, name);
		if (catalog_function_exists(ctx->catalog, qualified))
			return qualified;
		free(qualified);
	}
	return NULL;
}

/* The schema part of "schema.name" (a copy). */
char *
analyze_schema_of(const char *qualified)
{
	const char *dot = strchr(qualified, '.');

	return dot ? xstrndup(qualified, (size_t) (dot - qualified)) : xstrdup(qualified);
}

/*
 * Records a lock; partitions and children follow their parent when the
 * statement recurses. Temporary tables are left out.
 */
void
analyze_lock(AnalyzeContext *ctx, Analysis *a, const char *rel, LockMode mode, bool recurse)
{
	CatRelation **children;

	/* no other session sees a temporary table: its lock blocks no one */
	if (rel == NULL || mode == LOCK_NONE || analyze_is_temp(rel))
		return;
	analysis_add_lock(a, rel, mode);
	if (!recurse)
		return;
	children = catalog_dependents(ctx->catalog, rel);
	for (CatRelation **child = children; *child; child++)
		if ((*child)->parent && strcmp((*child)->parent, rel) == 0 && (*child)->kind != CAT_INDEX)
			analyze_lock(ctx, a, (*child)->name, mode, true);
	free(children);
}

/* Locks a RangeVar's relation, and its children unless the statement says ONLY. */
char *
analyze_lock_rangevar(AnalyzeContext *ctx, Analysis *a, const cJSON *rv, LockMode mode)
{
	char *name = analyze_rangevar(ctx, rv);

	analyze_lock(ctx, a, name, mode, pgnode_bool(rv, "inh"));
	return name;
}

/* Finds parent's DEFAULT partition in the catalog and locks it for the check. */
void
analyze_lock_default_partition(AnalyzeContext *ctx, Analysis *a, const char *parent)
{
	CatRelation **partitions;

	if (parent == NULL)
		return;
	partitions = catalog_dependents(ctx->catalog, parent);
	for (CatRelation **r = partitions; *r; r++) {
		if ((*r)->default_partition && (*r)->parent && strcmp((*r)->parent, parent) == 0) {
			analyze_lock(ctx, a, (*r)->name, LOCK_ACCESS_EXCLUSIVE, true);
			strlist_add_unique(&a->scans, (*r)->name);
		}
	}
	free(partitions);
}

/* Replaces the statement's kind with a more precise one. */
void
analyze_set_kind(Analysis *a, const char *kind)
{
	free(a->kind);
	a->kind = xstrdup(kind);
}

/* Reads the name, type modifiers and array-ness of a TypeName body. */
void
analyze_type_from_typename(const cJSON *type_name, CatType *t)
{
	const cJSON *mod;
	const char *name = pgnode_last_name(pgnode_list(type_name, "names"));

	memset(t, 0, sizeof *t);
	t->name = xstrdup(name ? name : "");
	cJSON_ArrayForEach(mod, pgnode_list(type_name, "typmods")) {
		int v;

		if (t->nmods < 2 && pgnode_const_int(mod, &v))
			t->mods[t->nmods++] = v;
	}
	t->array = pgnode_list(type_name, "arrayBounds") != NULL;
}

/*
 * SET search_path: later unqualified names resolve through it. "$user",
 * pg_catalog and pg_temp never hold the migration's objects, so they are
 * left out; an empty result falls back to the default schema.
 * SET check_function_bodies: whether CREATE FUNCTION analyses SQL bodies.
 */
static void
analyze_variable_set(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *name = pgnode_str(body, "name");
	const char *kind = pgnode_str(body, "kind");
	const cJSON *arg;

	(void) a;
	if (kind && strcmp(kind, "VAR_RESET_ALL") == 0) {
		search_path_reset(ctx);
		ctx->check_function_bodies = true;
		return;
	}
	if (name && strcmp(name, "check_function_bodies") == 0) {
		ctx->check_function_bodies = kind == NULL || strcmp(kind, "VAR_SET_VALUE") != 0 ||
			setting_bool(cJSON_GetArrayItem(pgnode_list(body, "args"), 0));
		return;
	}
	if (name == NULL || strcmp(name, "search_path") != 0)
		return;
	if (kind == NULL || strcmp(kind, "VAR_SET_VALUE") != 0) {
		search_path_reset(ctx);
		return;
	}
	strlist_free(&ctx->search_path);
	cJSON_ArrayForEach(arg, pgnode_list(body, "args")) {
		const char *schema = pgnode_const_str(arg);

		if (schema == NULL || strcmp(schema, "$user") == 0 || strcmp(schema, "pg_catalog") == 0 ||
			strncmp(schema, "pg_temp", 7) == 0)
			continue;
		strlist_add(&ctx->search_path, schema);
	}
	if (ctx->search_path.count == 0)
		strlist_add(&ctx->search_path, ctx->default_schema);
}

/* Statements that take no lock on any table, view or sequence. */
static void
analyze_no_lock(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	(void) ctx;
	(void) body;
	(void) a;
}

/* Statements that PostgreSQL refuses inside a transaction block, and lock no relation. */
static void
analyze_no_lock_outside_transaction(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	(void) ctx;
	(void) body;
	a->transactional = false;
}

static void collect_named_relations(AnalyzeContext *ctx, const cJSON *node, const char *key, Analysis *a);

/*
 * Statements that run arbitrary code (CALL, EXECUTE, a DO block that is not
 * analysable PL/pgSQL): their locks are not knowable statically; whatever
 * they name gets the strongest lock.
 */
static void
analyze_unknown(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	a->known = false;
	collect_named_relations(ctx, body, NULL, a);
}

typedef struct StatementFacts {
	const char *tag;         /* libpg_query node name */
	const char *kind;        /* what the report calls it; handlers may refine it */
	AnalyzeHandler handler;
} StatementFacts;

/* Every statement type migsafe knows the locks of. */
static const StatementFacts statement_facts[] = {
	{"AlterTableStmt", "ALTER TABLE", analyze_alter_table},
	{"CreateStmt", "CREATE TABLE", analyze_create_table},
	{"CreateTableAsStmt", "CREATE TABLE AS", analyze_create_table_as},
	{"ViewStmt", "CREATE VIEW", analyze_create_view},
	{"IndexStmt", "CREATE INDEX", analyze_create_index},
	{"CreateSeqStmt", "CREATE SEQUENCE", analyze_create_sequence},
	{"AlterSeqStmt", "ALTER SEQUENCE", analyze_alter_sequence},
	{"DropStmt", "DROP", analyze_drop},
	{"RenameStmt", "RENAME", analyze_rename},
	{"AlterObjectSchemaStmt", "SET SCHEMA", analyze_set_schema},
	{"TruncateStmt", "TRUNCATE", analyze_truncate},
	{"LockStmt", "LOCK TABLE", analyze_lock_table},
	{"VacuumStmt", "VACUUM", analyze_vacuum},
	{"ClusterStmt", "CLUSTER", analyze_cluster},
	{"ReindexStmt", "REINDEX", analyze_reindex},
	{"RefreshMatViewStmt", "REFRESH MATERIALIZED VIEW", analyze_refresh},
	{"CreateTrigStmt", "CREATE TRIGGER", analyze_create_trigger},
	{"CreatePolicyStmt", "CREATE POLICY", analyze_policy},
	{"AlterPolicyStmt", "ALTER POLICY", analyze_policy},
	{"CommentStmt", "COMMENT", analyze_comment},
	{"GrantStmt", "GRANT", analyze_grant},
	{"RuleStmt", "CREATE RULE", analyze_create_rule},
	{"CreateStatsStmt", "CREATE STATISTICS", analyze_create_statistics},
	{"AlterEnumStmt", "ALTER TYPE", analyze_alter_enum},
	{"CreatePublicationStmt", "CREATE PUBLICATION", analyze_publication},
	{"AlterDomainStmt", "ALTER DOMAIN", analyze_alter_domain},
	{"AlterPublicationStmt", "ALTER PUBLICATION", analyze_publication},
	{"CreateForeignTableStmt", "CREATE FOREIGN TABLE", analyze_create_foreign_table},
	{"SelectStmt", "SELECT", analyze_select},
	{"InsertStmt", "INSERT", analyze_insert},
	{"UpdateStmt", "UPDATE", analyze_update},
	{"DeleteStmt", "DELETE", analyze_delete},
	{"MergeStmt", "MERGE", analyze_merge},
	{"CopyStmt", "COPY", analyze_copy},
	{"ExplainStmt", "EXPLAIN", analyze_explain},
	{"VariableSetStmt", "SET", analyze_variable_set},
	{"VariableShowStmt", "SHOW", analyze_no_lock},
	{"TransactionStmt", "TRANSACTION", analyze_no_lock},
	{"CreateFunctionStmt", "CREATE FUNCTION", analyze_create_function},
	{"AlterFunctionStmt", "ALTER FUNCTION", analyze_no_lock},
	{"CreateEnumStmt", "CREATE TYPE", analyze_no_lock},
	{"CompositeTypeStmt", "CREATE TYPE", analyze_no_lock},
	{"CreateRangeStmt", "CREATE TYPE", analyze_no_lock},
	{"CreateDomainStmt", "CREATE DOMAIN", analyze_create_domain},
	{"CreateSchemaStmt", "CREATE SCHEMA", analyze_no_lock},
	{"CreateExtensionStmt", "CREATE EXTENSION", analyze_no_lock},
	{"AlterExtensionStmt", "ALTER EXTENSION", analyze_no_lock},
	{"CreateRoleStmt", "CREATE ROLE", analyze_no_lock},
	{"AlterRoleStmt", "ALTER ROLE", analyze_no_lock},
	{"AlterRoleSetStmt", "ALTER ROLE", analyze_no_lock},
	{"DropRoleStmt", "DROP ROLE", analyze_no_lock},
	{"GrantRoleStmt", "GRANT", analyze_no_lock},
	{"AlterDefaultPrivilegesStmt", "ALTER DEFAULT PRIVILEGES", analyze_no_lock},
	{"AlterOwnerStmt", "OWNER TO", analyze_no_lock},
	{"DefineStmt", "CREATE", analyze_no_lock},
	{"CreateCastStmt", "CREATE CAST", analyze_no_lock},
	{"CreateConversionStmt", "CREATE CONVERSION", analyze_no_lock},
	{"CreateOpClassStmt", "CREATE OPERATOR CLASS", analyze_no_lock},
	{"CreateOpFamilyStmt", "CREATE OPERATOR FAMILY", analyze_no_lock},
	{"CreatePLangStmt", "CREATE LANGUAGE", analyze_no_lock},
	{"CreateEventTrigStmt", "CREATE EVENT TRIGGER", analyze_no_lock},
	{"AlterEventTrigStmt", "ALTER EVENT TRIGGER", analyze_no_lock},
	{"CreateFdwStmt", "CREATE FOREIGN DATA WRAPPER", analyze_no_lock},
	{"CreateForeignServerStmt", "CREATE SERVER", analyze_no_lock},
	{"CreateUserMappingStmt", "CREATE USER MAPPING", analyze_no_lock},
	{"AlterTSConfigurationStmt", "ALTER TEXT SEARCH CONFIGURATION", analyze_no_lock},
	{"AlterTSDictionaryStmt", "ALTER TEXT SEARCH DICTIONARY", analyze_no_lock},
	{"CreateTransformStmt", "CREATE TRANSFORM", analyze_no_lock},
	{"AlterCollationStmt", "ALTER COLLATION", analyze_no_lock},
	{"NotifyStmt", "NOTIFY", analyze_no_lock},
	{"ListenStmt", "LISTEN", analyze_no_lock},
	{"UnlistenStmt", "UNLISTEN", analyze_no_lock},
	{"DiscardStmt", "DISCARD", analyze_no_lock},
	{"DeallocateStmt", "DEALLOCATE", analyze_no_lock},
	{"CheckPointStmt", "CHECKPOINT", analyze_no_lock},
	{"LoadStmt", "LOAD", analyze_no_lock},
	{"ConstraintsSetStmt", "SET CONSTRAINTS", analyze_no_lock},
	{"AlterSystemStmt", "ALTER SYSTEM", analyze_no_lock_outside_transaction},
	{"CreatedbStmt", "CREATE DATABASE", analyze_no_lock_outside_transaction},
	{"DropdbStmt", "DROP DATABASE", analyze_no_lock_outside_transaction},
	{"CreateTableSpaceStmt", "CREATE TABLESPACE", analyze_no_lock_outside_transaction},
	{"DropTableSpaceStmt", "DROP TABLESPACE", analyze_no_lock_outside_transaction},
	{"DoStmt", "DO", analyze_do},
	{"CallStmt", "CALL", analyze_unknown},
	{"ExecuteStmt", "EXECUTE", analyze_unknown},
	{NULL, NULL, NULL}
};

/* The row of statement_facts for a node type, or NULL. */
static const StatementFacts *
statement_facts_find(const char *tag)
{
	for (int i = 0; statement_facts[i].tag; i++)
		if (strcmp(statement_facts[i].tag, tag) == 0)
			return &statement_facts[i];
	return NULL;
}

/*
 * Collects every relation an unknown statement names: its RangeVars
 * (wrapped in a list or under a field such as "relation").
 */
static void
collect_named_relations(AnalyzeContext *ctx, const cJSON *node, const char *key, Analysis *a)
{
	const cJSON *child;

	if (node == NULL)
		return;
	if (cJSON_IsObject(node) && (pgnode_get(node, "relname") != NULL) &&
		(key == NULL || strcmp(key, "RangeVar") == 0 || strcmp(key, "relation") == 0 ||
		 strcmp(key, "table") == 0 || strcmp(key, "rel") == 0)) {
		char *name = analyze_rangevar(ctx, node);

		analyze_lock(ctx, a, name, LOCK_ACCESS_EXCLUSIVE, false);
		free(name);
		return;
	}
	cJSON_ArrayForEach(child, node) {
		collect_named_relations(ctx, child, child->string, a);
	}
}

/* Fills out for one statement through its handler; an unknown type is never silently safe. */
void
analyze_statement(AnalyzeContext *ctx, const Statement *st, Analysis *out)
{
	const cJSON *body = NULL;
	const char *tag = pgnode_tag(st->tree, &body);
	const StatementFacts *facts = tag ? statement_facts_find(tag) : NULL;

	analysis_free(out);
	out->known = true;
	out->transactional = true;
	if (facts == NULL) {
		/* never silently safe: the strongest lock on everything it names */
		out->kind = xstrdup(tag ? tag : "unknown");
		analyze_unknown(ctx, body, out);
		return;
	}
	out->kind = xstrdup(facts->kind);
	facts->handler(ctx, body, out);
}

/* Analyses every statement of m and reports each lock migsafe does not know. */
void
analyze_migration(AnalyzeContext *ctx, Migration *m)
{
	analyze_context_begin_migration(ctx);
	for (size_t i = 0; i < m->nstmts; i++) {
		Statement *st = &m->stmts[i];
		char *message;

		analyze_statement(ctx, st, &st->analysis);
		if (st->analysis.known)
			continue;
		if (st->analysis.calls.count > 0)
			message = xasprintf("%s calls %s()%s, created by an earlier statement: migsafe does not "
								"analyse function bodies, so it does not know which locks the call "
								"takes; it may block reads, writes and DDL on whatever the function "
								"touches", st->analysis.kind, st->analysis.calls.items[0],
								st->analysis.calls.count > 1 ? " and other functions" : "");
		else if (st->analysis.nlocks > 0)
			message = xasprintf("migsafe does not know which locks %s takes; assuming %s on %s%s, "
								"which blocks %s",
								st->analysis.kind, lockmode_name(analysis_strongest(&st->analysis)),
								st->analysis.locks[0].relation,
								st->analysis.nlocks > 1 ? " and the other relations it names" : "",
								lockmode_blocks(analysis_strongest(&st->analysis)));
		else
			message = xasprintf("migsafe does not know which locks %s takes; it may block reads, "
								"writes and DDL on whatever it touches", st->analysis.kind);
		migration_add_finding(m, "unknown-lock", SEVERITY_WARNING, (int) i, message,
							  "Check the statement's locks in the PostgreSQL documentation, test it "
							  "with `migsafe dry-run`, and add `-- migsafe:ignore unknown-lock <reason>` "
							  "once you know it is safe.");
		free(message);
	}
}
