/*
 * analyze_alter.c — ALTER TABLE / INDEX / VIEW / MATERIALIZED VIEW /
 * SEQUENCE / FOREIGN TABLE, one sub-command at a time.
 *
 * The lock of each sub-command is a row of alter_facts, following
 * PostgreSQL 15's AlterTableGetLockLevel (tablecmds.c) and the ALTER TABLE
 * documentation. A statement with several sub-commands takes the strongest.
 * Sub-commands whose effect depends on their arguments (defaults, type
 * changes, constraints, storage parameters, partitions) have a function that
 * refines the lock and decides rewrite and scan.
 */
#include "analyze_internal.h"

#include <stdlib.h>
#include <string.h>

/* One ALTER TABLE statement being analysed. */
typedef struct AlterState {
	AnalyzeContext *ctx;
	Analysis *a;
	const char *table;       /* the altered relation, "schema.name" */
	CatRelation *rel;        /* its catalog entry, or NULL */
	bool inh;                /* not ONLY: sub-commands that recurse reach children */
	LockMode mode;           /* strongest lock on table so far */
	LockMode child_mode;     /* strongest lock of the sub-commands that recurse */
	bool rewrite;
	bool scan;
} AlterState;

/* Refines the lock (st->mode) and rewrite/scan for one sub-command. */
typedef void (*AlterRefine)(AlterState *st, const cJSON *cmd, LockMode *mode);

typedef struct AlterFacts {
	const char *subtype;     /* AlterTableType as libpg_query spells it */
	LockMode mode;
	bool recurses;           /* applied to partitions / inheritance children too */
	bool rewrites;           /* always writes a new copy of the table */
	AlterRefine refine;
} AlterFacts;

