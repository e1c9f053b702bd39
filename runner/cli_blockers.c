/*
 * cli_blockers.c — migsafe blockers: the live lock tree of the database.
 *
 * Roots first (sessions that wait for nobody), then the sessions waiting
 * on them, level by level, with state, ages, wait event,
 * pg_blocking_pids() and how many sessions each one holds up. --table and
 * --mode narrow it to what such a lock would conflict with;
 * --blocker-min-age leaves out the roots the pre-check would call churn and
 * what waits only on them; --watch refreshes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blocker_policy.h"
#include "cli.h"
#include "defaults.h"
#include "duration.h"
#include "locks_live.h"
#include "log.h"
#include "options.h"
#include "output.h"
#include "report.h"
#include "signals.h"
#include "target.h"

#define BLOCKERS_SUMMARY "The live lock tree of the database: sessions holding locks others wait " \
	"for, then their waiters level by level, with states, ages, wait events, " \
	"pg_blocking_pids() and how many sessions each one holds up. Reads pg_locks and " \
	"pg_stat_activity only."

/* Query text shown in the text listing: whitespace runs folded, this long at most. */
#define QUERY_COLUMN_WIDTH 100

/* "01:02:03" for an age in milliseconds; "-" when there is none. */
static void
format_age(int64_t ms, char *buf, size_t sz)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		snprintf(buf, sz, "-");
	else
		snprintf(buf, sz, "%02lld:%02lld:%02lld", (long long) (s / 3600),
				 (long long) (s / 60 % 60), (long long) (s % 60));
}

/* One session of the tree as the JSON report shows it. */
static cJSON *
node_json(const TreeNode *n)
{
	cJSON *o = blocker_json(&n->b), *by = cJSON_CreateArray();

	cJSON_AddNumberToObject(o, "level", n->level);
	if (n->parent >= 0)
		cJSON_AddNumberToObject(o, "parent", n->parent);
	else
		cJSON_AddNullToObject(o, "parent");
	if (n->wait_event_type)
		cJSON_AddStringToObject(o, "wait_event_type", n->wait_event_type);
	else
		cJSON_AddNullToObject(o, "wait_event_type");
	for (size_t k = 0; k < n->nblocked_by; k++)
		cJSON_AddItemToArray(by, cJSON_CreateNumber(n->blocked_by[k]));
	cJSON_AddItemToObject(o, "blocked_by", by);
	cJSON_AddNumberToObject(o, "holds_up", n->holds_up);
	cJSON_AddBoolToObject(o, "conflicts", n->conflicts);
	cJSON_AddBoolToObject(o, "in_cycle", n->in_cycle);
	return o;
}

/* The whole document: target, filter, sessions in display order, summary. */
static cJSON *
tree_document(PgConn *conn, const Options *opts, const LockTree *t)
{
	cJSON *doc = cJSON_CreateObject(), *filter = cJSON_CreateObject();
	cJSON *sessions = cJSON_CreateArray(), *summary = cJSON_CreateObject();
	int roots = 0, waiting = 0;

	cJSON_AddStringToObject(doc, "migsafe_version", MIGSAFE_VERSION);
	cJSON_AddNumberToObject(doc, "report_version", REPORT_VERSION);
	cJSON_AddStringToObject(doc, "command", "blockers");
	cJSON_AddItemToObject(doc, "target", target_json(conn));
	if (opts->table) {
		cJSON_AddStringToObject(filter, "table", opts->table);
		cJSON_AddStringToObject(filter, "mode", lockmode_name(opts->mode));
	} else {
		cJSON_AddNullToObject(filter, "table");
		cJSON_AddNullToObject(filter, "mode");
	}
	if (opts->blocker_min_age_set)
		cJSON_AddNumberToObject(filter, "blocker_min_age_ms", (double) opts->blocker_min_age_ms);
	else
		cJSON_AddNullToObject(filter, "blocker_min_age_ms");
	cJSON_AddItemToObject(doc, "filter", filter);
	for (size_t i = 0; i < t->norder; i++) {
		const TreeNode *n = &t->items[t->order[i]];

		roots += n->level == 0;
		waiting += n->nblocked_by > 0;
		cJSON_AddItemToArray(sessions, node_json(n));
	}
	cJSON_AddItemToObject(doc, "sessions", sessions);
	cJSON_AddNumberToObject(summary, "sessions", (double) t->norder);
	cJSON_AddNumberToObject(summary, "roots", roots);
	cJSON_AddNumberToObject(summary, "waiting", waiting);
	cJSON_AddNumberToObject(summary, "hidden", (double) t->hidden);
	cJSON_AddItemToObject(doc, "summary", summary);
	return doc;
}

