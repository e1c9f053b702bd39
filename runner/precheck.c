/*
 * precheck.c — before each attempt: find the sessions in the way of the
 * migration's locks and act by --on-blockers policy, so that in the common
 * case the runner never enters the lock queue at all.
 *
 * The runner's own session only reads pg_locks and pg_stat_activity here;
 * it takes no lock on the migration's tables until the pre-check says
 * PRECHECK_PROCEED.
 */
#include "precheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blocker_policy.h"
#include "defaults.h"
#include "log.h"
#include "signals.h"

/* A session the policy signalled during this pre-check. */
typedef struct Signalled {
	int pid;
	int64_t cancelled_at;    /* monotonic ms */
	bool terminated;
} Signalled;

/* One pre-check: what it has done so far. */
typedef struct Precheck {
	PgConn *conn;
	const Options *opts;
	const Migration *m;
	cJSON *seen;             /* the report's "blockers": one object per pid, latest look */
	cJSON *actions;          /* the report's "actions" */
	Signalled *signalled;
	size_t nsignalled;
	size_t cap;
} Precheck;

/* Server settings are the same for every migration: warned about once per run. */
static bool settings_checked = false;

/* The two signals, their function and what the report calls them. */
static const struct {
	const char *action;
	const char *sql;
} signal_kinds[] = {
	{"cancel", "SELECT pg_cancel_backend($1::int)"},
	{"terminate", "SELECT pg_terminate_backend($1::int)"},
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms in short steps; false as soon as SIGINT or SIGTERM arrived. */
static bool
pause_ms(int64_t ms)
{
	while (ms > 0 && !signals_received) {
		int64_t step = ms < 100 ? ms : 100;
		struct timespec ts = {step / 1000, (long) (step % 1000) * 1000000L};

		if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
			break;
		ms -= step;
	}
	return !signals_received;
}

/* The object named key in o, created as an array when missing. */
static cJSON *
array_member(cJSON *o, const char *key)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsArray(a)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		a = cJSON_AddArrayToObject(o, key);
	}
	return a;
}

/* The scan for statement `statement` of m, or for the whole file when -1. */
static bool
scan_statement(PgConn *conn, const Options *opts, const Migration *m, int statement,
			   LiveScan *scan)
{
	LockTargets t = {0};
	bool ok;

	t.default_schema = opts->schema;
	lock_targets_from_migration(&t, m, statement);
	ok = locks_live_scan(conn, &t, opts->redact_queries, scan);
	lock_targets_free(&t);
	return ok;
}

bool
precheck_scan(PgConn *conn, const Options *opts, const Migration *m, LiveScan *scan)
{
	return scan_statement(conn, opts, m, -1, scan);
}

cJSON *
precheck_blockers_json(const Options *opts, const LiveScan *scan)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < scan->count; i++)
		if (policy_is_blocker(&scan->items[i], opts->blocker_min_age_ms))
			cJSON_AddItemToArray(arr, blocker_json(&scan->items[i].b));
	return arr;
}

/* One "actions" object. */
static cJSON *
action_json(int pid, const char *action, cJSON *ok, const char *reason)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "pid", pid);
	cJSON_AddStringToObject(o, "action", action);
	cJSON_AddItemToObject(o, "ok", ok);
	cJSON_AddStringToObject(o, "reason", reason);
	return o;
}

cJSON *
precheck_explain(const Options *opts, const LiveScan *scan)
{
	cJSON *arr = cJSON_CreateArray();
	bool signals = opts->on_blockers == ON_BLOCKERS_CANCEL ||
		opts->on_blockers == ON_BLOCKERS_TERMINATE;

	for (size_t i = 0; i < scan->count; i++) {
		const LiveSession *s = &scan->items[i];
		char *refusal, *who, *reason;
		const char *action;
		cJSON *o;

		if (!policy_is_blocker(s, opts->blocker_min_age_ms))
			continue;
		refusal = signals ? policy_refusal(opts, s) : NULL;
		who = blocker_describe(&s->b);
		if (!signals || refusal) {
			action = opts->on_blockers == ON_BLOCKERS_FAIL ? "fail" : "wait";
			reason = refusal ? xasprintf("%s: %s; the policy waits for it (up to --blocker-wait)",
										 who, refusal) :
				xasprintf("%s: --on-blockers %s", who, policy_name(opts->on_blockers));
		} else if (opts->on_blockers == ON_BLOCKERS_CANCEL) {
			action = "cancel";
			reason = policy_idle_in_transaction(&s->b) ?
				xasprintf("%s: a cancel does not end an idle-in-transaction session; the "
						  "policy then waits for it (--on-blockers terminate would end it)", who) :
				xasprintf("%s: pg_cancel_backend", who);
		} else {
			action = "terminate";
			reason = xasprintf("%s: pg_cancel_backend, then pg_terminate_backend when still "
							   "there after --terminate-grace %lldms", who,
							   (long long) opts->terminate_grace_ms);
		}
		o = action_json(s->b.pid, action, cJSON_CreateNull(), reason);
		cJSON_AddBoolToObject(o, "explain_only", true);
		cJSON_AddItemToArray(arr, o);
		free(refusal);
		free(who);
		free(reason);
	}
	return arr;
}

