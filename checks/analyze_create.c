/*
 * analyze_create.c — statements that create relations: CREATE TABLE (incl.
 * PARTITION OF, INHERITS, LIKE, inline foreign keys), CREATE TABLE AS,
 * CREATE [MATERIALIZED] VIEW, CREATE INDEX, CREATE / ALTER SEQUENCE. Each
 * records what it creates in the catalog for later statements.
 */
#include "analyze_internal.h"

#include <stdlib.h>
#include <string.h>

/* The lock CREATE TABLE takes on what a new table references or derives from. */
#define LOCK_FK_REFERENCED LOCK_SHARE_ROW_EXCLUSIVE   /* adds RI triggers to it */
#define LOCK_PARTITION_PARENT LOCK_ACCESS_EXCLUSIVE   /* PARTITION OF changes the parent's bounds */
#define LOCK_INHERIT_PARENT LOCK_SHARE_UPDATE_EXCLUSIVE
#define LOCK_LIKE_SOURCE LOCK_ACCESS_SHARE

/* Recognises CHECK (col IS NOT NULL), which lets SET NOT NULL skip its scan. */
const char *
analyze_not_null_column(const cJSON *expr)
{
	const cJSON *test = pgnode_as(expr, "NullTest");
	const char *type = pgnode_str(test, "nulltesttype");
	const cJSON *fields;

	if (test == NULL || type == NULL || strcmp(type, "IS_NOT_NULL") != 0)
		return NULL;
	fields = pgnode_list(pgnode_as(pgnode_get(test, "arg"), "ColumnRef"), "fields");
	return pgnode_list_len(fields) == 1 ? pgnode_last_name(fields) : NULL;
}

/* The name PostgreSQL gives an unnamed foreign key: <table>_<col>[_<col>...]_fkey. */
static char *
default_fk_name(const char *table, const StrList *cols)
{
	const char *dot = strrchr(table, '.');
	StrBuf sb = {0};

	strbuf_append(&sb, dot ? dot + 1 : table);
	for (size_t i = 0; i < cols->count; i++)
		strbuf_appendf(&sb, "_%s", cols->items[i]);
	strbuf_append(&sb, "_fkey");
	return strbuf_detach(&sb);
}

/* Records a foreign key and locks its referenced table (its RI triggers are added there). */
void
analyze_define_foreign_key(AnalyzeContext *ctx, const char *table, const cJSON *con,
						   const char *column, Analysis *a)
{
	char *ref = analyze_rangevar(ctx, pgnode_get(con, "pktable"));
	const char *upd = pgnode_str(con, "fk_upd_action");
	const char *del = pgnode_str(con, "fk_del_action");
	CatForeignKey *fk;
	const cJSON *item;

	if (ref == NULL)
		return;
	/* a self-reference adds its triggers to the table being created or altered */
	analyze_lock(ctx, a, ref, LOCK_FK_REFERENCED, false);
	fk = catalog_fk_add(ctx->catalog, pgnode_str(con, "conname"), table, ref,
						upd ? upd[0] : 'a', del ? del[0] : 'a');
	if (column)
		strlist_add(&fk->cols, column);
	cJSON_ArrayForEach(item, pgnode_list(con, "fk_attrs")) {
		if (pgnode_sval(item))
			strlist_add(&fk->cols, pgnode_sval(item));
	}
	cJSON_ArrayForEach(item, pgnode_list(con, "pk_attrs")) {
		if (pgnode_sval(item))
			strlist_add(&fk->ref_cols, pgnode_sval(item));
	}
	if (fk->name == NULL)
		fk->name = default_fk_name(table, &fk->cols);
	fk->valid = !pgnode_bool(con, "skip_validation");
	free(ref);
}

/*
 * PRIMARY KEY, UNIQUE and EXCLUDE constraints build an index named after the
 * constraint, or <table>_pkey / <table>_<cols>_key / <table>_<cols>_excl;
 * later DROP INDEX / REINDEX statements find their table through it, and
 * DROP CONSTRAINT ... CASCADE the foreign keys that depend on its columns.
 */
