/*
 * attempt.c — the attempt loop of a transactional migration, and the
 * watched execution of one statement shared with nontx.c.
 */
#include "attempt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "defaults.h"
#include "duration.h"
#include "log.h"
#include "precheck.h"

/* Report names of the statuses, indexed by ApplyStatus. */
static const char *const status_names[] = {
	[APPLY_APPLIED] = "applied",
	[APPLY_ALREADY_APPLIED] = "already-applied",
	[APPLY_FAILED] = "failed",
	[APPLY_GAVE_UP] = "gave-up",
	[APPLY_NOT_ATTEMPTED] = "not-attempted",
	[APPLY_INTERRUPTED] = "failed",
	[APPLY_CONNECTION] = "failed",
};

/* Report names of the outcomes, indexed by AttemptOutcome. */
static const char *const outcome_names[] = {
	[OUTCOME_APPLIED] = "applied",
	[OUTCOME_LOCK_TIMEOUT] = "lock-timeout",
	[OUTCOME_DEADLOCK] = "deadlock",
	[OUTCOME_WATCHDOG] = "watchdog",
	[OUTCOME_ERROR] = "error",
	[OUTCOME_INTERRUPTED] = "error",
	[OUTCOME_CONNECTION] = "error",
};

/* SQLSTATEs that end an attempt but not the migration: it is retried. */
static const struct {
	const char *sqlstate;
	AttemptOutcome outcome;
} retryable_states[] = {
	{"55P03", OUTCOME_LOCK_TIMEOUT},    /* lock_not_available: lock_timeout fired */
	{"40P01", OUTCOME_DEADLOCK},        /* deadlock_detected: we were the victim */
};

const char *
apply_status_name(ApplyStatus s)
{
	return status_names[s];
}

const char *
attempt_outcome_name(AttemptOutcome o)
{
	return outcome_names[o];
}

bool
attempt_outcome_retryable(AttemptOutcome o)
{
	return o == OUTCOME_LOCK_TIMEOUT || o == OUTCOME_DEADLOCK || o == OUTCOME_WATCHDOG;
}

