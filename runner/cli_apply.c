/*
 * cli_apply.c — migsafe apply: apply pending migrations with lock_timeout,
 * bounded retries and a report.
 *
 * Load and analyse the migrations, connect, compare with the history, run
 * the safety gate, take the runner lock, then apply each pending migration
 * through the attempt loop; report every attempt.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attempt.h"
#include "cli.h"
#include "defaults.h"
#include "gate.h"
#include "gitrepo.h"
#include "history.h"
#include "log.h"
#include "options.h"
#include "output.h"
#include "pipeline.h"
#include "report.h"
#include "runlock.h"
#include "signals.h"
#include "target.h"
#include "watcher.h"

#define APPLY_SUMMARY "Apply pending migrations: each in a transaction under a short, escalating " \
	"lock_timeout with bounded retries, one runner at a time, a watchdog on the lock queue " \
	"behind it, and a report naming whoever was in the way."

/* Everything one run of apply holds. */
typedef struct ApplyRun {
	Options opts;
	MigrationList migrations;
	PgConn *conn;
	History history;
	ApplyStatus *status;     /* per migration */
	cJSON **reports;         /* per migration: status, attempts... merged into the document */
	bool *changed;           /* per migration: applied, and its file changed since */
	bool locked;
} ApplyRun;

/* Counters of the contract's summary, by status. */
static const struct {
	ApplyStatus status;
	const char *key;
} summary_keys[] = {
	{APPLY_APPLIED, "applied"},
	{APPLY_ALREADY_APPLIED, "already_applied"},
	{APPLY_FAILED, "failed"},
	{APPLY_GAVE_UP, "gave_up"},
	{APPLY_NOT_ATTEMPTED, "not_attempted"},
	{APPLY_INTERRUPTED, "failed"},
	{APPLY_CONNECTION, "failed"},
};

/*
 * True when every input is a directory: the run sees the whole set of
 * migrations, so a recorded version without a file has disappeared. Files
 * named one by one (or stdin) are a chosen few: the others are not missing.
 */
static bool
inputs_are_directories(const Options *opts)
{
	for (size_t i = 0; i < opts->paths.count; i++) {
		struct stat st;

		if (stat(opts->paths.items[i], &st) != 0 || !S_ISDIR(st.st_mode))
			return false;
	}
	return true;
}

/*
 * Compares the history with the files: an applied migration whose file
 * changed, or (when whole directories are applied) disappeared, is an error
 * (exit 2) unless --allow-changed. Returns false when apply must stop.
 */
static bool
apply_compare_history(ApplyRun *ar)
{
	int problems = 0;
	bool complete = inputs_are_directories(&ar->opts);

	for (size_t h = 0; h < ar->history.count; h++) {
		const HistoryRow *row = &ar->history.rows[h];
		const Migration *found = NULL;

		for (size_t i = 0; i < ar->migrations.count && found == NULL; i++)
			if (strcmp(ar->migrations.items[i]->version, row->version) == 0) {
				found = ar->migrations.items[i];
				ar->changed[i] = strcmp(found->checksum, row->checksum) != 0;
				if (ar->changed[i]) {
					problems++;
					(ar->opts.allow_changed ? log_warn : log_error)(
						"%s: applied migration %s changed since it was applied (checksum %.12s, now %.12s)",
						found->path, row->version, row->checksum, found->checksum);
				}
			}
		if (found == NULL && complete) {
			problems++;
			(ar->opts.allow_changed ? log_warn : log_error)(
				"applied migration %s (%s) has no file any more", row->version, row->name);
		}
	}
	if (problems > 0 && !ar->opts.allow_changed) {
		log_error("refusing to apply: %d applied migration%s changed or disappeared "
				  "(restore the files, or pass --allow-changed)", problems, problems == 1 ? "" : "s");
		return false;
	}
	return true;
}

/* Marks every migration applied in the history; the others are pending. */
static void
apply_mark_pending(ApplyRun *ar, bool *pending)
{
	for (size_t i = 0; i < ar->migrations.count; i++) {
		const HistoryRow *row = history_find(&ar->history, ar->migrations.items[i]->version);

		pending[i] = row == NULL || strcmp(row->status, HISTORY_APPLIED) != 0;
		ar->status[i] = pending[i] ? APPLY_NOT_ATTEMPTED : APPLY_ALREADY_APPLIED;
	}
}

