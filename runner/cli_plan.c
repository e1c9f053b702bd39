/*
 * cli_plan.c — migsafe plan: what apply would do, without doing it.
 *
 * For each pending migration (not in the history table): its statements,
 * the locks they take and what those block, how its tables resolve on the
 * server, and the sessions in the way right now, with what --on-blockers
 * would do to them (--explain-only). Reads the catalogs, pg_locks and
 * pg_stat_activity only: it creates nothing and locks no table.
 */
#include <stdlib.h>
#include <string.h>

#include "blocker_policy.h"
#include "cli.h"
#include "defaults.h"
#include "gate.h"
#include "history.h"
#include "locks_live.h"
#include "log.h"
#include "options.h"
#include "output.h"
#include "pipeline.h"
#include "precheck.h"
#include "report.h"
#include "target.h"

#define PLAN_SUMMARY "Show what apply would do, changing nothing: the pending migrations, their " \
	"statements and predicted locks, what those locks block, and the sessions on the server " \
	"that are in the way right now (with --explain-only, what --on-blockers would do to them)."

/* What plan found for one pending migration. */
typedef struct PlanEntry {
	const Migration *m;
	const char *state;       /* "pending" or "partial" */
	LiveScan scan;
	cJSON *extra;            /* needs, blockers, actions, warnings: merged into the document */
} PlanEntry;

/* The "needs" of a migration: each relation, its modes, their conflicts and how it resolves. */
static cJSON *
needs_json(PgConn *conn, const Options *opts, const Migration *m, bool *ok)
{
	LockTargets t = {0};
	ResolvedTarget *res = NULL;
	cJSON *arr = cJSON_CreateArray();

	t.default_schema = opts->schema;
	lock_targets_from_migration(&t, m, -1);
	*ok = locks_live_resolve(conn, &t, &res);
	for (size_t i = 0; *ok && i < t.count; i++) {
		cJSON *o = cJSON_CreateObject(), *modes = cJSON_CreateArray(), *conf = cJSON_CreateArray();
		unsigned mask = lock_conflict_mask(t.items[i].modes);
		LockMode strongest = LOCK_NONE;

		cJSON_AddStringToObject(o, "relation", t.items[i].relation);
		for (int mo = LOCK_ACCESS_SHARE; mo < LOCKMODE_COUNT; mo++) {
			if (t.items[i].modes & (1u << mo)) {
				cJSON_AddItemToArray(modes, cJSON_CreateString(lockmode_name((LockMode) mo)));
				strongest = (LockMode) mo;
			}
			if (mask & (1u << mo))
				cJSON_AddItemToArray(conf, cJSON_CreateString(lockmode_name((LockMode) mo)));
		}
		cJSON_AddItemToObject(o, "modes", modes);
		cJSON_AddItemToObject(o, "conflicts_with", conf);
		cJSON_AddStringToObject(o, "blocks", lockmode_blocks(strongest));
		if (res[i].resolved)
			cJSON_AddStringToObject(o, "resolved", res[i].resolved);
		else
			cJSON_AddNullToObject(o, "resolved");
		cJSON_AddBoolToObject(o, "exists", res[i].resolved != NULL);
		cJSON_AddNumberToObject(o, "descendants", res[i].descendants);
		cJSON_AddItemToArray(arr, o);
	}
	resolved_targets_free(res, t.count);
	lock_targets_free(&t);
	return arr;
}

/* Looks at the server for one pending migration; false on a database error. */
static bool
plan_migration(PgConn *conn, const Options *opts, PlanEntry *e)
{
	bool ok;
	cJSON *needs = needs_json(conn, opts, e->m, &ok);
	int churn = 0;

	e->extra = cJSON_CreateObject();
	cJSON_AddStringToObject(e->extra, "status", e->state);
	cJSON_AddItemToObject(e->extra, "needs", needs);
	if (!ok || !precheck_scan(conn, opts, e->m, &e->scan))
		return false;
	cJSON_AddItemToObject(e->extra, "blockers", precheck_blockers_json(opts, &e->scan));
	cJSON_AddItemToObject(e->extra, "actions", opts->explain_only ?
						  precheck_explain(opts, &e->scan) : cJSON_CreateArray());
	for (size_t i = 0; i < e->scan.count; i++)
		churn += e->scan.items[i].conflicts &&
			!policy_is_blocker(&e->scan.items[i], opts->blocker_min_age_ms);
	cJSON_AddNumberToObject(e->extra, "churn", churn);
	precheck_warn_context(conn, e->m, &e->scan, false,
						  cJSON_AddArrayToObject(e->extra, "warnings"));
	return true;
}