static void refine_add_column(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_drop_column(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_alter_type(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_set_not_null(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_add_constraint(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_validate_constraint(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_drop_constraint(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_reloptions(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_attach_partition(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_detach_partition(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_set_tablespace(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_change_owner(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_cluster_on(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_inherit(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_add_identity(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_set_access_method(AlterState *st, const cJSON *cmd, LockMode *mode);
static void refine_column_default(AlterState *st, const cJSON *cmd, LockMode *mode);

#define AE LOCK_ACCESS_EXCLUSIVE
#define SRE LOCK_SHARE_ROW_EXCLUSIVE
#define SUE LOCK_SHARE_UPDATE_EXCLUSIVE

static const AlterFacts alter_facts[] = {
	{"AT_AddColumn", AE, true, false, refine_add_column},
	{"AT_AddColumnRecurse", AE, true, false, refine_add_column},
	{"AT_AddColumnToView", AE, false, false, NULL},
	{"AT_ColumnDefault", AE, true, false, refine_column_default},
	{"AT_CookedColumnDefault", AE, true, false, NULL},
	{"AT_DropNotNull", AE, true, false, NULL},
	{"AT_SetNotNull", AE, true, false, refine_set_not_null},
	{"AT_DropExpression", AE, true, false, NULL},
	{"AT_CheckNotNull", AE, true, false, NULL},
	{"AT_SetStatistics", SUE, true, false, NULL},
	{"AT_SetOptions", SUE, false, false, NULL},
	{"AT_ResetOptions", SUE, false, false, NULL},
	{"AT_SetStorage", AE, true, false, NULL},
	{"AT_SetCompression", AE, true, false, NULL},
	{"AT_DropColumn", AE, true, false, refine_drop_column},
	{"AT_DropColumnRecurse", AE, true, false, refine_drop_column},
	{"AT_AddIndex", AE, true, false, NULL},
	{"AT_ReAddIndex", AE, true, false, NULL},
	{"AT_AddConstraint", AE, true, false, refine_add_constraint},
	{"AT_AddConstraintRecurse", AE, true, false, refine_add_constraint},
	{"AT_ReAddConstraint", AE, true, false, refine_add_constraint},
	{"AT_AlterConstraint", AE, false, false, NULL},
	{"AT_ValidateConstraint", SUE, true, false, refine_validate_constraint},
	{"AT_ValidateConstraintRecurse", SUE, true, false, refine_validate_constraint},
	{"AT_AddIndexConstraint", AE, false, false, NULL},
	{"AT_DropConstraint", AE, true, false, refine_drop_constraint},
	{"AT_DropConstraintRecurse", AE, true, false, refine_drop_constraint},
	{"AT_AlterColumnType", AE, true, false, refine_alter_type},
	{"AT_AlterColumnGenericOptions", AE, false, false, NULL},
	{"AT_ChangeOwner", AE, false, false, refine_change_owner},
	{"AT_ClusterOn", SUE, false, false, refine_cluster_on},
	{"AT_DropCluster", SUE, false, false, NULL},
	{"AT_SetLogged", AE, false, true, NULL},
	{"AT_SetUnLogged", AE, false, true, NULL},
	{"AT_DropOids", AE, true, false, NULL},
	{"AT_SetAccessMethod", AE, false, false, refine_set_access_method},
	{"AT_SetTableSpace", AE, false, false, refine_set_tablespace},
	{"AT_SetRelOptions", AE, false, false, refine_reloptions},
	{"AT_ResetRelOptions", AE, false, false, refine_reloptions},
	{"AT_ReplaceRelOptions", AE, false, false, NULL},
	/* recursing reaches only clones of row triggers, which the catalog does not track */
	{"AT_EnableTrig", SRE, false, false, NULL},
	{"AT_EnableAlwaysTrig", SRE, false, false, NULL},
	{"AT_EnableReplicaTrig", SRE, false, false, NULL},
	{"AT_DisableTrig", SRE, false, false, NULL},
	{"AT_EnableTrigAll", SRE, false, false, NULL},
	{"AT_DisableTrigAll", SRE, false, false, NULL},
	{"AT_EnableTrigUser", SRE, false, false, NULL},
	{"AT_DisableTrigUser", SRE, false, false, NULL},
	{"AT_EnableRule", AE, false, false, NULL},
	{"AT_EnableAlwaysRule", AE, false, false, NULL},
	{"AT_EnableReplicaRule", AE, false, false, NULL},
	{"AT_DisableRule", AE, false, false, NULL},
	{"AT_AddInherit", AE, false, false, refine_inherit},
	{"AT_DropInherit", AE, false, false, refine_inherit},
	{"AT_AddOf", AE, false, false, NULL},
	{"AT_DropOf", AE, false, false, NULL},
	{"AT_ReplicaIdentity", AE, false, false, NULL},
	{"AT_EnableRowSecurity", AE, false, false, NULL},
	{"AT_DisableRowSecurity", AE, false, false, NULL},
	{"AT_ForceRowSecurity", AE, false, false, NULL},
	{"AT_NoForceRowSecurity", AE, false, false, NULL},
	{"AT_GenericOptions", AE, false, false, NULL},
	{"AT_AttachPartition", SUE, false, false, refine_attach_partition},
	{"AT_DetachPartition", AE, false, false, refine_detach_partition},
	{"AT_DetachPartitionFinalize", SUE, false, false, NULL},
	{"AT_AddIdentity", AE, true, false, refine_add_identity},
	{"AT_SetIdentity", AE, true, false, NULL},
	{"AT_DropIdentity", AE, true, false, NULL},
	{NULL, LOCK_NONE, false, false, NULL}
};

#undef AE
#undef SRE
#undef SUE

/* The row of alter_facts for a sub-command, or NULL. */
static const AlterFacts *
alter_facts_find(const char *subtype)
{
	for (int i = 0; subtype && alter_facts[i].subtype; i++)
		if (strcmp(alter_facts[i].subtype, subtype) == 0)
			return &alter_facts[i];
	return NULL;
}

/* Walks an expression and reports whether it calls a volatile function. */
static bool
expr_is_volatile(const cJSON *node)
{
	const cJSON *child;
	const cJSON *call = pgnode_as(node, "FuncCall");

	if (call && pgfacts_function_volatile(pgnode_last_name(pgnode_list(call, "funcname"))))
		return true;
	if (pgnode_as(node, "SubLink"))
		return true;
	cJSON_ArrayForEach(child, node) {
		if ((cJSON_IsObject(child) || cJSON_IsArray(child)) && expr_is_volatile(child))
			return true;
	}
	return false;
}

/*
 * ADD COLUMN: rewrites for a volatile default, a stored generated column,
 * an identity or serial column, a domain with constraints, or any default
 * before PostgreSQL 11; scans
 * for CHECK, UNIQUE / PRIMARY KEY (index build) and REFERENCES.
 */
static void
refine_add_column(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const cJSON *coldef = pgnode_as(pgnode_get(cmd, "def"), "ColumnDef");
	const cJSON *c;
	CatType type;
	CatDomain *domain;
	bool fast_default = pgfacts_has(st->ctx->pg_version, PGFACT_FAST_DEFAULT);

	(void) mode;
	if (coldef == NULL)
		return;
	analyze_type_from_typename(pgnode_get(coldef, "typeName"), &type);
	if (!type.array && pgfacts_serial_base(type.name))
		st->rewrite = true;   /* DEFAULT nextval(...) is volatile */
	domain = catalog_domain_find(st->ctx->catalog, type.name);
	if (domain && domain->constrained)
		st->rewrite = true;   /* every row's new value is checked against the domain */
	cattype_free(&type);
	cJSON_ArrayForEach(c, pgnode_list(coldef, "constraints")) {
		const cJSON *con = pgnode_as(c, "Constraint");
		const char *contype = pgnode_str(con, "contype");

		if (contype == NULL)
			continue;
		if (strcmp(contype, "CONSTR_DEFAULT") == 0) {
			const cJSON *expr = pgnode_get(con, "raw_expr");
			bool is_null = pgnode_bool(pgnode_as(expr, "A_Const"), "isnull");

			if (!is_null && (!fast_default || expr_is_volatile(expr)))
				st->rewrite = true;
		} else if (strcmp(contype, "CONSTR_GENERATED") == 0 || strcmp(contype, "CONSTR_IDENTITY") == 0) {
			st->rewrite = true;
		} else if (strcmp(contype, "CONSTR_CHECK") == 0 || strcmp(contype, "CONSTR_PRIMARY") == 0 ||
				   strcmp(contype, "CONSTR_UNIQUE") == 0 || strcmp(contype, "CONSTR_FOREIGN") == 0) {
			st->scan = true;
		}
	}
	if (st->rel)
		analyze_define_column(st->ctx, st->rel, coldef, st->a);
	else {
		/* still lock the referenced table of an inline REFERENCES */
		cJSON_ArrayForEach(c, pgnode_list(coldef, "constraints")) {
			const cJSON *con = pgnode_as(c, "Constraint");
			const char *contype = pgnode_str(con, "contype");

			if (contype && strcmp(contype, "CONSTR_FOREIGN") == 0) {
				char *ref = analyze_rangevar(st->ctx, pgnode_get(con, "pktable"));

				analyze_lock(st->ctx, st->a, ref, LOCK_SHARE_ROW_EXCLUSIVE, false);
				free(ref);
			}
		}
	}
}

/* SET / DROP DEFAULT: later inserts draw from the new default's sequence, if any. */
static void
refine_column_default(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	CatColumn *col = catalog_column_find(st->rel, pgnode_str(cmd, "name"));

	(void) mode;
	if (col)
		analyze_column_default(st->ctx, col, pgnode_get(cmd, "def"));
}

/*
 * DROP COLUMN drops what depends on the column, and the catalog forgets it:
 * a foreign key on the column (ACCESS EXCLUSIVE on the referenced table,
 * whose triggers go), with CASCADE the foreign keys referencing it (ACCESS
 * EXCLUSIVE on the referencing tables) and the views over the table (which
 * columns a view uses is not tracked: every one is assumed dropped), and
 * the sequence a serial or identity column owns.
 */
static void
refine_drop_column(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	Catalog *cat = st->ctx->catalog;
	const char *column = pgnode_str(cmd, "name");
	const char *behavior = pgnode_str(cmd, "behavior");
	bool cascade = behavior && strcmp(behavior, "DROP_CASCADE") == 0;
	CatColumn *col = catalog_column_find(st->rel, column);
	CatRelation *seq = col && col->sequence ? catalog_find(cat, col->sequence) : NULL;
	CatForeignKey **fks;

	(void) mode;
	if (column == NULL)
		return;
	fks = catalog_fks_on(cat, &st->table, 1);
	for (CatForeignKey **each = fks; *each; each++) {
		CatForeignKey *fk = *each;
		const StrList *ref_cols = fk->ref_cols.count ? &fk->ref_cols : (st->rel ? &st->rel->pkey : NULL);
		bool own = strcmp(fk->table, st->table) == 0 && strlist_contains(&fk->cols, column);
		bool referenced = cascade && strcmp(fk->ref_table, st->table) == 0 && ref_cols &&
			strlist_contains(ref_cols, column);

		if (!own && !referenced)
			continue;
		analyze_lock(st->ctx, st->a, own ? fk->ref_table : fk->table, LOCK_ACCESS_EXCLUSIVE, false);
		catalog_fk_forget(cat, fk);
	}
	free(fks);
	for (size_t i = 0; cascade && i < cat->nrels; i++) {
		CatRelation *o = cat->rels[i];

		if ((o->kind == CAT_VIEW || o->kind == CAT_MATVIEW) && strlist_contains(&o->reads, st->table))
			analyze_drop_relation_locks(st->ctx, st->a, o->name, true, 1);
	}
	if (seq && seq->kind == CAT_SEQUENCE && seq->table && strcmp(seq->table, st->table) == 0) {
		analyze_lock(st->ctx, st->a, seq->name, LOCK_ACCESS_EXCLUSIVE, false);
		catalog_drop(cat, seq->name);
	}
	catalog_column_forget(cat, st->table, column);
}

/* True when a USING expression is just the column, possibly cast: no extra work. */
static bool
using_is_plain_column(const cJSON *expr, const char *column)
{
	const cJSON *cast = pgnode_as(expr, "TypeCast");
	const cJSON *ref;
	const cJSON *fields;

	if (cast)
		expr = pgnode_get(cast, "arg");
	ref = pgnode_as(expr, "ColumnRef");
	fields = pgnode_list(ref, "fields");
	return ref && pgnode_list_len(fields) == 1 && column && pgnode_last_name(fields) &&
		strcmp(pgnode_last_name(fields), column) == 0;
}

/*
 * A type change drops and re-creates the foreign keys on the column, on
 * either side, and with them their triggers on the other table.
 */
static void
rebuild_foreign_keys(AlterState *st, const char *column)
{
	const StrList *pkey = st->rel ? &st->rel->pkey : NULL;
	CatForeignKey **fks;

	if (column == NULL)
		return;
	fks = catalog_fks_on(st->ctx->catalog, &st->table, 1);
	for (CatForeignKey **each = fks; *each; each++) {
		CatForeignKey *fk = *each;
		const StrList *ref_cols = fk->ref_cols.count ? &fk->ref_cols : pkey;

		if (strcmp(fk->table, st->table) == 0 && strlist_contains(&fk->cols, column))
			analyze_lock(st->ctx, st->a, fk->ref_table, LOCK_ACCESS_EXCLUSIVE, false);
		else if (strcmp(fk->ref_table, st->table) == 0 && ref_cols && strlist_contains(ref_cols, column))
			analyze_lock(st->ctx, st->a, fk->table, LOCK_ACCESS_EXCLUSIVE, false);
	}
	free(fks);
}

/*
 * ALTER COLUMN TYPE: rewrites unless the change is binary-coercible for the
 * old type the catalog knows; an unknown old type is assumed to rewrite.
 */
static void
refine_alter_type(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const char *column = pgnode_str(cmd, "name");
	const cJSON *coldef = pgnode_as(pgnode_get(cmd, "def"), "ColumnDef");
	const cJSON *using = pgnode_get(coldef, "raw_default");
	CatColumn *col = catalog_column_find(st->rel, column);
	CatDomain *from_domain, *to_domain;
	CatType to;

	(void) mode;
	rebuild_foreign_keys(st, column);
	analyze_type_from_typename(pgnode_get(coldef, "typeName"), &to);
	from_domain = col ? catalog_domain_find(st->ctx->catalog, col->type.name) : NULL;
	to_domain = catalog_domain_find(st->ctx->catalog, to.name);
	/* a domain stores its base type's bytes; a constrained one must check every value */
	if (col == NULL || (to_domain && to_domain->constrained) ||
		pgfacts_type_change_rewrites(from_domain ? &from_domain->base : &col->type,
									 to_domain ? &to_domain->base : &to) ||
		(using && !using_is_plain_column(using, column)))
		st->rewrite = true;
	if (col) {
		cattype_free(&col->type);
		col->type = to;
	} else {
		cattype_free(&to);
	}
}

/* SET NOT NULL scans the table unless a valid CHECK (col IS NOT NULL) proves it (12+). */
static void
refine_set_not_null(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	(void) mode;
	if (pgfacts_has(st->ctx->pg_version, PGFACT_NOT_NULL_FROM_CHECK) &&
		catalog_has_notnull_check(st->ctx->catalog, st->table, pgnode_str(cmd, "name")))
		return;
	st->scan = true;
}

/*
 * ADD CONSTRAINT: FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables;
 * PRIMARY KEY / UNIQUE / EXCLUDE / CHECK take ACCESS EXCLUSIVE. Everything
 * but NOT VALID (and USING INDEX) scans the table.
 */
static void
refine_add_constraint(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const cJSON *con = pgnode_as(pgnode_get(cmd, "def"), "Constraint");
	const char *contype = pgnode_str(con, "contype");
	bool not_valid = pgnode_bool(con, "skip_validation");

	if (contype == NULL)
		return;
	analyze_define_constraint(st->ctx, st->rel, st->table, con, st->a);
	if (strcmp(contype, "CONSTR_FOREIGN") == 0) {
		*mode = LOCK_SHARE_ROW_EXCLUSIVE;
		if (!not_valid)
			st->scan = true;
	} else if (strcmp(contype, "CONSTR_CHECK") == 0) {
		if (!not_valid)
			st->scan = true;
	} else if (!pgnode_str(con, "indexname")) {
		st->scan = true;
	}
}

/*
 * VALIDATE CONSTRAINT scans; a foreign key's check also row-share locks the
 * referenced table. A constraint already valid is left alone (no scan).
 */
static void
refine_validate_constraint(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const char *name = pgnode_str(cmd, "name");
	CatForeignKey *fk = name ? catalog_fk_find(st->ctx->catalog, st->table, name) : NULL;
	CatNotNullCheck *check = name ? catalog_check_find(st->ctx->catalog, st->table, name) : NULL;

	(void) mode;
	if ((fk && fk->valid) || (check && check->valid))
		return;
	st->scan = true;
	if (fk) {
		analyze_lock(st->ctx, st->a, fk->ref_table, LOCK_ROW_SHARE, false);
		fk->valid = true;
	}
	if (check)
		check->valid = true;
}

/* DROP CONSTRAINT of a foreign key also drops its triggers on the referenced table. */
/* True when the columns of idx are exactly cols (in any order). */
static bool
index_columns_are(const CatRelation *idx, const StrList *cols)
{
	if (idx->ncols == 0 || idx->ncols != cols->count)
		return false;
	for (size_t i = 0; i < idx->ncols; i++)
		if (!strlist_contains(cols, idx->cols[i].name))
			return false;
	return true;
}

/*
 * DROP CONSTRAINT ... CASCADE of a PRIMARY KEY / UNIQUE constraint drops
 * the foreign keys whose referenced columns its index provides: ACCESS
 * EXCLUSIVE on their tables; the catalog forgets them (and the primary key).
 */
static void
drop_dependent_foreign_keys(AlterState *st, const CatRelation *idx)
{
	Catalog *cat = st->ctx->catalog;
	const StrList *pkey = st->rel ? &st->rel->pkey : NULL;
	CatForeignKey **fks = catalog_fks_on(cat, &st->table, 1);

	for (CatForeignKey **each = fks; *each; each++) {
		CatForeignKey *fk = *each;
		const StrList *ref_cols = fk->ref_cols.count ? &fk->ref_cols : pkey;

		if (strcmp(fk->ref_table, st->table) != 0 || ref_cols == NULL || !index_columns_are(idx, ref_cols))
			continue;
		analyze_lock(st->ctx, st->a, fk->table, LOCK_ACCESS_EXCLUSIVE, false);
		catalog_fk_forget(cat, fk);
	}
	free(fks);
	if (pkey && index_columns_are(idx, pkey))
		strlist_free(&st->rel->pkey);
}

static void
refine_drop_constraint(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const char *name = pgnode_str(cmd, "name");
	CatForeignKey *fk = name ? catalog_fk_find(st->ctx->catalog, st->table, name) : NULL;

	(void) mode;
	if (fk) {
		analyze_lock(st->ctx, st->a, fk->ref_table, LOCK_ACCESS_EXCLUSIVE, false);
		catalog_fk_drop(st->ctx->catalog, st->table, name);
	} else if (name) {
		catalog_check_drop(st->ctx->catalog, st->table, name);
		/* a PRIMARY KEY / UNIQUE constraint takes its index with it */
		char *schema = analyze_schema_of(st->table);
		char *index = xasprintf("%s.%s", schema, name);
		CatRelation *idx = catalog_find(st->ctx->catalog, index);

		if (idx && idx->kind == CAT_INDEX && idx->table && strcmp(idx->table, st->table) == 0) {
			const char *behavior = pgnode_str(cmd, "behavior");

			if (behavior && strcmp(behavior, "DROP_CASCADE") == 0)
				drop_dependent_foreign_keys(st, idx);
			catalog_drop(st->ctx->catalog, index);
		}
		free(schema);
		free(index);
	}
}

/* SET / RESET (storage parameters): the strongest lock any listed parameter needs. */
static void
refine_reloptions(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const cJSON *opt;
	LockMode m = LOCK_NONE;

	(void) st;
	cJSON_ArrayForEach(opt, pgnode_list(pgnode_as(pgnode_get(cmd, "def"), "List"),
										"items")) {
		m = lockmode_strongest(m, pgfacts_reloption_lock(pgnode_str(pgnode_as(opt, "DefElem"), "defname")));
	}
	*mode = m == LOCK_NONE ? LOCK_ACCESS_EXCLUSIVE : m;
}

/* The partition a PartitionCmd names (caller frees *owned, which is also returned). */
static const char *
partition_name(AlterState *st, const cJSON *cmd, char **owned)
{
	const cJSON *pc = pgnode_as(pgnode_get(cmd, "def"), "PartitionCmd");

	*owned = analyze_rangevar(st->ctx, pgnode_get(pc, "name"));
	return *owned;
}

/*
 * ATTACH PARTITION: SHARE UPDATE EXCLUSIVE on the parent (12+), ACCESS
 * EXCLUSIVE on the table attached, which is scanned to prove its bound
 * unless a constraint implies it.
 */
static void
refine_attach_partition(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	char *part;
	CatRelation *p;

	const cJSON *pc = pgnode_as(pgnode_get(cmd, "def"), "PartitionCmd");
	bool is_default = pgnode_bool(pgnode_get(pc, "bound"), "is_default");

	if (!pgfacts_has(st->ctx->pg_version, PGFACT_ATTACH_PARTITION_SHARE_UPDATE))
		*mode = LOCK_ACCESS_EXCLUSIVE;
	if (partition_name(st, cmd, &part) == NULL)
		return;
	p = catalog_find(st->ctx->catalog, part);
	if (p == NULL || p->kind != CAT_INDEX) {
		analyze_lock(st->ctx, st->a, part, LOCK_ACCESS_EXCLUSIVE, true);
		strlist_add_unique(&st->a->scans, part);
		if (!is_default)
			analyze_lock_default_partition(st->ctx, st->a, st->table);
	}
	if (p) {
		catalog_set_parent(st->ctx->catalog, p, st->table);
		p->partition = true;
		p->default_partition = is_default;
	}
	free(part);
}

/* DETACH PARTITION: ACCESS EXCLUSIVE on both, or SHARE UPDATE EXCLUSIVE when CONCURRENTLY (14+). */
static void
refine_detach_partition(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const cJSON *pc = pgnode_as(pgnode_get(cmd, "def"), "PartitionCmd");
	bool concurrent = pgnode_bool(pc, "concurrent");
	char *part;
	CatRelation *p;

	if (concurrent) {
		*mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
		st->a->transactional = false;
		if (!pgfacts_has(st->ctx->pg_version, PGFACT_DETACH_CONCURRENTLY))
			st->a->known = false;
		analyze_set_kind(st->a, "ALTER TABLE DETACH PARTITION CONCURRENTLY");
	}
	if (partition_name(st, cmd, &part) == NULL)
		return;
	analyze_lock(st->ctx, st->a, part, *mode, false);
	p = catalog_find(st->ctx->catalog, part);
	if (p) {
		catalog_set_parent(st->ctx->catalog, p, NULL);
		p->partition = false;
		p->default_partition = false;
	}
	free(part);
}

/* SET TABLESPACE copies the table's files, unless it is already there. */
static void
refine_set_tablespace(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const char *space = pgnode_str(cmd, "name");
	const char *current = st->rel && st->rel->tablespace ? st->rel->tablespace : "pg_default";

	(void) mode;
	if (space && strcmp(space, current) == 0 && st->rel)
		return;
	if (st->rel == NULL || st->rel->kind != CAT_PARTITIONED)
		st->rewrite = true;
	if (st->rel && space) {
		free(st->rel->tablespace);
		st->rel->tablespace = strcmp(space, "pg_default") == 0 ? NULL : xstrdup(space);
	}
}

/* SET ACCESS METHOD rewrites the table into the new method, unless it already uses it. */
static void
refine_set_access_method(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const char *method = pgnode_str(cmd, "name");
	const char *current = st->rel && st->rel->access_method ? st->rel->access_method : "heap";

	(void) mode;
	if (st->rel && method && strcmp(method, current) == 0)
		return;
	st->rewrite = true;
	if (st->rel && method) {
		free(st->rel->access_method);
		st->rel->access_method = strcmp(method, "heap") == 0 ? NULL : xstrdup(method);
	}
}

/* OWNER TO also changes the owner of the table's owned sequences. */
static void
refine_change_owner(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	CatRelation **owned = catalog_dependents(st->ctx->catalog, st->table);

	(void) cmd;
	for (CatRelation **r = owned; *r; r++)
		if ((*r)->kind == CAT_SEQUENCE && (*r)->table && strcmp((*r)->table, st->table) == 0)
			analyze_lock(st->ctx, st->a, (*r)->name, *mode, false);
	free(owned);
}

/* CLUSTER ON: a later bare CLUSTER rewrites this table. */
static void
refine_cluster_on(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	(void) cmd;
	(void) mode;
	if (st->rel)
		st->rel->clustered = true;
}

/* INHERIT / NO INHERIT parent: the parent is locked too. */
static void
refine_inherit(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	const cJSON *rv = pgnode_as(pgnode_get(cmd, "def"), "RangeVar");
	char *parent = analyze_rangevar(st->ctx, rv);
	const char *subtype = pgnode_str(cmd, "subtype");
	bool add = subtype && strcmp(subtype, "AT_AddInherit") == 0;

	(void) mode;
	/* INHERIT adds the parent's constraints; NO INHERIT only reads the parent */
	analyze_lock(st->ctx, st->a, parent, add ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_SHARE, false);
	if (st->rel && parent) {
		catalog_set_parent(st->ctx->catalog, st->rel, add ? parent : NULL);
		st->rel->partition = false;
	}
	free(parent);
}

/* ADD GENERATED ... AS IDENTITY creates the column's sequence. */
static void
refine_add_identity(AlterState *st, const cJSON *cmd, LockMode *mode)
{
	CatColumn *col = catalog_column_find(st->rel, pgnode_str(cmd, "name"));
	const char *dot = strrchr(st->table, '.');
	char *seq;
	CatRelation *s;

	(void) mode;
	if (col == NULL || dot == NULL)
		return;
	seq = xasprintf("%.*s.%s_%s_seq", (int) (dot - st->table), st->table, dot + 1, col->name);
	s = catalog_add(st->ctx->catalog, seq, CAT_SEQUENCE);
	catalog_set_table(st->ctx->catalog, s, st->table);
	strlist_add_unique(&st->a->creates, seq);
	free(col->sequence);
	col->sequence = seq;
}

/* The report's name of the statement, from its object type. */
static const char *
alter_kind(const char *objtype)
{
	static const char *const kinds[][2] = {
		{"OBJECT_TABLE", "ALTER TABLE"}, {"OBJECT_INDEX", "ALTER INDEX"},
		{"OBJECT_VIEW", "ALTER VIEW"}, {"OBJECT_MATVIEW", "ALTER MATERIALIZED VIEW"},
		{"OBJECT_SEQUENCE", "ALTER SEQUENCE"}, {"OBJECT_FOREIGN_TABLE", "ALTER FOREIGN TABLE"},
		{"OBJECT_TYPE", "ALTER TYPE"}, {NULL, NULL}
	};

	for (int i = 0; objtype && kinds[i][0]; i++)
		if (strcmp(kinds[i][0], objtype) == 0)
			return kinds[i][1];
	return "ALTER TABLE";
}

/* Adds rel and its partitions / children to list (partitioned parents have no storage). */
static void
add_storage(AnalyzeContext *ctx, StrList *list, const char *rel, bool recurse)
{
	CatRelation *r = catalog_find(ctx->catalog, rel);
	CatRelation **children;

	if (r == NULL || r->kind != CAT_PARTITIONED)
		strlist_add_unique(list, rel);
	if (!recurse)
		return;
	children = catalog_dependents(ctx->catalog, rel);
	for (CatRelation **child = children; *child; child++)
		if ((*child)->parent && strcmp((*child)->parent, rel) == 0 && (*child)->kind != CAT_INDEX)
			add_storage(ctx, list, (*child)->name, true);
	free(children);
}

/* Takes the strongest lock of the sub-commands; rewrites and scans reach children when they recurse. */
void
analyze_alter_table(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const cJSON *rv = pgnode_get(body, "relation");
	const char *objtype = pgnode_str(body, "objtype");
	char *table = analyze_rangevar(ctx, rv);
	bool recurse_any = false;
	AlterState st;
	const cJSON *item;

	analyze_set_kind(a, alter_kind(objtype));
	if (table == NULL)
		return;
	memset(&st, 0, sizeof st);
	st.ctx = ctx;
	st.a = a;
	st.table = table;
	st.rel = catalog_find(ctx->catalog, table);
	st.inh = pgnode_bool(rv, "inh");
	if (objtype && strcmp(objtype, "OBJECT_TYPE") == 0) {
		/* ALTER TYPE ... ADD/DROP/ALTER ATTRIBUTE on a composite type: no relation lock */
		free(table);
		return;
	}
	cJSON_ArrayForEach(item, pgnode_list(body, "cmds")) {
		const cJSON *cmd = pgnode_as(item, "AlterTableCmd");
		const char *subtype = pgnode_str(cmd, "subtype");
		const AlterFacts *facts = alter_facts_find(subtype);
		LockMode mode;

		if (facts == NULL) {
			/* a sub-command migsafe has no row for: assume the worst */
			a->known = false;
			st.mode = LOCK_ACCESS_EXCLUSIVE;
			continue;
		}
		mode = facts->mode;
		if (facts->rewrites)
			st.rewrite = true;
		if (facts->refine)
			facts->refine(&st, cmd, &mode);
		st.mode = lockmode_strongest(st.mode, mode);
		if (facts->recurses) {
			recurse_any = true;
			st.child_mode = lockmode_strongest(st.child_mode, mode);
		}
	}
	if (st.inh && recurse_any)
		analyze_lock(ctx, a, table, st.child_mode, true);
	analyze_lock(ctx, a, table, st.mode, false);
	if (st.rewrite)
		add_storage(ctx, &a->rewrites, table, st.inh && recurse_any);
	if (st.scan)
		add_storage(ctx, &a->scans, table, st.inh && recurse_any);
	free(table);
}