static void
constraint_index(AnalyzeContext *ctx, const char *table, const cJSON *con, const char *column)
{
	const char *contype = pgnode_str(con, "contype");
	const char *conname = pgnode_str(con, "conname");
	const char *dot = strrchr(table, '.');
	const char *suffix;
	StrBuf sb = {0};
	CatRelation *idx;
	const cJSON *key;
	CatType no_type = {0};

	if (contype == NULL || dot == NULL)
		return;
	no_type.name = "";
	if (strcmp(contype, "CONSTR_PRIMARY") == 0)
		suffix = "pkey";
	else if (strcmp(contype, "CONSTR_UNIQUE") == 0)
		suffix = "key";
	else if (strcmp(contype, "CONSTR_EXCLUSION") == 0)
		suffix = "excl";
	else
		return;
	strbuf_append_n(&sb, table, (size_t) (dot - table) + 1);
	if (conname) {
		strbuf_append(&sb, conname);
	} else {
		strbuf_append(&sb, dot + 1);
		if (column && strcmp(suffix, "pkey") != 0)
			strbuf_appendf(&sb, "_%s", column);
		cJSON_ArrayForEach(key, pgnode_list(con, "keys")) {
			if (pgnode_sval(key) && strcmp(suffix, "pkey") != 0)
				strbuf_appendf(&sb, "_%s", pgnode_sval(key));
		}
		strbuf_appendf(&sb, "_%s", suffix);
	}
	idx = catalog_add(ctx->catalog, sb.data, CAT_INDEX);
	catalog_set_table(ctx->catalog, idx, table);
	/* its key columns: foreign keys referencing them depend on the index */
	if (column)
		catalog_column_add(idx, column, &no_type);
	cJSON_ArrayForEach(key, pgnode_list(con, "keys")) {
		if (pgnode_sval(key))
			catalog_column_add(idx, pgnode_sval(key), &no_type);
	}
	strbuf_free(&sb);
}

/* The sequence name PostgreSQL picks for a serial or identity column. */
static char *
owned_sequence_name(const char *table, const char *column)
{
	const char *dot = strrchr(table, '.');

	return xasprintf("%.*s.%s_%s_seq", (int) (dot - table), table, dot + 1, column);
}

/* Remembers which sequence a column's default draws from, if any. */
void
analyze_column_default(AnalyzeContext *ctx, CatColumn *col, const cJSON *expr)
{
	const cJSON *cast = pgnode_as(expr, "TypeCast");
	const cJSON *call = pgnode_as(cast ? pgnode_get(cast, "arg") : expr, "FuncCall");
	const cJSON *args = pgnode_list(call, "args");
	const char *seq = pgnode_const_str(cJSON_GetArrayItem(args, 0));
	const char *fname = pgnode_last_name(pgnode_list(call, "funcname"));
	const char *dot;

	free(col->sequence);
	col->sequence = NULL;
	if (seq == NULL || fname == NULL || strcmp(fname, "nextval") != 0)
		return;
	dot = strchr(seq, '.');
	if (dot) {
		char *schema = xstrndup(seq, (size_t) (dot - seq));

		col->sequence = analyze_qualify(ctx, schema, dot + 1);
		free(schema);
	} else {
		col->sequence = analyze_qualify(ctx, NULL, seq);
	}
}

