/*
 * pgsql.h — the only module that calls libpq.
 *
 * Connecting (conninfo, URIs, PG* environment, .pgpass, TLS: all libpq's),
 * queries with parameters, asynchronous execution with cancel, SQLSTATE and
 * message extraction, identifier/literal escaping and password masking.
 */
#ifndef MIGSAFE_PGSQL_H
#define MIGSAFE_PGSQL_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

typedef struct PgConn PgConn;
typedef struct PgResult PgResult;

/* An error from the server or the connection, with PostgreSQL's fields. */
typedef struct PgError {
	char sqlstate[6];    /* "" for client-side errors */
	char *message;
	char *detail;
	char *hint;
	char *context;
	int position;        /* 1-based character in the statement, 0 if none */
} PgError;

void pgsql_error_free(PgError *err);
/* Connection lost (class 08, or the socket closed), as opposed to an SQL error. */
bool pgsql_error_is_connection(const PgError *err);

/*
 * Connects with any libpq conninfo or URI ("" uses the PG* environment),
 * with application_name set. NULL on failure, logged with the password masked.
 */
PgConn *pgsql_connect(const char *conninfo, const char *application_name);
/*
 * --redact-queries: errors read from conn afterwards have their DETAIL
 * replaced (PostgreSQL puts row values there), no CONTEXT, and, for a data
 * exception (SQLSTATE class 22), a generic primary message.
 */
void pgsql_redact_errors(PgConn *conn);
void pgsql_close(PgConn *conn);

/* conninfo with any password replaced by "********"; caller frees. */
char *pgsql_mask_conninfo(const char *conninfo);
/* The masked conninfo this connection was made with. */
const char *pgsql_conninfo_masked(const PgConn *conn);

int pgsql_server_version(const PgConn *conn);   /* e.g. 150018 */
int pgsql_backend_pid(const PgConn *conn);
const char *pgsql_database(const PgConn *conn);
bool pgsql_is_ok(const PgConn *conn);
/* True when the session is inside a transaction block (or a failed one). */
bool pgsql_in_transaction(const PgConn *conn);

/* Runs a command that returns no rows; false with err filled on error. */
bool pgsql_exec(PgConn *conn, const char *sql, PgError *err);

/* How pgsql_query_then_commit ended. */
typedef enum PgCommitOutcome {
	PG_COMMITTED,            /* both ran: the transaction committed */
	PG_QUERY_FAILED,         /* the query failed; COMMIT did not run: the transaction is open, aborted */
	PG_COMMIT_FAILED         /* the query ran, COMMIT failed: the transaction has ended */
} PgCommitOutcome;

/*
 * Runs a command with text parameters and then COMMIT, sent together
 * (libpq's pipeline mode): the transaction's locks are released one client
 * round trip sooner than with two calls. err tells why when it failed.
 */
PgCommitOutcome pgsql_query_then_commit(PgConn *conn, const char *sql, int nparams,
										const char *const *params, PgError *err);

/*
 * Sends sql (one statement), then then_sql with text parameters, then
 * COMMIT, as one pipeline: the server goes from sql to the commit without
 * waiting for the client, so sql's locks are not held across a round trip.
 * Wait for sql's own result with pgsql_poll (which reads it into its err),
 * then read the rest with pgsql_finish_then_commit. False (err filled) when
 * the pipeline could not be sent.
 */
bool pgsql_send_then_commit(PgConn *conn, const char *sql, const char *then_sql, int nparams,
							const char *const *params, PgError *err);

/*
 * After pgsql_send_then_commit and sql's result: then_sql's and COMMIT's,
 * as pgsql_query_then_commit reports them. When sql failed, then_sql did
 * not run (PG_QUERY_FAILED, err left as it is): the transaction is open,
 * aborted.
 */
PgCommitOutcome pgsql_finish_then_commit(PgConn *conn, PgError *err);

/* Runs a query with text parameters ($1...); NULL with err filled on error. */
PgResult *pgsql_query(PgConn *conn, const char *sql, int nparams, const char *const *params,
					  PgError *err);

int pgresult_rows(const PgResult *r);
int pgresult_cols(const PgResult *r);
/* Column number of name, or -1. */
int pgresult_column(const PgResult *r, const char *name);
const char *pgresult_get(const PgResult *r, int row, int col);    /* NULL when SQL NULL */
/* A copy of the value (caller frees), NULL when SQL NULL. */
char *pgresult_dup(const PgResult *r, int row, int col);
const char *pgresult_colname(const PgResult *r, int col);
int64_t pgresult_get_int(const PgResult *r, int row, int col, int64_t dflt);
bool pgresult_get_bool(const PgResult *r, int row, int col);
void pgresult_free(PgResult *r);

/*
 * Asynchronous execution, so the caller can watch other sessions while a
 * statement waits for a lock: send, then poll until the result is in.
 */
bool pgsql_send(PgConn *conn, const char *sql, PgError *err);
/*
 * Waits up to timeout_ms for the sent statement to finish. Returns 1 when
 * it finished (ok or error: check *err->sqlstate / message), 0 on timeout,
 * -1 when the connection broke.
 */
int pgsql_poll(PgConn *conn, int timeout_ms, PgError *err);
/* Asks the server to cancel the running statement (libpq's cancel request). */
bool pgsql_cancel(PgConn *conn);

/*
 * A cancel handle usable from a signal handler: pgsql_cancel_from_signal()
 * only calls async-signal-safe code.
 */
void pgsql_set_signal_target(PgConn *conn);
void pgsql_cancel_from_signal(void);

/* Identifier and literal quoting by libpq; caller frees. */
char *pgsql_quote_ident(PgConn *conn, const char *ident);
char *pgsql_quote_literal(PgConn *conn, const char *literal);
/* "schema.table" quoted part by part. */
char *pgsql_quote_qualified(PgConn *conn, const char *qualified);

#endif
