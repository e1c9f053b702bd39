/*
 * defaults.h — every tunable default of migsafe, each with why it has that
 * value. Options and migsafe.json override them.
 */
#ifndef MIGSAFE_DEFAULTS_H
#define MIGSAFE_DEFAULTS_H

/* Exit codes (docs/exit-codes.md). */
#define EXIT_OK 0
#define EXIT_FINDINGS 1        /* findings at or above --fail-on, or a migration failed */
#define EXIT_USAGE 2           /* usage or input error */
#define EXIT_GAVE_UP 3         /* gave up waiting for locks */
#define EXIT_DATABASE 4        /* connection or database error outside a migration */

/* Schema that unqualified names resolve to: PostgreSQL's own default. */
#define DEFAULT_SCHEMA "public"

/* Used for version-dependent facts when no server is connected: Debian 12's PostgreSQL. */
#define DEFAULT_PG_VERSION 15

/* ---- runner (apply) ---- */

/*
 * The retry schedule. Prior art: GitLab's with_lock_retries starts at
 * lock_timeout 100ms with 50ms sleeps and escalates over ~40 steps to
 * second-class lock_timeouts and minute-class sleeps (worst case ~40 min),
 * then makes one last attempt with no lock_timeout at all; pg_repack
 * retries its lock with a short lock_timeout until --wait-timeout, then
 * cancels or terminates the sessions in the way. migsafe keeps GitLab's
 * start and escalation, caps each attempt's stall at 2s, never makes an
 * attempt without lock_timeout (exit 3 instead: a deploy should fail
 * loudly, not stall the application), and leaves cancelling others to the
 * explicit --on-blockers policies.
 */

/*
 * First attempt's lock_timeout. 100 ms is the class GitLab's
 * with_lock_retries starts with: short enough that queued application
 * queries barely notice, long enough to win on a table with only churn.
 */
#define DEFAULT_LOCK_TIMEOUT_MS 100
/* Each retry multiplies lock_timeout by this, so a busy table is eventually won. */
#define DEFAULT_LOCK_TIMEOUT_GROWTH 1.5
/* lock_timeout never escalates past this: the application's worst stall per attempt. */
#define DEFAULT_LOCK_TIMEOUT_MAX_MS 2000
/*
 * statement_timeout for migration statements: generous (index builds and
 * backfills are slow) but bounded so a runaway statement cannot hold its
 * lock forever. Always kept above lock_timeout.
 */
#define DEFAULT_STATEMENT_TIMEOUT_MS (30 * 60 * 1000)
/* Ends a session the runner somehow left idle inside a transaction. */
#define DEFAULT_IDLE_IN_TX_TIMEOUT_MS (60 * 1000)
/* Attempts per migration before giving up (exit 3). */
#define DEFAULT_MAX_ATTEMPTS 10
/* Sleep before the second attempt; doubles each time, with jitter. */
#define DEFAULT_RETRY_SLEEP_MS 200
/* The sleep between attempts never exceeds this. */
#define DEFAULT_RETRY_SLEEP_MAX_MS 10000
/* Jitter: the sleep is drawn in [sleep * (1 - J), sleep * (1 + J)] so runners do not march in step. */
#define DEFAULT_RETRY_JITTER 0.25
/* Total time a migration may spend waiting for locks (attempts + sleeps). */
#define DEFAULT_MAX_WAIT_MS (5 * 60 * 1000)
/* How long a runner waits for another runner's advisory lock before exit 3. */
#define DEFAULT_RUNNER_WAIT_MS (10 * 60 * 1000)
/* History table: its own schema keeps it out of the application's tables. */
#define DEFAULT_HISTORY_TABLE "migsafe.migrations"
/* Watchdog: cancel the attempt when more sessions than this queue behind it. */
#define DEFAULT_MAX_QUEUED 5
/* Watchdog: or when the oldest queued session has waited this long. */
#define DEFAULT_MAX_QUEUE_WAIT_MS 500
/* While a statement waits longer than this, who it waits for is printed this often. */
#define DEFAULT_PROGRESS_INTERVAL_MS 5000
/* How often the watcher samples pg_locks while an attempt waits. */
#define DEFAULT_WATCH_INTERVAL_MS 50
/*
 * How often the runner's backend checks that the runner is still there
 * (client_connection_check_interval): a killed runner's backend ends, and
 * releases its locks, within about this long.
 */
