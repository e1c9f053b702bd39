/*
 * pgsql.c — a thin wrapper over libpq; every libpq call of migsafe is here.
 */
#include "pgsql.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"

struct PgConn {
	PGconn *pg;
	char *masked;
	PGresult *pending;   /* last result collected by pgsql_poll */
	bool redact_errors;  /* pgsql_redact_errors: errors keep no row values */
};

struct PgResult {
	PGresult *res;
};

static PGcancel *volatile signal_cancel = NULL;

void
pgsql_error_free(PgError *err)
{
	if (err == NULL)
		return;
	free(err->message);
	free(err->detail);
	free(err->hint);
	free(err->context);
	memset(err, 0, sizeof *err);
}

bool
pgsql_error_is_connection(const PgError *err)
{
	return strncmp(err->sqlstate, "08", 2) == 0 || strcmp(err->sqlstate, "57P01") == 0 ||
		err->sqlstate[0] == '\0';
}

static char *
dup_or_null(const char *s)
{
	return s && s[0] ? xstrdup(s) : NULL;
}

/* What stands for a redacted DETAIL, and for a data exception's message. */
#define REDACTED_DETAIL "<redacted: --redact-queries>"
#define REDACTED_DATA_EXCEPTION "data exception (message redacted: --redact-queries)"

/*
 * Drops from err what can carry row values: DETAIL ("Key (id)=(42) already
 * exists.", "Failing row contains (...)"), CONTEXT (a COPY line), and the
 * primary message of a data exception (SQLSTATE class 22), which quotes
 * the value it could not take.
 */
static void
error_redact(PgError *err)
{
	if (err->detail) {
		free(err->detail);
		err->detail = xstrdup(REDACTED_DETAIL);
	}
	free(err->context);
	err->context = NULL;
	if (strncmp(err->sqlstate, "22", 2) == 0) {
		free(err->message);
		err->message = xstrdup(REDACTED_DATA_EXCEPTION);
	}
}

