/*
 * history.c — the history table: created on first use, read, written.
 */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "duration.h"
#include "log.h"

/* Environment variables naming the CI job, the first one set wins. */
static const char *const ci_job_vars[] = {
	"MIGSAFE_CI_JOB", "GITHUB_RUN_ID", "CI_JOB_ID", "BUILD_ID", "BUILDKITE_JOB_ID",
	"CIRCLE_WORKFLOW_JOB_ID", "JENKINS_BUILD_ID",
};

/* Environment variables naming the deployed git commit, when the files are not in a repository. */
static const char *const git_commit_vars[] = {
	"MIGSAFE_GIT_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT", "CIRCLE_SHA1",
	"GIT_COMMIT",
};

#define HISTORY_COLUMNS \
	"version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, " \
	"status text NOT NULL, statements_done integer NOT NULL DEFAULT 0, " \
	"applied_at timestamptz NOT NULL DEFAULT now(), duration_ms bigint NOT NULL DEFAULT 0, " \
	"attempts integer NOT NULL DEFAULT 0, attempt_log jsonb, " \
	"applied_by text NOT NULL DEFAULT current_user, client_host text DEFAULT inet_client_addr()::text, " \
	"ci_job text, git_commit text, migsafe_version text"

/* The first environment variable of the list that is set, or NULL. */
static const char *
first_env(const char *const *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = getenv(vars[i]);

		if (v && v[0])
			return v;
	}
	return NULL;
}

/* True when the relation named (quoted) exists; false also on error (logged). */
static bool
relation_exists(PgConn *conn, const char *quoted, bool *exists)
{
	const char *params[] = {quoted};
	PgError err = {0};
	PgResult *r = pgsql_query(conn, "SELECT to_regclass($1) IS NOT NULL", 1, params, &err);

	if (r == NULL) {
		log_error("cannot look up history table %s: %s", quoted, err.message);
		pgsql_error_free(&err);
		return false;
	}
	*exists = pgresult_get_bool(r, 0, 0);
	pgresult_free(r);
	return true;
}

/* Runs sql, logging a failure with what it was for. */
static bool
exec_logged(PgConn *conn, const char *sql, const char *what)
{
	PgError err = {0};

	if (pgsql_exec(conn, sql, &err))
		return true;
	log_error("%s: %s%s%s [%s]", what, err.message, err.hint ? "; hint: " : "",
			  err.hint ? err.hint : "", err.sqlstate);
	pgsql_error_free(&err);
	return false;
}

bool
history_ensure(PgConn *conn, const char *table, History *h)
{
	const char *dot = strchr(table, '.');
	char timeout[32], *sql = NULL;
	bool exists = false, ok = false;

	if (h->table == NULL)
		h->table = pgsql_quote_qualified(conn, table);
	if (!relation_exists(conn, h->table, &exists))
		return false;
	if (exists)
		return true;

	log_info("creating history table %s", table);
	duration_format(DEFAULT_HISTORY_LOCK_TIMEOUT_MS, timeout, sizeof timeout);
	sql = xasprintf("SET lock_timeout = '%s'", timeout);
	if (!exec_logged(conn, sql, "cannot set lock_timeout"))
		goto done;
	free(sql);
	sql = NULL;
	if (dot) {
		char *schema = xstrndup(table, (size_t) (dot - table));
		char *qschema = pgsql_quote_ident(conn, schema);

		sql = xasprintf("CREATE SCHEMA IF NOT EXISTS %s", qschema);
		free(schema);
		free(qschema);
		if (!exec_logged(conn, sql, "cannot create the history table's schema"))
			goto reset;
		free(sql);
	}
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (" HISTORY_COLUMNS ")", h->table);
	ok = exec_logged(conn, sql, "cannot create the history table");
reset:
	ok = exec_logged(conn, "RESET lock_timeout", "cannot reset lock_timeout") && ok;
done:
	free(sql);
	return ok;
}

bool
history_load(PgConn *conn, const char *table, History *h, bool *exists)
{
	PgError err = {0};
	PgResult *r;
	char *sql;

	if (h->table == NULL)
		h->table = pgsql_quote_qualified(conn, table);
	if (!relation_exists(conn, h->table, exists))
		return false;
	if (!*exists)
		return true;
	sql = xasprintf("SELECT version, name, checksum, status, statements_done, "
					"to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
					"attempts FROM %s ORDER BY applied_at, version", h->table);
	r = pgsql_query(conn, sql, 0, NULL, &err);
	free(sql);
	if (r == NULL) {
		log_error("cannot read history table %s: %s", table, err.message);
		pgsql_error_free(&err);
		return false;
	}
	for (int i = 0; i < pgresult_rows(r); i++) {
		HistoryRow *row;

		array_reserve((void **) &h->rows, &h->cap, h->count, sizeof *h->rows);
		row = &h->rows[h->count++];
		row->version = xstrdup(pgresult_get(r, i, 0));
		row->name = xstrdup(pgresult_get(r, i, 1));
		row->checksum = xstrdup(pgresult_get(r, i, 2));
		row->status = xstrdup(pgresult_get(r, i, 3));
		row->statements_done = (int) pgresult_get_int(r, i, 4, 0);
		row->applied_at = xstrdup(pgresult_get(r, i, 5));
		row->attempts = (int) pgresult_get_int(r, i, 6, 0);
	}
	pgresult_free(r);
	return true;
}