void
precheck_warn_context(PgConn *conn, const Migration *m, const LiveScan *scan, bool check_settings,
					  cJSON *warnings)
{
	for (size_t i = 0; i < scan->count; i++) {
		const Blocker *b = &scan->items[i].b;
		char *w;

		if (scan->items[i].conflicts || b->xact_age_ms < DEFAULT_LONG_TX_WARN_MS)
			continue;
		w = xasprintf("%s: pid %d (app=%s, user=%s, %s) has had a transaction open for %llds "
					  "holding %s on %s; it does not conflict now, but any stronger lock on that "
					  "table (a later migration, an index build) will queue behind it",
					  m->path, b->pid, b->application_name && *b->application_name ?
					  b->application_name : "-", b->usename ? b->usename : "-",
					  b->state ? b->state : "?", (long long) (b->xact_age_ms / 1000),
					  b->mode ? b->mode : "a lock", b->relation ? b->relation : "?");
		log_warn("%s", w);
		cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
		free(w);
	}
	for (size_t i = 0; i < scan->count; i++) {
		const Blocker *b = &scan->items[i].b;

		if (b->state != NULL || scan->items[i].prepared || !scan->items[i].conflicts)
			continue;
		{
			char *w = xasprintf("%s: pid %d holds or waits for %s on %s, but this role may not "
								"see its state, age or query (another role's session): it "
								"counts as a blocker; grant the migration role pg_read_all_stats "
								"to tell churn from blockers", m ? m->path : "",
								b->pid, b->mode ? b->mode : "a lock",
								b->relation ? b->relation : "?");

			log_warn("%s", w);
			cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
			free(w);
		}
	}
	if (check_settings) {
		PgError err = {0};
		PgResult *r = pgsql_query(conn, "SELECT current_setting('log_lock_waits')", 0, NULL, &err);

		if (r && pgresult_get(r, 0, 0) && strcmp(pgresult_get(r, 0, 0), "off") == 0) {
			static bool said = false;   /* a server setting: say it once per run on stderr */
			const char *w = "log_lock_waits is off on the server: turn it on for the deploy "
				"window (ALTER SYSTEM SET log_lock_waits = on; SELECT pg_reload_conf();) so that "
				"every lock wait longer than deadlock_timeout is logged with who held the lock";

			if (!said)
				log_warn("%s", w);
			said = true;
			cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
		}
		pgresult_free(r);
		pgsql_error_free(&err);
	}
}

/* Replaces or adds the report object of b in pc->seen (one per pid). */
static void
remember(Precheck *pc, const Blocker *b)
{
	int n = cJSON_GetArraySize(pc->seen);

	for (int i = 0; i < n; i++) {
		cJSON *pid = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(pc->seen, i), "pid");

		if (cJSON_IsNumber(pid) && pid->valueint == b->pid) {
			cJSON_ReplaceItemInArray(pc->seen, i, blocker_json(b));
			return;
		}
	}
	cJSON_AddItemToArray(pc->seen, blocker_json(b));
}

static Signalled *
signalled_find(Precheck *pc, int pid)
{
	for (size_t i = 0; i < pc->nsignalled; i++)
		if (pc->signalled[i].pid == pid)
			return &pc->signalled[i];
	return NULL;
}

/*
 * Sends one signal (kind 0 cancel, 1 terminate) to b and records the
 * action with its result. A role that may not signal the session gets the
 * reason spelled out: membership in pg_signal_backend is what it lacks.
 */
static bool
send_signal(Precheck *pc, const Blocker *b, int kind)
{
	char pid[16], *who = blocker_describe(b), *reason;
	const char *params[] = {pid};
	PgError err = {0};
	PgResult *r;
	bool ok;

	snprintf(pid, sizeof pid, "%d", b->pid);
	r = pgsql_query(pc->conn, signal_kinds[kind].sql, 1, params, &err);
	ok = r && pgresult_get_bool(r, 0, 0);
	if (r == NULL && strcmp(err.sqlstate, "42501") == 0)
		reason = xasprintf("%s: permission denied (%s): the role needs membership in "
						   "pg_signal_backend (GRANT pg_signal_backend TO <role>), and only a "
						   "superuser may signal a superuser's session", who, err.message);
	else if (r == NULL)
		reason = xasprintf("%s: %s [%s]", who, err.message, err.sqlstate);
	else if (!ok)
		reason = xasprintf("%s: the session was already gone", who);
	else
		reason = xasprintf("%s", who);
	if (ok)
		log_info("%s: %s of pid %d sent: %s", pc->m->path, signal_kinds[kind].action, b->pid,
				 reason);
	else
		log_error("%s: cannot %s pid %d: %s", pc->m->path, signal_kinds[kind].action, b->pid,
				  reason);
	cJSON_AddItemToArray(pc->actions, action_json(b->pid, signal_kinds[kind].action,
												  cJSON_CreateBool(ok), reason));
	pgresult_free(r);
	pgsql_error_free(&err);
	free(reason);
	free(who);
	return ok;
}