int64_t
attempt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
attempt_sleep(Runner *r, int64_t ms)
{
	while (ms > 0) {
		int64_t step = ms < 50 ? ms : 50;
		struct timespec ts = {(time_t) (step / 1000), (long) (step % 1000) * 1000000};

		if (*r->interrupted)
			return false;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !*r->interrupted;
}

/* Appends "SET [LOCAL] name = 'value'" for a timeout of ms milliseconds. */
static void
append_set_timeout(StrBuf *sql, bool local, const char *name, int64_t ms)
{
	char value[32];

	duration_format(ms, value, sizeof value);
	strbuf_appendf(sql, "SET %s%s = '%s'", local ? "LOCAL " : "", name, value);
}

/* Runs sql, built in a StrBuf, and frees it. */
static bool
exec_built(PgConn *conn, StrBuf *sql, PgError *err)
{
	bool ok = pgsql_exec(conn, sql->data, err);

	strbuf_free(sql);
	return ok;
}

bool
attempt_set_timeout(PgConn *conn, bool local, const char *name, int64_t ms, PgError *err)
{
	StrBuf sql = {0};

	append_set_timeout(&sql, local, name, ms);
	return exec_built(conn, &sql, err);
}

bool
attempt_begin(PgConn *conn, int64_t lock_timeout_ms, int64_t statement_timeout_ms, PgError *err)
{
	StrBuf sql = {0};

	strbuf_append(&sql, "BEGIN; ");
	append_set_timeout(&sql, true, "lock_timeout", lock_timeout_ms);
	strbuf_append(&sql, "; ");
	append_set_timeout(&sql, true, "statement_timeout", statement_timeout_ms);
	strbuf_append(&sql, "; ");
	append_set_timeout(&sql, true, "idle_in_transaction_session_timeout",
					   DEFAULT_IDLE_IN_TX_TIMEOUT_MS);
	return exec_built(conn, &sql, err);
}

/* Sorts a finished statement's result into an outcome. */
static AttemptOutcome
classify(const StatementRun *run, int rc, bool watchdog, bool interrupted)
{
	if (rc < 0)
		return OUTCOME_CONNECTION;
	if (run->err.message == NULL)
		return OUTCOME_APPLIED;
	for (size_t i = 0; i < sizeof retryable_states / sizeof retryable_states[0]; i++)
		if (strcmp(run->err.sqlstate, retryable_states[i].sqlstate) == 0)
			return retryable_states[i].outcome;
	if (strcmp(run->err.sqlstate, "57014") == 0 && interrupted)
		return OUTCOME_INTERRUPTED;
	if (strcmp(run->err.sqlstate, "57014") == 0 && watchdog)
		return OUTCOME_WATCHDOG;
	if (pgsql_error_is_connection(&run->err))
		return OUTCOME_CONNECTION;
	return OUTCOME_ERROR;
}

/* While a statement waits long, says every few seconds who it waits for. */
static void
log_still_waiting(Runner *r, int64_t waited_ms, int64_t *last_ms)
{
	StrBuf sb = {0};

	if (waited_ms < DEFAULT_PROGRESS_INTERVAL_MS || waited_ms - *last_ms < DEFAULT_PROGRESS_INTERVAL_MS ||
		r->watcher == NULL || r->watcher->seen.count == 0)
		return;
	*last_ms = waited_ms;
	strbuf_appendf(&sb, "[%d/%d] %s: waiting %llds", r->index, r->total, r->path ? r->path : "",
				   (long long) (waited_ms / 1000));
	for (size_t i = 0; i < r->watcher->seen.count; i++) {
		char *d = blocker_describe(&r->watcher->seen.items[i]);

		strbuf_appendf(&sb, "%s%s", i ? ", " : " … blocked by ", d);
		free(d);
	}
	if (r->watcher->queued > 0)
		strbuf_appendf(&sb, "; %d session%s queued behind it", r->watcher->queued,
					   r->watcher->queued == 1 ? "" : "s");
	log_info("%s", sb.data);
	strbuf_free(&sb);
}

/*
 * Waits for the statement just sent (its result, in run), sampling blockers
 * and the queue behind it, cancelling it when the watchdog fires or a
 * signal arrives.
 */
static void
watch_statement(Runner *r, StatementRun *run)
{
	bool watching = r->watcher != NULL, watchdog = false, cancelled = false;
	int64_t start = attempt_now_ms(), last_progress = 0;
	int rc;

	for (;;) {
		bool fire = false;

		rc = pgsql_poll(r->conn, DEFAULT_WATCH_INTERVAL_MS, &run->err);
		if (rc != 0)
			break;
		if (cancelled)
			continue;
		if (*r->interrupted) {
			pgsql_cancel(r->conn);
			cancelled = true;
			continue;
		}
		if (!watching)
			continue;
		if (!watcher_sample(r->watcher, &fire)) {
			log_warn("the watcher stopped: blockers and the lock queue are no longer sampled");
			watching = false;
		}
		log_still_waiting(r, attempt_now_ms() - start, &last_progress);
		if (fire) {
			run->watchdog_reason = watcher_reason(r->watcher);
			log_warn("watchdog: %s: cancelling the migration's statement", run->watchdog_reason);
			watchdog = cancelled = pgsql_cancel(r->conn);
		}
	}
	run->ms = attempt_now_ms() - start;
	run->outcome = classify(run, rc, watchdog, *r->interrupted != 0);
}

void
attempt_run_statement(Runner *r, const char *sql, StatementRun *run)
{
	memset(run, 0, sizeof *run);
	if (!pgsql_send(r->conn, sql, &run->err)) {
		run->outcome = OUTCOME_CONNECTION;
		return;
	}
	watch_statement(r, run);
}

void
attempt_run_free(StatementRun *run)
{
	pgsql_error_free(&run->err);
	free(run->watchdog_reason);
	memset(run, 0, sizeof *run);
}

cJSON *
attempt_json(Runner *r, int n, int64_t lock_timeout_ms, int statement, const StatementRun *run)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "n", n);
	cJSON_AddNumberToObject(o, "lock_timeout_ms", (double) lock_timeout_ms);
	cJSON_AddStringToObject(o, "outcome", attempt_outcome_name(run->outcome));
	if (run->err.sqlstate[0])
		cJSON_AddStringToObject(o, "sqlstate", run->err.sqlstate);
	else
		cJSON_AddNullToObject(o, "sqlstate");
	if (statement >= 0)
		cJSON_AddNumberToObject(o, "statement", statement);
	else
		cJSON_AddNullToObject(o, "statement");
	cJSON_AddNumberToObject(o, "waited_ms", (double) run->ms);
	cJSON_AddNumberToObject(o, "slept_ms", 0);
	if (run->err.message)
		cJSON_AddStringToObject(o, "message", run->err.message);
	if (run->err.detail)
		cJSON_AddStringToObject(o, "detail", run->err.detail);
	if (run->err.hint)
		cJSON_AddStringToObject(o, "hint", run->err.hint);
	if (run->watchdog_reason)
		cJSON_AddStringToObject(o, "watchdog", run->watchdog_reason);
	if (r->watcher) {
		cJSON_AddNumberToObject(o, "max_queued", r->watcher->max_seen_queued);
		cJSON_AddItemToObject(o, "blockers", blocker_list_json(&r->watcher->seen));
	} else
		cJSON_AddItemToObject(o, "blockers", cJSON_CreateArray());
	return o;
}

