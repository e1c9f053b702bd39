/*
 * cli_dry_run.c — migsafe dry-run: run the pending migrations for real
 * inside a transaction that is always rolled back, record what each
 * statement locked, rewrote and cost, compare with the prediction, report.
 *
 * Two targets:
 *  - --db URL (or DATABASE_URL): a CI database or a clone. Migrations in its
 *    history are already there; the others run in ONE transaction, rolled
 *    back at the end, under a short lock_timeout. Nothing is committed.
 *  - no --db: a throwaway cluster (pgtemp). Each migration is traced in its
 *    own transaction, which is rolled back, and then applied for real so
 *    that the next one finds its schema; --commit also runs the
 *    non-transactional statements there.
 * With --since, migrations unchanged since the merge base are applied
 * first (untraced) and only the changed ones are traced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "defaults.h"
#include "duration.h"
#include "dry_run_report.h"
#include "history.h"
#include "log.h"
#include "options.h"
#include "pgtemp.h"
#include "pipeline.h"
#include "signals.h"
#include "trace.h"

#define DRY_RUN_SUMMARY "Runs the pending migrations for real inside a transaction that is " \
	"always rolled back, and reports the locks each statement took, the tables it rewrote, " \
	"how long it ran and how big those tables are, against the static prediction. Without " \
	"--db (and DATABASE_URL) it starts a throwaway PostgreSQL and removes it afterwards."

/* What the dry-run does with a migration. */
typedef enum Role {
	ROLE_TRACE = 0,          /* pending and reported: traced */
	ROLE_APPLY_FIRST,        /* --since context not in the target: run untraced, first */
	ROLE_ALREADY_APPLIED     /* in the target's history: already there */
} Role;

/* Why a dry-run stopped early; decides the exit code. */
typedef enum Stop {
	STOP_NONE = 0,
	STOP_FAILED,             /* a statement failed: exit 1 */
	STOP_LOCKS,              /* lock_timeout or watchdog: exit 3 */
	STOP_DATABASE,           /* connection or trace queries: exit 4 */
	STOP_SIGNAL              /* SIGINT/SIGTERM: 130/143 */
} Stop;

typedef struct DryRun {
	Options opts;
	MigrationList migrations;
	bool throwaway;
	PgTemp *temp;
	PgConn *conn;
	Watcher *watcher;
	Tracer tracer;
	bool in_tx;
	Role *roles;
	const char **status;     /* per migration, the report's dry_run.status */
	int *skip;               /* statements already applied (partial non-transactional) */
	TraceResult **results;   /* per migration, per statement */
	bool **done;             /* per migration, per statement: results[i][k] is filled */
	Stop stop;
} DryRun;

static const char *const reason_not_run_db =
	"cannot run inside a transaction block, and a dry-run against --db never commits: "
	"its locks are the prediction";
static const char *const reason_not_run_temp =
	"cannot run inside a transaction block: not run (pass --commit to run it for real on the "
	"throwaway server); its locks are the prediction";
static const char *const reason_after_failure = "not run: an earlier statement failed";

static const char *const reason_control =
	"transaction control: the dry-run owns the transaction, so it skips this statement";

/* TransactionStmt kinds that stay inside the dry-run's transaction; every other one ends it. */
static const char *const inner_transaction_kinds[] = {
	"TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO",
};

/*
 * True for a statement that would end or hand off the dry-run's transaction
 * (BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION, ...): never run, since on
 * --db a COMMIT would make the dry-run's changes permanent.
 */
static bool
ends_transaction(const Statement *st)
{
	const cJSON *ts = st->tree ? cJSON_GetObjectItemCaseSensitive(st->tree, "TransactionStmt") : NULL;
	const cJSON *kind = ts ? cJSON_GetObjectItemCaseSensitive(ts, "kind") : NULL;

	if (ts == NULL)
		return false;
	for (size_t i = 0; cJSON_IsString(kind) && i < sizeof inner_transaction_kinds /
		 sizeof inner_transaction_kinds[0]; i++)
		if (strcmp(kind->valuestring, inner_transaction_kinds[i]) == 0)
			return false;
	return true;
}