/* Appends q with whitespace runs folded to one space, cut at QUERY_COLUMN_WIDTH. */
static void
append_query(StrBuf *sb, const char *q)
{
	size_t n = 0;
	bool space = false;

	for (; q && *q && n < QUERY_COLUMN_WIDTH; q++) {
		if (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') {
			space = n > 0;
			continue;
		}
		if (space) {
			strbuf_append(sb, " ");
			n++;
			space = false;
		}
		strbuf_append_n(sb, q, 1);
		n++;
	}
	if (q && *q)
		strbuf_append(sb, "...");
}

/* The header's note on --blocker-min-age: the age and how many sessions it left out. */
static void
append_churn_note(StrBuf *sb, const Options *opts, const LockTree *t)
{
	char age[32];

	if (!opts->blocker_min_age_set)
		return;
	duration_format(opts->blocker_min_age_ms, age, sizeof age);
	strbuf_appendf(sb, ", without churn (--blocker-min-age %s): %zu session%s left out", age,
				   t->hidden, t->hidden == 1 ? "" : "s");
}

/*
 * Flags the sessions the pre-check would call churn, when --blocker-min-age
 * is given (else the tree shows everything). A session with no transaction
 * that others wait for holds a session-level (advisory) lock, which no
 * lock_timeout of theirs ends: never churn.
 */
static void
mark_churn(LockTree *t, const Options *opts)
{
	for (size_t i = 0; opts->blocker_min_age_set && i < t->count; i++) {
		const Blocker *b = &t->items[i].b;

		t->items[i].churn = b->xact_age_ms >= 0 &&
			policy_is_churn(b, b->pid == 0, opts->blocker_min_age_ms);
	}
}

/* The text listing: a header line, then one line per session, indented by level. */
static char *
tree_render_text(const Options *opts, const LockTree *t, PgConn *conn, bool watching)
{
	StrBuf sb = {0};
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	if (watching)
		strbuf_append(&sb, "\n");
	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	strbuf_appendf(&sb, "lock tree of database %s at %s", pgsql_database(conn), when);
	if (opts->table)
		strbuf_appendf(&sb, ", narrowed to what %s on %s would conflict with",
					   lockmode_name(opts->mode), opts->table);
	append_churn_note(&sb, opts, t);
	strbuf_append(&sb, "\n");
	if (t->norder == 0) {
		strbuf_append(&sb, t->hidden ? "only churn: no session older than --blocker-min-age "
					  "is in the way\n" : opts->table ?
					  "no session holds or waits for a conflicting lock\n" :
					  "no session waits for a lock\n");
		return strbuf_detach(&sb);
	}
	strbuf_appendf(&sb, "%-4s %-14s %-21s %-9s %-9s %-22s %-8s %-12s %s\n", "LVL", "PID", "STATE",
				   "XACT AGE", "STATE AGE", "WAIT EVENT", "HOLDS UP", "BLOCKED BY", "LOCK / QUERY");
	for (size_t i = 0; i < t->norder; i++) {
		const TreeNode *n = &t->items[t->order[i]];
		char pid[64], xage[48], sage[48], wait[64], by[64];

		snprintf(pid, sizeof pid, "%*s%d%s", n->level * 2, "", n->b.pid, n->in_cycle ? "!" : "");
		format_age(n->b.xact_age_ms, xage, sizeof xage);
		format_age(n->b.state_age_ms, sage, sizeof sage);
		snprintf(wait, sizeof wait, "%s%s%s", n->wait_event_type ? n->wait_event_type : "",
				 n->wait_event_type && n->b.wait_event ? "/" : "",
				 n->b.wait_event ? n->b.wait_event : (n->wait_event_type ? "" : "-"));
		by[0] = '\0';
		for (size_t k = 0, len = 0; k < n->nblocked_by && len + 12 < sizeof by; k++)
			len += (size_t) snprintf(by + len, sizeof by - len, "%s%d", k ? "," : "",
									 n->blocked_by[k]);
		strbuf_appendf(&sb, "%-4d %-14s %-21s %-9s %-9s %-22s %-8d %-12s ", n->level, pid,
					   n->b.state ? n->b.state : "-", xage, sage, wait, n->holds_up,
					   by[0] ? by : "-");
		if (n->b.mode)
			strbuf_appendf(&sb, "%s %s on %s: ", n->b.granted ? "holds" : "waits for", n->b.mode,
						   n->b.relation ? n->b.relation : "?");
		append_query(&sb, n->b.query);
		strbuf_appendf(&sb, "  [app=%s user=%s%s%s]\n",
					   n->b.application_name && *n->b.application_name ?
					   n->b.application_name : "-", n->b.usename ? n->b.usename : "-",
					   n->b.backend_type && strcmp(n->b.backend_type, "client backend") != 0 ?
					   " " : "", n->b.backend_type && strcmp(n->b.backend_type,
															 "client backend") != 0 ?
					   n->b.backend_type : "");
	}
	return strbuf_detach(&sb);
}

