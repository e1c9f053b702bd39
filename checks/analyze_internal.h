/*
 * analyze_internal.h — what the analyze_*.c files share: the context's
 * layout, name resolution, lock helpers and the per-family entry points.
 * Not part of the public API (see analyze.h).
 */
#ifndef MIGSAFE_ANALYZE_INTERNAL_H
#define MIGSAFE_ANALYZE_INTERNAL_H

#include <cjson/cJSON.h>

#include "analyze.h"
#include "catalog.h"
#include "pgfacts.h"
#include "pgnode.h"

struct AnalyzeContext {
	int pg_version;
	char *default_schema;
	StrList search_path;   /* schemas only: "$user", pg_catalog and pg_temp are dropped */
	bool check_function_bodies; /* SET check_function_bodies: SQL function bodies are analysed */
	Catalog *catalog;
};

/* A handler fills a for one statement type; a->known and a->transactional start true. */
typedef void (*AnalyzeHandler)(AnalyzeContext *ctx, const cJSON *body, Analysis *a);

/*
 * "schema.name" for a possibly unqualified name: an explicit schema wins, else
 * the first search_path schema where the catalog knows the name, else the
 * first search_path schema. The caller frees.
 */
char *analyze_qualify(const AnalyzeContext *ctx, const char *schema, const char *name);

/* What the analysis calls the session's temporary schema (pg_temp_N on the server). */
#define ANALYZE_TEMP_SCHEMA "pg_temp"

/* analyze_qualify of a RangeVar body (TEMP: pg_temp); NULL when it has no relname. */
char *analyze_rangevar(const AnalyzeContext *ctx, const cJSON *rv);

/* True for "pg_temp.name": a temporary relation, invisible to other sessions. */
bool analyze_is_temp(const char *qualified);

/*
 * analyze_qualify of a name list ([schema,] name [, trailing...]) after
 * dropping its last ndrop items (a column or trigger name); NULL when empty.
 */
char *analyze_name_list(const AnalyzeContext *ctx, const cJSON *names, int ndrop);

/*
 * The function a call's name list resolves to when an earlier statement
 * created it; NULL for any other (caller frees).
 */
char *analyze_created_function(const AnalyzeContext *ctx, const cJSON *funcname);

/* The "schema.name" part of a qualified name: the schema (caller frees). */
char *analyze_schema_of(const char *qualified);

/* Locks rel in mode; with recurse, also its partitions and inheritance children. */
void analyze_lock(AnalyzeContext *ctx, Analysis *a, const char *rel, LockMode mode, bool recurse);

/* Locks the relation of a RangeVar body (children unless ONLY); returns its name (caller frees). */
char *analyze_lock_rangevar(AnalyzeContext *ctx, Analysis *a, const cJSON *rv, LockMode mode);

/*
 * A new partition of parent takes rows the DEFAULT partition may hold: that
 * partition is locked ACCESS EXCLUSIVE and scanned.
 */
void analyze_lock_default_partition(AnalyzeContext *ctx, Analysis *a, const char *parent);

/* Sets a->kind (replacing an earlier value). */
void analyze_set_kind(Analysis *a, const char *kind);

/* Reads a TypeName body into t (t->name allocated; cattype_free it). */
void analyze_type_from_typename(const cJSON *type_name, CatType *t);

/* Families of statements, one file each. */
void analyze_alter_table(AnalyzeContext *ctx, const cJSON *body, Analysis *a);

void analyze_create_table(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_table_as(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_view(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_index(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_sequence(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_alter_sequence(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
/*
 * Records a column definition of table rel (CREATE TABLE or ADD COLUMN):
 * its type, serial/identity sequence and inline foreign key.
 */
void analyze_define_column(AnalyzeContext *ctx, CatRelation *rel, const cJSON *coldef, Analysis *a);
/*
 * Records a table constraint (CREATE TABLE or ADD CONSTRAINT): foreign keys
 * (locking the referenced table), the primary key, CHECK (col IS NOT NULL).
 */
void analyze_define_constraint(AnalyzeContext *ctx, CatRelation *rel, const char *table,
							   const cJSON *con, Analysis *a);
/* The column of a "col IS NOT NULL" expression, or NULL. */
const char *analyze_not_null_column(const cJSON *expr);
/*
 * A column default: DEFAULT nextval('seq') names the sequence inserts that
 * leave the column out draw from; any other default (or none) names none.
 */
void analyze_column_default(AnalyzeContext *ctx, CatColumn *col, const cJSON *expr);
/* Records a FOREIGN KEY constraint body on table and locks the referenced table. */
void analyze_define_foreign_key(AnalyzeContext *ctx, const char *table, const cJSON *con,
								const char *column, Analysis *a);

void analyze_drop(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
/*
 * The locks of dropping relation rel: ACCESS EXCLUSIVE on it and its
 * children, the other side of its foreign keys, its owned sequences, and
 * with cascade the views over it and the referencing tables.
 */
void analyze_drop_relation_locks(AnalyzeContext *ctx, Analysis *a, const char *rel, bool cascade,
								 int depth);
void analyze_rename(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_set_schema(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_truncate(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_lock_table(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_vacuum(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_cluster(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_reindex(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_refresh(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_trigger(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_function(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_policy(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_comment(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_grant(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_rule(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_statistics(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_alter_enum(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_publication(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_alter_domain(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_domain(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_create_foreign_table(AnalyzeContext *ctx, const cJSON *body, Analysis *a);

void analyze_select(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_insert(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_update(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_delete(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_merge(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_copy(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
void analyze_explain(AnalyzeContext *ctx, const cJSON *body, Analysis *a);

/* DO: the SQL statements of its PL/pgSQL body, their locks united (analyze_do.c). */
void analyze_do(AnalyzeContext *ctx, const cJSON *body, Analysis *a);
/*
 * Walks any query node (a wrapped statement or expression) and records the
 * relations it reads, the sequences it advances and the rows it locks.
 * expand_views: the query is executed, so views lock what they read too
 * (false for CREATE VIEW, which only stores the query).
 */
void analyze_query_node(AnalyzeContext *ctx, const cJSON *node, Analysis *a, bool expand_views);
/*
 * The locks of a query PostgreSQL parse-analyses without running it (a SQL
 * function's body at CREATE FUNCTION): the relations it names, no partitions,
 * no foreign-key checks, sequences or calls; views lock what they read.
 */
void analyze_query_parsed(AnalyzeContext *ctx, const cJSON *node, Analysis *a);

/* True for the statement types that are queries: SELECT, INSERT, UPDATE, DELETE, MERGE. */
bool analyze_is_query(const char *tag);

/* SQL text (a DO block's or a function's body) as a libpg_query tree; NULL when it does not parse. */
cJSON *analyze_parse_sql(const char *sql);
/* The relations a query reads (for a view's catalog entry). */
void analyze_query_reads(AnalyzeContext *ctx, const cJSON *node, StrList *out);

#endif