/* Sorts a failed statement's outcome into why the dry-run stops. */
static Stop
stop_for(const TraceResult *r)
{
	if (signals_received)
		return STOP_SIGNAL;
	if (strcmp(r->err.sqlstate, "55P03") == 0 || strcmp(r->err.sqlstate, "40P01") == 0 ||
		r->watchdog_reason)
		return STOP_LOCKS;
	if (r->err.sqlstate[0] == '\0' || pgsql_error_is_connection(&r->err))
		return STOP_DATABASE;
	return STOP_FAILED;
}

/* Logs a failed statement with its location and, when known, who blocked it. */
static void
log_failure(const Migration *m, const Statement *st, const TraceResult *r)
{
	const cJSON *b;

	log_error("%s:%d:%d: %s [%s]%s%s", m->path, st->line, st->column,
			  r->err.message ? r->err.message : "failed", r->err.sqlstate,
			  r->err.detail ? ": " : "", r->err.detail ? r->err.detail : "");
	cJSON_ArrayForEach(b, r->blockers) {
		const cJSON *pid = cJSON_GetObjectItem(b, "pid"), *state = cJSON_GetObjectItem(b, "state");
		const cJSON *mode = cJSON_GetObjectItem(b, "mode"), *rel = cJSON_GetObjectItem(b, "relation");
		const cJSON *app = cJSON_GetObjectItem(b, "application_name");

		log_error("  blocked by pid %d (%s, app=%s) holding %s on %s", pid ? pid->valueint : 0,
				  cJSON_IsString(state) ? state->valuestring : "?",
				  cJSON_IsString(app) && app->valuestring[0] ? app->valuestring : "-",
				  cJSON_IsString(mode) ? mode->valuestring : "a lock",
				  cJSON_IsString(rel) ? rel->valuestring : "?");
	}
}

/*
 * The first statement before (i, k) that the dry-run skipped because it
 * cannot run in a transaction, or NULL: a later failure may come from it
 * (an index or enum value that apply would have created).
 */
static const Statement *
skipped_before(const DryRun *d, size_t i, size_t k)
{
	for (size_t a = 0; a <= i; a++) {
		const Migration *m = d->migrations.items[a];

		for (size_t b = 0; b < m->nstmts && (a < i || b < k); b++)
			if (d->done[a][b] && d->results[a][b].state == TRACE_NOT_RUN &&
				!m->stmts[b].analysis.transactional)
				return &m->stmts[b];
	}
	return NULL;
}

/* Records a failed statement and stops the dry-run. */
static void
fail_at(DryRun *d, size_t i, size_t k)
{
	const Migration *m = d->migrations.items[i];
	const Statement *skipped;

	d->stop = stop_for(&d->results[i][k]);
	d->status[i] = "failed";
	if (d->stop == STOP_SIGNAL)
		return;
	log_failure(m, &m->stmts[k], &d->results[i][k]);
	if (d->stop == STOP_FAILED && (skipped = skipped_before(d, i, k)) != NULL)
		log_warn("dry-run: the statement at line %d (%s) was not run because it cannot run in a "
				 "transaction; this failure may come from its absence%s", skipped->line,
				 skipped->analysis.kind ? skipped->analysis.kind : "?",
				 d->throwaway ? " (--commit runs it for real on the throwaway server)" : "");
	if (d->stop == STOP_FAILED && !d->throwaway)
		log_info("dry-run: with --db every pending migration runs in one transaction; a statement "
				 "that needs an earlier migration committed (e.g. a new enum value) fails here "
				 "although apply would succeed");
}

/*
 * Stores a statement's result when keep (a reported or failed
 * statement), else drops it; a failure stops the dry-run.
 */
static void
result_keep(DryRun *d, size_t i, size_t k, TraceResult *r, bool keep)
{
	bool failed = r->state == TRACE_FAILED;

	if (keep) {
		trace_result_free(&d->results[i][k]);
		d->results[i][k] = *r;
		d->done[i][k] = true;
		memset(r, 0, sizeof *r);
	} else
		trace_result_free(r);
	if (failed)
		fail_at(d, i, k);
}