void
attempt_log_progress(Runner *r, const Migration *m, int n, int64_t lock_timeout_ms,
					 const StatementRun *run, int64_t sleep_ms)
{
	StrBuf sb = {0};
	char lt[32];

	duration_format(lock_timeout_ms, lt, sizeof lt);
	strbuf_appendf(&sb, "[%d/%d] %s attempt %d/%d: lock_timeout %s", r->index, r->total, m->path,
				   n, r->schedule.max_attempts, lt);
	if (run->outcome == OUTCOME_APPLIED)
		strbuf_appendf(&sb, ": applied in %lldms", (long long) run->ms);
	else
		strbuf_appendf(&sb, ": %s after %lldms", attempt_outcome_name(run->outcome),
					   (long long) run->ms);
	if (run->outcome != OUTCOME_APPLIED && r->watcher && r->watcher->seen.count > 0) {
		for (size_t i = 0; i < r->watcher->seen.count; i++) {
			char *d = blocker_describe(&r->watcher->seen.items[i]);

			strbuf_appendf(&sb, "%s%s", i ? ", " : " … blocked by ", d);
			free(d);
		}
	}
	if (run->watchdog_reason)
		strbuf_appendf(&sb, " (watchdog: %s)", run->watchdog_reason);
	if (sleep_ms > 0)
		strbuf_appendf(&sb, "; retrying in %lldms", (long long) sleep_ms);
	log_info("%s", sb.data);
	strbuf_free(&sb);
}

/* Line and column in the file of the 1-based character `position` of st's text. */
static void
error_location(const Statement *st, int position, int *line, int *column)
{
	int chars = 0;

	*line = st->line;
	*column = st->column;
	if (position <= 0)
		return;
	for (const char *p = st->sql; *p; p++) {
		if (((unsigned char) *p & 0xc0) != 0x80 && ++chars == position)
			return;
		if (*p == '\n') {
			(*line)++;
			*column = 1;
		} else
			(*column)++;
	}
}

