/*
 * catalog.h — the small catalog the lock analysis learns from earlier
 * statements: relations and their kind, column types, foreign keys, the table
 * behind each index, the relations a view reads, partitions, owned sequences.
 *
 * Names are "schema.name" as produced by the analysis' name resolution.
 */
#ifndef MIGSAFE_CATALOG_H
#define MIGSAFE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef enum CatKind {
	CAT_TABLE = 0,
	CAT_PARTITIONED,
	CAT_VIEW,
	CAT_MATVIEW,
	CAT_INDEX,
	CAT_SEQUENCE,
	CAT_FOREIGN
} CatKind;

/* A column type as written: base name, up to two type modifiers, array. */
typedef struct CatType {
	char *name;          /* last part of the name: "varchar", "int4", "text" */
	int mods[2];
	int nmods;
	bool array;
} CatType;

typedef struct CatColumn {
	char *name;
	CatType type;
	char *sequence;      /* serial / identity sequence it draws from, or NULL */
} CatColumn;

typedef struct CatRelation {
	char *name;
	size_t seq;          /* creation number: the catalog keeps relations in this order */
	CatKind kind;
	CatColumn *cols;
	size_t ncols;
	size_t cols_cap;
	char *table;         /* index: its table; sequence: the table owning it (catalog_set_table) */
	char *parent;        /* partition or inheritance child: its parent (catalog_set_parent) */
	bool partition;      /* parent is a partitioned table (not plain inheritance) */
	bool default_partition; /* the parent's DEFAULT partition */
	bool clustered;      /* CLUSTER ... USING / CLUSTER ON chose an index */
	char *tablespace;    /* NULL: the database default */
	char *access_method; /* NULL: heap, the default */
	StrList reads;       /* view / materialized view: relations its query reads */
	StrList pkey;        /* primary key columns */
	/* an index built for a PRIMARY KEY / UNIQUE constraint has its key columns in cols */
} CatRelation;

/* A foreign key from table(cols) to ref_table(ref_cols). */
typedef struct CatForeignKey {
	char *name;          /* may be NULL when unnamed */
	size_t seq;          /* creation number: the order of the catalog's foreign keys */
	char *table;
	char *ref_table;
	StrList cols;
	StrList ref_cols;    /* empty: the referenced table's primary key */
	char upd_action;     /* 'a' no action, 'r' restrict, 'c' cascade, 'n' set null, 'd' set default */
	char del_action;
	bool valid;          /* false: added NOT VALID and not validated since */
} CatForeignKey;

/* A named CHECK constraint of the form "col IS NOT NULL". */
typedef struct CatNotNullCheck {
	size_t seq;          /* creation number: the order of the catalog's checks */
	char *table;
	char *name;
	char *column;
	bool valid;
} CatNotNullCheck;

/* A trigger: the table it is on and the function it runs. */
typedef struct CatTrigger {
	char *name;
	size_t seq;          /* creation number: the order of the catalog's triggers */
	char *table;
	char *function;      /* last part of the function's name */
} CatTrigger;

/* A domain: its base type, and whether values must pass constraints. */
typedef struct CatDomain {
	char *name;          /* last part of the name, as column types are stored */
	CatType base;
	bool constrained;    /* CHECK or NOT NULL: new values of it must be checked */
} CatDomain;

typedef struct Catalog {
	CatRelation **rels;
	size_t nrels;
	size_t rels_cap;
	CatRelation **by_name;      /* hash index of rels by name (open addressing) */
	size_t by_name_cap;         /* a power of two, at least twice nrels */
	bool namesakes;             /* a rename made two relations share a name */
	CatForeignKey **fks;
	size_t nfks;
	size_t fks_cap;
	CatNotNullCheck **checks;
	size_t nchecks;
	size_t checks_cap;
	struct CatDomain **domains;
	size_t ndomains;
	size_t domains_cap;
	CatTrigger **triggers;
	size_t ntriggers;
	size_t triggers_cap;
	/* what refers to each name, so DROP and RENAME need not scan everything */
	struct CatName **names;     /* open addressing; entries stay once made */
	size_t names_cap;           /* a power of two, at least twice nnames */
	size_t nnames;
	size_t next_seq;            /* creation number of the next relation, key, check or trigger */
	StrSet functions;           /* "schema.name" of functions and procedures created */
} Catalog;

Catalog *catalog_new(void);
void catalog_free(Catalog *cat);

/* The relation called name, or NULL. */
CatRelation *catalog_find(const Catalog *cat, const char *name);