/*
 * cancel|terminate: signals the blockers the filters allow. Each session is
 * cancelled once; under terminate, one still in the way --terminate-grace
 * after its cancel is terminated. Returns the milliseconds until the next
 * termination falls due (or -1 when none is pending).
 */
static int64_t
act_on(Precheck *pc, const LiveScan *scan)
{
	int64_t next_due = -1;

	for (size_t i = 0; i < scan->count; i++) {
		const LiveSession *s = &scan->items[i];
		Signalled *sg;
		char *refusal;

		if (!policy_is_blocker(s, pc->opts->blocker_min_age_ms))
			continue;
		refusal = policy_refusal(pc->opts, s);
		if (refusal) {
			log_debug("%s: leaving pid %d alone: %s", pc->m->path, s->b.pid, refusal);
			free(refusal);
			continue;
		}
		sg = signalled_find(pc, s->b.pid);
		if (sg == NULL) {
			array_reserve((void **) &pc->signalled, &pc->cap, pc->nsignalled, sizeof(Signalled));
			sg = &pc->signalled[pc->nsignalled++];
			memset(sg, 0, sizeof *sg);
			sg->pid = s->b.pid;
			sg->cancelled_at = now_ms();
			send_signal(pc, &s->b, 0);
		} else if (pc->opts->on_blockers == ON_BLOCKERS_TERMINATE && !sg->terminated &&
				   now_ms() - sg->cancelled_at >= pc->opts->terminate_grace_ms) {
			sg->terminated = true;
			send_signal(pc, &s->b, 1);
		}
		if (pc->opts->on_blockers == ON_BLOCKERS_TERMINATE && !sg->terminated) {
			int64_t due = sg->cancelled_at + pc->opts->terminate_grace_ms - now_ms();

			if (due < 0)
				due = 0;
			if (next_due < 0 || due < next_due)
				next_due = due;
		}
	}
	return next_due;
}

/* Logs who is in the way, one line per blocker. */
static void
log_blockers(const Precheck *pc, const LiveScan *scan, size_t nblockers, int64_t waited)
{
	log_info("%s: %zu session%s in the way of its locks (--on-blockers %s, waited %llds of "
			 "--blocker-wait %llds); not queueing behind them:", pc->m->path, nblockers,
			 nblockers == 1 ? "" : "s", policy_name(pc->opts->on_blockers),
			 (long long) (waited / 1000), (long long) (pc->opts->blocker_wait_ms / 1000));
	for (size_t i = 0; i < scan->count; i++) {
		char *d;

		if (!policy_is_blocker(&scan->items[i], pc->opts->blocker_min_age_ms))
			continue;
		d = blocker_describe(&scan->items[i].b);
		log_info("  %s: %s", d, scan->items[i].b.query ? scan->items[i].b.query : "");
		free(d);
	}
}

/* A number identifying the set of blocker pids, to print only when it changes. */
static uint64_t
blocker_signature(const Options *opts, const LiveScan *scan)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < scan->count; i++)
		if (policy_is_blocker(&scan->items[i], opts->blocker_min_age_ms))
			h = (h ^ (uint64_t) (unsigned) scan->items[i].b.pid) * 1099511628211ULL;
	return h;
}

/* Adds waited ms and the outcome to the report's "precheck" object. */
static void
record_summary(cJSON *report, int64_t waited, int looks, int churn, const char *outcome)
{
	cJSON *pre = cJSON_GetObjectItemCaseSensitive(report, "precheck");
	cJSON *prev;

	if (!cJSON_IsObject(pre))
		pre = cJSON_AddObjectToObject(report, "precheck");
	prev = cJSON_GetObjectItemCaseSensitive(pre, "waited_ms");
	if (cJSON_IsNumber(prev))
		waited += (int64_t) prev->valuedouble;
	prev = cJSON_GetObjectItemCaseSensitive(pre, "looks");
	if (cJSON_IsNumber(prev))
		looks += prev->valueint;
	cJSON_DeleteItemFromObjectCaseSensitive(pre, "waited_ms");
	cJSON_DeleteItemFromObjectCaseSensitive(pre, "looks");
	cJSON_DeleteItemFromObjectCaseSensitive(pre, "churn");
	cJSON_DeleteItemFromObjectCaseSensitive(pre, "outcome");
	cJSON_AddNumberToObject(pre, "waited_ms", (double) waited);
	cJSON_AddNumberToObject(pre, "looks", looks);
	cJSON_AddNumberToObject(pre, "churn", churn);
	cJSON_AddStringToObject(pre, "outcome", outcome);
}