/* Rereads the history (another runner may have applied some meanwhile). */
static bool
apply_reload_history(ApplyRun *ar)
{
	bool exists;

	history_free(&ar->history);
	return history_load(ar->conn, ar->opts.history_table, &ar->history, &exists);
}

/* Applies the pending migrations in order, stopping at the first that does not apply. */
static ApplyStatus
apply_pending(ApplyRun *ar, const bool *pending)
{
	Runner r = {0};
	int npending = 0, k = 0;
	ApplyStatus worst = APPLY_APPLIED;
	cJSON *git = NULL;

	for (size_t i = 0; i < ar->migrations.count; i++)
		npending += pending[i];
	if (npending == 0) {
		log_info("nothing to apply: all %zu migrations are applied", ar->migrations.count);
		return APPLY_APPLIED;
	}
	r.opts = &ar->opts;
	r.conn = ar->conn;
	r.history = &ar->history;
	r.interrupted = &signals_received;
	r.total = npending;
	/* The commit the files come from, for the history (else the CI's variables say). */
	if (ar->opts.paths.count > 0 && strcmp(ar->opts.paths.items[0], "-") != 0) {
		git = gitrepo_report_json(ar->opts.paths.items[0]);
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(git, "commit")))
			r.git_commit = cJSON_GetObjectItemCaseSensitive(git, "commit")->valuestring;
	}
	retry_schedule_init(&r.schedule, &ar->opts);
	r.watcher = watcher_new(options_conninfo(&ar->opts), &ar->opts);
	if (r.watcher == NULL)
		log_warn("no watcher connection: attempts run without blocker sampling or watchdog");

	for (size_t i = 0; i < ar->migrations.count; i++) {
		const Migration *m = ar->migrations.items[i];

		if (!pending[i])
			continue;
		r.index = ++k;
		ar->status[i] = gate_is_nontransactional(m) ? nontx_apply(&r, m, ar->reports[i]) :
			attempt_apply_transactional(&r, m, ar->reports[i]);
		if (ar->status[i] != APPLY_APPLIED) {
			worst = ar->status[i];
			break;
		}
	}
	watcher_free(r.watcher);
	cJSON_Delete(git);
	return worst;
}

/* Adds status, attempts and target to the document built from the model. */
static void
apply_fill_report(ApplyRun *ar, cJSON *doc)
{
	cJSON *migs = cJSON_GetObjectItemCaseSensitive(doc, "migrations");
	cJSON *summary = cJSON_GetObjectItemCaseSensitive(doc, "summary");
	size_t i = 0;
	cJSON *mj;

	if (ar->conn)
		cJSON_AddItemToObject(doc, "target", target_json(ar->conn));
	for (size_t k = 0; k < sizeof summary_keys / sizeof summary_keys[0]; k++)
		if (!cJSON_HasObjectItem(summary, summary_keys[k].key))
			cJSON_AddNumberToObject(summary, summary_keys[k].key, 0);
	cJSON_ArrayForEach(mj, migs) {
		cJSON *extra = ar->reports[i], *item = extra->child;
		cJSON *count;

		cJSON_AddStringToObject(mj, "status", apply_status_name(ar->status[i]));
		if (ar->changed[i])
			cJSON_AddBoolToObject(mj, "changed", true);
		if (!cJSON_HasObjectItem(extra, "duration_ms"))
			cJSON_AddNumberToObject(mj, "duration_ms", 0);
		if (!cJSON_HasObjectItem(extra, "attempts"))
			cJSON_AddItemToObject(mj, "attempts", cJSON_CreateArray());
		while (item) {
			cJSON *next = item->next;

			cJSON_AddItemToObject(mj, item->string, cJSON_DetachItemViaPointer(extra, item));
			item = next;
		}
		for (size_t k = 0; k < sizeof summary_keys / sizeof summary_keys[0]; k++)
			if (summary_keys[k].status == ar->status[i]) {
				count = cJSON_GetObjectItemCaseSensitive(summary, summary_keys[k].key);
				cJSON_SetNumberValue(count, count->valuedouble + 1);
			}
		i++;
	}
}

