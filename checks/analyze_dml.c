/*
 * analyze_dml.c — queries: SELECT (incl. FOR UPDATE / SHARE, SELECT INTO),
 * INSERT (incl. ON CONFLICT), UPDATE, DELETE, MERGE, COPY, EXPLAIN.
 *
 * Besides the relations a query names, PostgreSQL locks relations people
 * forget: the tables behind a view, the partitions of a partitioned table
 * (and the parents of a partition written directly),
 * the sequence a serial default advances, the referenced table of a foreign
 * key checked on INSERT / UPDATE, and the referencing tables an UPDATE or
 * DELETE of a key checks or cascades to. Row counts are not known statically,
 * so every such lock is assumed to happen.
 */
#include "analyze_internal.h"

#include <stdlib.h>
#include <string.h>

/* RI checks run SELECT ... FOR KEY SHARE on the other table (ri_triggers.c). */
#define LOCK_FK_CHECK LOCK_ROW_SHARE
/* ON DELETE / UPDATE CASCADE, SET NULL, SET DEFAULT write the referencing table. */
#define LOCK_FK_ACTION LOCK_ROW_EXCLUSIVE
/* Nesting deeper than this (views of views, cascades of cascades) is not followed. */
#define MAX_DEPTH 16

/* One statement being walked. */
typedef struct QueryWalk {
	AnalyzeContext *ctx;
	Analysis *a;
	StrList ctes;            /* names of WITH queries: not relations */
	bool expand_views;       /* run or parse-analysed, not stored: views lock what they read */
	bool parse_only;         /* only parse-analysed: what the executor does is left out */
} QueryWalk;

/*
 * A query that is only parse-analysed (a SQL function's body at CREATE
 * FUNCTION) locks the relations it names, not their partitions or children,
 * and none of what running it does: foreign-key checks, sequences, calls.
 */
static bool
runs(const QueryWalk *qw)
{
	return !qw->parse_only;
}

/* Row locking of one SELECT level. */
typedef struct RowLocking {
	bool all;                /* FOR UPDATE without OF: every relation in FROM */
	StrList names;           /* FOR UPDATE OF these aliases / names */
} RowLocking;

static void walk_node(QueryWalk *qw, const cJSON *node);
static void walk_select(QueryWalk *qw, const cJSON *body, bool lock_rows);
static void walk_statement(QueryWalk *qw, const char *tag, const cJSON *body);

/* Locks a relation read by a query: views expand to what they read. */
static void
lock_read(QueryWalk *qw, const char *rel, LockMode mode, bool inh, int depth)
{
	CatRelation *r = catalog_find(qw->ctx->catalog, rel);

	analyze_lock(qw->ctx, qw->a, rel, mode, inh && runs(qw));
	if (r == NULL || r->kind != CAT_VIEW || depth > MAX_DEPTH || !qw->expand_views)
		return;
	for (size_t i = 0; i < r->reads.count; i++)
		lock_read(qw, r->reads.items[i], mode, true, depth + 1);
}

/*
 * Writing a partition directly checks its partition constraint, which opens
 * every ancestor with ACCESS SHARE.
 */
static void
lock_partition_ancestors(QueryWalk *qw, const char *table)
{
	CatRelation *r = catalog_find(qw->ctx->catalog, table);

	if (!runs(qw))
		return;
	for (int depth = 0; r && r->partition && r->parent && depth < MAX_DEPTH; depth++) {
		analyze_lock(qw->ctx, qw->a, r->parent, LOCK_ACCESS_SHARE, false);
		r = catalog_find(qw->ctx->catalog, r->parent);
	}
}

/* A RangeVar in a query; NULL result when it names a WITH query. */
static char *
rangevar_name(QueryWalk *qw, const cJSON *rv)
{
	const char *relname = pgnode_str(rv, "relname");

	if (relname == NULL)
		return NULL;
	if (pgnode_str(rv, "schemaname") == NULL && strlist_contains(&qw->ctes, relname))
		return NULL;
	return analyze_rangevar(qw->ctx, rv);
}

