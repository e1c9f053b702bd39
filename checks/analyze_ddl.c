/*
 * analyze_ddl.c — DDL and maintenance statements other than CREATE and ALTER
 * TABLE: DROP, RENAME, SET SCHEMA, TRUNCATE, LOCK, VACUUM, ANALYZE, CLUSTER,
 * REINDEX, REFRESH MATERIALIZED VIEW, triggers, policies, rules, statistics,
 * COMMENT, GRANT, ALTER TYPE ... ADD VALUE.
 */
#include "analyze_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The word a report uses for an ObjectType ("OBJECT_MATVIEW" -> "MATERIALIZED VIEW"). */
static const char *
object_word(const char *objtype)
{
	static const char *const words[][2] = {
		{"OBJECT_TABLE", "TABLE"}, {"OBJECT_INDEX", "INDEX"}, {"OBJECT_VIEW", "VIEW"},
		{"OBJECT_MATVIEW", "MATERIALIZED VIEW"}, {"OBJECT_SEQUENCE", "SEQUENCE"},
		{"OBJECT_FOREIGN_TABLE", "FOREIGN TABLE"}, {"OBJECT_TRIGGER", "TRIGGER"},
		{"OBJECT_POLICY", "POLICY"}, {"OBJECT_RULE", "RULE"}, {"OBJECT_TYPE", "TYPE"},
		{"OBJECT_DOMAIN", "DOMAIN"}, {"OBJECT_FUNCTION", "FUNCTION"},
		{"OBJECT_PROCEDURE", "PROCEDURE"}, {"OBJECT_SCHEMA", "SCHEMA"},
		{"OBJECT_EXTENSION", "EXTENSION"}, {"OBJECT_COLUMN", "COLUMN"},
		{"OBJECT_TABCONSTRAINT", "CONSTRAINT"}, {"OBJECT_ROLE", "ROLE"},
		{"OBJECT_DATABASE", "DATABASE"}, {NULL, NULL}
	};

	for (int i = 0; objtype && words[i][0]; i++)
		if (strcmp(words[i][0], objtype) == 0)
			return words[i][1];
	return objtype && strncmp(objtype, "OBJECT_", 7) == 0 ? objtype + 7 : "OBJECT";
}

/* True for object types that are relations migsafe tracks locks on. */
static bool
is_relation_object(const char *objtype)
{
	static const char *const relation_types[] = {
		"OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE",
		"OBJECT_FOREIGN_TABLE", NULL
	};

	for (int i = 0; objtype && relation_types[i]; i++)
		if (strcmp(relation_types[i], objtype) == 0)
			return true;
	return false;
}

/* True for objects that hang off a table and are named [schema.]table.name. */
static bool
is_table_subobject(const char *objtype)
{
	return objtype && (strcmp(objtype, "OBJECT_TRIGGER") == 0 || strcmp(objtype, "OBJECT_POLICY") == 0 ||
					   strcmp(objtype, "OBJECT_RULE") == 0 || strcmp(objtype, "OBJECT_TABCONSTRAINT") == 0);
}

/* True when the statement says CASCADE. */
static bool
is_cascade(const cJSON *body)
{
	const char *behavior = pgnode_str(body, "behavior");

	return behavior && strcmp(behavior, "DROP_CASCADE") == 0;
}

/* The name list of a DropStmt / CommentStmt object ({"List": ...} or a bare String). */
static const cJSON *
object_names(const cJSON *object, cJSON **owned)
{
	const cJSON *list = pgnode_list(pgnode_as(object, "List"), "items");

	*owned = NULL;
	if (list)
		return list;
	if (pgnode_sval(object)) {
		*owned = cJSON_CreateArray();
		cJSON_AddItemToArray(*owned, cJSON_Duplicate(object, true));
		return *owned;
	}
	return NULL;
}

/* True when o is a sequence owned by table. */
static bool
is_owned_sequence(const CatRelation *o, const char *table)
{
	return o->kind == CAT_SEQUENCE && o->table && strcmp(o->table, table) == 0;
}

/* ACCESS EXCLUSIVE on the sequences table owns, in the catalog's order. */
static void
lock_owned_sequences(AnalyzeContext *ctx, Analysis *a, const char *table)
{
	CatRelation **owned = catalog_dependents(ctx->catalog, table);

	for (CatRelation **o = owned; *o; o++)
		if (is_owned_sequence(*o, table))
			analyze_lock(ctx, a, (*o)->name, LOCK_ACCESS_EXCLUSIVE, false);
	free(owned);
}

/*
 * DROP ... CASCADE of rel: every relation in order, for the defaults that
 * draw on rel (a sequence), its owned sequences and the views that read it
 * (neither defaults nor reads are filed by name).
 */
