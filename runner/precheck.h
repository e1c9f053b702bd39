/*
 * precheck.h — before each attempt, look at the live server for sessions
 * whose locks conflict with what the migration needs, and act by policy
 * (--on-blockers wait|fail|cancel|terminate).
 */
#ifndef MIGSAFE_PRECHECK_H
#define MIGSAFE_PRECHECK_H

#include <cjson/cJSON.h>

#include "locks_live.h"
#include "model.h"
#include "options.h"
#include "pgsql.h"

typedef enum PrecheckOutcome {
	PRECHECK_PROCEED = 0,    /* no blocker left (or only churn): attempt now */
	PRECHECK_GAVE_UP,        /* policy gave up (fail, or wait past --blocker-wait): exit 3 */
	PRECHECK_ERROR           /* the server could not be asked: exit 4 */
} PrecheckOutcome;

/*
 * Called by the apply loop before every attempt of migration m. May wait
 * (policy wait), signal sessions (cancel/terminate) and records what it saw
 * and did into mig_report (the migration's object in the apply report:
 * "precheck": {"blockers": [...], "waited_ms": N}, "actions": [...]).
 */
PrecheckOutcome precheck_before_attempt(PgConn *conn, const Options *opts, const Migration *m,
										cJSON *mig_report);

/*
 * The same before an attempt of statement `statement` of a migration run
 * statement by statement (non-transactional): only that statement's locks
 * are looked at, the earlier statements being committed already.
 */
PrecheckOutcome precheck_before_statement(PgConn *conn, const Options *opts, const Migration *m,
										  int statement, cJSON *mig_report);

/* ---- shared with plan ---- */

/*
 * Scans the server for the sessions with a lock on m's relations (see
 * locks_live_scan): every statement's locks, minus what m itself creates.
 */
bool precheck_scan(PgConn *conn, const Options *opts, const Migration *m, LiveScan *scan);

/* The blockers of a scan (not churn, per --blocker-min-age) as report objects. */
cJSON *precheck_blockers_json(const Options *opts, const LiveScan *scan);

/*
 * What --on-blockers would do to each blocker, as "actions" objects with
 * "ok": null and "explain_only": true (plan --explain-only).
 */
cJSON *precheck_explain(const Options *opts, const LiveScan *scan);

/*
 * Context warnings, logged and appended to `warnings` (strings): sessions
 * with a transaction open longer than DEFAULT_LONG_TX_WARN_MS on the
 * migration's tables that do not conflict now, and, when check_settings,
 * log_lock_waits being off.
 */
void precheck_warn_context(PgConn *conn, const Migration *m, const LiveScan *scan,
						   bool check_settings, cJSON *warnings);

#endif
