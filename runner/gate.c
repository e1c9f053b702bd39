/*
 * gate.c — the safety gate: table sizes turn findings about rewrites,
 * scans and index builds on small tables into info; what remains at or
 * above --fail-on stops apply.
 */
#include "gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "log.h"

/* Statement kinds that build an index while blocking writes. */
static const char *const blocking_index_kinds[] = {"CREATE INDEX", "REINDEX"};

/* The size of one table, looked up once per run. */
typedef struct TableSize {
	char *relation;          /* "schema.name" as the analysis writes it */
	bool exists;
	int64_t rows;            /* estimate: reltuples, or a bounded count when never analysed */
	int64_t bytes;           /* pg_total_relation_size */
	char *pretty;            /* pg_size_pretty */
} TableSize;

typedef struct SizeCache {
	TableSize *items;
	size_t count;
	size_t cap;
} SizeCache;

static void
size_cache_free(SizeCache *c)
{
	for (size_t i = 0; i < c->count; i++) {
		free(c->items[i].relation);
		free(c->items[i].pretty);
	}
	free(c->items);
}

bool
gate_is_nontransactional(const Migration *m)
{
	return !migration_runs_in_transaction(m);
}

/* True when the rules already reported an error on statement stmt of m. */
static bool
has_error_at(const Migration *m, int stmt)
{
	for (size_t k = 0; k < m->nfindings; k++)
		if (m->findings[k].statement == stmt && m->findings[k].severity == SEVERITY_ERROR)
			return true;
	return false;
}

/*
 * Adds an error when a transactional file holds statements that cannot run
 * in a transaction, unless the rules already said so.
 */
static void
check_transaction_mode(Migration *m)
{
	if (gate_is_nontransactional(m))
		return;
	for (size_t i = 0; i < m->nstmts; i++) {
		const Statement *st = &m->stmts[i];
		char *msg;

		if (st->analysis.transactional || has_error_at(m, (int) i))
			continue;
		msg = xasprintf("%s cannot run inside a transaction block, but the other statements of "
						"this migration run in one", st->analysis.kind ? st->analysis.kind : "this statement");
		migration_add_finding(m, "apply-mixed-transaction", SEVERITY_ERROR, (int) i, msg,
							  "Move it to a migration of its own (it then runs outside a "
							  "transaction), or mark this file with -- migsafe:no-transaction "
							  "to run every statement on its own.");
		free(msg);
	}
}

/* Counts rows up to limit + 1 when the planner's estimate is missing; -1 when it cannot. */
static int64_t
bounded_count(PgConn *conn, const char *relation, int64_t limit)
{
	char *quoted = pgsql_quote_qualified(conn, relation);
	char *sql = xasprintf("SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %lld) s", quoted,
						  (long long) limit + 1);
	PgError err = {0};
	PgResult *r = NULL;
	int64_t n = -1;
	char timeout[64];

	snprintf(timeout, sizeof timeout, "SET LOCAL lock_timeout = '%dms'", DEFAULT_LOCK_TIMEOUT_MS);
	if (pgsql_exec(conn, "BEGIN", &err) && pgsql_exec(conn, timeout, &err))
		r = pgsql_query(conn, sql, 0, NULL, &err);
	if (r) {
		n = pgresult_get_int(r, 0, 0, -1);
		pgresult_free(r);
	} else
		log_debug("cannot count rows of %s: %s", relation, err.message ? err.message : "");
	if (pgsql_in_transaction(conn))
		pgsql_exec(conn, "ROLLBACK", NULL);
	pgsql_error_free(&err);
	free(sql);
	free(quoted);
	return n;
}

/* The size of relation, from the cache or the server; NULL when unknown. */
static const TableSize *
table_size(PgConn *conn, const Options *opts, SizeCache *c, const char *relation)
{
	static const char *sql =
		"SELECT c.reltuples::bigint, pg_total_relation_size(c.oid), "
		"pg_size_pretty(pg_total_relation_size(c.oid)) "
		"FROM pg_class c WHERE c.oid = to_regclass($1)";
	char *quoted;
	const char *params[1];
	PgError err = {0};
	PgResult *r;
	TableSize *t;

	for (size_t i = 0; i < c->count; i++)
		if (strcmp(c->items[i].relation, relation) == 0)
			return &c->items[i];
	quoted = pgsql_quote_qualified(conn, relation);   /* after the cache: it leaked on hits */
	params[0] = quoted;
	r = pgsql_query(conn, sql, 1, params, &err);
	free(quoted);
	if (r == NULL) {
		log_warn("cannot read the size of %s: %s", relation, err.message);
		pgsql_error_free(&err);
		return NULL;
	}
	array_reserve((void **) &c->items, &c->cap, c->count, sizeof *c->items);
	t = &c->items[c->count++];
	memset(t, 0, sizeof *t);
	t->relation = xstrdup(relation);
	t->exists = pgresult_rows(r) > 0;
	if (t->exists) {
		t->rows = pgresult_get_int(r, 0, 0, -1);
		t->bytes = pgresult_get_int(r, 0, 1, 0);
		t->pretty = xstrdup(pgresult_get(r, 0, 2));
		/* reltuples is -1 until the first VACUUM or ANALYZE: count, up to the threshold. */
		if (t->rows < 0)
			t->rows = bounded_count(conn, relation, opts->small_table_rows);
	} else
		t->pretty = xstrdup("0 bytes");
	pgresult_free(r);
	if (t->exists && t->rows < 0) {
		c->count--;
		free(t->relation);
		free(t->pretty);
		return NULL;
	}
	return t;
}