static void
drop_cascade_locks(AnalyzeContext *ctx, Analysis *a, const char *rel, int depth)
{
	Catalog *cat = ctx->catalog;

	for (size_t i = 0; i < cat->nrels; i++) {
		CatRelation *o = cat->rels[i];

		for (size_t c = 0; c < o->ncols; c++) {
			/* DROP SEQUENCE ... CASCADE drops the defaults that call it */
			if (o->cols[c].sequence && strcmp(o->cols[c].sequence, rel) == 0 && strcmp(o->name, rel) != 0)
				analyze_lock(ctx, a, o->name, LOCK_ACCESS_EXCLUSIVE, false);
		}
		if (is_owned_sequence(o, rel))
			analyze_lock(ctx, a, o->name, LOCK_ACCESS_EXCLUSIVE, false);
		else if ((o->kind == CAT_VIEW || o->kind == CAT_MATVIEW) &&
				 strlist_contains(&o->reads, rel) && strcmp(o->name, rel) != 0)
			analyze_drop_relation_locks(ctx, a, o->name, true, depth + 1);
	}
}

/*
 * What dropping relation rel locks: itself and its partitions, a partition's
 * parent, both sides of its foreign keys (their RI triggers are dropped),
 * owned sequences, and with CASCADE the views that read it.
 */
void
analyze_drop_relation_locks(AnalyzeContext *ctx, Analysis *a, const char *rel, bool cascade, int depth)
{
	Catalog *cat = ctx->catalog;
	CatRelation *r = catalog_find(cat, rel);
	CatForeignKey **fks;

	if (depth > 16)
		return;
	analyze_lock(ctx, a, rel, LOCK_ACCESS_EXCLUSIVE, true);
	if (r && r->parent && r->partition)
		analyze_lock(ctx, a, r->parent, LOCK_ACCESS_EXCLUSIVE, false);
	fks = catalog_fks_on(cat, &rel, 1);
	for (CatForeignKey **fk = fks; *fk; fk++) {
		if (strcmp((*fk)->table, rel) == 0)
			analyze_lock(ctx, a, (*fk)->ref_table, LOCK_ACCESS_EXCLUSIVE, false);
		else if (strcmp((*fk)->ref_table, rel) == 0 && cascade)
			analyze_lock(ctx, a, (*fk)->table, LOCK_ACCESS_EXCLUSIVE, false);
	}
	free(fks);
	if (cascade)
		drop_cascade_locks(ctx, a, rel, depth);
	else
		lock_owned_sequences(ctx, a, rel);
}

/*
 * Collects into out the views and materialized views that read rel, and
 * those that read them (what DROP ... CASCADE drops with rel).
 */
static void
dependent_views(Catalog *cat, const char *rel, StrList *out, int depth)
{
	for (size_t i = 0; depth <= 16 && i < cat->nrels; i++) {
		CatRelation *o = cat->rels[i];

		if ((o->kind == CAT_VIEW || o->kind == CAT_MATVIEW) && strlist_contains(&o->reads, rel) &&
			strcmp(o->name, rel) != 0 && !strlist_contains(out, o->name)) {
			strlist_add(out, o->name);
			dependent_views(cat, o->name, out, depth + 1);
		}
	}
}

/* The catalog forgets rel and, with cascade, the views over it. */
static void
forget_relation(AnalyzeContext *ctx, const char *rel, bool cascade)
{
	StrList views = {0};

	if (cascade)
		dependent_views(ctx->catalog, rel, &views, 0);
	catalog_drop(ctx->catalog, rel);
	for (size_t i = 0; i < views.count; i++)
		catalog_drop(ctx->catalog, views.items[i]);
	strlist_free(&views);
}

/*
 * DROP SCHEMA ... CASCADE drops every relation in it as DROP ... CASCADE
 * would (foreign keys from other schemas, views over them), and the
 * catalog forgets them.
 */
static void
drop_schema_cascade(AnalyzeContext *ctx, Analysis *a, const char *schema)
{
	Catalog *cat = ctx->catalog;
	StrList rels = {0};

	for (size_t i = 0; schema && i < cat->nrels; i++)
		if (cat->rels[i]->kind != CAT_INDEX && catalog_in_schema(cat->rels[i], schema))
			strlist_add(&rels, cat->rels[i]->name);
	for (size_t i = 0; i < rels.count; i++)
		analyze_drop_relation_locks(ctx, a, rels.items[i], true, 0);
	for (size_t i = 0; i < rels.count; i++)
		forget_relation(ctx, rels.items[i], true);
	strlist_free(&rels);
}

/* DROP FUNCTION ... CASCADE drops the triggers that run it: ACCESS EXCLUSIVE on their tables. */
static void
drop_function_cascade(AnalyzeContext *ctx, Analysis *a, const char *function)
{
	Catalog *cat = ctx->catalog;

	for (size_t i = 0; function && i < cat->ntriggers; i++)
		if (strcmp(cat->triggers[i]->function, function) == 0)
			analyze_lock(ctx, a, cat->triggers[i]->table, LOCK_ACCESS_EXCLUSIVE, false);
}

/*
 * DROP TYPE / DOMAIN ... CASCADE drops the columns of that type (ACCESS
 * EXCLUSIVE on their tables) and the views over those tables that use them;
 * which columns a view uses is not tracked, so every view reading such a
 * table is assumed dropped.
 */