/* Locks a relation a query names, unless the name is a WITH query. */
static void
lock_rangevar(QueryWalk *qw, const cJSON *rv, LockMode mode)
{
	char *rel = rangevar_name(qw, rv);

	if (rel)
		lock_read(qw, rel, mode, pgnode_bool(rv, "inh"), 0);
	free(rel);
}

/*
 * nextval('seq') and friends lock the sequence they name; a function an
 * earlier statement created runs a body migsafe does not analyse.
 */
static void
walk_function(QueryWalk *qw, const cJSON *call)
{
	const char *fname = pgnode_last_name(pgnode_list(call, "funcname"));
	LockMode mode = runs(qw) ? pgfacts_sequence_function_lock(fname) : LOCK_NONE;
	const char *seq = pgnode_const_str(cJSON_GetArrayItem(pgnode_list(call, "args"), 0));
	char *created;

	if (mode != LOCK_NONE && seq) {
		const char *dot = strchr(seq, '.');
		char *schema = dot ? xstrndup(seq, (size_t) (dot - seq)) : NULL;
		char *name = analyze_qualify(qw->ctx, schema, dot ? dot + 1 : seq);

		analyze_lock(qw->ctx, qw->a, name, mode, false);
		free(schema);
		free(name);
	}
	/* a stored query (a view) does not run the function now */
	created = qw->expand_views && runs(qw) ?
		analyze_created_function(qw->ctx, pgnode_list(call, "funcname")) : NULL;
	if (created) {
		qw->a->known = false;
		strlist_add_unique(&qw->a->calls, created);
		free(created);
	}
	walk_node(qw, pgnode_get(call, "args"));
}

/*
 * Records the names of a WITH clause (the body a statement's "withClause"
 * holds) and walks its queries: a reference to a WITH query is no relation.
 */
static void
walk_with(QueryWalk *qw, const cJSON *with)
{
	const cJSON *cte;

	if (with == NULL)
		return;

	cJSON_ArrayForEach(cte, pgnode_list(with, "ctes")) {
		const cJSON *body = pgnode_as(cte, "CommonTableExpr");
		const char *name = pgnode_str(body, "ctename");

		if (name)
			strlist_add_unique(&qw->ctes, name);
	}
	cJSON_ArrayForEach(cte, pgnode_list(with, "ctes")) {
		const cJSON *body = pgnode_as(cte, "CommonTableExpr");

		walk_node(qw, pgnode_get(body, "ctequery"));
	}
}

/* Any node: RangeVars read, functions called, nested statements. */
static void
walk_node(QueryWalk *qw, const cJSON *node)
{
	const cJSON *body;
	const char *tag;
	const cJSON *child;

	if (node == NULL)
		return;
	tag = pgnode_tag(node, &body);
	if (tag) {
		if (strcmp(tag, "RangeVar") == 0) {
			lock_rangevar(qw, body, LOCK_ACCESS_SHARE);
			return;
		}
		if (strcmp(tag, "FuncCall") == 0) {
			walk_function(qw, body);
			return;
		}
		if (analyze_is_query(tag)) {
			walk_statement(qw, tag, body);
			return;
		}
		if (strcmp(tag, "WithClause") == 0) {
			walk_with(qw, body);
			return;
		}
		if (strcmp(tag, "LockingClause") == 0 || strcmp(tag, "IntoClause") == 0)
			return;
	}
	cJSON_ArrayForEach(child, node) {
		if (cJSON_IsObject(child) || cJSON_IsArray(child))
			walk_node(qw, child);
	}
}

/* FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE [OF ...] of one SELECT. */
static void
row_locking_read(const cJSON *select, RowLocking *rl)
{
	const cJSON *clause;

	cJSON_ArrayForEach(clause, pgnode_list(select, "lockingClause")) {
		const cJSON *lc = pgnode_as(clause, "LockingClause");
		const cJSON *rels = pgnode_list(lc, "lockedRels");
		const cJSON *rv;

		if (pgnode_list_len(rels) == 0)
			rl->all = true;
		cJSON_ArrayForEach(rv, rels) {
			const char *name = pgnode_str(pgnode_as(rv, "RangeVar"), "relname");

			if (name)
				strlist_add_unique(&rl->names, name);
		}
	}
}