/* Reads the tree once and writes it in the chosen format; false on error. */
static bool
show_once(PgConn *conn, const Options *opts, bool watching)
{
	LockTree t = {0};
	cJSON *doc = NULL;
	char *text = NULL, *json;
	bool ok;

	if (!locks_live_tree(conn, opts->table, opts->mode, opts->redact_queries, &t))
		return false;
	mark_churn(&t, opts);
	locktree_build(&t, opts->table != NULL);
	doc = tree_document(conn, opts, &t);
	if (strcmp(opts->format, "json") == 0) {
		json = watching ? cJSON_PrintUnformatted(doc) : cJSON_Print(doc);
		text = xasprintf("%s\n", json);
		free(json);
	} else
		text = tree_render_text(opts, &t, conn, watching);
	ok = output_write(opts->output_path, text, strlen(text));
	if (ok && opts->report_path) {
		json = cJSON_Print(doc);
		free(text);
		text = xasprintf("%s\n", json);
		free(json);
		ok = output_write(opts->report_path, text, strlen(text));
	}
	free(text);
	cJSON_Delete(doc);
	locktree_free(&t);
	return ok;
}

/* Sleeps seconds, waking early when SIGINT/SIGTERM arrives. */
static void
watch_pause(int64_t seconds)
{
	for (int64_t ms = seconds * 1000; ms > 0 && !signals_received; ms -= 100) {
		struct timespec ts = {0, 100 * 1000000L};

		nanosleep(&ts, NULL);
	}
}

int
cli_blockers(int argc, char **argv)
{
	Options opts;
	PgConn *conn = NULL;
	int rc, rounds;

	options_init(&opts, CMD_BLOCKERS, "blockers");
	rc = options_parse(&opts, argc, argv);
	if (rc >= 0) {
		if (rc == 0)
			options_usage(CMD_BLOCKERS, "blockers", BLOCKERS_SUMMARY);
		goto done;
	}
	if (strcmp(opts.format, "text") != 0 && strcmp(opts.format, "json") != 0) {
		log_error("blockers: --format %s is not available (text or json)", opts.format);
		rc = EXIT_USAGE;
		goto done;
	}
	if (opts.watch_seconds > 0 && opts.watch_count == 0) {
		log_error("blockers: --count must be at least 1");
		rc = EXIT_USAGE;
		goto done;
	}
	conn = pgsql_connect(options_conninfo(&opts), "migsafe-blockers");
	if (conn == NULL) {
		rc = EXIT_DATABASE;
		goto done;
	}
	rc = EXIT_OK;
	rounds = opts.watch_seconds > 0 ? opts.watch_count : 1;
	if (opts.watch_seconds > 0)
		signals_install();
	for (int i = 0; i < rounds && !signals_received; i++) {
		if (i > 0) {
			watch_pause(opts.watch_seconds);
			if (signals_received)
				break;
		}
		if (!show_once(conn, &opts, opts.watch_seconds > 0)) {
			rc = pgsql_is_ok(conn) ? EXIT_USAGE : EXIT_DATABASE;
			break;
		}
	}

done:
	pgsql_close(conn);
	options_free(&opts);
	return rc;
}