/* Moves every member of e->extra into the migration's object of the document. */
static void
merge_extra(cJSON *mj, cJSON *extra)
{
	cJSON *item = extra->child;

	while (item) {
		cJSON *next = item->next;

		cJSON_AddItemToObject(mj, item->string, cJSON_DetachItemViaPointer(extra, item));
		item = next;
	}
}

/* The text after the usual statement listing: per migration, who is in the way. */
static void
append_live(StrBuf *sb, const Options *opts, const PlanEntry *e, const cJSON *mj)
{
	const cJSON *needs = cJSON_GetObjectItemCaseSensitive(mj, "needs");
	const cJSON *acts = cJSON_GetObjectItemCaseSensitive(mj, "actions");
	const cJSON *warns = cJSON_GetObjectItemCaseSensitive(mj, "warnings");
	const cJSON *x;
	int n = 0;

	strbuf_appendf(sb, "%s  (%s)\n", e->m->path, e->state);
	cJSON_ArrayForEach(x, needs) {
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(x, "resolved");
		const cJSON *desc = cJSON_GetObjectItemCaseSensitive(x, "descendants");
		const cJSON *mo;

		strbuf_appendf(sb, "  needs");
		cJSON_ArrayForEach(mo, cJSON_GetObjectItemCaseSensitive(x, "modes"))
			strbuf_appendf(sb, " %s", mo->valuestring);
		strbuf_appendf(sb, " on %s", cJSON_GetObjectItemCaseSensitive(x, "relation")->valuestring);
		if (cJSON_IsString(res))
			strbuf_appendf(sb, " (%s%s", res->valuestring, desc->valueint ? "" : ")");
		else
			strbuf_append(sb, " (not on the server yet)");
		if (cJSON_IsString(res) && desc->valueint)
			strbuf_appendf(sb, " and %d partition%s or child%s)", desc->valueint,
						   desc->valueint == 1 ? "" : "s", desc->valueint == 1 ? "" : "ren");
		strbuf_appendf(sb, ": blocks %s\n",
					   cJSON_GetObjectItemCaseSensitive(x, "blocks")->valuestring);
	}
	for (size_t i = 0; i < e->scan.count; i++) {
		char *d;

		if (!policy_is_blocker(&e->scan.items[i], opts->blocker_min_age_ms))
			continue;
		d = blocker_describe(&e->scan.items[i].b);
		strbuf_appendf(sb, "  in the way: %s\n      %s\n", d,
					   e->scan.items[i].b.query ? e->scan.items[i].b.query : "");
		free(d);
		n++;
	}
	if (n == 0)
		strbuf_append(sb, "  no session in the way right now\n");
	cJSON_ArrayForEach(x, acts)
		strbuf_appendf(sb, "  --on-blockers %s would %s pid %d: %s\n",
					   policy_name(opts->on_blockers),
					   cJSON_GetObjectItemCaseSensitive(x, "action")->valuestring,
					   cJSON_GetObjectItemCaseSensitive(x, "pid")->valueint,
					   cJSON_GetObjectItemCaseSensitive(x, "reason")->valuestring);
	cJSON_ArrayForEach(x, warns)
		strbuf_appendf(sb, "  warning: %s\n", x->valuestring);
}

/* Text: the statement listing of check, then the live section of each migration. */
static char *
plan_render_text(const Options *opts, const cJSON *doc, const MigrationList *pending,
				 const PlanEntry *entries)
{
	StrBuf sb = {0};
	char *listing = report_render_text(doc, pending);
	const cJSON *mj = cJSON_GetObjectItemCaseSensitive(doc, "migrations")->child;
	const cJSON *w;

	strbuf_append(&sb, listing);
	free(listing);
	strbuf_append(&sb, "\nlive on the server:\n");
	for (size_t i = 0; i < pending->count && mj; i++, mj = mj->next)
		append_live(&sb, opts, &entries[i], mj);
	if (pending->count == 0)
		strbuf_append(&sb, "  nothing pending\n");
	cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(doc, "warnings"))
		strbuf_appendf(&sb, "warning: %s\n", w->valuestring);
	return strbuf_detach(&sb);
}