static void
drop_type_cascade(AnalyzeContext *ctx, Analysis *a, const char *type)
{
	Catalog *cat = ctx->catalog;

	for (size_t i = 0; type && i < cat->nrels; i++) {
		CatRelation *r = cat->rels[i];
		bool uses = false;

		if (r->kind != CAT_TABLE && r->kind != CAT_PARTITIONED && r->kind != CAT_FOREIGN)
			continue;
		for (size_t c = 0; c < r->ncols; c++)
			if (strcmp(r->cols[c].type.name, type) == 0)
				uses = true;
		if (!uses)
			continue;
		analyze_lock(ctx, a, r->name, LOCK_ACCESS_EXCLUSIVE, true);
		for (size_t v = 0; v < cat->nrels; v++) {
			CatRelation *o = cat->rels[v];

			if ((o->kind == CAT_VIEW || o->kind == CAT_MATVIEW) && strlist_contains(&o->reads, r->name))
				analyze_drop_relation_locks(ctx, a, o->name, true, 1);
		}
	}
}

/* DROP INDEX [CONCURRENTLY]: the table behind the index, from the catalog. */
static void
drop_index(AnalyzeContext *ctx, const cJSON *body, const char *index, Analysis *a)
{
	bool concurrent = pgnode_bool(body, "concurrent");
	CatRelation *idx = catalog_find(ctx->catalog, index);
	CatRelation *table = idx && idx->table ? catalog_find(ctx->catalog, idx->table) : NULL;

	a->transactional = !concurrent;
	if (idx == NULL || idx->table == NULL) {
		/* the table behind an index created elsewhere is not known */
		a->known = false;
		analysis_add_lock(a, index, concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE);
		return;
	}
	analyze_lock(ctx, a, idx->table, concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE,
				 table && table->kind == CAT_PARTITIONED);
	catalog_drop(ctx->catalog, index);
}

/* DROP of relations, indexes, table sub-objects and schemas. */
void
analyze_drop(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *objtype = pgnode_str(body, "removeType");
	bool cascade = is_cascade(body);
	char *kind;
	const cJSON *object;

	kind = xasprintf("DROP %s%s", object_word(objtype),
					 pgnode_bool(body, "concurrent") ? " CONCURRENTLY" : "");
	analyze_set_kind(a, kind);
	free(kind);
	cJSON_ArrayForEach(object, pgnode_list(body, "objects")) {
		cJSON *owned;
		const cJSON *names = object_names(object, &owned);
		char *name;

		if (objtype && strcmp(objtype, "OBJECT_INDEX") == 0) {
			name = analyze_name_list(ctx, names, 0);
			if (name)
				drop_index(ctx, body, name, a);
		} else if (is_relation_object(objtype)) {
			name = analyze_name_list(ctx, names, 0);
			if (name) {
				analyze_drop_relation_locks(ctx, a, name, cascade, 0);
				forget_relation(ctx, name, cascade);
			}
		} else if (is_table_subobject(objtype)) {
			/* DROP TRIGGER / POLICY / RULE ... ON table */
			name = analyze_name_list(ctx, names, 1);
			analyze_lock(ctx, a, name, LOCK_ACCESS_EXCLUSIVE, false);
			if (name && strcmp(objtype, "OBJECT_TRIGGER") == 0)
				catalog_trigger_drop(ctx->catalog, pgnode_last_name(names), name);
		} else if (cascade && objtype && strcmp(objtype, "OBJECT_FUNCTION") == 0) {
			name = NULL;
			drop_function_cascade(ctx, a, pgnode_last_name(pgnode_list(pgnode_as(object, "ObjectWithArgs"),
																		"objname")));
		} else if (cascade && objtype && (strcmp(objtype, "OBJECT_TYPE") == 0 ||
										  strcmp(objtype, "OBJECT_DOMAIN") == 0)) {
			name = NULL;
			drop_type_cascade(ctx, a, pgnode_last_name(pgnode_list(pgnode_as(object, "TypeName"), "names")));
		} else if (objtype && strcmp(objtype, "OBJECT_SCHEMA") == 0 && cascade) {
			name = NULL;
			drop_schema_cascade(ctx, a, pgnode_sval(object));
		} else {
			name = NULL;
		}
		free(name);
		cJSON_Delete(owned);
	}
}