/* One line per migration on stdout: the text format of apply. */
static char *
apply_render_text(const ApplyRun *ar)
{
	StrBuf sb = {0};

	for (size_t i = 0; i < ar->migrations.count; i++) {
		const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(ar->reports[i], "attempts");

		strbuf_appendf(&sb, "%-15s %s", apply_status_name(ar->status[i]),
					   ar->migrations.items[i]->path);
		if (cJSON_GetArraySize(attempts) > 0)
			strbuf_appendf(&sb, " (%d attempt%s)", cJSON_GetArraySize(attempts),
						   cJSON_GetArraySize(attempts) == 1 ? "" : "s");
		strbuf_append(&sb, ar->changed[i] ? " (file changed since applied)\n" : "\n");
	}
	if (sb.data == NULL)
		strbuf_append(&sb, "");
	return strbuf_detach(&sb);
}

/* Writes the report: stdout in --format, and the JSON to --report. */
static bool
apply_emit(ApplyRun *ar)
{
	cJSON *doc = report_document("apply", &ar->migrations);
	char *text = NULL;
	bool ok;

	apply_fill_report(ar, doc);
	if (strcmp(ar->opts.format, "text") == 0) {
		text = apply_render_text(ar);
		ok = output_write(ar->opts.output_path, text, strlen(text));
		free(text);
		if (ok && ar->opts.report_path) {
			text = report_render_json(doc, &ar->migrations);
			ok = output_write(ar->opts.report_path, text, strlen(text));
			free(text);
		}
	} else
		ok = report_emit(&ar->opts, doc, &ar->migrations);
	cJSON_Delete(doc);
	return ok;
}

/* The exit code for how the run ended. */
static int
apply_exit_code(ApplyStatus worst)
{
	switch (worst) {
	case APPLY_APPLIED:
	case APPLY_ALREADY_APPLIED:
	case APPLY_NOT_ATTEMPTED:
		return EXIT_OK;
	case APPLY_FAILED:
		return EXIT_FINDINGS;
	case APPLY_GAVE_UP:
		return EXIT_GAVE_UP;
	case APPLY_INTERRUPTED:
		return signals_exit_code();
	case APPLY_CONNECTION:
		return EXIT_DATABASE;
	}
	return EXIT_DATABASE;
}

/*
 * Session settings of the runner's connection: when the runner dies (kill
 * -9, a lost CI machine), its backend notices the missing client within
 * seconds instead of running on with the migration's locks and the runner
 * lock (PostgreSQL 14+; older servers notice when they next write to it).
 */
static void
apply_session_setup(PgConn *conn)
{
	PgError err = {0};

	if (pgsql_server_version(conn) < 140000)
		return;
	if (!attempt_set_timeout(conn, false, "client_connection_check_interval",
							 DEFAULT_CLIENT_CHECK_INTERVAL_MS, &err)) {
		log_warn("cannot set client_connection_check_interval: %s", err.message);
		pgsql_error_free(&err);
	}
}

/*
 * True when the report files can be written: their directory exists and is
 * writable. Checked before anything is applied, so that a typo in --report
 * never turns into "applied, then exit 2".
 */
static bool
apply_output_paths_writable(const Options *opts)
{
	const char *paths[] = {opts->output_path, opts->report_path};
	bool ok = true;

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		const char *slash;
		char *dir;

		if (paths[i] == NULL || strcmp(paths[i], "-") == 0)
			continue;
		slash = strrchr(paths[i], '/');
		dir = slash ? (slash == paths[i] ? xstrdup("/") : xstrndup(paths[i], (size_t) (slash - paths[i]))) :
			xstrdup(".");
		if (access(dir, W_OK | X_OK) != 0) {
			log_error("cannot write the report to %s: %s: %s", paths[i], dir, strerror(errno));
			ok = false;
		}
		free(dir);
	}
	return ok;
}