/* One FROM item; row-locked relations get ROW SHARE instead of ACCESS SHARE. */
static void
walk_from_item(QueryWalk *qw, const cJSON *item, const RowLocking *rl)
{
	const cJSON *body;
	const char *tag = pgnode_tag(item, &body);

	if (tag && strcmp(tag, "RangeVar") == 0) {
		const char *alias = pgnode_str(pgnode_get(body, "alias"), "aliasname");
		const char *visible = alias ? alias : pgnode_str(body, "relname");
		bool locked = rl->all || (visible && strlist_contains(&rl->names, visible));

		lock_rangevar(qw, body, locked ? LOCK_ROW_SHARE : LOCK_ACCESS_SHARE);
	} else if (tag && strcmp(tag, "JoinExpr") == 0) {
		walk_from_item(qw, pgnode_get(body, "larg"), rl);
		walk_from_item(qw, pgnode_get(body, "rarg"), rl);
		walk_node(qw, pgnode_get(body, "quals"));
	} else if (tag && strcmp(tag, "RangeSubselect") == 0) {
		const cJSON *sub = pgnode_as(pgnode_get(body, "subquery"), "SelectStmt");

		if (sub)
			walk_select(qw, sub, rl->all);
		else
			walk_node(qw, body);
	} else {
		walk_node(qw, item);
	}
}

/* A SELECT (or VALUES / set operation); lock_rows: an outer FOR UPDATE applies. */
static void
walk_select(QueryWalk *qw, const cJSON *body, bool lock_rows)
{
	RowLocking rl = {0};
	const cJSON *child;
	const cJSON *item;

	walk_with(qw, pgnode_get(body, "withClause"));
	row_locking_read(body, &rl);
	rl.all = rl.all || lock_rows;
	cJSON_ArrayForEach(item, pgnode_list(body, "fromClause")) {
		walk_from_item(qw, item, &rl);
	}
	cJSON_ArrayForEach(child, body) {
		const char *key = child->string;

		if (strcmp(key, "fromClause") == 0 || strcmp(key, "withClause") == 0 ||
			strcmp(key, "lockingClause") == 0 || strcmp(key, "intoClause") == 0)
			continue;
		if (strcmp(key, "larg") == 0 || strcmp(key, "rarg") == 0) {
			/* the sides of UNION / INTERSECT / EXCEPT are bare SelectStmt bodies */
			walk_select(qw, child, rl.all);
			continue;
		}
		if (cJSON_IsObject(child) || cJSON_IsArray(child))
			walk_node(qw, child);
	}
	strlist_free(&rl.names);
}

/* True when table is fk_table or one of its partitions / children. */
static bool
table_is_or_inherits(AnalyzeContext *ctx, const char *table, const char *fk_table)
{
	for (int depth = 0; table && depth < MAX_DEPTH; depth++) {
		CatRelation *r;

		if (strcmp(table, fk_table) == 0)
			return true;
		r = catalog_find(ctx->catalog, table);
		table = r ? r->parent : NULL;
	}
	return false;
}

/*
 * Fills chain with table, its parent, the parent's parent...: the tables
 * table_is_or_inherits compares with (MAX_DEPTH at most); returns how many.
 */
static size_t
ancestry(AnalyzeContext *ctx, const char *table, const char *chain[MAX_DEPTH])
{
	size_t n = 0;

	for (int depth = 0; table && depth < MAX_DEPTH; depth++) {
		CatRelation *r = catalog_find(ctx->catalog, table);

		chain[n++] = table;
		table = r ? r->parent : NULL;
	}
	return n;
}

/*
 * The foreign keys from or to table or its ancestors, in the catalog's
 * order: all that table_is_or_inherits can match (NULL-terminated; free it).
 */
static CatForeignKey **
ancestry_foreign_keys(AnalyzeContext *ctx, const char *table)
{
	const char *chain[MAX_DEPTH];
	size_t n = ancestry(ctx, table, chain);

	return catalog_fks_on(ctx->catalog, chain, n);
}