/* The lock ALTER ... RENAME takes, per renamed object type. */
void
analyze_rename(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *objtype = pgnode_str(body, "renameType");
	const cJSON *rv = pgnode_get(body, "relation");
	const char *newname = pgnode_str(body, "newname");
	char *rel = rv ? analyze_rangevar(ctx, rv) : NULL;
	char *kind;

	kind = xasprintf("ALTER %s RENAME", object_word(objtype));
	analyze_set_kind(a, kind);
	free(kind);
	if (rel && objtype && strcmp(objtype, "OBJECT_INDEX") == 0) {
		/* only the index is locked (SHARE UPDATE EXCLUSIVE since 12), never its table */
		if (!pgfacts_has(ctx->pg_version, PGFACT_RENAME_INDEX_SHARE_UPDATE)) {
			CatRelation *idx = catalog_find(ctx->catalog, rel);

			if (idx && idx->table)
				analyze_lock(ctx, a, idx->table, LOCK_ACCESS_EXCLUSIVE, false);
		}
	} else if (rel && is_relation_object(objtype)) {
		analyze_lock(ctx, a, rel, LOCK_ACCESS_EXCLUSIVE, false);
	} else if (rel && objtype && strcmp(objtype, "OBJECT_COLUMN") == 0) {
		const char *column = pgnode_str(body, "subname");

		analyze_lock(ctx, a, rel, LOCK_ACCESS_EXCLUSIVE, pgnode_bool(rv, "inh"));
		if (column && newname)
			catalog_column_rename(ctx->catalog, rel, column, newname);
	} else if (rel && is_table_subobject(objtype)) {
		analyze_lock(ctx, a, rel, LOCK_ACCESS_EXCLUSIVE, false);
		if (pgnode_str(body, "subname") && newname)
			catalog_subobject_rename(ctx->catalog, rel, pgnode_str(body, "subname"), newname);
	} else if (objtype && strcmp(objtype, "OBJECT_SCHEMA") == 0 && newname) {
		const char *old_schema = pgnode_str(body, "subname");
		Catalog *cat = ctx->catalog;

		for (size_t i = 0; old_schema && i < cat->nrels; i++) {
			if (catalog_in_schema(cat->rels[i], old_schema)) {
				char *moved = xasprintf("%s%s", newname, cat->rels[i]->name + strlen(old_schema));

				catalog_rename(cat, cat->rels[i]->name, moved);
				free(moved);
			}
		}
	}
	if (rel && newname && (is_relation_object(objtype) || (objtype && strcmp(objtype, "OBJECT_INDEX") == 0))) {
		char *schema = analyze_schema_of(rel);
		char *renamed = xasprintf("%s.%s", schema, newname);

		catalog_rename(ctx->catalog, rel, renamed);
		free(schema);
		free(renamed);
	}
	free(rel);
}

/* ALTER TABLE ... SET SCHEMA moves the table with its indexes and owned sequences. */
void
analyze_set_schema(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *objtype = pgnode_str(body, "objectType");
	const char *newschema = pgnode_str(body, "newschema");
	char *rel = analyze_rangevar(ctx, pgnode_get(body, "relation"));
	Catalog *cat = ctx->catalog;
	char *kind;

	kind = xasprintf("ALTER %s SET SCHEMA", object_word(objtype));
	analyze_set_kind(a, kind);
	free(kind);
	if (rel == NULL || newschema == NULL || !is_relation_object(objtype)) {
		free(rel);
		return;
	}
	analyze_lock(ctx, a, rel, LOCK_ACCESS_EXCLUSIVE, false);
	for (size_t i = 0; i < cat->nrels; i++) {
		CatRelation *o = cat->rels[i];
		const char *dot = strrchr(o->name, '.');
		char *moved;

		if (!(o->table && strcmp(o->table, rel) == 0 && (o->kind == CAT_INDEX || o->kind == CAT_SEQUENCE)))
			continue;
		if (o->kind == CAT_SEQUENCE)
			analyze_lock(ctx, a, o->name, LOCK_ACCESS_EXCLUSIVE, false);
		moved = xasprintf("%s%s", newschema, dot);
		catalog_rename(cat, o->name, moved);
		free(moved);
	}
	{
		char *moved = xasprintf("%s%s", newschema, strrchr(rel, '.'));

		catalog_rename(cat, rel, moved);
		free(moved);
	}
	free(rel);
}

static void truncate_table(AnalyzeContext *ctx, Analysis *a, const char *rel, bool recurse, bool cascade,
						   bool restart, int depth);

/* TRUNCATE ... CASCADE of rel: the tables whose foreign keys reference it, unless already truncated. */
static void
truncate_referencing(AnalyzeContext *ctx, Analysis *a, const char *rel, bool restart, int depth)
{
	CatForeignKey **fks = catalog_fks_on(ctx->catalog, &rel, 1);

	for (CatForeignKey **each = fks; *each; each++) {
		CatForeignKey *fk = *each;
		LockMode held = LOCK_NONE;

		if (strcmp(fk->ref_table, rel) != 0 || strcmp(fk->table, rel) == 0)
			continue;
		for (size_t j = 0; j < a->nlocks; j++)
			if (strcmp(a->locks[j].relation, fk->table) == 0)
				held = a->locks[j].mode;
		if (held != LOCK_ACCESS_EXCLUSIVE)
			truncate_table(ctx, a, fk->table, true, true, restart, depth + 1);
	}
	free(fks);
}

