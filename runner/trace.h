/*
 * trace.h — the dry-run's observation of statements on a real server.
 *
 * Statements run inside a transaction the caller always rolls back. Around
 * each one the tracer reads the relations (pg_class) and the runner's own
 * relation locks (pg_locks), so it sees the locks the statement newly took,
 * the relations it rewrote (relfilenode changed), how long it ran and how
 * big the tables it touched are; then it compares the strongest lock per
 * table with the static prediction in Statement.analysis.
 */
#ifndef MIGSAFE_TRACE_H
#define MIGSAFE_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "model.h"
#include "options.h"
#include "pgsql.h"
#include "watcher.h"

/* A lock the statement newly took on a relation. */
typedef struct TraceLock {
	char *relation;          /* "schema.name", unquoted */
	char relkind;            /* pg_class.relkind */
	LockMode mode;
	bool created;            /* the statement created the relation */
} TraceLock;

/* A relation the statement locked or rewrote, with its real size. */
typedef struct TraceTable {
	char *relation;
	char relkind;
	int64_t bytes;           /* pg_total_relation_size before the statement (else after); -1 unknown */
	double rows;             /* pg_class.reltuples; -1 unknown (never analysed) */
	bool rewritten;          /* relfilenode changed */
	LockMode mode;           /* strongest lock the statement holds on it */
} TraceTable;

/* One table where the observed strongest lock differs from the prediction. */
typedef struct TraceMismatch {
	char *relation;
	LockMode predicted;      /* LOCK_NONE: not predicted */
	LockMode observed;       /* LOCK_NONE: not taken */
	unsigned held_before;    /* modes the transaction held on it before (bit n: LockMode n) */
} TraceMismatch;

typedef enum TraceState {
	TRACE_TRACED = 0,        /* ran in the rolled-back transaction and was observed */
	TRACE_RAN_FOR_REAL,      /* non-transactional, run for real (--commit, throwaway server) */
	TRACE_NOT_RUN,           /* not run: reason says why; locks are the prediction */
	TRACE_FAILED             /* ran and failed: err, blockers */
} TraceState;

typedef struct TraceResult {
	TraceState state;
	char *reason;            /* why it was not traced (not run, ran for real, failed) */
	double duration_ms;
	TraceLock *locks;
	size_t nlocks, locks_cap;
	TraceTable *tables;
	size_t ntables, tables_cap;
	StrList already_held;    /* predicted locks the transaction already held before it */
	StrList unexercised;     /* predicted per-row locks (FK checks) not taken: no row checked */
	StrList absent;          /* predicted relations that exist neither before nor after */
	TraceMismatch *mismatches;
	size_t nmismatches, mismatches_cap;
	PgError err;             /* TRACE_FAILED */
	cJSON *blockers;         /* sessions seen blocking it (watcher), an array; NULL if none */
	char *watchdog_reason;   /* the watchdog cancelled it */
} TraceResult;

typedef struct RelSnapshot RelSnapshot;
typedef struct LockSnapshot LockSnapshot;

/* One connection's tracing state; zero-initialise the struct, then fill conn/watcher/opts. */
typedef struct Tracer {
	PgConn *conn;
	Watcher *watcher;        /* NULL: statements run unwatched */
	const Options *opts;
	RelSnapshot *rels;       /* relations as of the last observation; NULL: to be read */
	LockSnapshot *locks;     /* our relation locks as of the last observation */
} Tracer;

/*
 * BEGIN, and SET LOCAL lock_timeout, statement_timeout and
 * idle_in_transaction_session_timeout from opts. False with err on error.
 */
bool trace_begin(Tracer *t, PgError *err);

/* ROLLBACK (nothing of the transaction stays); false when the server could not be told. */
bool trace_rollback(Tracer *t);

/*
 * Runs st inside the open transaction and observes it into out (zeroed by
 * the caller). False when the statement failed (out->state TRACE_FAILED)
 * or the observation queries failed; the transaction is then aborted.
 */
bool trace_statement(Tracer *t, const Statement *st, TraceResult *out);

/*
 * Runs st without observing it (the already-applied part, and the real
 * apply of a traced migration on a throwaway server). False with out
 * filled as TRACE_FAILED on error.
 */
bool trace_run_untraced(Tracer *t, const Statement *st, TraceResult *out);

/*
 * Runs a non-transactional st for real, outside any transaction (--commit
 * on a throwaway server): duration, rewrites and sizes are observed, the
 * locks cannot be (they are gone when it ends), so they stay the prediction.
 */
bool trace_run_for_real(Tracer *t, const Statement *st, TraceResult *out);

/* Marks st as not run, with the reason; its locks are the prediction. */
void trace_not_run(const Statement *st, const char *reason, TraceResult *out);

/* True when the observed locks differ from the prediction. */
bool trace_result_mismatch(const TraceResult *r);

/* The report's "observed" object for a statement. */
cJSON *trace_result_json(const TraceResult *r);

/* The report's "mismatches" array. */
cJSON *trace_mismatches_json(const TraceResult *r);

void trace_result_free(TraceResult *r);
void tracer_cleanup(Tracer *t);

/* PostgreSQL's relkind letter as a word: "table", "index", ... */
const char *trace_relkind_name(char relkind);

#endif