void
attempt_log_error(const Migration *m, const Statement *st, const PgError *err)
{
	char where[32] = "";
	int line, column;

	if (st) {
		error_location(st, err->position, &line, &column);
		snprintf(where, sizeof where, ":%d:%d", line, column);
	}
	log_error("%s%s: %s%s [%s]%s%s%s%s", m->path, where, st ? "" : "outside its statements: ",
			  err->message, err->sqlstate[0] ? err->sqlstate : "client",
			  err->detail ? "; detail: " : "", err->detail ? err->detail : "",
			  err->hint ? "; hint: " : "", err->hint ? err->hint : "");
}

bool
attempt_is_transaction_control(const Statement *st)
{
	const cJSON *ts = st->tree ? cJSON_GetObjectItemCaseSensitive(st->tree, "TransactionStmt") : NULL;
	const cJSON *kind = ts ? cJSON_GetObjectItemCaseSensitive(ts, "kind") : NULL;
	static const char *const kinds[] = {
		"TRANS_STMT_BEGIN", "TRANS_STMT_START", "TRANS_STMT_COMMIT",
	};

	if (!cJSON_IsString(kind))
		return false;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kind->valuestring, kinds[i]) == 0)
			return true;
	return false;
}

/* Rolls back after a failed statement; a failed ROLLBACK means the connection broke. */
static bool
rollback(Runner *r)
{
	PgError err = {0};
	bool ok = pgsql_exec(r->conn, "ROLLBACK", &err);

	if (!ok) {
		log_error("ROLLBACK failed: %s", err.message);
		pgsql_error_free(&err);
	}
	return ok;
}

/* The index of the last statement an attempt runs (BEGIN and COMMIT are skipped); nstmts when none. */
static size_t
last_statement(const Migration *m)
{
	for (size_t i = m->nstmts; i > 0; i--)
		if (!attempt_is_transaction_control(&m->stmts[i - 1]))
			return i - 1;
	return m->nstmts;
}

/*
 * Runs the migration's last statement with the history row e and COMMIT
 * sent behind it in one pipeline, watched like any statement: the server
 * commits the moment the statement is done, so the migration's locks are
 * not held across a round trip to migsafe (a network's, when the database
 * is remote). run tells how the statement went; the result tells how the
 * row and COMMIT went (PG_QUERY_FAILED, too, when the statement failed).
 */
static PgCommitOutcome
run_last_then_commit(Runner *r, const Statement *st, const HistoryEntry *e, StatementRun *run)
{
	PgError finish_err = {0};
	PgCommitOutcome outcome;

	memset(run, 0, sizeof *run);
	if (!history_send_with_statement(r->conn, r->history, e, st->sql, &run->err)) {
		run->outcome = pgsql_is_ok(r->conn) ? OUTCOME_ERROR : OUTCOME_CONNECTION;
		return PG_QUERY_FAILED;
	}
	watch_statement(r, run);
	outcome = pgsql_finish_then_commit(r->conn, &finish_err);
	if (run->outcome == OUTCOME_APPLIED && outcome != PG_COMMITTED) {
		pgsql_error_free(&run->err);
		run->err = finish_err;               /* the row's or COMMIT's error */
	} else
		pgsql_error_free(&finish_err);
	return run->outcome == OUTCOME_APPLIED ? outcome : PG_QUERY_FAILED;
}

/*
 * One attempt: BEGIN, SET LOCAL timeouts, the statements, the history row
 * (its attempt log is `attempts` plus this one), COMMIT — the last
 * statement, the row and COMMIT sent together (run_last_then_commit).
 * Fills run (with the attempt's whole duration) and *failed_stmt.
 */