/* Copies libpq's error fields from a result (or the connection) into err. */
static void
error_from_result(PgConn *conn, const PGresult *res, PgError *err)
{
	const char *state, *pos;

	if (err == NULL)
		return;
	pgsql_error_free(err);
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state ? state : "");
	if (res && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY))
		err->message = xstrdup(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	else {
		const char *m = PQerrorMessage(conn->pg);
		size_t n = strlen(m);

		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		err->message = n ? xstrndup(m, n) : xstrdup("connection lost");
	}
	if (res) {
		err->detail = dup_or_null(PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
		err->hint = dup_or_null(PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
		err->context = dup_or_null(PQresultErrorField(res, PG_DIAG_CONTEXT));
		pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
		err->position = pos ? atoi(pos) : 0;
	}
	if (conn->redact_errors)
		error_redact(err);
}

/* Notices (e.g. "relation already exists, skipping") go to debug output. */
static void
notice_to_debug(void *arg, const char *message)
{
	(void) arg;
	log_debug("server: %s", message);
}

char *
pgsql_mask_conninfo(const char *conninfo)
{
	PQconninfoOption *opts;
	char *errmsg = NULL;
	StrBuf sb = {0};

	if (conninfo == NULL || conninfo[0] == '\0')
		return xstrdup("(from PG* environment)");
	opts = PQconninfoParse(conninfo, &errmsg);
	if (opts == NULL) {
		PQfreemem(errmsg);
		return xstrdup("(unparsable connection string)");
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (sb.len)
			strbuf_append(&sb, " ");
		if (strcmp(o->keyword, "password") == 0)
			strbuf_appendf(&sb, "%s=********", o->keyword);
		else
			strbuf_appendf(&sb, "%s=%s", o->keyword, o->val);
	}
	PQconninfoFree(opts);
	return strbuf_detach(&sb);
}

PgConn *
pgsql_connect(const char *conninfo, const char *application_name)
{
	const char *keys[] = {"dbname", "application_name", "fallback_application_name", NULL};
	const char *vals[] = {conninfo ? conninfo : "", application_name, "migsafe", NULL};
	PgConn *conn = xcalloc(1, sizeof *conn);

	conn->masked = pgsql_mask_conninfo(conninfo);
	/* expand_dbname=1: the dbname value may be a full conninfo or URI. */
	conn->pg = PQconnectdbParams(keys, vals, 1);
	if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK) {
		const char *m = conn->pg ? PQerrorMessage(conn->pg) : "out of memory";
		size_t n = strlen(m);

		while (n > 0 && m[n - 1] == '\n')
			n--;
		log_error("cannot connect to %s: %.*s", conn->masked, (int) n, m);
		pgsql_close(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn->pg, notice_to_debug, NULL);
	return conn;
}

/*
 * From now on, errors of this connection keep no row values (error_redact),
 * and libpq formats its messages and notices tersely (no DETAIL, HINT or
 * CONTEXT lines).
 */
void
pgsql_redact_errors(PgConn *conn)
{
	conn->redact_errors = true;
	PQsetErrorVerbosity(conn->pg, PQERRORS_TERSE);
}

void
pgsql_close(PgConn *conn)
{
	if (conn == NULL)
		return;
	if (conn->pending)
		PQclear(conn->pending);
	if (conn->pg)
		PQfinish(conn->pg);
	free(conn->masked);
	free(conn);
}

const char *
pgsql_conninfo_masked(const PgConn *conn)
{
	return conn->masked;
}

int
pgsql_server_version(const PgConn *conn)
{
	return PQserverVersion(conn->pg);
}

int
pgsql_backend_pid(const PgConn *conn)
{
	return PQbackendPID(conn->pg);
}

const char *
pgsql_database(const PgConn *conn)
{
	return PQdb(conn->pg);
}

bool
pgsql_is_ok(const PgConn *conn)
{
	return conn && conn->pg && PQstatus(conn->pg) == CONNECTION_OK;
}

bool
pgsql_in_transaction(const PgConn *conn)
{
	PGTransactionStatusType s = PQtransactionStatus(conn->pg);

	return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

bool
pgsql_exec(PgConn *conn, const char *sql, PgError *err)
{
	PGresult *res = PQexec(conn->pg, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;

	if (!ok)
		error_from_result(conn, res, err);
	PQclear(res);
	return ok;
}

PgResult *
pgsql_query(PgConn *conn, const char *sql, int nparams, const char *const *params, PgError *err)
{
	PGresult *res = PQexecParams(conn->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	PgResult *r;

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		error_from_result(conn, res, err);
		PQclear(res);
		return NULL;
	}
	r = xmalloc(sizeof *r);
	r->res = res;
	return r;
}

int
pgresult_rows(const PgResult *r)
{
	return PQntuples(r->res);
}

int
pgresult_cols(const PgResult *r)
{
	return PQnfields(r->res);
}

int
pgresult_column(const PgResult *r, const char *name)
{
	return PQfnumber(r->res, name);
}

const char *
pgresult_colname(const PgResult *r, int col)
{
	return PQfname(r->res, col);
}

const char *
pgresult_get(const PgResult *r, int row, int col)
{
	if (row < 0 || col < 0 || row >= PQntuples(r->res) || col >= PQnfields(r->res) ||
		PQgetisnull(r->res, row, col))
		return NULL;
	return PQgetvalue(r->res, row, col);
}

char *
pgresult_dup(const PgResult *r, int row, int col)
{
	const char *v = pgresult_get(r, row, col);

	return v ? xstrdup(v) : NULL;
}

int64_t
pgresult_get_int(const PgResult *r, int row, int col, int64_t dflt)
{
	const char *v = pgresult_get(r, row, col);

	return v ? strtoll(v, NULL, 10) : dflt;
}

bool
pgresult_get_bool(const PgResult *r, int row, int col)
{
	const char *v = pgresult_get(r, row, col);

	return v && v[0] == 't';
}

void
pgresult_free(PgResult *r)
{
	if (r == NULL)
		return;
	PQclear(r->res);
	free(r);
}

bool
pgsql_send(PgConn *conn, const char *sql, PgError *err)
{
	if (!PQsendQuery(conn->pg, sql)) {
		error_from_result(conn, NULL, err);
		return false;
	}
	return true;
}

/*
 * Collects every result of the statement; keeps the first error, if any.
 * Returns false when there was an error. In a pipeline, a command skipped
 * after an earlier error fails without an error of its own.
 */
static bool
collect_results(PgConn *conn, PgError *err)
{
	PGresult *res;
	bool ok = true;

	while ((res = PQgetResult(conn->pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (ok && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
			if (st != PGRES_PIPELINE_ABORTED)
				error_from_result(conn, res, err);
			ok = false;
		}
		PQclear(res);
		if (st == PGRES_FATAL_ERROR && PQstatus(conn->pg) != CONNECTION_OK)
			break;               /* the connection is gone: nothing more will come */
	}
	return ok;
}

/*
 * Enters pipeline mode and sends first (when not NULL; no parameters), sql
 * with its parameters, COMMIT and a sync point. False (err filled, pipeline
 * mode left) when they could not be sent.
 */
static bool
send_with_commit(PgConn *conn, const char *first, const char *sql, int nparams,
				 const char *const *params, PgError *err)
{
	if (PQenterPipelineMode(conn->pg) != 1 ||
		(first && PQsendQueryParams(conn->pg, first, 0, NULL, NULL, NULL, NULL, 0) != 1) ||
		PQsendQueryParams(conn->pg, sql, nparams, NULL, params, NULL, NULL, 0) != 1 ||
		PQsendQueryParams(conn->pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
		PQpipelineSync(conn->pg) != 1) {
		error_from_result(conn, NULL, err);
		PQexitPipelineMode(conn->pg);
		return false;
	}
	return true;
}

PgCommitOutcome
pgsql_query_then_commit(PgConn *conn, const char *sql, int nparams, const char *const *params,
						PgError *err)
{
	if (!send_with_commit(conn, NULL, sql, nparams, params, err))
		return PG_QUERY_FAILED;
	return pgsql_finish_then_commit(conn, err);
}

bool
pgsql_send_then_commit(PgConn *conn, const char *sql, const char *then_sql, int nparams,
					   const char *const *params, PgError *err)
{
	return send_with_commit(conn, sql, then_sql, nparams, params, err);
}

PgCommitOutcome
pgsql_finish_then_commit(PgConn *conn, PgError *err)
{
	PgCommitOutcome outcome = PG_COMMITTED;

	if (!collect_results(conn, err)) {
		outcome = PG_QUERY_FAILED;
		collect_results(conn, err);         /* COMMIT: aborted, not run */
	} else if (!collect_results(conn, err)) {
		outcome = PG_COMMIT_FAILED;
	}
	if (PQstatus(conn->pg) == CONNECTION_OK)
		PQclear(PQgetResult(conn->pg));      /* the pipeline's sync point */
	PQexitPipelineMode(conn->pg);
	return outcome;
}

int
pgsql_poll(PgConn *conn, int timeout_ms, PgError *err)
{
	struct pollfd pfd;
	int rc;

	if (err)
		pgsql_error_free(err);
	for (;;) {
		if (!PQconsumeInput(conn->pg)) {
			error_from_result(conn, NULL, err);
			return -1;
		}
		if (!PQisBusy(conn->pg)) {
			collect_results(conn, err);
			if (PQstatus(conn->pg) != CONNECTION_OK)
				return -1;
			return 1;
		}
		pfd.fd = PQsocket(conn->pg);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			return 0;
		if (rc <= 0)
			return rc == 0 ? 0 : -1;
		timeout_ms = 0;   /* data arrived: read it, then report busy or done */
	}
}

bool
pgsql_cancel(PgConn *conn)
{
	PGcancel *c = PQgetCancel(conn->pg);
	char errbuf[256];
	bool ok;

	if (c == NULL)
		return false;
	ok = PQcancel(c, errbuf, sizeof errbuf) == 1;
	if (!ok)
		log_warn("cancel request failed: %s", errbuf);
	PQfreeCancel(c);
	return ok;
}

void
pgsql_set_signal_target(PgConn *conn)
{
	PGcancel *old = signal_cancel;

	signal_cancel = conn ? PQgetCancel(conn->pg) : NULL;
	if (old)
		PQfreeCancel(old);
}

void
pgsql_cancel_from_signal(void)
{
	char errbuf[256];

	if (signal_cancel)
		(void) PQcancel(signal_cancel, errbuf, sizeof errbuf);
}

char *
pgsql_quote_ident(PgConn *conn, const char *ident)
{
	char *q = PQescapeIdentifier(conn->pg, ident, strlen(ident));
	char *out = xstrdup(q ? q : "\"\"");

	PQfreemem(q);
	return out;
}

char *
pgsql_quote_literal(PgConn *conn, const char *literal)
{
	char *q = PQescapeLiteral(conn->pg, literal, strlen(literal));
	char *out = xstrdup(q ? q : "''");

	PQfreemem(q);
	return out;
}

char *
pgsql_quote_qualified(PgConn *conn, const char *qualified)
{
	const char *dot = strchr(qualified, '.');
	char *schema, *name, *out;

	if (dot == NULL)
		return pgsql_quote_ident(conn, qualified);
	schema = xstrndup(qualified, (size_t) (dot - qualified));
	name = pgsql_quote_ident(conn, dot + 1);
	out = pgsql_quote_ident(conn, schema);
	free(schema);
	schema = out;
	out = xasprintf("%s.%s", schema, name);
	free(schema);
	free(name);
	return out;
}