/* TRUNCATE, with CASCADE following foreign keys that reference each table. */
static void
truncate_table(AnalyzeContext *ctx, Analysis *a, const char *rel, bool recurse, bool cascade,
			   bool restart, int depth)
{
	if (depth > 16)
		return;
	analyze_lock(ctx, a, rel, LOCK_ACCESS_EXCLUSIVE, recurse);
	if (restart)
		lock_owned_sequences(ctx, a, rel);
	if (cascade)
		truncate_referencing(ctx, a, rel, restart, depth);
}

/* TRUNCATE: ACCESS EXCLUSIVE on each table, its partitions and, with CASCADE, referencing tables. */
void
analyze_truncate(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *item;
	bool cascade = is_cascade(body);
	bool restart = pgnode_bool(body, "restart_seqs");

	cJSON_ArrayForEach(item, pgnode_list(body, "relations")) {
		const cJSON *rv = pgnode_as(item, "RangeVar");
		char *rel = analyze_rangevar(ctx, rv);

		if (rel)
			truncate_table(ctx, a, rel, pgnode_bool(rv, "inh"), cascade, restart, 0);
		free(rel);
	}
}

/* LOCK TABLE on a view also locks what the view reads (since 11). */
static void
lock_view_recursively(AnalyzeContext *ctx, Analysis *a, const char *rel, LockMode mode, bool inh,
					  int depth)
{
	CatRelation *r = catalog_find(ctx->catalog, rel);

	analyze_lock(ctx, a, rel, mode, inh);
	if (depth > 16 || r == NULL || r->kind != CAT_VIEW ||
		!pgfacts_has(ctx->pg_version, PGFACT_LOCK_VIEW_RECURSES))
		return;
	for (size_t i = 0; i < r->reads.count; i++)
		lock_view_recursively(ctx, a, r->reads.items[i], mode, true, depth + 1);
}

/* LOCK TABLE: the named mode on each table, its children (unless ONLY) and what views read. */
void
analyze_lock_table(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	int mode = pgnode_int(body, "mode");
	const cJSON *item;

	/* LOCK TABLE without IN ... MODE means ACCESS EXCLUSIVE */
	if (mode <= LOCK_NONE || mode >= LOCKMODE_COUNT)
		mode = LOCK_ACCESS_EXCLUSIVE;
	cJSON_ArrayForEach(item, pgnode_list(body, "relations")) {
		const cJSON *rv = pgnode_as(item, "RangeVar");
		char *rel = analyze_rangevar(ctx, rv);

		if (rel)
			lock_view_recursively(ctx, a, rel, (LockMode) mode, pgnode_bool(rv, "inh"), 0);
		free(rel);
	}
}

/* Every table the catalog knows (VACUUM / ANALYZE / REINDEX without a name). */
static void
lock_all_tables(AnalyzeContext *ctx, Analysis *a, LockMode mode, const char *schema, bool rewrite)
{
	Catalog *cat = ctx->catalog;

	for (size_t i = 0; i < cat->nrels; i++) {
		CatRelation *r = cat->rels[i];

		if (!(r->kind == CAT_TABLE || r->kind == CAT_MATVIEW || r->kind == CAT_PARTITIONED))
			continue;
		if (schema && !catalog_in_schema(r, schema))
			continue;
		analysis_add_lock(a, r->name, mode);
		if (rewrite && r->kind != CAT_PARTITIONED)
			strlist_add_unique(&a->rewrites, r->name);
	}
}

/* Adds rel and its partitions to list (partitioned tables have no storage to rewrite). */
static void
add_with_partitions(AnalyzeContext *ctx, StrList *list, const char *rel)
{
	CatRelation *r = catalog_find(ctx->catalog, rel);
	CatRelation **children = catalog_dependents(ctx->catalog, rel);

	if (r == NULL || r->kind != CAT_PARTITIONED)
		strlist_add_unique(list, rel);
	for (CatRelation **child = children; *child; child++)
		if ((*child)->parent && strcmp((*child)->parent, rel) == 0)
			add_with_partitions(ctx, list, (*child)->name);
	free(children);
}

/* VACUUM [FULL] and ANALYZE. */
void
analyze_vacuum(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *options = pgnode_list(body, "options");
	bool vacuum = pgnode_bool(body, "is_vacuumcmd");
	bool full = vacuum && pgnode_has_option(options, "full");
	LockMode mode = full ? LOCK_ACCESS_EXCLUSIVE : LOCK_SHARE_UPDATE_EXCLUSIVE;
	const cJSON *rels = pgnode_list(body, "rels");
	const cJSON *item;

	analyze_set_kind(a, vacuum ? (full ? "VACUUM FULL" : "VACUUM") : "ANALYZE");
	a->transactional = !vacuum;
	if (pgnode_list_len(rels) == 0) {
		lock_all_tables(ctx, a, mode, NULL, full);
		return;
	}
	cJSON_ArrayForEach(item, rels) {
		const cJSON *vr = pgnode_as(item, "VacuumRelation");
		char *rel = analyze_lock_rangevar(ctx, a, pgnode_get(vr, "relation"), mode);

		if (rel && full)
			add_with_partitions(ctx, &a->rewrites, rel);
		free(rel);
	}
}