PrecheckOutcome
precheck_before_attempt(PgConn *conn, const Options *opts, const Migration *m, cJSON *mig_report)
{
	return precheck_before_statement(conn, opts, m, -1, mig_report);
}

PrecheckOutcome
precheck_before_statement(PgConn *conn, const Options *opts, const Migration *m, int statement,
						  cJSON *mig_report)
{
	Precheck pc = {conn, opts, m, NULL, NULL, NULL, 0, 0};
	bool first = !cJSON_HasObjectItem(mig_report, "precheck");
	int64_t start = now_ms(), backoff = DEFAULT_BLOCKER_POLL_MS, last_log = 0;
	uint64_t last_sig = 0;
	PrecheckOutcome outcome = PRECHECK_PROCEED;
	const char *outcome_name = "proceed";
	int looks = 0, churn = 0;

	if (opts->on_blockers == ON_BLOCKERS_IGNORE)
		return PRECHECK_PROCEED;
	pc.seen = array_member(mig_report, "blockers");
	pc.actions = array_member(mig_report, "actions");
	for (;;) {
		LiveScan scan = {0};
		size_t nblockers = 0;
		int64_t waited, next_due = -1, pause;
		uint64_t sig;
		bool just_logged;

		if (!scan_statement(conn, opts, m, statement, &scan)) {
			outcome = PRECHECK_ERROR;
			outcome_name = "error";
			break;
		}
		looks++;
		if (first) {
			precheck_warn_context(conn, m, &scan, !settings_checked,
								  array_member(mig_report, "warnings"));
			settings_checked = true;
			first = false;
		}
		churn = 0;
		for (size_t i = 0; i < scan.count; i++) {
			if (policy_is_blocker(&scan.items[i], opts->blocker_min_age_ms)) {
				nblockers++;
				remember(&pc, &scan.items[i].b);
			} else if (scan.items[i].conflicts)
				churn++;
		}
		waited = now_ms() - start;
		if (nblockers == 0) {
			if (looks > 1)
				log_info("%s: no session in the way any more after %lldms", m->path,
						 (long long) waited);
			live_scan_free(&scan);
			break;
		}
		sig = blocker_signature(opts, &scan);
		just_logged = sig != last_sig || now_ms() - last_log >= DEFAULT_BLOCKER_REPORT_MS;
		if (just_logged) {
			log_blockers(&pc, &scan, nblockers, waited);
			last_sig = sig;
			last_log = now_ms();
		}
		if (opts->on_blockers == ON_BLOCKERS_FAIL) {
			log_error("%s: --on-blockers fail: %zu session%s in the way; nothing attempted",
					  m->path, nblockers, nblockers == 1 ? "" : "s");
			outcome = PRECHECK_GAVE_UP;
			outcome_name = "gave-up";
			live_scan_free(&scan);
			break;
		}
		if (opts->on_blockers == ON_BLOCKERS_CANCEL || opts->on_blockers == ON_BLOCKERS_TERMINATE)
			next_due = act_on(&pc, &scan);
		if (waited >= opts->blocker_wait_ms) {
			if (!just_logged)
				log_blockers(&pc, &scan, nblockers, waited);
			log_error("%s: gave up after %llds waiting for the sessions in its way "
					  "(--blocker-wait); nothing attempted", m->path, (long long) (waited / 1000));
			outcome = PRECHECK_GAVE_UP;
			outcome_name = "gave-up";
			live_scan_free(&scan);
			break;
		}
		live_scan_free(&scan);
		pause = backoff;
		if (next_due >= 0 && next_due < pause)
			pause = next_due > 10 ? next_due : 10;
		if (pause > opts->blocker_wait_ms - waited)
			pause = opts->blocker_wait_ms - waited;
		if (!pause_ms(pause)) {
			/* The caller sees the signal and ends the run as interrupted. */
			outcome_name = "interrupted";
			break;
		}
		backoff = backoff * 2 > DEFAULT_BLOCKER_POLL_MAX_MS ? DEFAULT_BLOCKER_POLL_MAX_MS :
			backoff * 2;
	}
	record_summary(mig_report, now_ms() - start, looks, churn, outcome_name);
	free(pc.signalled);
	return outcome;
}