/* Opens the transaction statements run in, when none is open. */
static bool
ensure_tx(DryRun *d)
{
	PgError err = {0};

	if (d->in_tx)
		return true;
	if (!trace_begin(&d->tracer, &err)) {
		log_error("dry-run: cannot begin a transaction: %s", err.message);
		pgsql_error_free(&err);
		d->stop = STOP_DATABASE;
		return false;
	}
	d->in_tx = true;
	return true;
}

/* Rolls back the open transaction, if any. */
static void
end_tx(DryRun *d)
{
	if (d->in_tx)
		trace_rollback(&d->tracer);
	d->in_tx = false;
}

/*
 * Throwaway server: applies statements [from, to) of migration i for real
 * in one committed transaction (after they were traced and rolled back,
 * or as the already-applied part). False when one failed.
 */
static bool
commit_for_real(DryRun *d, size_t i, size_t from, size_t to)
{
	const Migration *m = d->migrations.items[i];
	PgError err = {0};

	if (from >= to)
		return true;
	if (!ensure_tx(d))
		return false;
	for (size_t k = from; k < to; k++) {
		TraceResult tmp = {0};
		bool ok;

		if (ends_transaction(&m->stmts[k]))
			continue;
		ok = trace_run_untraced(&d->tracer, &m->stmts[k], &tmp);
		result_keep(d, i, k, &tmp, !ok);
		if (!ok) {
			end_tx(d);
			return false;
		}
	}
	if (!pgsql_exec(d->conn, "COMMIT", &err)) {
		log_error("dry-run: COMMIT on the throwaway server failed: %s", err.message);
		pgsql_error_free(&err);
		d->stop = STOP_DATABASE;
		d->in_tx = false;
		return false;
	}
	d->in_tx = false;
	return true;
}

/* Runs a non-transactional statement outside any transaction, for real. */
static bool
run_outside(DryRun *d, size_t i, size_t k, bool record)
{
	TraceResult tmp = {0};
	bool ok = trace_run_for_real(&d->tracer, &d->migrations.items[i]->stmts[k], &tmp);

	result_keep(d, i, k, &tmp, record || !ok);
	return ok;
}

/* The already-applied part on a throwaway server: applied for real, untraced. */
static bool
apply_first_throwaway(DryRun *d, size_t i)
{
	const Migration *m = d->migrations.items[i];
	size_t seg = 0;

	for (size_t k = 0; k < m->nstmts; k++) {
		if (m->stmts[k].analysis.transactional || ends_transaction(&m->stmts[k]))
			continue;
		if (!commit_for_real(d, i, seg, k) || !run_outside(d, i, k, false))
			return false;
		seg = k + 1;
	}
	return commit_for_real(d, i, seg, m->nstmts);
}

/*
 * A pending migration on a throwaway server: its transactional statements
 * are traced and rolled back, then applied for real (so later migrations
 * find the schema); a non-transactional one ends the segment before it.
 */
static bool
trace_throwaway(DryRun *d, size_t i)
{
	const Migration *m = d->migrations.items[i];
	size_t seg = (size_t) d->skip[i];

	for (size_t k = (size_t) d->skip[i]; k < m->nstmts && !d->stop && !signals_received; k++) {
		TraceResult *res = &d->results[i][k];

		if (ends_transaction(&m->stmts[k])) {
			trace_not_run(&m->stmts[k], reason_control, res);
			d->done[i][k] = true;
			continue;
		}
		if (m->stmts[k].analysis.transactional) {
			if (!ensure_tx(d))
				return false;
			d->done[i][k] = true;
			if (!trace_statement(&d->tracer, &m->stmts[k], res)) {
				fail_at(d, i, k);
				end_tx(d);
				return false;
			}
			continue;
		}
		end_tx(d);
		if (!commit_for_real(d, i, seg, k))
			return false;
		seg = k + 1;
		if (d->opts.commit) {
			if (!run_outside(d, i, k, true))
				return false;
		} else {
			trace_not_run(&m->stmts[k], reason_not_run_temp, res);
			d->done[i][k] = true;
		}
	}
	end_tx(d);
	return commit_for_real(d, i, seg, m->nstmts);
}

