/*
 * lockmode.h — PostgreSQL's eight table-level lock modes and their conflicts.
 *
 * The facts come from the PostgreSQL documentation, "Explicit Locking",
 * table "Conflicting Lock Modes". They are data (lockmode.c), not code.
 */
#ifndef MIGSAFE_LOCKMODE_H
#define MIGSAFE_LOCKMODE_H

#include <stdbool.h>

/* Ordered weakest to strongest, numbered as PostgreSQL's lockdefs.h does. */
typedef enum LockMode {
	LOCK_NONE = 0,
	LOCK_ACCESS_SHARE = 1,
	LOCK_ROW_SHARE = 2,
	LOCK_ROW_EXCLUSIVE = 3,
	LOCK_SHARE_UPDATE_EXCLUSIVE = 4,
	LOCK_SHARE = 5,
	LOCK_SHARE_ROW_EXCLUSIVE = 6,
	LOCK_EXCLUSIVE = 7,
	LOCK_ACCESS_EXCLUSIVE = 8
} LockMode;

#define LOCKMODE_COUNT 9

/* True when a lock in mode a and one in mode b cannot be held together. */
bool lockmode_conflicts(LockMode a, LockMode b);

/* The stronger of two modes (the one that conflicts with more). */
LockMode lockmode_strongest(LockMode a, LockMode b);

/* PostgreSQL's name, as pg_locks.mode shows it: "AccessExclusiveLock". */
const char *lockmode_name(LockMode m);

/* The SQL spelling used by LOCK TABLE: "ACCESS EXCLUSIVE". */
const char *lockmode_sql_name(LockMode m);

/*
 * Parses "AccessExclusiveLock", "AccessExclusive", "ACCESS EXCLUSIVE" or
 * "access_exclusive"; LOCK_NONE when the text names no mode.
 */
LockMode lockmode_parse(const char *name);

/*
 * What an application notices while the lock is held, in plain words:
 * "reads, writes and DDL", "writes and DDL", "DDL", or "nothing".
 */
const char *lockmode_blocks(LockMode m);

/*
 * The typical statements that take each mode, for explanations
 * ("SELECT", "INSERT, UPDATE, DELETE", ...).
 */
const char *lockmode_taken_by(LockMode m);

/*
 * Families of statements, each with the lock it takes on its table, for
 * "which statements can run at the same time" explanations.
 */
typedef enum StatementClass {
	STMT_CLASS_SELECT = 0,           /* SELECT */
	STMT_CLASS_DML,                  /* INSERT, UPDATE, DELETE */
	STMT_CLASS_MAINTENANCE,          /* CREATE INDEX CONCURRENTLY, VACUUM */
	STMT_CLASS_CREATE_INDEX,         /* CREATE INDEX */
	STMT_CLASS_CREATE_TRIGGER,       /* CREATE TRIGGER, ADD FOREIGN KEY */
	STMT_CLASS_ALTER,                /* most ALTER TABLE, DROP */
	STMT_CLASS_COUNT
} StatementClass;

/* The statements of a class, in words: "CREATE INDEX CONCURRENTLY / VACUUM". */
const char *lockmode_class_name(StatementClass c);

/* The lock a class takes on the table it works on. */
LockMode lockmode_class_mode(StatementClass c);

/*
 * True when statements of classes a and b on the same table can run at the
 * same time; derived from the conflict matrix.
 */
bool lockmode_class_concurrent(StatementClass a, StatementClass b);

#endif
