/*
 * blocker_policy.h — the rules of the pre-check, as pure functions: which
 * sessions count as blockers (churn vs blockers) and which ones
 * --on-blockers cancel|terminate may signal (filters and the sessions that
 * are never touched). No server, no clock: unit-tested in
 * tests/unit/test_blocker_policy.c.
 */
#ifndef MIGSAFE_BLOCKER_POLICY_H
#define MIGSAFE_BLOCKER_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "locks_live.h"
#include "options.h"

/* True for "idle in transaction" and "idle in transaction (aborted)". */
bool policy_idle_in_transaction(const Blocker *b);

/*
 * Whether a session in the scan is a blocker rather than churn: its lock
 * conflicts, and it is idle in transaction, a prepared transaction, hidden
 * from this role (no state: its age is unknown), or its transaction is at
 * least min_age_ms old. An autovacuum worker that PostgreSQL cancels by
 * itself never is.
 */
bool policy_is_blocker(const LiveSession *s, int64_t min_age_ms);

/*
 * Whether a session is churn by age alone: not a prepared transaction, its
 * state visible to this role and not idle in transaction, and its
 * transaction younger than min_age_ms. The pre-check (above) and the
 * blockers command's --blocker-min-age share this rule.
 */
bool policy_is_churn(const Blocker *b, bool prepared, int64_t min_age_ms);

/*
 * Why the policy must leave this blocker alone (caller frees), or NULL when
 * --on-blockers cancel|terminate may signal it: never replication senders,
 * autovacuum, other background processes, prepared transactions or
 * migsafe's sessions; then --only-idle-in-transaction, --include-app,
 * --exclude-app, --include-user, --exclude-user and --cancel-after.
 */
char *policy_refusal(const Options *opts, const LiveSession *s);

/* The policy's name: "wait", "fail", "cancel" or "terminate". */
const char *policy_name(BlockerPolicy p);

#endif