/* A migration on --db: inside the one transaction that is rolled back at the end. */
static bool
trace_in_db(DryRun *d, size_t i)
{
	const Migration *m = d->migrations.items[i];

	if (!ensure_tx(d))
		return false;
	for (size_t k = (size_t) d->skip[i]; k < m->nstmts && !signals_received; k++) {
		TraceResult *res = &d->results[i][k];
		const Statement *st = &m->stmts[k];
		bool ok;

		if (ends_transaction(st)) {
			trace_not_run(st, reason_control, res);
			d->done[i][k] = true;
			continue;
		}
		if (!st->analysis.transactional) {
			if (d->roles[i] == ROLE_APPLY_FIRST)
				log_warn("%s:%d:%d: cannot run inside the dry-run's transaction: skipped, later "
						 "statements may fail", m->path, st->line, st->column);
			trace_not_run(st, reason_not_run_db, res);
			d->done[i][k] = true;
			continue;
		}
		if (d->roles[i] == ROLE_APPLY_FIRST) {
			TraceResult tmp = {0};

			ok = trace_run_untraced(&d->tracer, st, &tmp);
			result_keep(d, i, k, &tmp, !ok);
		} else {
			d->done[i][k] = true;
			ok = trace_statement(&d->tracer, st, res);
			if (!ok)
				fail_at(d, i, k);
		}
		if (!ok)
			return false;
	}
	return true;
}

/* Decides each migration's role from the target's history and --since. */
static bool
assign_roles(DryRun *d)
{
	History h = {0};
	bool exists = false;

	if (!d->throwaway) {
		if (!history_load(d->conn, d->opts.history_table, &h, &exists)) {
			d->stop = STOP_DATABASE;
			return false;
		}
		if (!exists)
			log_info("dry-run: no history table %s in the target: every migration counts as "
					 "pending", d->opts.history_table);
	}
	for (size_t i = 0; i < d->migrations.count; i++) {
		Migration *m = d->migrations.items[i];
		const HistoryRow *row = exists ? history_find(&h, m->version) : NULL;

		d->roles[i] = m->context_only ? ROLE_APPLY_FIRST : ROLE_TRACE;
		d->status[i] = "not-run";
		if (row && strcmp(row->status, HISTORY_APPLIED) == 0) {
			bool changed = strcmp(row->checksum, m->checksum) != 0;

			d->roles[i] = ROLE_ALREADY_APPLIED;
			d->status[i] = changed ? "already-applied-changed" : "already-applied";
			/* known to the analysis; reported only when its file changed since */
			m->context_only = !changed;
			if (changed)
				log_warn("%s: changed since it was applied (checksum %s, applied %s): the target "
						 "has the old version, the change is not traced", m->path, m->checksum,
						 row->checksum);
		} else if (row && strcmp(row->status, HISTORY_PARTIAL) == 0) {
			d->skip[i] = row->statements_done;
			if ((size_t) d->skip[i] > m->nstmts)
				d->skip[i] = (int) m->nstmts;
		}
	}
	history_free(&h);
	return true;
}

/* "traced", "partly-traced" or "not-traced": how much of a pending migration was observed. */
static const char *
traced_status(const DryRun *d, size_t i)
{
	size_t n = d->migrations.items[i]->nstmts, traced = 0;

	for (size_t k = 0; k < n; k++)
		traced += d->done[i][k] && d->results[i][k].state == TRACE_TRACED;
	if (traced == n)
		return "traced";
	return traced ? "partly-traced" : "not-traced";
}

