/*
 * locks_live.h — what the live server says about the locks a migration
 * needs: which sessions hold or wait for a conflicting lock on its
 * relations (the pre-check and plan), how its relation names resolve, and
 * the lock tree of the whole database (the blockers command).
 *
 * Every query here reads pg_locks, pg_stat_activity and the catalogs only:
 * none takes a lock on an application table, so none can queue.
 */
#ifndef MIGSAFE_LOCKS_LIVE_H
#define MIGSAFE_LOCKS_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "blocker.h"
#include "lockmode.h"
#include "locktree.h"
#include "model.h"
#include "pgsql.h"

/* A relation a migration locks, with every mode it takes on it. */
typedef struct LockTarget {
	char *relation;          /* "schema.name", unquoted, as the analysis names it */
	unsigned modes;          /* bit m set: the migration takes mode m on it */
} LockTarget;

typedef struct LockTargets {
	LockTarget *items;
	size_t count;
	size_t cap;
	const char *default_schema;   /* unqualified names were put there (--schema) */
} LockTargets;

/* Adds mode on relation (merging with what the relation already needs). */
void lock_targets_add(LockTargets *t, const char *relation, LockMode mode);

/*
 * The locks of statement `statement` of m (-1: of every statement), leaving
 * out the relations the migration itself creates, which nobody else can
 * hold yet.
 */
void lock_targets_from_migration(LockTargets *t, const Migration *m, int statement);
void lock_targets_free(LockTargets *t);

/* Bit mask of the modes that conflict with at least one mode of `modes`. */
unsigned lock_conflict_mask(unsigned modes);

/* A session with a lock (granted or awaited) on one of the targets. */
typedef struct LiveSession {
	Blocker b;               /* its strongest lock there, conflicting ones first */
	bool conflicts;          /* that lock conflicts with a mode the migration needs */
	bool yields;             /* an autovacuum worker not preventing wraparound:
							  * PostgreSQL cancels it by itself for a lock request */
	bool prepared;           /* a prepared transaction (no backend, pid 0) */
} LiveSession;

typedef struct LiveScan {
	LiveSession *items;
	size_t count;
	size_t cap;
} LiveScan;

/*
 * Reads, in one query, every session other than this connection's and
 * migsafe's own (application_name "migsafe...") holding or waiting for a
 * lock on the targets or on their partitions and inheritance children,
 * one entry per transaction. Names resolve as written, else (for names in
 * the default schema) through the server's search_path. Queries are
 * normalized when redact. False (logged) when the server cannot be asked.
 */
bool locks_live_scan(PgConn *conn, const LockTargets *t, bool redact, LiveScan *out);
void live_scan_free(LiveScan *s);

/* How one target's name resolves on the server. */
typedef struct ResolvedTarget {
	char *relation;          /* as the migration names it */
	char *resolved;          /* "schema.name" on the server, NULL when it does not exist */
	char *relkind;           /* pg_class.relkind, NULL when missing */
	int descendants;         /* partitions and inheritance children, recursively */
} ResolvedTarget;

/* Resolves every target (the same rules as the scan); out has t->count entries. */
bool locks_live_resolve(PgConn *conn, const LockTargets *t, ResolvedTarget **out);
void resolved_targets_free(ResolvedTarget *r, size_t n);

/*
 * Reads every session of the current database that waits for a lock, and
 * every session they wait for. With table (as the user writes it, resolved
 * by the server), also every session whose lock on it (or its children)
 * conflicts with mode, flagged "conflicts". False (logged) on error.
 */
bool locks_live_tree(PgConn *conn, const char *table, LockMode mode, bool redact, LockTree *out);

#endif
