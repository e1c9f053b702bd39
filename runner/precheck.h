/*
 * precheck.h — before each attempt, look at the live server for sessions
 * whose locks conflict with what the migration needs, and act by policy
 * (--on-blockers wait|fail|cancel|terminate).
 */
#ifndef MIGSAFE_PRECHECK_H
#define MIGSAFE_PRECHECK_H

#include <cjson/cJSON.h>

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

#endif
