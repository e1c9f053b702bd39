/*
 * blocker_policy.c — churn vs blockers, and whom a policy may signal.
 */
#include "blocker_policy.h"

#include <string.h>

#include "util.h"

/* Processes migsafe never signals, whatever the filters say, and why. */
static const struct {
	const char *backend_type;
	const char *why;
} untouchable[] = {
	{"walsender", "a replication sender: ending it breaks replication"},
	{"autovacuum worker", "an autovacuum worker: PostgreSQL cancels an ordinary one by "
	 "itself, and one preventing wraparound must never be interrupted"},
	{"autovacuum launcher", "the autovacuum launcher"},
	{"logical replication launcher", "the logical replication launcher"},
	{"logical replication worker", "a logical replication worker"},
	{"logical replication apply worker", "a logical replication worker"},
	{"logical replication tablesync worker", "a logical replication worker"},
	{"parallel worker", "a parallel worker: its leader session is the one to act on"},
	{"background worker", "a background worker of an extension"},
	{"prepared transaction", "a prepared transaction: only COMMIT PREPARED or "
	 "ROLLBACK PREPARED ends it"},
};

/* The prefix of every application_name migsafe connects with. */
#define MIGSAFE_APP_PREFIX "migsafe"

static const char *const policy_names[] = {
	[ON_BLOCKERS_WAIT] = "wait",
	[ON_BLOCKERS_FAIL] = "fail",
	[ON_BLOCKERS_CANCEL] = "cancel",
	[ON_BLOCKERS_TERMINATE] = "terminate",
	[ON_BLOCKERS_IGNORE] = "ignore",
};

const char *
policy_name(BlockerPolicy p)
{
	if ((int) p < 0 || (size_t) p >= sizeof policy_names / sizeof policy_names[0])
		return "wait";
	return policy_names[p];
}

bool
policy_idle_in_transaction(const Blocker *b)
{
	return b->state && strncmp(b->state, "idle in transaction", 19) == 0;
}

/* A conflicting session that does not yield by itself and is not churn. */
bool
policy_is_blocker(const LiveSession *s, int64_t min_age_ms)
{
	if (!s->conflicts || s->yields)
		return false;
	return !policy_is_churn(&s->b, s->prepared, min_age_ms);
}

/* Young, visible and not idle in transaction: it will end by itself. */
bool
policy_is_churn(const Blocker *b, bool prepared, int64_t min_age_ms)
{
	/*
	 * No state: another role's session that this role may not inspect
	 * (pg_read_all_stats). Its age is unknown, so it cannot be called churn.
	 */
	if (prepared || b->state == NULL || policy_idle_in_transaction(b))
		return false;
	return b->xact_age_ms < min_age_ms;
}

/* True when the list is non-empty and holds value. */
static bool
listed(const StrList *l, const char *value)
{
	return strlist_contains(l, value ? value : "");
}

char *
policy_refusal(const Options *opts, const LiveSession *s)
{
	const Blocker *b = &s->b;
	const char *app = b->application_name ? b->application_name : "";
	const char *user = b->usename ? b->usename : "";

	for (size_t i = 0; i < sizeof untouchable / sizeof untouchable[0]; i++)
		if (b->backend_type && strcmp(b->backend_type, untouchable[i].backend_type) == 0)
			return xasprintf("never signalled: %s", untouchable[i].why);
	if (s->prepared || b->pid <= 0)
		return xstrdup("never signalled: a prepared transaction");
	if (strncmp(app, MIGSAFE_APP_PREFIX, strlen(MIGSAFE_APP_PREFIX)) == 0)
		return xasprintf("never signalled: another migsafe session (%s)", app);
	if (opts->only_idle_in_transaction && !policy_idle_in_transaction(b))
		return xasprintf("%s, not idle in transaction (--only-idle-in-transaction)",
						 b->state ? b->state : "no state");
	if (opts->include_apps.count > 0 && !listed(&opts->include_apps, app))
		return xasprintf("application_name '%s' is not an --include-app", app);
	if (listed(&opts->exclude_apps, app))
		return xasprintf("application_name '%s' is an --exclude-app", app);
	if (opts->include_users.count > 0 && !listed(&opts->include_users, user))
		return xasprintf("user '%s' is not an --include-user", user);
	if (listed(&opts->exclude_users, user))
		return xasprintf("user '%s' is an --exclude-user", user);
	if (opts->cancel_after_ms > 0 && b->xact_age_ms < 0)
		return xstrdup("its transaction's age is hidden from this role (--cancel-after "
					   "needs pg_read_all_stats)");
	if (b->xact_age_ms < opts->cancel_after_ms && opts->cancel_after_ms > 0)
		return xasprintf("transaction %lldms old, younger than --cancel-after %lldms",
						 (long long) (b->xact_age_ms < 0 ? 0 : b->xact_age_ms),
						 (long long) opts->cancel_after_ms);
	return NULL;
}