/* Records a column's type, its sequence and its inline constraints. */
void
analyze_define_column(AnalyzeContext *ctx, CatRelation *rel, const cJSON *coldef, Analysis *a)
{
	const char *colname = pgnode_str(coldef, "colname");
	const cJSON *type_name = pgnode_get(coldef, "typeName");
	const char *serial_base;
	bool owns_sequence = false;
	CatColumn *col;
	CatType type;
	const cJSON *c;

	if (colname == NULL)
		return;
	analyze_type_from_typename(type_name, &type);
	serial_base = type.array ? NULL : pgfacts_serial_base(type.name);
	if (serial_base) {
		free(type.name);
		type.name = xstrdup(serial_base);
		owns_sequence = true;
	}
	col = catalog_column_add(rel, colname, &type);
	cattype_free(&type);
	cJSON_ArrayForEach(c, pgnode_list(coldef, "constraints")) {
		const cJSON *con = pgnode_as(c, "Constraint");
		const char *contype = pgnode_str(con, "contype");

		if (contype == NULL)
			continue;
		constraint_index(ctx, rel->name, con, colname);
		if (strcmp(contype, "CONSTR_FOREIGN") == 0)
			analyze_define_foreign_key(ctx, rel->name, con, colname, a);
		else if (strcmp(contype, "CONSTR_IDENTITY") == 0)
			owns_sequence = true;
		else if (strcmp(contype, "CONSTR_PRIMARY") == 0)
			strlist_add_unique(&rel->pkey, colname);
		else if (strcmp(contype, "CONSTR_DEFAULT") == 0)
			analyze_column_default(ctx, col, pgnode_get(con, "raw_expr"));
	}
	if (owns_sequence) {
		char *seq = owned_sequence_name(rel->name, colname);
		CatRelation *s = catalog_add(ctx->catalog, seq, CAT_SEQUENCE);

		catalog_set_table(ctx->catalog, s, rel->name);
		strlist_add_unique(&a->creates, seq);
		col = catalog_column_find(rel, colname);
		free(col->sequence);
		col->sequence = xstrdup(seq);
		free(seq);
	}
}

/* Records what later statements need from a table constraint. */
void
analyze_define_constraint(AnalyzeContext *ctx, CatRelation *rel, const char *table, const cJSON *con,
						  Analysis *a)
{
	const char *contype = pgnode_str(con, "contype");
	const cJSON *key;

	if (contype == NULL)
		return;
	if (!pgnode_str(con, "indexname"))
		constraint_index(ctx, table, con, NULL);
	if (strcmp(contype, "CONSTR_FOREIGN") == 0) {
		analyze_define_foreign_key(ctx, table, con, NULL, a);
	} else if (strcmp(contype, "CONSTR_PRIMARY") == 0 && rel) {
		strlist_free(&rel->pkey);
		cJSON_ArrayForEach(key, pgnode_list(con, "keys")) {
			if (pgnode_sval(key))
				strlist_add(&rel->pkey, pgnode_sval(key));
		}
	} else if (strcmp(contype, "CONSTR_CHECK") == 0 && pgnode_str(con, "conname")) {
		const char *column = analyze_not_null_column(pgnode_get(con, "raw_expr"));

		if (column)
			catalog_check_add(ctx->catalog, table, pgnode_str(con, "conname"), column,
							  !pgnode_bool(con, "skip_validation"));
	}
}

/* LIKE source: reads the source's definition and copies its columns. */
static void
define_like(AnalyzeContext *ctx, CatRelation *rel, const cJSON *like, Analysis *a)
{
	char *src = analyze_rangevar(ctx, pgnode_get(like, "relation"));
	CatRelation *source = src ? catalog_find(ctx->catalog, src) : NULL;

	analyze_lock(ctx, a, src, LOCK_LIKE_SOURCE, false);
	for (size_t i = 0; source && i < source->ncols; i++)
		catalog_column_add(rel, source->cols[i].name, &source->cols[i].type);
	free(src);
}

