/*
 * history.h — the history table: which migrations are applied, with what
 * checksum, how many attempts it took and who applied them; and the
 * per-statement progress of a non-transactional migration, so that a rerun
 * resumes where the last one stopped.
 */
#ifndef MIGSAFE_HISTORY_H
#define MIGSAFE_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "model.h"
#include "pgsql.h"

/* A row's status: the whole file applied, or a non-transactional file part-way. */
#define HISTORY_APPLIED "applied"
#define HISTORY_PARTIAL "partial"

typedef struct HistoryRow {
	char *version;
	char *name;
	char *checksum;
	char *status;            /* HISTORY_APPLIED or HISTORY_PARTIAL */
	int statements_done;     /* for a partial non-transactional file */
	char *applied_at;        /* ISO 8601 */
	int attempts;
} HistoryRow;

typedef struct History {
	char *table;             /* quoted, schema-qualified */
	HistoryRow *rows;
	size_t count;
	size_t cap;
} History;

/*
 * Creates the history table (and its schema) when missing, under a short
 * lock_timeout so that creating it never queues the application. Fills
 * h->table. False (logged) on error.
 */
bool history_ensure(PgConn *conn, const char *table, History *h);

/*
 * Reads the table's rows into h, in version order; false (logged) on
 * error. When the table does not exist, h stays empty and *exists is false.
 */
bool history_load(PgConn *conn, const char *table, History *h, bool *exists);

/* The row of a version, or NULL. */
const HistoryRow *history_find(const History *h, const char *version);

void history_free(History *h);

/* What is recorded with a migration. */
typedef struct HistoryEntry {
	const Migration *m;
	const char *status;      /* HISTORY_APPLIED or HISTORY_PARTIAL */
	int statements_done;
	int64_t duration_ms;
	int attempts;
	const cJSON *attempt_log;   /* the report's attempts array */
	const char *git_commit;  /* the migrations' HEAD commit; NULL: from the CI environment */
} HistoryEntry;

/*
 * Inserts or updates the row of e->m. Runs on conn as it is: inside the
 * migration's transaction for a transactional file, so that the row
 * commits with it.
 */
bool history_record(PgConn *conn, const History *h, const HistoryEntry *e, PgError *err);

/*
 * The same as the last step of a transactional migration: the row and
 * COMMIT in one round trip, so that the migration's locks are released
 * sooner (see PgCommitOutcome for what a failure leaves).
 */
PgCommitOutcome history_record_and_commit(PgConn *conn, const History *h, const HistoryEntry *e,
										  PgError *err);

/*
 * Sends the migration's last statement, e's row and COMMIT as one pipeline
 * (pgsql_send_then_commit), so that the server commits the moment the
 * statement is done and the migration's locks are not held across a round
 * trip to the client. e is the row as it stands before that statement: the
 * server adds the time since BEGIN to e->duration_ms and writes it as the
 * last attempt's waited_ms in e->attempt_log. The caller waits for the
 * statement (pgsql_poll) and then reads the rest (pgsql_finish_then_commit).
 */
bool history_send_with_statement(PgConn *conn, const History *h, const HistoryEntry *e,
								 const char *stmt_sql, PgError *err);

#endif
