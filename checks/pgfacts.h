/*
 * pgfacts.h — facts about PostgreSQL the lock analysis depends on, as data:
 * what changed between major versions, which functions are volatile, which
 * column type changes are binary-coercible, which storage parameters need
 * which lock.
 */
#ifndef MIGSAFE_PGFACTS_H
#define MIGSAFE_PGFACTS_H

#include <stdbool.h>

#include "catalog.h"
#include "lockmode.h"

typedef enum PgFact {
	/* ADD COLUMN with a non-volatile default stores it in the catalog (no rewrite) */
	PGFACT_FAST_DEFAULT = 0,
	/* ALTER TYPE ... ADD VALUE may run inside a transaction block */
	PGFACT_ENUM_ADD_VALUE_IN_TRANSACTION,
	/* REINDEX ... CONCURRENTLY exists */
	PGFACT_REINDEX_CONCURRENTLY,
	/* ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY exists */
	PGFACT_DETACH_CONCURRENTLY,
	/* ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE (not ACCESS EXCLUSIVE) on the parent */
	PGFACT_ATTACH_PARTITION_SHARE_UPDATE,
	/* ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE on the index */
	PGFACT_RENAME_INDEX_SHARE_UPDATE,
	/* SET NOT NULL skips the scan when a valid CHECK (col IS NOT NULL) proves it */
	PGFACT_NOT_NULL_FROM_CHECK,
	/* MERGE exists */
	PGFACT_MERGE,
	/* LOCK TABLE on a view locks the tables the view reads */
	PGFACT_LOCK_VIEW_RECURSES,
	PGFACT_COUNT
} PgFact;

/* True when PostgreSQL major version pg_version has the fact. */
bool pgfacts_has(int pg_version, PgFact fact);

/*
 * True when a default calling function fname makes ADD COLUMN rewrite the
 * table. Unknown functions count as volatile (PostgreSQL's own default).
 */
bool pgfacts_function_volatile(const char *fname);

/* True for the polymorphic pseudo-types (anyelement, anyarray, anycompatible, ...). */
bool pgfacts_type_polymorphic(const char *type_name);

/*
 * The table-level lock a function call in a query takes on the sequence it
 * names (nextval, setval, currval); LOCK_NONE for other functions.
 */
LockMode pgfacts_sequence_function_lock(const char *fname);

/*
 * True when changing a column from type from to type to rewrites the table
 * (false: binary-coercible, such as widening varchar(n) or numeric(p,s)).
 */
bool pgfacts_type_change_rewrites(const CatType *from, const CatType *to);

/* The lock ALTER TABLE ... SET / RESET (param) needs; ACCESS EXCLUSIVE when unknown. */
LockMode pgfacts_reloption_lock(const char *param);

/* The base type behind a serial pseudo-type ("int4" for "serial"), or NULL. */
const char *pgfacts_serial_base(const char *type_name);

#endif