/* CLUSTER: rewrites the table under ACCESS EXCLUSIVE; without a table, every clustered one. */
void
analyze_cluster(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *rv = pgnode_get(body, "relation");
	Catalog *cat = ctx->catalog;
	char *rel;

	if (rv == NULL) {
		/* every table previously clustered, each in its own transaction */
		a->transactional = false;
		for (size_t i = 0; i < cat->nrels; i++) {
			if (cat->rels[i]->clustered) {
				analyze_lock(ctx, a, cat->rels[i]->name, LOCK_ACCESS_EXCLUSIVE, false);
				strlist_add_unique(&a->rewrites, cat->rels[i]->name);
			}
		}
		return;
	}
	rel = analyze_lock_rangevar(ctx, a, rv, LOCK_ACCESS_EXCLUSIVE);
	if (rel) {
		CatRelation *r = catalog_find(cat, rel);

		/* a partitioned table is clustered one partition per transaction */
		if (r && r->kind == CAT_PARTITIONED)
			a->transactional = false;
		add_with_partitions(ctx, &a->rewrites, rel);
		if (r && pgnode_str(body, "indexname"))
			r->clustered = true;
	}
	free(rel);
}

/* REINDEX: SHARE on the table (SHARE UPDATE EXCLUSIVE when CONCURRENTLY). */
void
analyze_reindex(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *kind = pgnode_str(body, "kind");
	bool concurrent = pgnode_has_option(pgnode_list(body, "params"), "concurrently");
	LockMode mode = concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_SHARE;
	const cJSON *rv = pgnode_get(body, "relation");
	char *rel = rv ? analyze_rangevar(ctx, rv) : NULL;

	analyze_set_kind(a, concurrent ? "REINDEX CONCURRENTLY" : "REINDEX");
	a->transactional = !concurrent;
	if (concurrent && !pgfacts_has(ctx->pg_version, PGFACT_REINDEX_CONCURRENTLY))
		a->known = false;
	if (kind && strcmp(kind, "REINDEX_OBJECT_INDEX") == 0 && rel) {
		CatRelation *idx = catalog_find(ctx->catalog, rel);

		if (idx && idx->table) {
			CatRelation *t = catalog_find(ctx->catalog, idx->table);

			analyze_lock(ctx, a, idx->table, mode, t && t->kind == CAT_PARTITIONED);
			/* partitions are reindexed one transaction each, outside a block */
			if (t && t->kind == CAT_PARTITIONED)
				a->transactional = false;
		} else {
			a->known = false;
			analysis_add_lock(a, rel, concurrent ? mode : LOCK_ACCESS_EXCLUSIVE);
		}
	} else if (kind && strcmp(kind, "REINDEX_OBJECT_TABLE") == 0 && rel) {
		CatRelation *t = catalog_find(ctx->catalog, rel);

		analyze_lock(ctx, a, rel, mode, true);
		if (t && t->kind == CAT_PARTITIONED)
			a->transactional = false;
	} else {
		/* SCHEMA / DATABASE / SYSTEM: one transaction per table, outside a block */
		const char *schema = pgnode_str(body, "name");

		a->transactional = false;
		lock_all_tables(ctx, a, mode,
						kind && strcmp(kind, "REINDEX_OBJECT_SCHEMA") == 0 ? schema : NULL, false);
	}
	free(rel);
}

/* REFRESH MATERIALIZED VIEW [CONCURRENTLY]: the view and what its query reads. */
void
analyze_refresh(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	bool concurrent = pgnode_bool(body, "concurrent");
	char *rel = analyze_rangevar(ctx, pgnode_get(body, "relation"));
	CatRelation *mv = rel ? catalog_find(ctx->catalog, rel) : NULL;

	if (concurrent)
		analyze_set_kind(a, "REFRESH MATERIALIZED VIEW CONCURRENTLY");
	if (rel == NULL)
		return;
	/* CONCURRENTLY: EXCLUSIVE (reads continue) and a diff instead of a new heap */
	analysis_add_lock(a, rel, concurrent ? LOCK_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE);
	if (!concurrent)
		strlist_add_unique(&a->rewrites, rel);
	for (size_t i = 0; mv && !pgnode_bool(body, "skipData") && i < mv->reads.count; i++)
		analyze_lock(ctx, a, mv->reads.items[i], LOCK_ACCESS_SHARE, true);
	free(rel);
}