/* Connects, compares, gates, locks and applies; returns the exit code. */
static int
apply_run(ApplyRun *ar)
{
	size_t n = ar->migrations.count;
	bool *pending = xcalloc(n ? n : 1, sizeof *pending);
	int pgv, rc;
	bool exists;

	ar->conn = pgsql_connect(options_conninfo(&ar->opts), "migsafe");
	if (ar->conn == NULL) {
		rc = EXIT_DATABASE;
		goto done;
	}
	pgsql_set_signal_target(ar->conn);
	if (ar->opts.redact_queries)
		pgsql_redact_errors(ar->conn);
	apply_session_setup(ar->conn);
	pgv = ar->opts.pg_version ? ar->opts.pg_version : pgsql_server_version(ar->conn) / 10000;
	pipeline_analyse(&ar->opts, pgv, &ar->migrations, NULL, NULL);

	if (!history_load(ar->conn, ar->opts.history_table, &ar->history, &exists)) {
		rc = EXIT_DATABASE;
		goto done;
	}
	apply_mark_pending(ar, pending);
	if (!apply_compare_history(ar)) {
		rc = EXIT_USAGE;
		goto done;
	}
	if (!gate_check(ar->conn, &ar->opts, &ar->migrations, pending)) {
		rc = EXIT_FINDINGS;
		goto done;
	}

	switch (runlock_acquire(ar->conn, ar->opts.history_table, ar->opts.runner_wait_ms,
							&signals_received)) {
	case RUNLOCK_ACQUIRED:
		break;
	case RUNLOCK_TIMED_OUT:
		rc = EXIT_GAVE_UP;
		goto done;
	case RUNLOCK_INTERRUPTED:
		rc = signals_exit_code();
		goto done;
	case RUNLOCK_ERROR:
		rc = EXIT_DATABASE;
		goto done;
	}
	ar->locked = true;
	if (!history_ensure(ar->conn, ar->opts.history_table, &ar->history) ||
		!apply_reload_history(ar)) {
		rc = EXIT_DATABASE;
		goto done;
	}
	apply_mark_pending(ar, pending);
	rc = apply_exit_code(apply_pending(ar, pending));
	if (signals_received && rc == EXIT_OK)
		rc = signals_exit_code();

done:
	if (ar->locked)
		runlock_release(ar->conn, ar->opts.history_table);
	free(pending);
	return rc;
}

int
cli_apply(int argc, char **argv)
{
	ApplyRun ar;
	int rc;

	memset(&ar, 0, sizeof ar);
	options_init(&ar.opts, CMD_APPLY, "apply");
	rc = options_parse(&ar.opts, argc, argv);
	if (rc >= 0) {
		if (rc == 0)
			options_usage(CMD_APPLY, "apply", APPLY_SUMMARY);
		options_free(&ar.opts);
		return rc;
	}
	signals_install();

	if (!apply_output_paths_writable(&ar.opts)) {
		options_free(&ar.opts);
		return EXIT_USAGE;
	}
	if (!pipeline_load(&ar.opts, &ar.migrations))
		rc = EXIT_USAGE;
	else {
		size_t n = ar.migrations.count ? ar.migrations.count : 1;

		ar.status = xcalloc(n, sizeof *ar.status);
		ar.changed = xcalloc(n, sizeof *ar.changed);
		ar.reports = xcalloc(n, sizeof *ar.reports);
		for (size_t i = 0; i < ar.migrations.count; i++) {
			ar.reports[i] = cJSON_CreateObject();
			ar.status[i] = APPLY_NOT_ATTEMPTED;
		}
		rc = apply_run(&ar);
		if (!apply_emit(&ar) && rc == EXIT_OK)
			rc = EXIT_USAGE;
	}

	pgsql_set_signal_target(NULL);
	pgsql_close(ar.conn);
	for (size_t i = 0; ar.reports && i < ar.migrations.count; i++)
		cJSON_Delete(ar.reports[i]);
	free(ar.reports);
	free(ar.status);
	free(ar.changed);
	history_free(&ar.history);
	migration_list_free(&ar.migrations);
	options_free(&ar.opts);
	return rc;
}