/* CREATE TABLE: locks what it references or derives from and records the new table. */
void
analyze_create_table(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *rv = pgnode_get(body, "relation");
	bool partitioned = pgnode_get(body, "partspec") != NULL;
	const cJSON *bound = pgnode_get(body, "partbound");
	bool is_partition = bound != NULL;
	bool is_default = pgnode_bool(bound, "is_default");
	char *name = analyze_rangevar(ctx, rv);
	CatRelation *rel;
	const cJSON *item;

	if (name == NULL)
		return;
	if (pgnode_bool(body, "if_not_exists") && catalog_find(ctx->catalog, name)) {
		free(name);
		return;
	}
	rel = catalog_add(ctx->catalog, name, partitioned ? CAT_PARTITIONED : CAT_TABLE);
	strlist_add(&a->creates, name);
	cJSON_ArrayForEach(item, pgnode_list(body, "inhRelations")) {
		char *parent = analyze_rangevar(ctx, pgnode_as(item, "RangeVar"));
		CatRelation *p = parent ? catalog_find(ctx->catalog, parent) : NULL;

		if (parent == NULL)
			continue;
		analyze_lock(ctx, a, parent, is_partition ? LOCK_PARTITION_PARENT : LOCK_INHERIT_PARENT, false);
		if (is_partition && !is_default)
			analyze_lock_default_partition(ctx, a, parent);
		catalog_set_parent(ctx->catalog, rel, parent);
		rel->partition = is_partition;
		rel->default_partition = is_default;
		for (size_t i = 0; p && i < p->ncols; i++)
			catalog_column_add(rel, p->cols[i].name, &p->cols[i].type);
		free(parent);
	}
	cJSON_ArrayForEach(item, pgnode_list(body, "tableElts")) {
		const cJSON *elt;
		const char *tag = pgnode_tag(item, &elt);

		if (tag == NULL)
			continue;
		if (strcmp(tag, "ColumnDef") == 0)
			analyze_define_column(ctx, rel, elt, a);
		else if (strcmp(tag, "Constraint") == 0)
			analyze_define_constraint(ctx, rel, name, elt, a);
		else if (strcmp(tag, "TableLikeClause") == 0)
			define_like(ctx, rel, elt, a);
	}
	if (pgnode_str(body, "tablespacename"))
		rel->tablespace = xstrdup(pgnode_str(body, "tablespacename"));
	if (pgnode_str(body, "accessMethod") && strcmp(pgnode_str(body, "accessMethod"), "heap") != 0)
		rel->access_method = xstrdup(pgnode_str(body, "accessMethod"));
	free(name);
}

/* CREATE TABLE AS / CREATE MATERIALIZED VIEW: reads its query, creates the target. */
void
analyze_create_table_as(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *objtype = pgnode_str(body, "objtype");
	bool matview = objtype && strcmp(objtype, "OBJECT_MATVIEW") == 0;
	const cJSON *into = pgnode_get(body, "into");
	const cJSON *query = pgnode_get(body, "query");
	char *name = analyze_rangevar(ctx, pgnode_get(into, "rel"));
	CatRelation *rel;

	if (matview)
		analyze_set_kind(a, "CREATE MATERIALIZED VIEW");
	if (name == NULL)
		return;
	if (pgnode_bool(body, "if_not_exists") && catalog_find(ctx->catalog, name)) {
		free(name);
		return;
	}
	/* WITH NO DATA still parses and plans the query, locking what it reads */
	analyze_query_node(ctx, query, a, true);
	rel = catalog_add(ctx->catalog, name, matview ? CAT_MATVIEW : CAT_TABLE);
	analyze_query_reads(ctx, query, &rel->reads);
	strlist_add(&a->creates, name);
	free(name);
}

/*
 * CREATE [OR REPLACE] VIEW: reads (and locks) what its query names; replacing
 * an existing view locks it ACCESS EXCLUSIVE.
 */
void
analyze_create_view(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	char *name = analyze_rangevar(ctx, pgnode_get(body, "view"));
	const cJSON *query = pgnode_get(body, "query");
	bool replace = pgnode_bool(body, "replace");
	CatRelation *rel;

	if (name == NULL)
		return;
	/* the query is stored, not run: views it names are not expanded */
	analyze_query_node(ctx, query, a, false);
	if (replace) {
		/* an existing view is redefined in place under ACCESS EXCLUSIVE */
		analyze_set_kind(a, "CREATE OR REPLACE VIEW");
		if (catalog_find(ctx->catalog, name))
			analysis_add_lock(a, name, LOCK_ACCESS_EXCLUSIVE);
	}
	if (!catalog_find(ctx->catalog, name))
		strlist_add(&a->creates, name);
	rel = catalog_add(ctx->catalog, name, CAT_VIEW);
	analyze_query_reads(ctx, query, &rel->reads);
	free(name);
}

