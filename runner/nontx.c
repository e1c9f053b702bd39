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

#include "log.h"

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

/*
 * At the point a file resumes: true when the statement is a concurrent
 * index build whose index already exists, valid, on its table. A runner
 * killed while the build ran leaves that state when the server finished
 * the build before it noticed the client was gone; running the statement
 * again would fail with "already exists", so it counts as done.
 */
static bool
index_already_built(Runner *r, const Statement *st, char **quoted_index)
{
	static const char *sql =
		"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
		"FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
		"JOIN pg_namespace n ON n.oid = c.relnamespace "
		"WHERE i.indisvalid AND c.relname = $1 AND i.indrelid = to_regclass($2)";
	char *relation = NULL;
	const char *name = NULL;
	PgError err = {0};
	PgResult *res = NULL;
	bool built = false;

	*quoted_index = NULL;
	if (index_target(r, st, &relation, &name) && name &&
		cJSON_GetObjectItemCaseSensitive(st->tree, "IndexStmt")) {
		const char *params[] = {name, relation};

		res = pgsql_query(r->conn, sql, 2, params, &err);
		if (res && pgresult_rows(res) > 0) {
			*quoted_index = xstrdup(pgresult_get(res, 0, 0));
			built = true;
		} else if (res == NULL) {
			log_warn("cannot look for index %s: %s", name, err.message);
			pgsql_error_free(&err);
		}
	}
	pgresult_free(res);
	free(relation);
	return built;
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

/* One statement being retried, and what its attempts need. */
typedef struct NontxStatement {
	const Migration *m;
	int index;
	bool builds_index;       /* CREATE / REINDEX INDEX CONCURRENTLY */
	char *relation;          /* the table (or index) it builds on, quoted */
	const char *ours;        /* the index name whose invalid leftovers are ours */
	cJSON *dropped;          /* the report's invalid_indexes_dropped */
} NontxStatement;

/*
 * AttemptFn of a non-transactional statement: session-level timeouts, our
 * invalid leftovers dropped, the statement, and the invalid index a failed
 * build left dropped.
 */
static void
nontx_attempt(Runner *r, int n, int64_t lock_timeout_ms, const cJSON *attempts, void *arg,
			  StatementRun *run, int *statement)
{
	NontxStatement *ns = arg;
	int64_t start = attempt_now_ms();
	StrList before = {0};

	(void) n;
	(void) attempts;
	memset(run, 0, sizeof *run);
	*statement = ns->index;
	if (r->watcher)
		watcher_begin(r->watcher, pgsql_backend_pid(r->conn));
	if (!attempt_set_timeout(r->conn, false, "lock_timeout", lock_timeout_ms, &run->err) ||
		!attempt_set_timeout(r->conn, false, "statement_timeout", r->schedule.statement_timeout_ms,
							 &run->err))
		run->outcome = pgsql_is_ok(r->conn) ? OUTCOME_ERROR : OUTCOME_CONNECTION;
	else if (!ns->builds_index ||
			 cleanup_before(r, ns->m, ns->relation, ns->ours, &before, ns->dropped, run)) {
		attempt_run_free(run);
		attempt_run_statement(r, ns->m->stmts[ns->index].sql, run);
	}
	if (run->outcome != OUTCOME_APPLIED && ns->builds_index && pgsql_is_ok(r->conn))
		cleanup_after(r, ns->m, ns->relation, &before, ns->dropped);
	strlist_free(&before);
	run->ms = attempt_now_ms() - start;   /* cleanups included: they wait too */
}

/*
 * Runs statement i with its own retry budget. The attempts go to
 * `attempts` (the report) and `stmt_log` (its history entry).
 */
static ApplyStatus
nontx_statement(Runner *r, const Migration *m, int i, cJSON *report, cJSON *attempts,
				cJSON *stmt_log, cJSON *dropped, int *nattempts)
{
	NontxStatement ns = {m, i, false, NULL, NULL, dropped};
	AttemptLoop loop = {m, i, report, attempts, stmt_log, nontx_attempt, &ns, 0};
	ApplyStatus status;

	ns.builds_index = index_target(r, &m->stmts[i], &ns.relation, &ns.ours);
	status = attempt_loop(r, &loop);
	*nattempts = loop.attempts_made;
	free(ns.relation);
	return status;
}

ApplyStatus
nontx_apply(Runner *r, const Migration *m, cJSON *report)
{
	cJSON *attempts = cJSON_AddArrayToObject(report, "attempts");
	cJSON *dropped = cJSON_AddArrayToObject(report, "invalid_indexes_dropped");
	cJSON *found = cJSON_AddArrayToObject(report, "indexes_found_built");
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
		char *built = NULL;

		if (attempt_is_transaction_control(&m->stmts[i]))
			log_info("%s:%d:%d: skipping %s in a non-transactional migration", m->path,
					 m->stmts[i].line, m->stmts[i].column,
					 m->stmts[i].analysis.kind ? m->stmts[i].analysis.kind : "it");
		else if ((int) i == first && index_already_built(r, &m->stmts[i], &built)) {
			log_warn("[%d/%d] %s:%d:%d: index %s already exists and is valid: an interrupted run "
					 "built it; counting the statement as done", r->index, r->total, m->path,
					 m->stmts[i].line, m->stmts[i].column, built);
			cJSON_AddItemToArray(found, cJSON_CreateString(built));
			free(built);
		} else
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