const HistoryRow *
history_find(const History *h, const char *version)
{
	for (size_t i = 0; i < h->count; i++)
		if (strcmp(h->rows[i].version, version) == 0)
			return &h->rows[i];
	return NULL;
}

void
history_free(History *h)
{
	for (size_t i = 0; i < h->count; i++) {
		free(h->rows[i].version);
		free(h->rows[i].name);
		free(h->rows[i].checksum);
		free(h->rows[i].status);
		free(h->rows[i].applied_at);
	}
	free(h->rows);
	free(h->table);
	memset(h, 0, sizeof *h);
}

/* The milliseconds since the transaction began, as the server counts them. */
#define SERVER_ELAPSED_MS "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint"

/* The number of parameters of row_sql. */
#define ROW_NPARAMS 11

/* e's row as the text parameters of row_sql; free with row_params_free. */
typedef struct RowParams {
	char done[16];
	char duration[32];
	char attempts[16];
	char *log_text;
	const char *values[ROW_NPARAMS];
} RowParams;

static void
row_params_fill(RowParams *p, const HistoryEntry *e)
{
	snprintf(p->done, sizeof p->done, "%d", e->statements_done);
	snprintf(p->duration, sizeof p->duration, "%lld", (long long) e->duration_ms);
	snprintf(p->attempts, sizeof p->attempts, "%d", e->attempts);
	p->log_text = e->attempt_log ? cJSON_PrintUnformatted(e->attempt_log) : NULL;
	p->values[0] = e->m->version;
	p->values[1] = e->m->name;
	p->values[2] = e->m->checksum;
	p->values[3] = e->status;
	p->values[4] = p->done;
	p->values[5] = p->duration;
	p->values[6] = p->attempts;
	p->values[7] = p->log_text;
	p->values[8] = first_env(ci_job_vars, sizeof ci_job_vars / sizeof ci_job_vars[0]);
	p->values[9] = e->git_commit ? e->git_commit :
		first_env(git_commit_vars, sizeof git_commit_vars / sizeof git_commit_vars[0]);
	p->values[10] = MIGSAFE_VERSION;
}

static void
row_params_free(RowParams *p)
{
	free(p->log_text);
}

/*
 * The INSERT (or update) of a row, its values in RowParams' order. With
 * server_timed the server adds the time since BEGIN to the duration and
 * writes it as the last attempt's waited_ms: the row is sent before the
 * statement it records has run.
 */
static char *
row_sql(const History *h, bool server_timed)
{
	return xasprintf(
		"INSERT INTO %s AS h (version, name, checksum, status, statements_done, duration_ms, "
		"attempts, attempt_log, ci_job, git_commit, migsafe_version) "
		"VALUES ($1, $2, $3, $4, $5, %s, $7, %s, $9, $10, $11) "
		"ON CONFLICT (version) DO UPDATE SET name = excluded.name, checksum = excluded.checksum, "
		"status = excluded.status, statements_done = excluded.statements_done, "
		"applied_at = now(), duration_ms = h.duration_ms + excluded.duration_ms, "
		"attempts = h.attempts + excluded.attempts, "
		"attempt_log = coalesce(h.attempt_log, '[]'::jsonb) || coalesce(excluded.attempt_log, '[]'::jsonb), "
		"applied_by = current_user, client_host = inet_client_addr()::text, "
		"ci_job = excluded.ci_job, git_commit = excluded.git_commit, "
		"migsafe_version = excluded.migsafe_version", h->table,
		server_timed ? "$6::bigint + " SERVER_ELAPSED_MS : "$6",
		server_timed ? "jsonb_set($8::jsonb, '{-1,waited_ms}', to_jsonb(" SERVER_ELAPSED_MS "))"
		: "$8");
}

/*
 * Inserts or updates e's row; with then_commit, COMMIT goes with it in one
 * round trip (pgsql_query_then_commit).
 */
static PgCommitOutcome
record(PgConn *conn, const History *h, const HistoryEntry *e, bool then_commit, PgError *err)
{
	RowParams p;
	char *sql = row_sql(h, false);
	PgCommitOutcome outcome = PG_COMMITTED;

	row_params_fill(&p, e);
	if (then_commit) {
		outcome = pgsql_query_then_commit(conn, sql, ROW_NPARAMS, p.values, err);
	} else {
		PgResult *r = pgsql_query(conn, sql, ROW_NPARAMS, p.values, err);

		if (r == NULL)
			outcome = PG_QUERY_FAILED;
		pgresult_free(r);
	}
	free(sql);
	row_params_free(&p);
	return outcome;
}

bool
history_send_with_statement(PgConn *conn, const History *h, const HistoryEntry *e,
							const char *stmt_sql, PgError *err)
{
	RowParams p;
	char *sql = row_sql(h, true);
	bool ok;

	row_params_fill(&p, e);
	ok = pgsql_send_then_commit(conn, stmt_sql, sql, ROW_NPARAMS, p.values, err);
	free(sql);
	row_params_free(&p);
	return ok;
}

bool
history_record(PgConn *conn, const History *h, const HistoryEntry *e, PgError *err)
{
	return record(conn, h, e, false, err) == PG_COMMITTED;
}

PgCommitOutcome
history_record_and_commit(PgConn *conn, const History *h, const HistoryEntry *e, PgError *err)
{
	return record(conn, h, e, true, err);
}