/* CREATE [UNIQUE] INDEX [CONCURRENTLY]: locks the table (and its partitions) and records the index. */
void
analyze_create_index(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *rv = pgnode_get(body, "relation");
	bool concurrent = pgnode_bool(body, "concurrent");
	const char *idxname = pgnode_str(body, "idxname");
	char *table = analyze_rangevar(ctx, rv);
	CatRelation *t = table ? catalog_find(ctx->catalog, table) : NULL;
	bool recurse = pgnode_bool(rv, "inh") && t && t->kind == CAT_PARTITIONED;

	if (table == NULL)
		return;
	if (pgnode_bool(body, "unique"))
		analyze_set_kind(a, concurrent ? "CREATE UNIQUE INDEX CONCURRENTLY" : "CREATE UNIQUE INDEX");
	else if (concurrent)
		analyze_set_kind(a, "CREATE INDEX CONCURRENTLY");
	/* SHARE blocks writes for the whole build; CONCURRENTLY only blocks DDL and VACUUM */
	analyze_lock(ctx, a, table, concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_SHARE, recurse);
	strlist_add_unique(&a->scans, table);
	a->transactional = !concurrent;
	if (idxname) {
		char *schema = analyze_schema_of(table);
		char *index = xasprintf("%s.%s", schema, idxname);

		if (!(pgnode_bool(body, "if_not_exists") && catalog_find(ctx->catalog, index))) {
			CatRelation *idx = catalog_add(ctx->catalog, index, CAT_INDEX);

			catalog_set_table(ctx->catalog, idx, table);
			strlist_add(&a->creates, index);
		}
		free(schema);
		free(index);
	}
	free(table);
}

/* OWNED BY table.column of CREATE / ALTER SEQUENCE. */
static void
sequence_owned_by(AnalyzeContext *ctx, CatRelation *seq, const cJSON *options, Analysis *a)
{
	const cJSON *opt;

	cJSON_ArrayForEach(opt, options) {
		const cJSON *def = pgnode_as(opt, "DefElem");
		const char *defname = pgnode_str(def, "defname");
		const cJSON *names;
		char *table;

		if (defname == NULL || strcmp(defname, "owned_by") != 0)
			continue;
		names = pgnode_list(pgnode_as(pgnode_get(def, "arg"), "List"), "items");
		table = analyze_name_list(ctx, names, 1);
		if (table) {
			/* the owning table is opened to check the column exists */
			analyze_lock(ctx, a, table, LOCK_ACCESS_SHARE, false);
			catalog_set_table(ctx->catalog, seq, table);
		}
		free(table);
	}
}

/* CREATE SEQUENCE: records the sequence and its owner. */
void
analyze_create_sequence(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	char *name = analyze_rangevar(ctx, pgnode_get(body, "sequence"));
	CatRelation *seq;

	if (name == NULL)
		return;
	if (pgnode_bool(body, "if_not_exists") && catalog_find(ctx->catalog, name)) {
		free(name);
		return;
	}
	seq = catalog_add(ctx->catalog, name, CAT_SEQUENCE);
	strlist_add(&a->creates, name);
	sequence_owned_by(ctx, seq, pgnode_list(body, "options"), a);
	free(name);
}

/* ALTER SEQUENCE: SHARE ROW EXCLUSIVE on the sequence (sequence.c, AlterSequence). */
void
analyze_alter_sequence(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	char *name = analyze_rangevar(ctx, pgnode_get(body, "sequence"));
	CatRelation *seq;

	if (name == NULL)
		return;
	/* sequence.c, AlterSequence: ShareRowExclusiveLock */
	analysis_add_lock(a, name, LOCK_SHARE_ROW_EXCLUSIVE);
	seq = catalog_find(ctx->catalog, name);
	if (seq == NULL) {
		seq = catalog_add(ctx->catalog, name, CAT_SEQUENCE);
	}
	sequence_owned_by(ctx, seq, pgnode_list(body, "options"), a);
	free(name);
}

/* CREATE FOREIGN TABLE: a CREATE TABLE whose relation has no local storage. */
void
analyze_create_foreign_table(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *base = pgnode_get(body, "base");
	char *name = analyze_rangevar(ctx, pgnode_get(base, "relation"));
	CatRelation *rel;

	analyze_create_table(ctx, base, a);
	rel = name ? catalog_find(ctx->catalog, name) : NULL;
	if (rel)
		rel->kind = CAT_FOREIGN;
	free(name);
}