/* True when the two column lists share a name; an empty cols list means "any". */
static bool
columns_overlap(const StrList *cols, const StrList *changed)
{
	if (changed == NULL)
		return true;
	for (size_t i = 0; i < cols->count; i++)
		if (strlist_contains(changed, cols->items[i]))
			return true;
	return false;
}

/*
 * Writing rows of table (new or changed foreign key values) makes its
 * foreign keys check the referenced tables. changed NULL: every column.
 */
static void
foreign_key_checks(QueryWalk *qw, const char *table, const StrList *changed)
{
	CatForeignKey **fks;

	if (!runs(qw))
		return;
	fks = ancestry_foreign_keys(qw->ctx, table);
	for (CatForeignKey **fk = fks; *fk; fk++)
		if (table_is_or_inherits(qw->ctx, table, (*fk)->table) && columns_overlap(&(*fk)->cols, changed))
			analyze_lock(qw->ctx, qw->a, (*fk)->ref_table, LOCK_FK_CHECK, false);
	free(fks);
}

/*
 * Deleting rows of table, or changing its key columns, runs the foreign keys
 * that reference it: a NO ACTION / RESTRICT check, or a cascading write
 * that itself may cascade further.
 */
static void
foreign_key_actions(QueryWalk *qw, const char *table, const StrList *changed, bool delete, int depth)
{
	CatRelation *r = catalog_find(qw->ctx->catalog, table);
	CatForeignKey **fks;

	if (!runs(qw) || depth > MAX_DEPTH)
		return;
	fks = ancestry_foreign_keys(qw->ctx, table);
	for (CatForeignKey **each = fks; *each; each++) {
		CatForeignKey *fk = *each;
		char action = delete ? fk->del_action : fk->upd_action;
		const StrList *keys = fk->ref_cols.count ? &fk->ref_cols : (r ? &r->pkey : NULL);

		if (!table_is_or_inherits(qw->ctx, table, fk->ref_table))
			continue;
		if (!delete && keys && keys->count && !columns_overlap(keys, changed))
			continue;
		if (action == 'a' || action == 'r') {
			analyze_lock(qw->ctx, qw->a, fk->table, LOCK_FK_CHECK, false);
			continue;
		}
		analyze_lock(qw->ctx, qw->a, fk->table, LOCK_FK_ACTION, false);
		if (action == 'c' && strcmp(fk->table, table) != 0)
			foreign_key_actions(qw, fk->table, delete ? NULL : &fk->cols, delete, depth + 1);
	}
	free(fks);
}

/* The names of a ResTarget list (INSERT columns, UPDATE SET targets). */
static void
target_names(const cJSON *list, StrList *out)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, list) {
		const char *name = pgnode_str(pgnode_as(item, "ResTarget"), "name");

		if (name)
			strlist_add_unique(out, name);
	}
}

/*
 * Columns an INSERT / COPY FROM leaves to their defaults advance the
 * sequences of those defaults (serial, identity, DEFAULT nextval).
 */
static void
default_sequences(QueryWalk *qw, const char *table, const StrList *given)
{
	CatRelation *r = catalog_find(qw->ctx->catalog, table);

	if (!runs(qw))
		return;
	for (size_t i = 0; r && i < r->ncols; i++) {
		if (r->cols[i].sequence && (given == NULL || !strlist_contains(given, r->cols[i].name)))
			analyze_lock(qw->ctx, qw->a, r->cols[i].sequence, LOCK_ROW_EXCLUSIVE, false);
	}
	if (r && r->parent)
		default_sequences(qw, r->parent, given);
}