/* Runs every migration by its role, in order, until the end or the first failure. */
static void
dry_run_all(DryRun *d)
{
	for (size_t i = 0; i < d->migrations.count && !d->stop && !signals_received; i++) {
		const Migration *m = d->migrations.items[i];
		bool ok;

		if (d->roles[i] == ROLE_ALREADY_APPLIED)
			continue;
		for (int k = 0; k < d->skip[i]; k++) {
			trace_not_run(&m->stmts[k], "already applied (partial progress in the history)",
						  &d->results[i][k]);
			d->done[i][k] = true;
		}
		log_info("[%zu/%zu] %s: %s", i + 1, d->migrations.count, m->path,
				 d->roles[i] == ROLE_APPLY_FIRST ? "applying first (unchanged, untraced)" :
				 "tracing");
		if (d->throwaway)
			ok = d->roles[i] == ROLE_APPLY_FIRST ? apply_first_throwaway(d, i) :
				trace_throwaway(d, i);
		else
			ok = trace_in_db(d, i);
		if (ok)
			d->status[i] = d->roles[i] == ROLE_APPLY_FIRST ? "applied-first" : traced_status(d, i);
	}
	end_tx(d);
	if (signals_received && d->stop == STOP_NONE)
		d->stop = STOP_SIGNAL;
}

/* Statements never reached are reported with their prediction and why. */
static void
fill_unreached(DryRun *d)
{
	for (size_t i = 0; i < d->migrations.count; i++) {
		const Migration *m = d->migrations.items[i];

		for (size_t k = 0; k < m->nstmts; k++) {
			if (d->done[i][k])
				continue;
			trace_not_run(&m->stmts[k], d->roles[i] == ROLE_ALREADY_APPLIED ?
						  "already applied in the target (its history table)" :
						  d->stop ? reason_after_failure : "not run", &d->results[i][k]);
			d->done[i][k] = true;
		}
	}
}

/* SIGHUP: recorded like SIGINT/SIGTERM, so the transaction is rolled back and the server removed. */
static void
dry_run_on_hangup(int sig)
{
	if (signals_received == 0)
		signals_received = sig;
	pgsql_cancel_from_signal();
}

/*
 * SIGINT and SIGTERM as apply handles them; SIGHUP (the terminal went away)
 * the same way; SIGPIPE ignored, so that a closed stdout or stderr (a pager
 * quit early) makes writes fail instead of killing migsafe before it stops
 * the throwaway server.
 */