static void
attempt_once(Runner *r, const Migration *m, int n, int64_t lock_timeout_ms, const cJSON *attempts,
			 int64_t started_ms, StatementRun *run, int *failed_stmt)
{
	int64_t start = attempt_now_ms();
	size_t last = last_statement(m);
	HistoryEntry e = {0};
	cJSON *log_doc = NULL;
	PgCommitOutcome committed;

	memset(run, 0, sizeof *run);
	*failed_stmt = -1;
	if (r->watcher)
		watcher_begin(r->watcher, pgsql_backend_pid(r->conn));
	if (!attempt_begin(r->conn, lock_timeout_ms, r->schedule.statement_timeout_ms, &run->err)) {
		run->outcome = pgsql_is_ok(r->conn) ? OUTCOME_ERROR : OUTCOME_CONNECTION;
		goto failed;
	}
	for (size_t i = 0; i < m->nstmts; i++) {
		const Statement *st = &m->stmts[i];

		if (attempt_is_transaction_control(st)) {
			if (n == 1)
				log_info("%s:%d:%d: skipping %s: migsafe runs the migration in its own transaction",
						 m->path, st->line, st->column, st->analysis.kind ? st->analysis.kind : "it");
			continue;
		}
		if (i == last)
			continue;                /* it goes with the history row and COMMIT */
		attempt_run_statement(r, st->sql, run);
		if (run->outcome != OUTCOME_APPLIED) {
			*failed_stmt = (int) i;
			goto failed;
		}
		attempt_run_free(run);
	}

	/* The history row commits with the migration, or not at all. */
	run->ms = attempt_now_ms() - start;
	log_doc = cJSON_Duplicate(attempts, true);
	cJSON_AddItemToArray(log_doc, attempt_json(r, n, lock_timeout_ms, -1, run));
	e.m = m;
	e.status = HISTORY_APPLIED;
	e.statements_done = (int) m->nstmts;
	e.attempts = n;
	e.attempt_log = log_doc;
	e.git_commit = r->git_commit;
	if (last < m->nstmts) {
		e.duration_ms = start - started_ms;  /* the server adds this attempt's time */
		committed = run_last_then_commit(r, &m->stmts[last], &e, run);
		if (run->outcome != OUTCOME_APPLIED) {
			*failed_stmt = (int) last;
			goto failed;
		}
	} else {
		e.duration_ms = attempt_now_ms() - started_ms;
		committed = history_record_and_commit(r->conn, r->history, &e, &run->err);
	}
	switch (committed) {
	case PG_COMMITTED:
		break;
	case PG_QUERY_FAILED:
		log_error("cannot record %s in the history table: %s", m->path, run->err.message);
		run->outcome = pgsql_is_ok(r->conn) ? OUTCOME_ERROR : OUTCOME_CONNECTION;
		goto failed;
	case PG_COMMIT_FAILED:
		/* A failed COMMIT (a deferred constraint, say) has ended the transaction. */
		run->outcome = pgsql_is_ok(r->conn) ? OUTCOME_ERROR : OUTCOME_CONNECTION;
		run->ms = attempt_now_ms() - start;
		cJSON_Delete(log_doc);
		return;
	}
	run->outcome = OUTCOME_APPLIED;
	run->ms = attempt_now_ms() - start;
	cJSON_Delete(log_doc);
	return;

failed:
	cJSON_Delete(log_doc);
	if (pgsql_is_ok(r->conn) && pgsql_in_transaction(r->conn) && !rollback(r))
		run->outcome = OUTCOME_CONNECTION;
	run->ms = attempt_now_ms() - start;
}