/* CREATE TRIGGER: SHARE ROW EXCLUSIVE on the table (trigger.c). */
void
analyze_create_trigger(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *rv = pgnode_get(body, "relation");
	char *rel = analyze_rangevar(ctx, rv);
	CatRelation *r = rel ? catalog_find(ctx->catalog, rel) : NULL;

	if (pgnode_bool(body, "isconstraint"))
		analyze_set_kind(a, "CREATE CONSTRAINT TRIGGER");
	/* row triggers on a partitioned table are cloned onto every partition */
	analyze_lock(ctx, a, rel, LOCK_SHARE_ROW_EXCLUSIVE,
				 r && r->kind == CAT_PARTITIONED && pgnode_bool(body, "row"));
	if (rel) {
		if (pgnode_bool(body, "replace"))
			catalog_trigger_drop(ctx->catalog, pgnode_str(body, "trigname"), rel);
		catalog_trigger_add(ctx->catalog, pgnode_str(body, "trigname"), rel,
							pgnode_last_name(pgnode_list(body, "funcname")));
	}
	free(rel);
}

/* The value of a CREATE FUNCTION option ("language", "as"), or NULL. */
static const cJSON *
function_option(const cJSON *body, const char *name)
{
	const cJSON *opt;

	cJSON_ArrayForEach(opt, pgnode_list(body, "options")) {
		const cJSON *def = pgnode_as(opt, "DefElem");
		const char *defname = pgnode_str(def, "defname");

		if (defname && strcmp(defname, name) == 0)
			return pgnode_get(def, "arg");
	}
	return NULL;
}

/* True when an input argument has a polymorphic type: PostgreSQL then skips the body. */
static bool
function_polymorphic(const cJSON *body)
{
	const cJSON *param;

	cJSON_ArrayForEach(param, pgnode_list(body, "parameters")) {
		const cJSON *fp = pgnode_as(param, "FunctionParameter");
		const char *mode = pgnode_str(fp, "mode");
		const cJSON *type = pgnode_get(fp, "argType");

		if (mode && (strcmp(mode, "FUNC_PARAM_OUT") == 0 || strcmp(mode, "FUNC_PARAM_TABLE") == 0))
			continue;
		if (pgfacts_type_polymorphic(pgnode_last_name(pgnode_list(type, "names"))))
			return true;
	}
	return false;
}

/*
 * A LANGUAGE sql body is parse-analysed at creation: a BEGIN ATOMIC / RETURN
 * body always (the parser reads it with the statement), a string body by
 * fmgr_sql_validator unless check_function_bodies is off or an argument is
 * polymorphic. The relations it names, and those behind the views it names,
 * stay locked until the migration commits.
 */
static void
analyze_sql_function_body(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *language = pgnode_sval(function_option(body, "language"));
	const cJSON *as = pgnode_list(pgnode_as(function_option(body, "as"), "List"), "items");
	const char *text = pgnode_sval(cJSON_GetArrayItem(as, 0));
	cJSON *tree;
	const cJSON *stmt;

	if (pgnode_get(body, "sql_body")) {
		analyze_query_parsed(ctx, pgnode_get(body, "sql_body"), a);
		return;
	}
	if (!ctx->check_function_bodies || function_polymorphic(body))
		return;
	if (language == NULL || strcasecmp(language, "sql") != 0 || text == NULL)
		return;
	tree = analyze_parse_sql(text);
	cJSON_ArrayForEach(stmt, pgnode_get(tree, "stmts")) {
		const char *tag = pgnode_tag(pgnode_get(stmt, "stmt"), NULL);

		/* utility statements are not analysed by the validator: they lock nothing yet */
		if (analyze_is_query(tag))
			analyze_query_parsed(ctx, pgnode_get(stmt, "stmt"), a);
	}
	cJSON_Delete(tree);
}

/*
 * CREATE FUNCTION / PROCEDURE: the locks of a SQL body's parse analysis; the
 * catalog remembers the name so that a later call is known to run code
 * migsafe did not analyse.
 */
void
analyze_create_function(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	char *name = analyze_name_list(ctx, pgnode_list(body, "funcname"), 0);

	analyze_sql_function_body(ctx, body, a);
	if (name)
		catalog_function_add(ctx->catalog, name);
	free(name);
}

/* CREATE / ALTER POLICY: ACCESS EXCLUSIVE on the table (policy.c). */
void
analyze_policy(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	char *rel = analyze_rangevar(ctx, pgnode_get(body, "table"));

	analyze_lock(ctx, a, rel, LOCK_ACCESS_EXCLUSIVE, false);
	free(rel);
}

/* COMMENT ON a relation, column, constraint, trigger, policy or rule. */
void
analyze_comment(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *objtype = pgnode_str(body, "objtype");
	cJSON *owned;
	const cJSON *names = object_names(pgnode_get(body, "object"), &owned);
	char *rel = NULL;
	char *sub = NULL;
	char *kind;

	kind = xasprintf("COMMENT ON %s", object_word(objtype));
	analyze_set_kind(a, kind);
	free(kind);
	if (is_relation_object(objtype))
		rel = analyze_name_list(ctx, names, 0);
	else if (objtype && strcmp(objtype, "OBJECT_COLUMN") == 0)
		rel = analyze_name_list(ctx, names, 1);
	else if (is_table_subobject(objtype))
		sub = analyze_name_list(ctx, names, 1);
	/*
	 * comment.c asks get_object_address for ShareUpdateExclusiveLock on the
	 * object; a constraint, trigger, policy or rule only gets its table
	 * opened with AccessShareLock.
	 */
	analyze_lock(ctx, a, rel, LOCK_SHARE_UPDATE_EXCLUSIVE, false);
	analyze_lock(ctx, a, sub, LOCK_ACCESS_SHARE, false);
	free(sub);
	free(rel);
	cJSON_Delete(owned);
}