/* The columns an INSERT without a column list fills, from its first VALUES row. */
static void
insert_implicit_columns(QueryWalk *qw, const char *table, const cJSON *select, StrList *given)
{
	CatRelation *r = catalog_find(qw->ctx->catalog, table);
	const cJSON *rows = pgnode_list(select, "valuesLists");
	const cJSON *first = pgnode_list(pgnode_as(cJSON_GetArrayItem(rows, 0), "List"), "items");
	int n = rows ? pgnode_list_len(first) : (r ? (int) r->ncols : 0);

	for (int i = 0; r && i < n && (size_t) i < r->ncols; i++) {
		const cJSON *value = first ? cJSON_GetArrayItem(first, i) : NULL;

		if (!pgnode_as(value, "SetToDefault"))
			strlist_add_unique(given, r->cols[i].name);
	}
}

/* Drops from given the listed columns some VALUES row sets to DEFAULT. */
static void
explicit_defaults(const cJSON *cols, const cJSON *select, StrList *given)
{
	const cJSON *row;

	cJSON_ArrayForEach(row, pgnode_list(select, "valuesLists")) {
		const cJSON *items = pgnode_list(pgnode_as(row, "List"), "items");
		int i = 0;
		const cJSON *value;

		cJSON_ArrayForEach(value, items) {
			const char *name = pgnode_str(pgnode_as(cJSON_GetArrayItem(cols, i), "ResTarget"), "name");

			if (name && pgnode_as(value, "SetToDefault")) {
				for (size_t j = 0; j < given->count; j++) {
					if (strcmp(given->items[j], name) == 0) {
						free(given->items[j]);
						given->items[j] = given->items[--given->count];
						break;
					}
				}
			}
			i++;
		}
	}
}

/* INSERT: writes the target, advances defaulted sequences, checks foreign keys, reads its source. */
static void
walk_insert(QueryWalk *qw, const cJSON *body)
{
	const cJSON *rv = pgnode_get(body, "relation");
	const cJSON *select = pgnode_as(pgnode_get(body, "selectStmt"), "SelectStmt");
	char *table = analyze_rangevar(qw->ctx, rv);
	StrList given = {0};
	CatRelation *target;

	walk_with(qw, pgnode_get(body, "withClause"));
	if (table == NULL)
		return;
	/* rows are routed to any partition (each may be locked); inheritance children are not written */
	target = catalog_find(qw->ctx->catalog, table);
	lock_read(qw, table, LOCK_ROW_EXCLUSIVE, target && target->kind == CAT_PARTITIONED, 0);
	lock_partition_ancestors(qw, table);
	if (pgnode_list(body, "cols")) {
		target_names(pgnode_list(body, "cols"), &given);
		explicit_defaults(pgnode_list(body, "cols"), select, &given);
	} else {
		insert_implicit_columns(qw, table, select, &given);
	}
	default_sequences(qw, table, &given);
	foreign_key_checks(qw, table, NULL);
	if (select)
		walk_select(qw, select, false);
	walk_node(qw, pgnode_get(body, "onConflictClause"));
	walk_node(qw, pgnode_get(body, "returningList"));
	strlist_free(&given);
	free(table);
}

/* UPDATE: writes the target; changed key columns reach both sides of foreign keys. */
static void
walk_update(QueryWalk *qw, const cJSON *body)
{
	const cJSON *rv = pgnode_get(body, "relation");
	char *table = analyze_rangevar(qw->ctx, rv);
	StrList changed = {0};
	const cJSON *item;

	walk_with(qw, pgnode_get(body, "withClause"));
	if (table == NULL)
		return;
	lock_read(qw, table, LOCK_ROW_EXCLUSIVE, pgnode_bool(rv, "inh"), 0);
	lock_partition_ancestors(qw, table);
	target_names(pgnode_list(body, "targetList"), &changed);
	foreign_key_checks(qw, table, &changed);
	foreign_key_actions(qw, table, &changed, false, 0);
	cJSON_ArrayForEach(item, pgnode_list(body, "fromClause")) {
		RowLocking none = {0};

		walk_from_item(qw, item, &none);
	}
	walk_node(qw, pgnode_get(body, "targetList"));
	walk_node(qw, pgnode_get(body, "whereClause"));
	walk_node(qw, pgnode_get(body, "returningList"));
	strlist_free(&changed);
	free(table);
}