ApplyStatus
attempt_loop(Runner *r, AttemptLoop *loop)
{
	const Migration *m = loop->m;
	int64_t spent = 0;
	ApplyStatus status = APPLY_NOT_ATTEMPTED;

	for (int n = 1; status == APPLY_NOT_ATTEMPTED; n++) {
		int64_t lt = retry_lock_timeout(&r->schedule, n), sleep_ms = 0;
		PrecheckOutcome pre;
		StatementRun run;
		int stmt = loop->statement;
		cJSON *aj;

		if (!retry_may_attempt(&r->schedule, n, spent)) {
			const Statement *st = loop->statement >= 0 ? &m->stmts[loop->statement] : NULL;

			log_error("[%d/%d] %s:%d:%d: gave up after %d attempts and %llds of lock waits%s",
					  r->index, r->total, m->path, st ? st->line : 1, st ? st->column : 1, n - 1,
					  (long long) (spent / 1000), st ? "" : "; nothing applied");
			status = APPLY_GAVE_UP;
			break;
		}
		pre = loop->statement < 0 ? precheck_before_attempt(r->conn, r->opts, m, loop->report) :
			precheck_before_statement(r->conn, r->opts, m, loop->statement, loop->report);
		if (pre != PRECHECK_PROCEED) {
			status = pre == PRECHECK_GAVE_UP ? APPLY_GAVE_UP : APPLY_CONNECTION;
			break;
		}
		if (*r->interrupted) {
			status = APPLY_INTERRUPTED;
			break;
		}

		loop->fn(r, n, lt, loop->attempts, loop->arg, &run, &stmt);
		loop->attempts_made = n;
		aj = attempt_json(r, n, lt, stmt, &run);
		spent += run.ms;
		if (attempt_outcome_retryable(run.outcome) && n < r->schedule.max_attempts &&
			spent < r->schedule.max_wait_ms) {
			sleep_ms = retry_sleep(&r->schedule, n, retry_random());
			if (sleep_ms > r->schedule.max_wait_ms - spent)
				sleep_ms = r->schedule.max_wait_ms - spent;
			cJSON_ReplaceItemInObjectCaseSensitive(aj, "slept_ms", cJSON_CreateNumber((double) sleep_ms));
		}
		if (loop->also)
			cJSON_AddItemToArray(loop->also, cJSON_Duplicate(aj, true));
		cJSON_AddItemToArray(loop->attempts, aj);
		attempt_log_progress(r, m, n, lt, &run, sleep_ms);

		if (run.outcome == OUTCOME_APPLIED)
			status = APPLY_APPLIED;
		else if (run.outcome == OUTCOME_INTERRUPTED || *r->interrupted)
			status = APPLY_INTERRUPTED;
		else if (run.outcome == OUTCOME_CONNECTION) {
			log_error("%s: connection lost: %s", m->path, run.err.message ? run.err.message : "");
			status = APPLY_CONNECTION;
		} else if (!attempt_outcome_retryable(run.outcome)) {
			attempt_log_error(m, stmt >= 0 ? &m->stmts[stmt] : NULL, &run.err);
			status = APPLY_FAILED;
		} else if (!attempt_sleep(r, sleep_ms))
			status = APPLY_INTERRUPTED;
		spent += sleep_ms;
		attempt_run_free(&run);
	}
	return status;
}

/* What attempt_once needs besides the loop's arguments. */
typedef struct TransactionalArg {
	const Migration *m;
	int64_t started_ms;      /* the first attempt's start, for the history's duration */
} TransactionalArg;

/* AttemptFn of a transactional migration. */
static void
attempt_transaction(Runner *r, int n, int64_t lock_timeout_ms, const cJSON *attempts, void *arg,
					StatementRun *run, int *statement)
{
	const TransactionalArg *ta = arg;

	attempt_once(r, ta->m, n, lock_timeout_ms, attempts, ta->started_ms, run, statement);
}

ApplyStatus
attempt_apply_transactional(Runner *r, const Migration *m, cJSON *report)
{
	TransactionalArg ta = {m, attempt_now_ms()};
	AttemptLoop loop = {m, -1, report, cJSON_AddArrayToObject(report, "attempts"), NULL,
		attempt_transaction, &ta, 0};
	ApplyStatus status;

	r->path = m->path;
	status = attempt_loop(r, &loop);
	cJSON_AddNumberToObject(report, "duration_ms", (double) (attempt_now_ms() - ta.started_ms));
	return status;
}