/* GRANT / REVOKE change the ACL in pg_class without locking the relation. */
void
analyze_grant(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	(void) ctx;
	if (!pgnode_bool(body, "is_grant"))
		analyze_set_kind(a, "REVOKE");
}

/* CREATE RULE: ACCESS EXCLUSIVE on the table (rewriteDefine.c). */
void
analyze_create_rule(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	char *rel = analyze_rangevar(ctx, pgnode_get(body, "relation"));

	analyze_lock(ctx, a, rel, LOCK_ACCESS_EXCLUSIVE, false);
	free(rel);
}

/* CREATE STATISTICS: SHARE UPDATE EXCLUSIVE on the table (statscmds.c). */
void
analyze_create_statistics(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, pgnode_list(body, "relations")) {
		char *rel = analyze_rangevar(ctx, pgnode_as(item, "RangeVar"));

		analyze_lock(ctx, a, rel, LOCK_SHARE_UPDATE_EXCLUSIVE, false);
		free(rel);
	}
}

/* ALTER TYPE ... ADD VALUE could not run in a transaction block before 12. */
void
analyze_alter_enum(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	if (pgnode_str(body, "newVal") && !pgnode_str(body, "oldVal"))
		a->transactional = pgfacts_has(ctx->pg_version, PGFACT_ENUM_ADD_VALUE_IN_TRANSACTION);
}

/*
 * CREATE / ALTER PUBLICATION ... TABLE t: publication.c opens each listed
 * table with SHARE UPDATE EXCLUSIVE; FOR ALL TABLES and TABLES IN SCHEMA
 * lock no table.
 */
void
analyze_publication(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, pgnode_list(body, "pubobjects")) {
		const cJSON *spec = pgnode_as(item, "PublicationObjSpec");
		const cJSON *table = pgnode_get(spec, "pubtable");
		char *rel = analyze_rangevar(ctx, pgnode_get(table, "relation"));

		analyze_lock(ctx, a, rel, LOCK_SHARE_UPDATE_EXCLUSIVE, false);
		free(rel);
	}
}

/*
 * ALTER DOMAIN ... ADD CONSTRAINT (unless NOT VALID), SET NOT NULL and
 * VALIDATE CONSTRAINT check every stored value of the domain: each table with
 * a column of that type is locked SHARE and scanned (typecmds.c,
 * validateDomainConstraint). Defaults, renames and drops lock no table.
 */
void
analyze_alter_domain(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *subtype = pgnode_str(body, "subtype");
	const char *domain = pgnode_last_name(pgnode_list(body, "typeName"));
	const cJSON *con = pgnode_as(pgnode_get(body, "def"), "Constraint");
	Catalog *cat = ctx->catalog;
	bool checks;

	if (subtype == NULL || domain == NULL)
		return;
	if ((strcmp(subtype, "C") == 0 || strcmp(subtype, "O") == 0) && catalog_domain_find(cat, domain))
		catalog_domain_find(cat, domain)->constrained = true;
	checks = (strcmp(subtype, "C") == 0 && !pgnode_bool(con, "skip_validation")) ||
		strcmp(subtype, "O") == 0 || strcmp(subtype, "V") == 0;
	for (size_t i = 0; checks && i < cat->nrels; i++) {
		CatRelation *r = cat->rels[i];

		if (r->kind != CAT_TABLE && r->kind != CAT_MATVIEW)
			continue;
		for (size_t c = 0; c < r->ncols; c++) {
			if (strcmp(r->cols[c].type.name, domain) == 0) {
				analyze_lock(ctx, a, r->name, LOCK_SHARE, false);
				strlist_add_unique(&a->scans, r->name);
			}
		}
	}
}

/* CREATE DOMAIN locks nothing; the catalog notes its base type and whether it has constraints. */
void
analyze_create_domain(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *name = pgnode_last_name(pgnode_list(body, "domainname"));
	const cJSON *c;
	CatDomain *domain;
	CatType base;

	(void) a;
	if (name == NULL)
		return;
	analyze_type_from_typename(pgnode_get(body, "typeName"), &base);
	domain = catalog_domain_add(ctx->catalog, name, &base);
	cattype_free(&base);
	cJSON_ArrayForEach(c, pgnode_list(body, "constraints")) {
		const char *contype = pgnode_str(pgnode_as(c, "Constraint"), "contype");

		if (contype && (strcmp(contype, "CONSTR_CHECK") == 0 || strcmp(contype, "CONSTR_NOTNULL") == 0))
			domain->constrained = true;
	}
}