static void
dry_run_signals(void)
{
	struct sigaction sa;

	signals_install();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = dry_run_on_hangup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Connects to the target, or starts the throwaway server. */
static bool
dry_run_connect(DryRun *d)
{
	const char *conninfo;
	char lt[32];

	if (d->throwaway) {
		d->temp = pgtemp_start();
		if (d->temp == NULL)
			return false;
		conninfo = pgtemp_conninfo(d->temp);
	} else {
		conninfo = options_conninfo(&d->opts);
		duration_format(d->opts.lock_timeout_ms, lt, sizeof lt);
		log_info("dry-run: the statements take real locks on the target, each wait bounded by "
				 "lock_timeout %s (--lock-timeout); everything is rolled back", lt);
	}
	d->conn = pgsql_connect(conninfo, "migsafe dry-run");
	if (d->conn == NULL)
		return false;
	pgsql_set_signal_target(d->conn);
	if (d->opts.redact_queries)
		pgsql_redact_errors(d->conn);
	d->watcher = watcher_new(conninfo, &d->opts);
	if (d->watcher == NULL)
		log_warn("dry-run: no watcher connection: blockers will not be named");
	d->tracer.conn = d->conn;
	d->tracer.watcher = d->watcher;
	d->tracer.opts = &d->opts;
	return true;
}

/* Allocates the per-migration and per-statement tables. */
static void
dry_run_alloc(DryRun *d)
{
	size_t n = d->migrations.count;

	d->roles = xcalloc(n + 1, sizeof *d->roles);
	d->status = xcalloc(n + 1, sizeof *d->status);
	d->skip = xcalloc(n + 1, sizeof *d->skip);
	d->results = xcalloc(n + 1, sizeof *d->results);
	d->done = xcalloc(n + 1, sizeof *d->done);
	for (size_t i = 0; i < n; i++) {
		d->results[i] = xcalloc(d->migrations.items[i]->nstmts + 1, sizeof(TraceResult));
		d->done[i] = xcalloc(d->migrations.items[i]->nstmts + 1, sizeof(bool));
		d->status[i] = "not-run";
	}
}

/* Releases everything: results, connections, the throwaway server (stopped and removed). */
static void
dry_run_free(DryRun *d)
{
	tracer_cleanup(&d->tracer);
	for (size_t i = 0; d->results && i < d->migrations.count; i++) {
		for (size_t k = 0; k < d->migrations.items[i]->nstmts; k++)
			trace_result_free(&d->results[i][k]);
		free(d->results[i]);
		free(d->done[i]);
	}
	free(d->results);
	free(d->done);
	free(d->roles);
	free(d->status);
	free(d->skip);
	watcher_free(d->watcher);
	pgsql_set_signal_target(NULL);
	pgsql_close(d->conn);
	pgtemp_stop(d->temp);
	migration_list_free(&d->migrations);
	options_free(&d->opts);
}

/* The exit code: signal, then trace failures, then findings under --fail-on. */
static int
dry_run_exit_code(const DryRun *d)
{
	static const int codes[] = {
		[STOP_FAILED] = EXIT_FINDINGS, [STOP_LOCKS] = EXIT_GAVE_UP, [STOP_DATABASE] = EXIT_DATABASE,
	};

	if (d->stop == STOP_SIGNAL)
		return signals_exit_code();
	if (d->stop != STOP_NONE)
		return codes[d->stop];
	return pipeline_findings_exit_code(&d->opts, &d->migrations);
}

/* Builds the report from the model and the observations, and writes it. */
static bool
dry_run_report(DryRun *d, DryRunTotals *totals)
{
	DryRunView view = {
		.migrations = &d->migrations,
		.status = d->status,
		.results = (const TraceResult *const *) d->results,
		.throwaway = d->throwaway,
		.conn = d->conn,
		.lock_timeout_ms = d->opts.lock_timeout_ms,
	};
	cJSON *doc;
	bool ok;

	dry_run_annotate_findings(&view);
	doc = dry_run_document(&view, totals);
	ok = dry_run_emit(&d->opts, doc, &d->migrations);
	cJSON_Delete(doc);
	return ok;
}

int
cli_dry_run(int argc, char **argv)
{
	DryRun d;
	DryRunTotals totals = {0};
	const char *env = getenv("DATABASE_URL");
	int rc;

	memset(&d, 0, sizeof d);
	options_init(&d.opts, CMD_DRY_RUN, "dry-run");
	rc = options_parse(&d.opts, argc, argv);
	if (rc >= 0) {
		if (rc == 0)
			options_usage(CMD_DRY_RUN, "dry-run", DRY_RUN_SUMMARY);
		options_free(&d.opts);
		return rc;
	}
	d.throwaway = d.opts.db == NULL && (env == NULL || env[0] == '\0');
	if (d.opts.commit && !d.throwaway) {
		log_error("dry-run: --commit runs statements for real and is only allowed on the "
				  "throwaway server (without --db and DATABASE_URL)");
		options_free(&d.opts);
		return EXIT_USAGE;
	}
	/* pipeline_load also applies --since: unchanged migrations become context_only */
	if (!pipeline_load(&d.opts, &d.migrations)) {
		dry_run_free(&d);
		return EXIT_USAGE;
	}
	dry_run_signals();
	dry_run_alloc(&d);
	if (!dry_run_connect(&d)) {
		rc = signals_received ? signals_exit_code() : EXIT_DATABASE;
		dry_run_free(&d);
		return rc;
	}
	pipeline_analyse(&d.opts, d.opts.pg_version ? d.opts.pg_version :
					 pgsql_server_version(d.conn) / 10000, &d.migrations, NULL, NULL);
	if (assign_roles(&d))
		dry_run_all(&d);
	fill_unreached(&d);
	rc = dry_run_report(&d, &totals) ? dry_run_exit_code(&d) : EXIT_USAGE;
	if (totals.mismatches > totals.mismatches_unknown)
		log_warn("dry-run: %d statement(s) locked differently than predicted: a bug in "
				 "migsafe's knowledge (see \"mismatch\" in the report)",
				 totals.mismatches - totals.mismatches_unknown);
	if (totals.mismatches_unknown > 0)
		log_warn("dry-run: %d statement(s) whose locks check reported as unknown (unknown-lock) "
				 "took the locks shown under \"observed\" in the report",
				 totals.mismatches_unknown);
	dry_run_free(&d);
	return rc;
}