#define DEFAULT_CLIENT_CHECK_INTERVAL_MS 1000
/* Below both thresholds a table is "small": rewrites and scans there are info only. */
#define DEFAULT_SMALL_TABLE_ROWS 10000
#define DEFAULT_SMALL_TABLE_BYTES (10 * 1024 * 1024)

/* ---- blockers (pre-check) ---- */

/* A holder whose transaction is younger than this is churn, left to lock_timeout. */
#define DEFAULT_BLOCKER_MIN_AGE_MS DEFAULT_LOCK_TIMEOUT_MS
/* How long --on-blockers wait polls before exit 3. */
#define DEFAULT_BLOCKER_WAIT_MS (5 * 60 * 1000)
/* cancel/terminate act only on blockers at least this old. */
#define DEFAULT_CANCEL_AFTER_MS 0
/* terminate: time between the cancel and the terminate of a session still there. */
#define DEFAULT_TERMINATE_GRACE_MS 1000
/* Open transactions older than this on target tables are worth a warning. */
#define DEFAULT_LONG_TX_WARN_MS (60 * 1000)
/* --on-blockers wait: first pause between two looks at pg_locks; doubles up to the maximum. */
#define DEFAULT_BLOCKER_POLL_MS 100
/*
 * The migration starts at most this long after the last blocker ends (bench/:
 * target 0.5 s; 2 s landed 1.4 s late); one pg_locks read per 250 ms is cheap.
 */
#define DEFAULT_BLOCKER_POLL_MAX_MS 250
/* While waiting for the same blockers, who is in the way is printed at most this often. */
#define DEFAULT_BLOCKER_REPORT_MS 10000

/* ---- history ---- */

/* Creating the history table takes locks too: it gives up quickly rather than queue. */
#define DEFAULT_HISTORY_LOCK_TIMEOUT_MS 1000

/* ---- runner lock ---- */

/* First poll interval of pg_try_advisory_lock; doubles up to the maximum. */
#define DEFAULT_RUNLOCK_POLL_MS 100
/* Polling more slowly than this would leave the lock unused for long after it is freed. */
#define DEFAULT_RUNLOCK_POLL_MAX_MS 2000
/* While waiting, who holds the lock is printed at most this often. */
#define DEFAULT_RUNLOCK_REPORT_MS 5000

/* ---- dry-run ---- */

/* The throwaway server's owner when migsafe runs as root: the same user ci/pg-temp uses. */
#define DEFAULT_PGTEMP_USER "migsafe-pg"
/* pg_ctl start/stop wait this long (seconds): initdb'd clusters start in about a second. */
#define DEFAULT_PGTEMP_START_TIMEOUT_S 30
#define DEFAULT_PGTEMP_STOP_TIMEOUT_S 20
/* A free port can be taken by someone else before the server binds it: retry with another. */
#define DEFAULT_PGTEMP_PORT_TRIES 5
/*
 * The trace measures table sizes before a statement (pg_total_relation_size
 * takes an AccessShareLock): it waits at most this for them, since sizes are
 * informative and the statement itself meets (and names) any blocker.
 */
#define DEFAULT_TRACE_SIZE_LOCK_TIMEOUT_MS 50

/* ---- check ---- */

/*
 * check parses files on other threads while the main thread analyses them in
 * order: at most this many threads (one fewer than the cores, at least one),
 * at most this many files ahead of the analysis, so that memory stays flat
 * on big directories.
 */
#define DEFAULT_PARSE_THREADS 4
#define DEFAULT_PARSE_AHEAD 32

/*
 * Reports are written in blocks of this size: check writes one migration at
 * a time, a few KB each, and one write per migration was thousands of system
 * calls over a big directory.
 */
#define DEFAULT_OUTPUT_BLOCK_BYTES (64 * 1024)

#endif
