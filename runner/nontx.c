/*
 * nontx.c — non-transactional migrations (-- migsafe:no-transaction,
 * dbmate transaction:false, or CONCURRENTLY / VACUUM statements): each
 * statement runs on its own with session-level timeouts and its own retry
 * budget, and its completion is recorded in the history table so that a
 * rerun resumes at the first unfinished statement.
 *
 * A failed CREATE / REINDEX INDEX CONCURRENTLY leaves an invalid index
 * behind; it is dropped with DROP INDEX CONCURRENTLY before the statement
 * is tried again (also when a killed runner left it).
 */
#include "attempt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "log.h"
#include "precheck.h"

/* Invalid indexes on the table a statement builds an index on. */
static const char *invalid_indexes_sql =
	"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relname "
	"FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE NOT i.indisvalid AND i.indrelid IN "
	"  (SELECT to_regclass($1) UNION ALL "
	"   SELECT indrelid FROM pg_index WHERE indexrelid = to_regclass($1)) "
	"ORDER BY 1";

/*
 * What a concurrent index statement builds: the table (or, for REINDEX
 * INDEX, the index) it names, quoted, and the name of the index whose
 * leftovers are ours: the new index's name, or the reindexed one's.
 * False for any other statement.
 */
static bool
index_target(Runner *r, const Statement *st, char **relation, const char **index_name)
{
	const cJSON *node, *rel, *schema, *name;

	*relation = NULL;
	*index_name = NULL;
	if (st->tree == NULL || st->analysis.transactional)
		return false;
	if ((node = cJSON_GetObjectItemCaseSensitive(st->tree, "IndexStmt")) != NULL) {
		const cJSON *idx = cJSON_GetObjectItemCaseSensitive(node, "idxname");

		*index_name = cJSON_IsString(idx) ? idx->valuestring : NULL;
	} else if ((node = cJSON_GetObjectItemCaseSensitive(st->tree, "ReindexStmt")) == NULL)
		return false;
	rel = cJSON_GetObjectItemCaseSensitive(node, "relation");
	name = rel ? cJSON_GetObjectItemCaseSensitive(rel, "relname") : NULL;
	schema = rel ? cJSON_GetObjectItemCaseSensitive(rel, "schemaname") : NULL;
	if (!cJSON_IsString(name))
		return false;
	if (cJSON_GetObjectItemCaseSensitive(st->tree, "ReindexStmt"))
		*index_name = name->valuestring;
	if (cJSON_IsString(schema)) {
		char *q = xasprintf("%s.%s", schema->valuestring, name->valuestring);

		*relation = pgsql_quote_qualified(r->conn, q);
		free(q);
	} else
		*relation = pgsql_quote_ident(r->conn, name->valuestring);
	return true;
}

/* Invalid indexes on relation: quoted names in quoted, bare names in bare. */
static bool
invalid_indexes(Runner *r, const char *relation, StrList *quoted, StrList *bare)
{
	const char *params[] = {relation};
	PgError err = {0};
	PgResult *res = pgsql_query(r->conn, invalid_indexes_sql, 1, params, &err);

	if (res == NULL) {
		log_warn("cannot look for invalid indexes on %s: %s", relation, err.message);
		pgsql_error_free(&err);
		return false;
	}
	for (int i = 0; i < pgresult_rows(res); i++) {
		strlist_add(quoted, pgresult_get(res, i, 0));
		if (bare)
			strlist_add(bare, pgresult_get(res, i, 1));
	}
	pgresult_free(res);
	return true;
}

/*
 * Drops an invalid index concurrently, watched like a statement of the
 * migration (it waits for the same transactions the build did, under the
 * attempt's lock_timeout), and notes it in the report. False with run
 * filled when it could not; `quiet` logs that only at debug level.
 */
static bool
drop_invalid_index(Runner *r, const Migration *m, const char *quoted, cJSON *dropped,
				   StatementRun *run, bool quiet)
{
	char *sql = xasprintf("DROP INDEX CONCURRENTLY IF EXISTS %s", quoted);
	bool ok;

	attempt_run_statement(r, sql, run);
	ok = run->outcome == OUTCOME_APPLIED;
	if (ok)
		log_info("[%d/%d] %s: dropped invalid index %s left by a failed concurrent build",
				 r->index, r->total, m->path, quoted);
	else
		(quiet ? log_debug : log_warn)("[%d/%d] %s: cannot drop invalid index %s yet: %s",
									   r->index, r->total, m->path, quoted,
									   run->err.message ? run->err.message : "");
	if (ok)
		cJSON_AddItemToArray(dropped, cJSON_CreateString(quoted));
	free(sql);
	return ok;
}

/*
 * True when name is one of ours: the index the statement builds, or the
 * "<name>_ccnew[N]" copy REINDEX CONCURRENTLY builds.
 */