/* Writes the report: text or JSON to stdout/--output, the JSON to --report. */
static bool
plan_emit(const Options *opts, const cJSON *doc, const MigrationList *pending,
		  const PlanEntry *entries)
{
	char *text;
	bool ok;

	if (strcmp(opts->format, "text") != 0)
		return report_emit(opts, doc, pending);
	text = plan_render_text(opts, doc, pending, entries);
	ok = output_write(opts->output_path, text, strlen(text));
	free(text);
	if (ok && opts->report_path) {
		text = report_render_json(doc, pending);
		ok = output_write(opts->report_path, text, strlen(text));
		free(text);
	}
	return ok;
}

int
cli_plan(int argc, char **argv)
{
	Options opts;
	MigrationList migrations = {0}, pending = {0};
	History history = {0};
	PlanEntry *entries = NULL;
	PgConn *conn = NULL;
	cJSON *doc = NULL, *summary, *mj;
	bool loaded, exists, *is_pending = NULL, gate_ok;
	int rc, pgv, nblockers = 0;
	size_t napplied = 0;

	options_init(&opts, CMD_PLAN, "plan");
	rc = options_parse(&opts, argc, argv);
	if (rc >= 0) {
		if (rc == 0)
			options_usage(CMD_PLAN, "plan", PLAN_SUMMARY);
		goto done;
	}
	loaded = pipeline_load(&opts, &migrations);
	conn = pgsql_connect(options_conninfo(&opts), "migsafe-plan");
	if (conn == NULL) {
		rc = EXIT_DATABASE;
		goto done;
	}
	pgv = opts.pg_version ? opts.pg_version : pgsql_server_version(conn) / 10000;
	pipeline_analyse(&opts, pgv, &migrations, NULL, NULL);
	if (!history_load(conn, opts.history_table, &history, &exists)) {
		rc = EXIT_DATABASE;
		goto done;
	}
	if (!exists)
		log_info("no history table %s yet: every migration is pending", opts.history_table);

	is_pending = xcalloc(migrations.count ? migrations.count : 1, sizeof *is_pending);
	pending.items = xcalloc(migrations.count ? migrations.count : 1, sizeof *pending.items);
	entries = xcalloc(migrations.count ? migrations.count : 1, sizeof *entries);
	for (size_t i = 0; i < migrations.count; i++) {
		const HistoryRow *row = history_find(&history, migrations.items[i]->version);

		is_pending[i] = row == NULL || strcmp(row->status, HISTORY_APPLIED) != 0;
		napplied += !is_pending[i];
		if (is_pending[i] && migrations.items[i]->context_only)
			is_pending[i] = false;     /* --since: context, neither gated nor reported */
		if (!is_pending[i])
			continue;
		entries[pending.count].m = migrations.items[i];
		entries[pending.count].state = row ? "partial" : "pending";
		pending.items[pending.count++] = migrations.items[i];
	}
	/* Table sizes turn findings on small tables into info, as apply does. */
	gate_ok = gate_check(conn, &opts, &migrations, is_pending);

	doc = report_document("plan", &pending);
	cJSON_AddItemToObject(doc, "target", target_json(conn));
	cJSON_AddStringToObject(doc, "on_blockers", policy_name(opts.on_blockers));
	cJSON_AddBoolToObject(doc, "explain_only", opts.explain_only);
	mj = cJSON_GetObjectItemCaseSensitive(doc, "migrations")->child;
	for (size_t i = 0; i < pending.count; i++, mj = mj->next) {
		if (!plan_migration(conn, &opts, &entries[i])) {
			rc = EXIT_DATABASE;
			goto done;
		}
		nblockers += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(entries[i].extra,
																		 "blockers"));
		merge_extra(mj, entries[i].extra);
	}
	{
		LiveScan none = {0};

		precheck_warn_context(conn, NULL, &none, true, cJSON_AddArrayToObject(doc, "warnings"));
	}
	summary = cJSON_GetObjectItemCaseSensitive(doc, "summary");
	cJSON_AddNumberToObject(summary, "pending", (double) pending.count);
	cJSON_AddNumberToObject(summary, "applied", (double) napplied);
	cJSON_AddNumberToObject(summary, "blockers", nblockers);

	if (!plan_emit(&opts, doc, &pending, entries) || !loaded)
		rc = EXIT_USAGE;
	else
		rc = gate_ok ? EXIT_OK : EXIT_FINDINGS;

done:
	for (size_t i = 0; entries && i < pending.count; i++) {
		live_scan_free(&entries[i].scan);
		cJSON_Delete(entries[i].extra);
	}
	free(entries);
	free(pending.items);
	free(is_pending);
	cJSON_Delete(doc);
	history_free(&history);
	pgsql_close(conn);
	migration_list_free(&migrations);
	options_free(&opts);
	return rc;
}