/* Adds (or replaces) a relation; the catalog owns it. */
CatRelation *catalog_add(Catalog *cat, const char *name, CatKind kind);

/* Sets rel's table / parent (a copy; NULL clears it): always through these. */
void catalog_set_table(Catalog *cat, CatRelation *rel, const char *table);
void catalog_set_parent(Catalog *cat, CatRelation *rel, const char *parent);

/*
 * The relations whose table or parent is name (its indexes, sequences,
 * partitions, children), in the catalog's order: a NULL-terminated copy
 * the caller frees, so the catalog may change while walking it.
 */
CatRelation **catalog_dependents(const Catalog *cat, const char *name);

/*
 * Removes a relation with what hangs off it: its indexes, partitions, owned
 * sequences and foreign keys in either direction.
 */
void catalog_drop(Catalog *cat, const char *name);

/* Renames a relation everywhere it is mentioned (also a schema move). */
void catalog_rename(Catalog *cat, const char *old_name, const char *new_name);

/* True when the relation lives in schema. */
bool catalog_in_schema(const CatRelation *rel, const char *schema);

CatColumn *catalog_column_find(const CatRelation *rel, const char *column);
/* Adds a column, taking a copy of the type. */
CatColumn *catalog_column_add(CatRelation *rel, const char *column, const CatType *type);
void catalog_column_drop(CatRelation *rel, const char *column);
/* Renames a column of table, also in its primary key, foreign keys and checks. */
void catalog_column_rename(Catalog *cat, const char *table, const char *column, const char *new_name);

/* Adds a foreign key; takes copies of everything. */
CatForeignKey *catalog_fk_add(Catalog *cat, const char *name, const char *table,
							  const char *ref_table, char upd_action, char del_action);
/* Removes the foreign key called name on table; false when unknown. */
bool catalog_fk_drop(Catalog *cat, const char *table, const char *name);
/*
 * The foreign keys from or to any of the count tables, each once, in the
 * catalog's order: a NULL-terminated copy the caller frees.
 */
CatForeignKey **catalog_fks_on(const Catalog *cat, const char *const *tables, size_t count);
/* Removes the foreign key fk (one of cat->fks, named or not) and frees it. */
void catalog_fk_forget(Catalog *cat, CatForeignKey *fk);

/*
 * DROP COLUMN: forgets the column of table with what PostgreSQL drops with
 * it: the primary key that includes it, the indexes whose key columns the
 * catalog knows to include it, its CHECK (col IS NOT NULL). The
 * caller handles foreign keys and sequences (they take locks).
 */
void catalog_column_forget(Catalog *cat, const char *table, const char *column);

/*
 * RENAME CONSTRAINT / TRIGGER on table: a foreign key, a NOT NULL check, the
 * index of a PRIMARY KEY / UNIQUE constraint (same schema as table), or a
 * trigger called old_name takes new_name.
 */
void catalog_subobject_rename(Catalog *cat, const char *table, const char *old_name,
							  const char *new_name);
CatForeignKey *catalog_fk_find(const Catalog *cat, const char *table, const char *name);

CatNotNullCheck *catalog_check_add(Catalog *cat, const char *table, const char *name,
								   const char *column, bool valid);
CatNotNullCheck *catalog_check_find(const Catalog *cat, const char *table, const char *name);
/* Forgets the CHECK (col IS NOT NULL) called name on table (DROP CONSTRAINT). */
void catalog_check_drop(Catalog *cat, const char *table, const char *name);
/* True when a valid "col IS NOT NULL" check exists on table.column. */
bool catalog_has_notnull_check(const Catalog *cat, const char *table, const char *column);

/* Records a trigger; takes copies. */
void catalog_trigger_add(Catalog *cat, const char *name, const char *table, const char *function);
/* Forgets trigger name on table (NULL name: every trigger of table). */
void catalog_trigger_drop(Catalog *cat, const char *name, const char *table);

/*
 * Records that a function or procedure called name ("schema.name") was
 * created; overloads share the name.
 */
void catalog_function_add(Catalog *cat, const char *name);
bool catalog_function_exists(const Catalog *cat, const char *name);

/* Adds (or replaces) a domain over base; takes copies. */
CatDomain *catalog_domain_add(Catalog *cat, const char *name, const CatType *base);
CatDomain *catalog_domain_find(const Catalog *cat, const char *name);

void cattype_copy(CatType *dst, const CatType *src);
void cattype_free(CatType *t);

#endif