static bool
index_is_ours(const char *name, const char *ours)
{
	size_t n;

	if (ours == NULL)
		return false;
	if (strcmp(name, ours) == 0)
		return true;
	n = strlen(ours);
	return strncmp(name, ours, n) == 0 && strncmp(name + n, "_ccnew", 6) == 0;
}

/*
 * Before an attempt: drops our leftovers, and lists the other invalid
 * indexes. False with err filled when a leftover could not be dropped (the
 * statement would then fail on it: the attempt ends there).
 */
static bool
cleanup_before(Runner *r, const Migration *m, const char *relation, const char *ours,
			   StrList *before, cJSON *dropped, StatementRun *run)
{
	StrList quoted = {0}, bare = {0};
	bool ok = true;

	if (invalid_indexes(r, relation, &quoted, &bare)) {
		for (size_t i = 0; i < quoted.count && ok; i++) {
			if (index_is_ours(bare.items[i], ours))
				ok = drop_invalid_index(r, m, quoted.items[i], dropped, run, false);
			else
				strlist_add(before, quoted.items[i]);
		}
	}
	strlist_free(&quoted);
	strlist_free(&bare);
	return ok;
}

/*
 * After a failed attempt: drops the invalid indexes that it left. One that
 * cannot be dropped now (its drop waits too) is dropped before the next
 * attempt, which finds it by name.
 */
static void
cleanup_after(Runner *r, const Migration *m, const char *relation, const StrList *before,
			  cJSON *dropped)
{
	StrList quoted = {0};

	if (invalid_indexes(r, relation, &quoted, NULL))
		for (size_t i = 0; i < quoted.count; i++) {
			StatementRun run;

			if (strlist_contains(before, quoted.items[i]))
				continue;
			drop_invalid_index(r, m, quoted.items[i], dropped, &run, true);
			attempt_run_free(&run);
		}
	strlist_free(&quoted);
}

/* Records that statements [0, done) are applied; the whole file when done == nstmts. */
static bool
record_progress(Runner *r, const Migration *m, int done, int attempts, int64_t ms,
				const cJSON *log_doc)
{
	HistoryEntry e = {m, (size_t) done == m->nstmts ? HISTORY_APPLIED : HISTORY_PARTIAL, done, ms,
		attempts, log_doc, r->git_commit};
	PgError err = {0};

	if (history_record(r->conn, r->history, &e, &err))
		return true;
	log_error("cannot record the progress of %s in the history table: %s", m->path, err.message);
	pgsql_error_free(&err);
	return false;
}

/*
 * Runs statement i with its own retry budget. The attempts go to
 * `attempts` (the report) and `stmt_log` (its history entry).
 */