/* True when a finding on this statement depends on the size of the tables it touches. */
static bool
size_dependent(const Statement *st)
{
	const Analysis *a = &st->analysis;

	/* CONCURRENTLY and friends block nobody: their findings are never about size. */
	if (!a->transactional)
		return false;
	if (a->rewrites.count > 0 || a->scans.count > 0)
		return true;
	if (a->kind == NULL)
		return false;
	for (size_t i = 0; i < sizeof blocking_index_kinds / sizeof blocking_index_kinds[0]; i++)
		if (strcmp(a->kind, blocking_index_kinds[i]) == 0)
			return true;
	return false;
}

/* Every existing table the statement's cost depends on: rewritten, scanned, or locked (not created). */
static void
involved_tables(const Statement *st, StrList *out)
{
	const Analysis *a = &st->analysis;

	for (size_t i = 0; i < a->rewrites.count; i++)
		strlist_add_unique(out, a->rewrites.items[i]);
	for (size_t i = 0; i < a->scans.count; i++)
		strlist_add_unique(out, a->scans.items[i]);
	for (size_t i = 0; i < a->nlocks; i++)
		if (!strlist_contains(&a->creates, a->locks[i].relation))
			strlist_add_unique(out, a->locks[i].relation);
}

/*
 * When every table the statement depends on is small, writes their sizes
 * into *why and returns true.
 */
static bool
statement_is_small(PgConn *conn, const Options *opts, SizeCache *cache, const Statement *st,
				   char **why)
{
	StrList tables = {0};
	StrBuf sb = {0};
	bool small = true;

	involved_tables(st, &tables);
	for (size_t i = 0; i < tables.count && small; i++) {
		const TableSize *t = table_size(conn, opts, cache, tables.items[i]);

		if (t == NULL || (t->exists && (t->rows >= opts->small_table_rows ||
										t->bytes >= opts->small_table_bytes))) {
			small = false;
			break;
		}
		if (t->exists)
			strbuf_appendf(&sb, "%s%s has about %lld rows, %s", sb.len ? "; " : "", t->relation,
						   (long long) t->rows, t->pretty);
		else
			strbuf_appendf(&sb, "%s%s does not exist yet", sb.len ? "; " : "", t->relation);
	}
	if (small && tables.count > 0)
		*why = strbuf_detach(&sb);
	else
		small = false;
	strbuf_free(&sb);
	strlist_free(&tables);
	return small;
}

/* Downgrades the size-dependent findings of m on small tables to info. */
static void
downgrade_small(PgConn *conn, const Options *opts, SizeCache *cache, Migration *m)
{
	for (size_t k = 0; k < m->nfindings; k++) {
		Finding *f = &m->findings[k];
		char *why = NULL, *msg;

		if (f->severity == SEVERITY_INFO || f->statement < 0 || (size_t) f->statement >= m->nstmts)
			continue;
		if (!size_dependent(&m->stmts[f->statement]))
			continue;
		if (!statement_is_small(conn, opts, cache, &m->stmts[f->statement], &why))
			continue;
		msg = xasprintf("%s (info on this server: %s; below --small-table-rows %lld and "
						"--small-table-bytes %lld)", f->message, why,
						(long long) opts->small_table_rows, (long long) opts->small_table_bytes);
		free(f->message);
		f->message = msg;
		f->severity = SEVERITY_INFO;
		free(why);
	}
}

bool
gate_check(PgConn *conn, const Options *opts, MigrationList *l, const bool *pending)
{
	SizeCache cache = {0};
	Severity threshold = opts->fail_on == FAIL_ON_WARNING ? SEVERITY_WARNING : SEVERITY_ERROR;
	int stopping = 0;

	for (size_t i = 0; i < l->count; i++) {
		if (!pending[i])
			continue;
		downgrade_small(conn, opts, &cache, l->items[i]);
		check_transaction_mode(l->items[i]);
	}
	size_cache_free(&cache);
	if (opts->fail_on == FAIL_ON_NEVER)
		return true;
	for (size_t i = 0; i < l->count; i++) {
		const Migration *m = l->items[i];

		for (size_t k = 0; pending[i] && k < m->nfindings; k++) {
			const Finding *f = &m->findings[k];

			if (f->severity < threshold)
				continue;
			log_error("%s:%d:%d: %s [%s] %s", m->path, f->line, f->column,
					  severity_name(f->severity), f->rule, f->message);
			if (f->help && f->help[0])
				log_info("    help: %s", f->help);
			stopping++;
		}
	}
	if (stopping > 0)
		log_error("apply stopped before applying anything: %d finding%s at or above --fail-on "
				  "(suppress one with -- migsafe:ignore <rule> <reason>, or use --fail-on never)",
				  stopping, stopping == 1 ? "" : "s");
	return stopping == 0;
}