/* DELETE: writes the target; foreign keys referencing it check or cascade. */
static void
walk_delete(QueryWalk *qw, const cJSON *body)
{
	const cJSON *rv = pgnode_get(body, "relation");
	char *table = analyze_rangevar(qw->ctx, rv);
	const cJSON *item;

	walk_with(qw, pgnode_get(body, "withClause"));
	if (table == NULL)
		return;
	lock_read(qw, table, LOCK_ROW_EXCLUSIVE, pgnode_bool(rv, "inh"), 0);
	foreign_key_actions(qw, table, NULL, true, 0);
	cJSON_ArrayForEach(item, pgnode_list(body, "usingClause")) {
		RowLocking none = {0};

		walk_from_item(qw, item, &none);
	}
	walk_node(qw, pgnode_get(body, "whereClause"));
	walk_node(qw, pgnode_get(body, "returningList"));
	free(table);
}

/* MERGE may insert, update and delete: the union of their effects. */
static void
walk_merge(QueryWalk *qw, const cJSON *body)
{
	const cJSON *rv = pgnode_get(body, "relation");
	char *table = analyze_rangevar(qw->ctx, rv);
	const cJSON *when;
	RowLocking none = {0};

	walk_with(qw, pgnode_get(body, "withClause"));
	if (table == NULL)
		return;
	lock_read(qw, table, LOCK_ROW_EXCLUSIVE, pgnode_bool(rv, "inh"), 0);
	lock_partition_ancestors(qw, table);
	walk_from_item(qw, pgnode_get(body, "sourceRelation"), &none);
	walk_node(qw, pgnode_get(body, "joinCondition"));
	cJSON_ArrayForEach(when, pgnode_list(body, "mergeWhenClauses")) {
		const cJSON *wc = pgnode_as(when, "MergeWhenClause");
		const char *command = pgnode_str(wc, "commandType");
		StrList cols = {0};

		target_names(pgnode_list(wc, "targetList"), &cols);
		if (command && strcmp(command, "CMD_INSERT") == 0) {
			default_sequences(qw, table, &cols);
			foreign_key_checks(qw, table, NULL);
		} else if (command && strcmp(command, "CMD_UPDATE") == 0) {
			foreign_key_checks(qw, table, &cols);
			foreign_key_actions(qw, table, &cols, false, 0);
		} else if (command && strcmp(command, "CMD_DELETE") == 0) {
			foreign_key_actions(qw, table, NULL, true, 0);
		}
		walk_node(qw, pgnode_get(wc, "condition"));
		walk_node(qw, pgnode_get(wc, "values"));
		strlist_free(&cols);
	}
	free(table);
}

/* Sends a (possibly nested) statement to its walker. */
static void
walk_statement(QueryWalk *qw, const char *tag, const cJSON *body)
{
	if (strcmp(tag, "SelectStmt") == 0)
		walk_select(qw, body, false);
	else if (strcmp(tag, "InsertStmt") == 0)
		walk_insert(qw, body);
	else if (strcmp(tag, "UpdateStmt") == 0)
		walk_update(qw, body);
	else if (strcmp(tag, "DeleteStmt") == 0)
		walk_delete(qw, body);
	else if (strcmp(tag, "MergeStmt") == 0)
		walk_merge(qw, body);
	else
		walk_node(qw, body);
}

/* Walks a query node with a fresh list of WITH names. */
void
analyze_query_node(AnalyzeContext *ctx, const cJSON *node, Analysis *a, bool expand_views)
{
	QueryWalk qw = {ctx, a, {0}, expand_views, false};

	walk_node(&qw, node);
	strlist_free(&qw.ctes);
}

/* The statement types that are queries: SELECT, INSERT, UPDATE, DELETE, MERGE. */
bool
analyze_is_query(const char *tag)
{
	static const char *const queries[] = {
		"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", NULL
	};

	for (int i = 0; tag && queries[i]; i++)
		if (strcmp(tag, queries[i]) == 0)
			return true;
	return false;
}

/* Walks a query that is parse-analysed, not run (a SQL function's body). */
void
analyze_query_parsed(AnalyzeContext *ctx, const cJSON *node, Analysis *a)
{
	QueryWalk qw = {ctx, a, {0}, true, true};

	walk_node(&qw, node);
	strlist_free(&qw.ctes);
}