static ApplyStatus
nontx_statement(Runner *r, const Migration *m, int i, cJSON *report, cJSON *attempts,
				cJSON *stmt_log, cJSON *dropped, int *nattempts)
{
	const Statement *st = &m->stmts[i];
	char *relation = NULL;
	const char *ours = NULL;
	bool builds_index = index_target(r, st, &relation, &ours);
	int64_t spent = 0;
	ApplyStatus status = APPLY_GAVE_UP;

	for (int n = 1;; n++) {
		int64_t lt = retry_lock_timeout(&r->schedule, n), sleep_ms = 0, t_attempt;
		StrList before = {0};
		StatementRun run;
		cJSON *aj;

		*nattempts = n;
		if (!retry_may_attempt(&r->schedule, n, spent)) {
			log_error("[%d/%d] %s:%d:%d: gave up after %d attempts and %llds of lock waits",
					  r->index, r->total, m->path, st->line, st->column, n - 1,
					  (long long) (spent / 1000));
			*nattempts = n - 1;
			break;
		}
		switch (precheck_before_statement(r->conn, r->opts, m, i, report)) {
		case PRECHECK_PROCEED:
			break;
		case PRECHECK_GAVE_UP:
			status = APPLY_GAVE_UP;
			goto done;
		case PRECHECK_ERROR:
			status = APPLY_CONNECTION;
			goto done;
		}
		if (*r->interrupted) {
			status = APPLY_INTERRUPTED;
			break;
		}
		memset(&run, 0, sizeof run);
		t_attempt = attempt_now_ms();
		if (r->watcher)
			watcher_begin(r->watcher, pgsql_backend_pid(r->conn));
		if (!attempt_set_timeout(r->conn, false, "lock_timeout", lt, &run.err) ||
			!attempt_set_timeout(r->conn, false, "statement_timeout",
								 r->schedule.statement_timeout_ms, &run.err))
			run.outcome = pgsql_is_ok(r->conn) ? OUTCOME_ERROR : OUTCOME_CONNECTION;
		else if (!builds_index || cleanup_before(r, m, relation, ours, &before, dropped, &run)) {
			attempt_run_free(&run);
			attempt_run_statement(r, st->sql, &run);
		}
		if (run.outcome != OUTCOME_APPLIED && builds_index && pgsql_is_ok(r->conn))
			cleanup_after(r, m, relation, &before, dropped);
		strlist_free(&before);
		run.ms = attempt_now_ms() - t_attempt;   /* cleanups included: they wait too */

		aj = attempt_json(r, n, lt, i, &run);
		spent += run.ms;
		if (attempt_outcome_retryable(run.outcome) && n < r->schedule.max_attempts &&
			spent < r->schedule.max_wait_ms) {
			sleep_ms = retry_sleep(&r->schedule, n, retry_random());
			if (sleep_ms > r->schedule.max_wait_ms - spent)
				sleep_ms = r->schedule.max_wait_ms - spent;
			cJSON_ReplaceItemInObjectCaseSensitive(aj, "slept_ms", cJSON_CreateNumber((double) sleep_ms));
		}
		cJSON_AddItemToArray(attempts, aj);
		cJSON_AddItemToArray(stmt_log, cJSON_Duplicate(aj, true));
		attempt_log_progress(r, m, n, lt, &run, sleep_ms);

		if (run.outcome == OUTCOME_APPLIED)
			status = APPLY_APPLIED;
		else if (run.outcome == OUTCOME_INTERRUPTED || *r->interrupted)
			status = APPLY_INTERRUPTED;
		else if (run.outcome == OUTCOME_CONNECTION) {
			log_error("%s: connection lost: %s", m->path, run.err.message ? run.err.message : "");
			status = APPLY_CONNECTION;
		} else if (!attempt_outcome_retryable(run.outcome)) {
			attempt_log_error(m, st, &run.err);
			status = APPLY_FAILED;
		}
		attempt_run_free(&run);
		if (status != APPLY_GAVE_UP)
			break;
		if (!attempt_sleep(r, sleep_ms)) {
			status = APPLY_INTERRUPTED;
			break;
		}
		spent += sleep_ms;
	}
done:
	free(relation);
	return status;
}

ApplyStatus
nontx_apply(Runner *r, const Migration *m, cJSON *report)
{
	cJSON *attempts = cJSON_AddArrayToObject(report, "attempts");
	cJSON *dropped = cJSON_AddArrayToObject(report, "invalid_indexes_dropped");
	const HistoryRow *row = history_find(r->history, m->version);
	int first = row && strcmp(row->status, HISTORY_PARTIAL) == 0 ? row->statements_done : 0;
	int64_t started = attempt_now_ms();
	ApplyStatus status = APPLY_APPLIED;
	PgError err = {0};

	r->path = m->path;
	cJSON_AddBoolToObject(report, "transactional", false);
	cJSON_AddNumberToObject(report, "resumed_at_statement", first);
	if (first > 0)
		log_info("[%d/%d] %s: resuming at statement %d of %zu (the earlier ones are recorded as applied)",
				 r->index, r->total, m->path, first + 1, m->nstmts);
	if (m->nstmts == 0 && !record_progress(r, m, 0, 0, 0, NULL))
		status = APPLY_CONNECTION;
	for (size_t i = (size_t) first; i < m->nstmts && status == APPLY_APPLIED; i++) {
		cJSON *stmt_log = cJSON_CreateArray();
		int64_t t0 = attempt_now_ms();
		int nattempts = 0;

		if (attempt_is_transaction_control(&m->stmts[i]))
			log_info("%s:%d:%d: skipping %s in a non-transactional migration", m->path,
					 m->stmts[i].line, m->stmts[i].column,
					 m->stmts[i].analysis.kind ? m->stmts[i].analysis.kind : "it");
		else
			status = nontx_statement(r, m, (int) i, report, attempts, stmt_log, dropped,
									 &nattempts);
		if (status == APPLY_APPLIED &&
			!record_progress(r, m, (int) i + 1, nattempts, attempt_now_ms() - t0, stmt_log))
			status = pgsql_is_ok(r->conn) ? APPLY_FAILED : APPLY_CONNECTION;
		cJSON_Delete(stmt_log);
	}
	/* The session's timeouts go back to the server's for whatever runs next. */
	if (pgsql_is_ok(r->conn) && (!pgsql_exec(r->conn, "RESET lock_timeout", &err) ||
								 !pgsql_exec(r->conn, "RESET statement_timeout", &err))) {
		log_warn("cannot reset session timeouts: %s", err.message);
		pgsql_error_free(&err);
	}
	cJSON_AddNumberToObject(report, "duration_ms", (double) (attempt_now_ms() - started));
	return status;
}
