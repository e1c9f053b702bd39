/*
 * attempt.h — the attempt loop: apply one migration with bounded retries.
 *
 * A transactional migration is one transaction per attempt: BEGIN, SET
 * LOCAL timeouts, the statements, the history row, COMMIT. A lock timeout,
 * deadlock or watchdog cancel rolls back, sleeps by the retry schedule and
 * tries again; any other error stops with the statement's location. A
 * non-transactional migration (nontx.c) retries statement by statement.
 * Every attempt is added to the migration's report object.
 */
#ifndef MIGSAFE_ATTEMPT_H
#define MIGSAFE_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "history.h"
#include "model.h"
#include "options.h"
#include "pgsql.h"
#include "retry.h"
#include "watcher.h"

/* How a migration ended; the report's "status". */
typedef enum ApplyStatus {
	APPLY_APPLIED = 0,
	APPLY_ALREADY_APPLIED,
	APPLY_FAILED,            /* an error in a statement: exit 1 */
	APPLY_GAVE_UP,           /* the lock budget ran out: exit 3 */
	APPLY_NOT_ATTEMPTED,
	APPLY_INTERRUPTED,       /* SIGINT/SIGTERM: exit 130/143 */
	APPLY_CONNECTION         /* the connection broke: exit 4 */
} ApplyStatus;

/* The report's name of a status. */
const char *apply_status_name(ApplyStatus s);

/* How one attempt (of a statement) ended; the report's "outcome". */
typedef enum AttemptOutcome {
	OUTCOME_APPLIED = 0,
	OUTCOME_LOCK_TIMEOUT,
	OUTCOME_DEADLOCK,
	OUTCOME_WATCHDOG,
	OUTCOME_ERROR,
	OUTCOME_INTERRUPTED,
	OUTCOME_CONNECTION
} AttemptOutcome;

const char *attempt_outcome_name(AttemptOutcome o);
/* Lock timeouts, deadlocks and watchdog cancels are retried. */
bool attempt_outcome_retryable(AttemptOutcome o);

/* What one apply run shares across migrations. */
typedef struct Runner {
	const Options *opts;
	PgConn *conn;
	Watcher *watcher;        /* NULL: attempts run unwatched */
	History *history;
	RetrySchedule schedule;
	volatile const int *interrupted;
	int index;               /* 1-based position of the migration, for progress */
	int total;
	const char *path;        /* the migration being applied, for progress */
	const char *git_commit;  /* HEAD of the migrations' repository, for the history; or NULL */
} Runner;

/*
 * One attempt of a migration, or of one of its statements: fills run (its
 * outcome, error and duration) and *statement (the statement it ended on).
 * `attempts` holds the earlier attempts' report objects.
 */
typedef struct StatementRun StatementRun;
typedef void (*AttemptFn)(Runner *r, int n, int64_t lock_timeout_ms, const cJSON *attempts,
						  void *arg, StatementRun *run, int *statement);

/* The retry loop's inputs, and how many attempts it made. */
typedef struct AttemptLoop {
	const Migration *m;
	int statement;           /* -1: the whole file in a transaction; else the statement retried */
	cJSON *report;           /* the migration's report object (the pre-check writes there) */
	cJSON *attempts;         /* every attempt's object is appended here */
	cJSON *also;             /* NULL, or an array that gets a copy of each (the history's log) */
	AttemptFn fn;
	void *arg;
	int attempts_made;       /* out */
} AttemptLoop;

/*
 * Runs attempts under the retry schedule: pre-check, attempt, report and
 * progress; sleeps and retries after a lock timeout, deadlock or watchdog
 * cancel; stops on success, on any other error, when the budget is spent
 * (APPLY_GAVE_UP), or on a signal.
 */
ApplyStatus attempt_loop(Runner *r, AttemptLoop *loop);

/* Applies a transactional migration; fills report (the migration's object). */
ApplyStatus attempt_apply_transactional(Runner *r, const Migration *m, cJSON *report);

/* Applies a non-transactional migration statement by statement (nontx.c). */
ApplyStatus nontx_apply(Runner *r, const Migration *m, cJSON *report);

/* ---- shared by attempt.c and nontx.c ---- */

/* The result of running one statement under the watcher. */
struct StatementRun {
	AttemptOutcome outcome;
	PgError err;
	int64_t ms;              /* how long it ran */
	char *watchdog_reason;   /* set when the watchdog cancelled it */
};

/*
 * Sends sql and waits for it, sampling blockers and the queue behind it
 * on the watcher connection; cancels it when the watchdog fires or a
 * signal arrives. Fills run (free with attempt_run_free).
 */
void attempt_run_statement(Runner *r, const char *sql, StatementRun *run);
void attempt_run_free(StatementRun *run);

/* Milliseconds on the monotonic clock. */
int64_t attempt_now_ms(void);

/* Sleeps ms in short steps; returns early (false) when a signal arrives. */
bool attempt_sleep(Runner *r, int64_t ms);

/*
 * The report object of an attempt: n, lock_timeout_ms, outcome, sqlstate,
 * statement, waited_ms, slept_ms (0, set later), blockers from the watcher.
 */
cJSON *attempt_json(Runner *r, int n, int64_t lock_timeout_ms, int statement,
					const StatementRun *run);

/* Logs the progress line of a finished attempt, naming its blockers. */
void attempt_log_progress(Runner *r, const Migration *m, int n, int64_t lock_timeout_ms,
						  const StatementRun *run, int64_t sleep_ms);

/*
 * Logs an error with file:line:col of its statement (st NULL: one raised by
 * BEGIN, the history row or COMMIT), SQLSTATE, message, detail and hint.
 */
void attempt_log_error(const Migration *m, const Statement *st, const PgError *err);

/* True for BEGIN/START/COMMIT in the file: the runner owns the transaction, they are skipped. */
bool attempt_is_transaction_control(const Statement *st);

/*
 * Opens the migration's transaction with its lock, statement and idle
 * timeouts set locally, in one round trip; false with err on failure (the
 * transaction may then be open and aborted: roll it back).
 */
bool attempt_begin(PgConn *conn, int64_t lock_timeout_ms, int64_t statement_timeout_ms, PgError *err);

/* Runs "SET [LOCAL] name = 'value ms'"; false with err on failure. */
bool attempt_set_timeout(PgConn *conn, bool local, const char *name, int64_t ms, PgError *err);

#endif