/* Collects the relations a query names, without expanding views. */
void
analyze_query_reads(AnalyzeContext *ctx, const cJSON *node, StrList *out)
{
	Analysis scratch = {0};

	analyze_query_node(ctx, node, &scratch, false);
	for (size_t i = 0; i < scratch.nlocks; i++)
		strlist_add_unique(out, scratch.locks[i].relation);
	analysis_free(&scratch);
}

/* Runs one statement body through a fresh walk. */
static void
analyze_walk_statement(AnalyzeContext *ctx, const char *tag, const cJSON *body, Analysis *a)
{
	QueryWalk qw = {ctx, a, {0}, true, false};

	walk_statement(&qw, tag, body);
	strlist_free(&qw.ctes);
}

/* SELECT; SELECT ... INTO also creates a table. */
void
analyze_select(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *into = pgnode_get(body, "intoClause");

	analyze_walk_statement(ctx, "SelectStmt", body, a);
	if (pgnode_list(body, "lockingClause"))
		analyze_set_kind(a, "SELECT FOR UPDATE/SHARE");
	if (into) {
		char *name = analyze_rangevar(ctx, pgnode_get(into, "rel"));

		analyze_set_kind(a, "SELECT INTO");
		if (name) {
			catalog_add(ctx->catalog, name, CAT_TABLE);
			strlist_add(&a->creates, name);
		}
		free(name);
	}
}

/* Entry point for INSERT. */
void
analyze_insert(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	analyze_walk_statement(ctx, "InsertStmt", body, a);
}

/* Entry point for UPDATE. */
void
analyze_update(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	analyze_walk_statement(ctx, "UpdateStmt", body, a);
}

/* Entry point for DELETE. */
void
analyze_delete(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	analyze_walk_statement(ctx, "DeleteStmt", body, a);
}

/* MERGE, known from PostgreSQL 15. */
void
analyze_merge(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	if (!pgfacts_has(ctx->pg_version, PGFACT_MERGE))
		a->known = false;
	analyze_walk_statement(ctx, "MergeStmt", body, a);
}

/* COPY table FROM writes like INSERT; COPY table TO and COPY (query) TO read. */
void
analyze_copy(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *rv = pgnode_get(body, "relation");
	QueryWalk qw = {ctx, a, {0}, true, false};
	char *table;

	if (rv == NULL) {
		walk_node(&qw, pgnode_get(body, "query"));
		strlist_free(&qw.ctes);
		return;
	}
	table = analyze_rangevar(ctx, rv);
	if (table && pgnode_bool(body, "is_from")) {
		StrList given = {0};
		const cJSON *col;

		CatRelation *target = catalog_find(ctx->catalog, table);

		analyze_set_kind(a, "COPY FROM");
		lock_read(&qw, table, LOCK_ROW_EXCLUSIVE, target && target->kind == CAT_PARTITIONED, 0);
		lock_partition_ancestors(&qw, table);
		cJSON_ArrayForEach(col, pgnode_list(body, "attlist")) {
			if (pgnode_sval(col))
				strlist_add(&given, pgnode_sval(col));
		}
		if (pgnode_list(body, "attlist") == NULL) {
			CatRelation *r = catalog_find(ctx->catalog, table);

			for (size_t i = 0; r && i < r->ncols; i++)
				strlist_add(&given, r->cols[i].name);
		}
		default_sequences(&qw, table, &given);
		foreign_key_checks(&qw, table, NULL);
		strlist_free(&given);
	} else if (table) {
		analyze_set_kind(a, "COPY TO");
		analyze_lock(ctx, a, table, LOCK_ACCESS_SHARE, false);
	}
	free(table);
	strlist_free(&qw.ctes);
}

/* EXPLAIN plans the query (taking its locks); EXPLAIN ANALYZE also runs it. */
void
analyze_explain(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	analyze_query_node(ctx, pgnode_get(body, "query"), a, true);
}
