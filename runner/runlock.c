/*
 * runlock.c — the runner's advisory lock, polled with backoff.
 */
#include "runlock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "defaults.h"
#include "log.h"
#include "retry.h"

/* First key of migsafe's advisory locks: "ms" in ASCII, to tell them apart in pg_locks. */
#define RUNLOCK_CLASS 0x6d73

int32_t
runlock_key(const char *history_table)
{
	uint32_t h = 2166136261u;   /* FNV-1a, kept positive so it reads the same as int4 and oid */

	for (const unsigned char *p = (const unsigned char *) history_table; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return (int32_t) (h & 0x7fffffff);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms unless interrupted first (checked every 50 ms). */
static void
sleep_interruptible(int64_t ms, volatile const int *interrupted)
{
	while (ms > 0 && !(interrupted && *interrupted)) {
		int64_t step = ms < 50 ? ms : 50;
		struct timespec ts = {(time_t) (step / 1000), (long) (step % 1000) * 1000000};

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* Logs which sessions hold the lock: pid, application, host, since when. */
static void
log_holders(PgConn *conn, const char *key, int64_t waited_ms)
{
	static const char *sql =
		"SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'), "
		"coalesce(a.usename::text, ''), "
		"(extract(epoch FROM clock_timestamp() - a.backend_start) * 1000)::bigint "
		"FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
		"WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid "
		"AND l.objid = $2::oid AND l.objsubid = 2 AND l.database = "
		"(SELECT oid FROM pg_database WHERE datname = current_database())";
	char classid[16];
	const char *params[] = {classid, key};
	PgError err = {0};
	PgResult *r;

	snprintf(classid, sizeof classid, "%d", RUNLOCK_CLASS);
	r = pgsql_query(conn, sql, 2, params, &err);
	if (r == NULL) {
		log_warn("cannot read who holds the runner lock: %s", err.message);
		pgsql_error_free(&err);
		return;
	}
	for (int i = 0; i < pgresult_rows(r); i++)
		log_info("waiting %llds for another runner: pid %s (app=%s, host=%s, user=%s, connected %llds ago)",
				 (long long) (waited_ms / 1000), pgresult_get(r, i, 0), pgresult_get(r, i, 1),
				 pgresult_get(r, i, 2), pgresult_get(r, i, 3),
				 (long long) (pgresult_get_int(r, i, 4, 0) / 1000));
	pgresult_free(r);
}

RunlockResult
runlock_acquire(PgConn *conn, const char *history_table, int64_t wait_ms,
				volatile const int *interrupted)
{
	char classid[16], key[16];
	const char *params[] = {classid, key};
	int64_t start = now_ms(), sleep_ms = DEFAULT_RUNLOCK_POLL_MS, last_log = -1;

	snprintf(classid, sizeof classid, "%d", RUNLOCK_CLASS);
	snprintf(key, sizeof key, "%d", runlock_key(history_table));
	for (;;) {
		PgError err = {0};
		PgResult *r = pgsql_query(conn, "SELECT pg_try_advisory_lock($1::int, $2::int)", 2,
								  params, &err);
		bool got;
		int64_t waited;

		if (r == NULL) {
			log_error("cannot take the runner lock: %s [%s]", err.message, err.sqlstate);
			pgsql_error_free(&err);
			return RUNLOCK_ERROR;
		}
		got = pgresult_get_bool(r, 0, 0);
		pgresult_free(r);
		if (got)
			return RUNLOCK_ACQUIRED;
		waited = now_ms() - start;
		if (last_log < 0 || waited - last_log >= DEFAULT_RUNLOCK_REPORT_MS) {
			log_holders(conn, key, waited);
			last_log = waited;
		}
		if (waited >= wait_ms) {
			log_error("gave up after %llds waiting for another migsafe runner (--runner-wait)",
					  (long long) (waited / 1000));
			return RUNLOCK_TIMED_OUT;
		}
		if (interrupted && *interrupted)
			return RUNLOCK_INTERRUPTED;
		/* Jittered exponential backoff, never past the remaining wait. */
		{
			int64_t s = (int64_t) ((double) sleep_ms * (0.75 + 0.5 * retry_random()));

			if (s > wait_ms - waited)
				s = wait_ms - waited;
			sleep_interruptible(s, interrupted);
		}
		if (sleep_ms < DEFAULT_RUNLOCK_POLL_MAX_MS)
			sleep_ms *= 2;
		if (sleep_ms > DEFAULT_RUNLOCK_POLL_MAX_MS)
			sleep_ms = DEFAULT_RUNLOCK_POLL_MAX_MS;
	}
}

void
runlock_release(PgConn *conn, const char *history_table)
{
	char classid[16], key[16];
	const char *params[] = {classid, key};
	PgError err = {0};
	PgResult *r;

	if (!pgsql_is_ok(conn))
		return;
	snprintf(classid, sizeof classid, "%d", RUNLOCK_CLASS);
	snprintf(key, sizeof key, "%d", runlock_key(history_table));
	r = pgsql_query(conn, "SELECT pg_advisory_unlock($1::int, $2::int)", 2, params, &err);
	if (r == NULL) {
		log_warn("cannot release the runner lock (the session's end will): %s", err.message);
		pgsql_error_free(&err);
		return;
	}
	pgresult_free(r);
}
