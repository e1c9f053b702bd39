/*
 * watcher.c — samples blockers and the lock queue behind the runner.
 */
#include "watcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "log.h"

/*
 * The sessions pg_blocking_pids() names for the runner's backend, with what
 * they hold (or wait for) on the object the runner waits for.
 */
static const char *blockers_sql =
	"WITH w AS (SELECT locktype, database, relation, transactionid, virtualxid "
	"           FROM pg_locks WHERE pid = $1::int AND NOT granted LIMIT 1) "
	"SELECT a.pid, a.usename::text, a.application_name, a.client_addr::text, a.backend_type, "
	"       a.state, a.wait_event, "
	"       (extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint, "
	"       (extract(epoch FROM clock_timestamp() - a.state_change) * 1000)::bigint, "
	"       bl.mode, coalesce(bl.granted, true), "
	"       CASE WHEN c.oid IS NOT NULL THEN n.nspname || '.' || c.relname END, a.query "
	"FROM unnest(pg_blocking_pids($1::int)) AS b(pid) "
	"JOIN pg_stat_activity a ON a.pid = b.pid "
	"LEFT JOIN LATERAL (SELECT l.mode, l.granted, l.relation FROM pg_locks l, w "
	"     WHERE l.pid = b.pid AND l.locktype = w.locktype "
	"       AND l.database IS NOT DISTINCT FROM w.database "
	"       AND l.relation IS NOT DISTINCT FROM w.relation "
	"       AND l.transactionid IS NOT DISTINCT FROM w.transactionid "
	"       AND l.virtualxid IS NOT DISTINCT FROM w.virtualxid "
	"     ORDER BY l.granted DESC LIMIT 1) bl ON true "
	"LEFT JOIN pg_class c ON c.oid = bl.relation "
	"LEFT JOIN pg_namespace n ON n.oid = c.relnamespace";

/* The sessions waiting for a lock that the runner's backend is in the way of. */
static const char *queue_sql =
	"SELECT count(*), coalesce(max((extract(epoch FROM clock_timestamp() - "
	"       coalesce(l.waitstart, a.query_start)) * 1000)::bigint), 0) "
	"FROM pg_stat_activity a "
	"LEFT JOIN LATERAL (SELECT max(waitstart) AS waitstart FROM pg_locks "
	"     WHERE pid = a.pid AND NOT granted) l ON true "
	"WHERE a.wait_event_type = 'Lock' AND a.pid <> $1::int "
	"  AND $1::int = ANY (pg_blocking_pids(a.pid))";

/* pg_locks.waitstart is PostgreSQL 14+; older servers use the query's start. */
static const char *queue_sql_pre14 =
	"SELECT count(*), coalesce(max((extract(epoch FROM clock_timestamp() - a.query_start) "
	"       * 1000)::bigint), 0) "
	"FROM pg_stat_activity a "
	"WHERE a.wait_event_type = 'Lock' AND a.pid <> $1::int "
	"  AND $1::int = ANY (pg_blocking_pids(a.pid))";

Watcher *
watcher_new(const char *conninfo, const Options *opts)
{
	Watcher *w;
	PgConn *conn = pgsql_connect(conninfo, "migsafe-watcher");

	if (conn == NULL)
		return NULL;
	w = xcalloc(1, sizeof *w);
	w->conn = conn;
	w->redact = opts->redact_queries;
	w->max_queued = opts->max_queued;
	w->max_queue_wait_ms = opts->max_queue_wait_ms;
	return w;
}

void
watcher_free(Watcher *w)
{
	if (w == NULL)
		return;
	blocker_list_free(&w->seen);
	pgsql_close(w->conn);
	free(w);
}

void
watcher_begin(Watcher *w, int target_pid)
{
	blocker_list_free(&w->seen);
	w->target_pid = target_pid;
	w->queued = 0;
	w->oldest_wait_ms = 0;
	w->max_seen_queued = 0;
}

/* The entry for pid in the list, emptied for a new sample, or a new one. */
static Blocker *
blocker_slot(BlockerList *l, int pid)
{
	for (size_t i = 0; i < l->count; i++) {
		if (l->items[i].pid == pid) {
			blocker_clear(&l->items[i]);
			return &l->items[i];
		}
	}
	return blocker_list_add(l);
}

/* Reads the runner's blockers into w->seen. */
static bool
sample_blockers(Watcher *w, const char *pid)
{
	const char *params[] = {pid};
	PgError err = {0};
	PgResult *r = pgsql_query(w->conn, blockers_sql, 1, params, &err);

	if (r == NULL) {
		log_warn("watcher: cannot read blockers: %s", err.message);
		pgsql_error_free(&err);
		return false;
	}
	for (int i = 0; i < pgresult_rows(r); i++) {
		Blocker *b = blocker_slot(&w->seen, (int) pgresult_get_int(r, i, 0, 0));

		blocker_fill(b, r, i, w->redact);
	}
	pgresult_free(r);
	return true;
}

/* Reads how many sessions queue behind the runner and the oldest one's wait. */
static bool
sample_queue(Watcher *w, const char *pid)
{
	const char *params[] = {pid};
	PgError err = {0};
	const char *sql = pgsql_server_version(w->conn) >= 140000 ? queue_sql : queue_sql_pre14;
	PgResult *r = pgsql_query(w->conn, sql, 1, params, &err);

	if (r == NULL) {
		log_warn("watcher: cannot read the lock queue: %s", err.message);
		pgsql_error_free(&err);
		return false;
	}
	w->queued = (int) pgresult_get_int(r, 0, 0, 0);
	w->oldest_wait_ms = pgresult_get_int(r, 0, 1, 0);
	if (w->queued > w->max_seen_queued)
		w->max_seen_queued = w->queued;
	pgresult_free(r);
	return true;
}

bool
watcher_sample(Watcher *w, bool *fire)
{
	char pid[16];
	bool ok;

	*fire = false;
	if (w == NULL || !pgsql_is_ok(w->conn))
		return false;
	snprintf(pid, sizeof pid, "%d", w->target_pid);
	ok = sample_blockers(w, pid);
	ok = sample_queue(w, pid) && ok;
	if (w->queued > 0 && (w->queued > w->max_queued || w->oldest_wait_ms > w->max_queue_wait_ms))
		*fire = true;
	return ok;
}

char *
watcher_reason(const Watcher *w)
{
	if (w->queued > w->max_queued)
		return xasprintf("%d sessions queued behind the migration (--max-queued %d)", w->queued,
						 w->max_queued);
	return xasprintf("a session queued behind the migration for %lldms (--max-queue-wait %lldms)",
					 (long long) w->oldest_wait_ms, (long long) w->max_queue_wait_ms);
}
