/*
 * trace.c — observe what statements really lock, rewrite and cost, inside
 * a transaction that the dry-run rolls back.
 *
 * Before and after each statement the tracer reads the non-system
 * relations (oid, name, relkind, relfilenode, reltuples) and the relation
 * locks of its own backend. The difference is the statement's footprint:
 * locks newly taken, relations created, relfilenodes changed (rewrites).
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attempt.h"
#include "defaults.h"
#include "log.h"
#include "signals.h"

/* One row of pg_class as the tracer keeps it. */
typedef struct RelInfo {
	int64_t oid;
	char *name;              /* "schema.name" */
	char relkind;
	int64_t filenode;        /* 0 for relations without storage */
	double rows;             /* reltuples */
} RelInfo;

/* Non-system relations, sorted by oid. */
struct RelSnapshot {
	RelInfo *items;
	size_t count;
};

typedef struct HeldLock {
	int64_t oid;
	LockMode mode;
} HeldLock;

/* The relation locks the tracer's backend holds. */
struct LockSnapshot {
	HeldLock *items;
	size_t count;
};

/* Every relation outside pg_catalog, pg_toast, pg_temp_* and information_schema. */
static const char *const rels_sql =
	"SELECT c.oid::int8, n.nspname || '.' || c.relname, c.relkind::text, "
	"       c.relfilenode::int8, c.reltuples::float8 "
	"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
	"ORDER BY c.oid";

/* The granted relation locks of this backend in this database. */
static const char *const locks_sql =
	"SELECT l.relation::int8, l.mode FROM pg_locks l "
	"WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted "
	"  AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())";

/* Total size (table, indexes, TOAST) of the given relations. */
static const char *const sizes_sql =
	"SELECT c.oid::int8, pg_total_relation_size(c.oid) FROM pg_class c "
	"WHERE c.oid = ANY ($1::oid[])";

/* pg_class.relkind letters and their names. */
static const struct {
	char relkind;
	const char *name;
	bool table_like;         /* compared with the prediction even when not predicted */
} relkinds[] = {
	{'r', "table", true},
	{'p', "partitioned table", true},
	{'f', "foreign table", true},
	{'m', "materialized view", true},
	{'v', "view", true},
	{'i', "index", false},
	{'I', "partitioned index", false},
	{'S', "sequence", false},
	{'t', "TOAST table", false},
	{'c', "composite type", false},
};

const char *
trace_relkind_name(char relkind)
{
	for (size_t i = 0; i < sizeof relkinds / sizeof relkinds[0]; i++)
		if (relkinds[i].relkind == relkind)
			return relkinds[i].name;
	return "relation";
}

/* True for relation kinds compared with the prediction even when it names none. */
static bool
relkind_table_like(char relkind)
{
	for (size_t i = 0; i < sizeof relkinds / sizeof relkinds[0]; i++)
		if (relkinds[i].relkind == relkind)
			return relkinds[i].table_like;
	return false;
}

/* Milliseconds on the monotonic clock, with fractions. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

/* Frees a relation snapshot (NULL is fine). */
static void
rel_snapshot_free(RelSnapshot *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->count; i++)
		free(s->items[i].name);
	free(s->items);
	free(s);
}

/* Frees a lock snapshot (NULL is fine). */
static void
lock_snapshot_free(LockSnapshot *s)
{
	if (s == NULL)
		return;
	free(s->items);
	free(s);
}

/* Reads the relations; NULL with err on error. */
static RelSnapshot *
rel_snapshot_read(PgConn *conn, PgError *err)
{
	PgResult *r = pgsql_query(conn, rels_sql, 0, NULL, err);
	RelSnapshot *s;

	if (r == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->count = (size_t) pgresult_rows(r);
	s->items = xcalloc(s->count ? s->count : 1, sizeof(RelInfo));
	for (size_t i = 0; i < s->count; i++) {
		const char *kind = pgresult_get(r, (int) i, 2), *rows = pgresult_get(r, (int) i, 4);

		s->items[i].oid = pgresult_get_int(r, (int) i, 0, 0);
		s->items[i].name = xstrdup(pgresult_get(r, (int) i, 1));
		s->items[i].relkind = kind ? kind[0] : '?';
		s->items[i].filenode = pgresult_get_int(r, (int) i, 3, 0);
		s->items[i].rows = rows ? strtod(rows, NULL) : -1;
	}
	pgresult_free(r);
	return s;
}

/* The relation with this oid, or NULL (binary search: the rows are in oid order). */
static const RelInfo *
rel_find(const RelSnapshot *s, int64_t oid)
{
	size_t lo = 0, hi = s ? s->count : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->items[mid].oid == oid)
			return &s->items[mid];
		if (s->items[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The relation named "schema.name", or NULL. */
static const RelInfo *
rel_find_name(const RelSnapshot *s, const char *name)
{
	for (size_t i = 0; s && i < s->count; i++)
		if (strcmp(s->items[i].name, name) == 0)
			return &s->items[i];
	return NULL;
}

/* Reads our relation locks; NULL with err on error. */
static LockSnapshot *
lock_snapshot_read(PgConn *conn, PgError *err)
{
	PgResult *r = pgsql_query(conn, locks_sql, 0, NULL, err);
	LockSnapshot *s;

	if (r == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->count = (size_t) pgresult_rows(r);
	s->items = xcalloc(s->count ? s->count : 1, sizeof(HeldLock));
	for (size_t i = 0; i < s->count; i++) {
		s->items[i].oid = pgresult_get_int(r, (int) i, 0, 0);
		s->items[i].mode = lockmode_parse(pgresult_get(r, (int) i, 1));
	}
	pgresult_free(r);
	return s;
}

/* True when the snapshot holds mode on the relation oid. */
static bool
lock_held(const LockSnapshot *s, int64_t oid, LockMode mode)
{
	for (size_t i = 0; s && i < s->count; i++)
		if (s->items[i].oid == oid && s->items[i].mode == mode)
			return true;
	return false;
}

/* Reads both snapshots when the tracer has none (start, or after untraced work). */
static bool
tracer_observe(Tracer *t, PgError *err)
{
	if (t->rels && t->locks)
		return true;
	rel_snapshot_free(t->rels);
	lock_snapshot_free(t->locks);
	t->locks = NULL;
	t->rels = rel_snapshot_read(t->conn, err);
	if (t->rels)
		t->locks = lock_snapshot_read(t->conn, err);
	return t->rels && t->locks;
}

/* Forgets the snapshots: the next traced statement reads them afresh. */
static void
tracer_forget(Tracer *t)
{
	rel_snapshot_free(t->rels);
	lock_snapshot_free(t->locks);
	t->rels = NULL;
	t->locks = NULL;
}

void
tracer_cleanup(Tracer *t)
{
	tracer_forget(t);
}

bool
trace_begin(Tracer *t, PgError *err)
{
	tracer_forget(t);
	return attempt_begin(t->conn, t->opts->lock_timeout_ms, t->opts->statement_timeout_ms, err);
}

bool
trace_rollback(Tracer *t)
{
	PgError err = {0};
	bool ok = true;

	tracer_forget(t);
	if (pgsql_is_ok(t->conn) && pgsql_in_transaction(t->conn) &&
		!pgsql_exec(t->conn, "ROLLBACK", &err)) {
		log_error("dry-run: ROLLBACK failed: %s", err.message);
		ok = false;
	}
	pgsql_error_free(&err);
	return ok;
}

/*
 * Sizes of the relations in oids (pg_total_relation_size), into bytes[i];
 * -1 where unknown. pg_total_relation_size takes an AccessShareLock, which
 * waits behind another session's AccessExclusiveLock: inside the dry-run's
 * transaction it runs in a savepoint, rolled back afterwards, under a short
 * lock_timeout of its own, so that a blocker only costs the sizes (the
 * statement itself then meets the blocker and names it) instead of
 * aborting the transaction. Errors are only logged.
 */
static void
query_sizes(Tracer *t, const int64_t *oids, size_t n, int64_t *bytes)
{
	StrBuf arr = {0};
	PgError err = {0};
	PgResult *r = NULL;
	const char *params[1];
	bool in_tx = pgsql_in_transaction(t->conn);

	for (size_t i = 0; i < n; i++)
		bytes[i] = -1;
	if (n == 0)
		return;
	strbuf_append(&arr, "{");
	for (size_t i = 0; i < n; i++)
		strbuf_appendf(&arr, "%s%lld", i ? "," : "", (long long) oids[i]);
	strbuf_append(&arr, "}");
	params[0] = arr.data;
	if (!in_tx || (pgsql_exec(t->conn, "SAVEPOINT migsafe_sizes", &err) &&
				   attempt_set_timeout(t->conn, true, "lock_timeout",
									   DEFAULT_TRACE_SIZE_LOCK_TIMEOUT_MS, &err)))
		r = pgsql_query(t->conn, sizes_sql, 1, params, &err);
	/* the rollback also restores the dry-run's own lock_timeout */
	if (in_tx && (!pgsql_exec(t->conn, "ROLLBACK TO SAVEPOINT migsafe_sizes", NULL) ||
				  !pgsql_exec(t->conn, "RELEASE SAVEPOINT migsafe_sizes", NULL)))
		log_warn("dry-run: cannot roll back to the savepoint around the size query");
	strbuf_free(&arr);
	if (r == NULL) {
		log_warn("dry-run: cannot read table sizes now: %s", err.message);
		pgsql_error_free(&err);
		return;
	}
	for (int row = 0; row < pgresult_rows(r); row++) {
		int64_t oid = pgresult_get_int(r, row, 0, 0);

		for (size_t i = 0; i < n; i++)
			if (oids[i] == oid)
				bytes[i] = pgresult_get_int(r, row, 1, -1);
	}
	pgresult_free(r);
}

/* Records a newly taken lock on rel. */
static void
result_add_lock(TraceResult *out, const RelInfo *rel, LockMode mode, bool created)
{
	TraceLock *l;

	array_reserve((void **) &out->locks, &out->locks_cap, out->nlocks, sizeof *out->locks);
	l = &out->locks[out->nlocks++];
	l->relation = xstrdup(rel->name);
	l->relkind = rel->relkind;
	l->mode = mode;
	l->created = created;
}

/* The touched-table entry of a relation, added when missing. */
static TraceTable *
result_table(TraceResult *out, const RelInfo *rel)
{
	TraceTable *tt;

	for (size_t i = 0; i < out->ntables; i++)
		if (strcmp(out->tables[i].relation, rel->name) == 0)
			return &out->tables[i];
	array_reserve((void **) &out->tables, &out->tables_cap, out->ntables, sizeof *out->tables);
	tt = &out->tables[out->ntables++];
	memset(tt, 0, sizeof *tt);
	tt->relation = xstrdup(rel->name);
	tt->relkind = rel->relkind;
	tt->bytes = -1;
	tt->rows = rel->rows;
	return tt;
}

/* Records a table where the prediction and the observation differ. */
static void
result_add_mismatch(TraceResult *out, const char *relation, LockMode predicted, LockMode observed,
					unsigned held_before)
{
	TraceMismatch *mm;

	array_reserve((void **) &out->mismatches, &out->mismatches_cap, out->nmismatches,
				  sizeof *out->mismatches);
	mm = &out->mismatches[out->nmismatches++];
	mm->relation = xstrdup(relation);
	mm->predicted = predicted;
	mm->observed = observed;
	mm->held_before = held_before;
}

/* The predicted mode on relation, LOCK_NONE when the analysis names none. */
static LockMode
predicted_mode(const Analysis *a, const char *relation)
{
	for (size_t i = 0; i < a->nlocks; i++)
		if (strcmp(a->locks[i].relation, relation) == 0)
			return a->locks[i].mode;
	return LOCK_NONE;
}

/* The strongest newly taken mode on relation, LOCK_NONE when none. */
static LockMode
observed_mode(const TraceResult *out, const char *relation)
{
	LockMode m = LOCK_NONE;

	for (size_t i = 0; i < out->nlocks; i++)
		if (strcmp(out->locks[i].relation, relation) == 0)
			m = lockmode_strongest(m, out->locks[i].mode);
	return m;
}

/*
 * Modes a statement may take only per row it processes: RowShareLock on a
 * referenced table comes from the foreign key check (SELECT ... FOR KEY
 * SHARE) run for each inserted or updated row, RowExclusiveLock on a
 * referencing table from ON DELETE/UPDATE CASCADE or SET NULL run for each
 * deleted or updated row. With no row, no lock: on a small or empty
 * database the prediction may be right and still unseen. (A DML
 * statement's own target always shows its RowExclusiveLock: it is taken
 * when the statement is parsed.)
 */
static const LockMode row_dependent_modes[] = {LOCK_ROW_SHARE, LOCK_ROW_EXCLUSIVE};

static bool
mode_row_dependent(LockMode m)
{
	for (size_t i = 0; i < sizeof row_dependent_modes / sizeof row_dependent_modes[0]; i++)
		if (row_dependent_modes[i] == m)
			return true;
	return false;
}

/* Bit mask of the modes the snapshot holds on oid (bit n for LockMode n). */
static unsigned
modes_held(const LockSnapshot *s, int64_t oid)
{
	unsigned mask = 0;

	for (size_t i = 0; s && i < s->count; i++)
		if (s->items[i].oid == oid)
			mask |= 1u << s->items[i].mode;
	return mask;
}

/*
 * Compares prediction and observation table by table (tables, views,
 * materialized and foreign tables: the prediction's indexes and sequences
 * are not compared, their locks depend on data, e.g. nextval runs per row).
 * A predicted mode the transaction already held before the statement
 * cannot be seen again in pg_locks (a backend holds each mode once); it
 * counts as observed and is listed in already_held. A predicted per-row
 * mode that was not taken, with nothing stronger observed instead, is
 * listed in unexercised rather than called a mismatch. Relations the
 * statement created are not compared (no other session can see them
 * before commit), and predicted relations that do not exist at all are
 * listed in absent (IF EXISTS on nothing, a temporary or CTE name).
 */
static void
compare_with_prediction(const Statement *st, const RelSnapshot *before, const RelSnapshot *after,
						const LockSnapshot *held_before, TraceResult *out)
{
	const Analysis *a = &st->analysis;
	StrList seen = {0};

	for (size_t i = 0; i < a->nlocks; i++) {
		const char *rel = a->locks[i].relation;
		LockMode pred = a->locks[i].mode, obs = observed_mode(out, rel);
		const RelInfo *ri = rel_find_name(before, rel);

		strlist_add_unique(&seen, rel);
		if (ri == NULL) {
			/* created now (no other session sees it before commit), or no such relation */
			if (rel_find_name(after, rel) == NULL)
				strlist_add_unique(&out->absent, rel);
			continue;
		}
		if (!relkind_table_like(ri->relkind))
			continue;
		if (obs != pred && lock_held(held_before, ri->oid, pred) &&
			lockmode_strongest(obs, pred) == pred) {
			strlist_add_unique(&out->already_held, rel);
			obs = pred;
		}
		if (obs != pred && mode_row_dependent(pred) && lockmode_strongest(obs, pred) == pred) {
			strlist_add_unique(&out->unexercised, rel);
			continue;
		}
		if (obs != pred)
			result_add_mismatch(out, rel, pred, obs, modes_held(held_before, ri->oid));
	}
	for (size_t i = 0; i < out->nlocks; i++) {
		const TraceLock *l = &out->locks[i];

		if (strlist_contains(&seen, l->relation) || l->created || !relkind_table_like(l->relkind))
			continue;
		strlist_add(&seen, l->relation);
		result_add_mismatch(out, l->relation, predicted_mode(a, l->relation),
							observed_mode(out, l->relation), 0);
	}
	strlist_free(&seen);
}

/*
 * Fills out->locks, rewrites and touched tables from the snapshots taken
 * before and after the statement; pre_bytes holds sizes measured before
 * for the relations in pre_oids.
 */
static void
diff_snapshots(Tracer *t, const RelSnapshot *before, const LockSnapshot *held_before,
			   const RelSnapshot *after, const LockSnapshot *held_after,
			   const int64_t *pre_oids, const int64_t *pre_bytes, size_t npre, TraceResult *out)
{
	int64_t *late_oids = xcalloc(held_after->count + after->count + 1, sizeof(int64_t));
	int64_t *late_bytes;
	size_t nlate = 0;

	for (size_t i = 0; i < held_after->count; i++) {
		const HeldLock *h = &held_after->items[i];
		const RelInfo *was = rel_find(before, h->oid), *now = rel_find(after, h->oid);
		const RelInfo *rel = was ? was : now;    /* a RENAME is known by its old name */

		if (rel == NULL || lock_held(held_before, h->oid, h->mode))
			continue;        /* a system relation, or held before the statement */
		result_add_lock(out, rel, h->mode, was == NULL);
		{
			TraceTable *tt = result_table(out, rel);

			tt->mode = lockmode_strongest(tt->mode, h->mode);
		}
	}
	for (size_t i = 0; i < after->count; i++) {
		const RelInfo *now = &after->items[i], *was = rel_find(before, now->oid);

		if (was == NULL)
			(void) result_table(out, now);     /* created by the statement */
		else if (was->filenode != 0 && now->filenode != 0 && was->filenode != now->filenode) {
			TraceTable *tt = result_table(out, was);

			tt->rewritten = true;
			tt->rows = was->rows;
		}
	}
	/* predicted relations the transaction already held: touched too, though no lock is new */
	for (size_t k = 0; k < npre; k++) {
		const RelInfo *rel = rel_find(after, pre_oids[k]);
		LockMode held = LOCK_NONE;

		for (size_t i = 0; rel && i < held_after->count; i++)
			if (held_after->items[i].oid == pre_oids[k])
				held = lockmode_strongest(held, held_after->items[i].mode);
		if (held != LOCK_NONE) {
			TraceTable *tt = result_table(out, rel);

			if (tt->mode == LOCK_NONE)
				tt->mode = held;
		}
	}
	/* sizes: measured before the statement when predicted, else now */
	for (size_t i = 0; i < out->ntables; i++) {
		TraceTable *tt = &out->tables[i];
		const RelInfo *rel = rel_find_name(before, tt->relation);
		bool measured = false;

		for (size_t k = 0; rel && k < npre; k++) {
			if (pre_oids[k] == rel->oid && pre_bytes[k] >= 0) {
				tt->bytes = pre_bytes[k];
				measured = true;
			}
		}
		if (!measured)
			rel = rel ? rel_find(after, rel->oid) : rel_find_name(after, tt->relation);
		if (!measured && rel != NULL)
			late_oids[nlate++] = rel->oid;
	}
	late_bytes = xcalloc(nlate + 1, sizeof(int64_t));
	query_sizes(t, late_oids, nlate, late_bytes);
	for (size_t k = 0; k < nlate; k++) {
		const RelInfo *was = rel_find(before, late_oids[k]), *now = rel_find(after, late_oids[k]);
		const char *name = was ? was->name : now ? now->name : NULL;

		for (size_t i = 0; name && i < out->ntables; i++)
			if (strcmp(out->tables[i].relation, name) == 0 && out->tables[i].bytes < 0)
				out->tables[i].bytes = late_bytes[k];
	}
	free(late_oids);
	free(late_bytes);
}

/* Moves a failed run's error and blockers into out. */
static void
result_take_failure(Runner *r, StatementRun *run, TraceResult *out)
{
	out->state = TRACE_FAILED;
	out->err = run->err;
	memset(&run->err, 0, sizeof run->err);
	out->watchdog_reason = run->watchdog_reason;
	run->watchdog_reason = NULL;
	if (r->watcher && r->watcher->seen.count > 0)
		out->blockers = blocker_list_json(&r->watcher->seen);
	if (run->outcome == OUTCOME_LOCK_TIMEOUT)
		out->reason = xstrdup("lock_timeout: another session holds a conflicting lock");
	else if (run->outcome == OUTCOME_WATCHDOG)
		out->reason = xasprintf("cancelled by the watchdog: %s", out->watchdog_reason);
	else if (run->outcome == OUTCOME_INTERRUPTED)
		out->reason = xstrdup("interrupted by a signal");
	else
		out->reason = xstrdup("the statement failed");
}

/*
 * Runs sql under the watcher; false (out filled as failed) on error. With
 * in_tx, the statement must leave the transaction open: one that ended it
 * is a failure, so nothing after it runs outside the rolled-back transaction.
 */
static bool
execute(Tracer *t, const char *sql, bool in_tx, TraceResult *out)
{
	Runner r;
	StatementRun run;
	double start = now_ms();
	bool ok;

	memset(&r, 0, sizeof r);
	r.opts = t->opts;
	r.conn = t->conn;
	r.watcher = t->watcher;
	r.interrupted = &signals_received;
	if (t->watcher)
		watcher_begin(t->watcher, pgsql_backend_pid(t->conn));
	attempt_run_statement(&r, sql, &run);
	out->duration_ms = now_ms() - start;
	ok = run.outcome == OUTCOME_APPLIED;
	if (!ok)
		result_take_failure(&r, &run, out);
	else if (in_tx && !pgsql_in_transaction(t->conn)) {
		out->state = TRACE_FAILED;
		out->reason = xstrdup("the statement ended the dry-run's transaction");
		out->err.message = xstrdup("the statement ended the dry-run's transaction; the dry-run "
								   "stops so that nothing runs outside it");
		ok = false;
	}
	attempt_run_free(&run);
	return ok;
}

/* Oids of the predicted relations that exist now, to measure them before the statement. */
static size_t
predicted_oids(const Statement *st, const RelSnapshot *rels, int64_t *oids)
{
	size_t n = 0;

	for (size_t i = 0; i < st->analysis.nlocks; i++) {
		const RelInfo *ri = rel_find_name(rels, st->analysis.locks[i].relation);

		if (ri)
			oids[n++] = ri->oid;
	}
	return n;
}

bool
trace_statement(Tracer *t, const Statement *st, TraceResult *out)
{
	PgError err = {0};
	RelSnapshot *after = NULL;
	LockSnapshot *held_after = NULL;
	int64_t *pre_oids = NULL, *pre_bytes = NULL;
	size_t npre;
	bool ok = false;

	out->state = TRACE_TRACED;
	if (!tracer_observe(t, &err)) {
		log_error("dry-run: cannot read pg_class/pg_locks: %s", err.message);
		out->state = TRACE_FAILED;
		out->reason = xstrdup("the trace queries failed");
		out->err = err;
		return false;
	}
	pre_oids = xcalloc(st->analysis.nlocks + 1, sizeof(int64_t));
	pre_bytes = xcalloc(st->analysis.nlocks + 1, sizeof(int64_t));
	npre = predicted_oids(st, t->rels, pre_oids);
	query_sizes(t, pre_oids, npre, pre_bytes);
	if (!execute(t, st->sql, true, out))
		goto done;
	after = rel_snapshot_read(t->conn, &err);
	held_after = after ? lock_snapshot_read(t->conn, &err) : NULL;
	if (held_after == NULL) {
		log_error("dry-run: cannot read pg_class/pg_locks: %s", err.message);
		out->state = TRACE_FAILED;
		out->reason = xstrdup("the trace queries failed");
		out->err = err;
		memset(&err, 0, sizeof err);
		goto done;
	}
	diff_snapshots(t, t->rels, t->locks, after, held_after, pre_oids, pre_bytes, npre, out);
	compare_with_prediction(st, t->rels, after, t->locks, out);
	tracer_forget(t);
	t->rels = after;
	t->locks = held_after;
	after = NULL;
	held_after = NULL;
	ok = true;
done:
	rel_snapshot_free(after);
	lock_snapshot_free(held_after);
	free(pre_oids);
	free(pre_bytes);
	pgsql_error_free(&err);
	return ok;
}

bool
trace_run_untraced(Tracer *t, const Statement *st, TraceResult *out)
{
	tracer_forget(t);
	return execute(t, st->sql, true, out);
}

/* Copies the predicted locks into out, for statements that cannot be observed. */
static void
result_predicted_locks(const Statement *st, TraceResult *out)
{
	for (size_t i = 0; i < st->analysis.nlocks; i++) {
		RelInfo rel = {0};

		rel.name = st->analysis.locks[i].relation;
		rel.relkind = '?';
		result_add_lock(out, &rel, st->analysis.locks[i].mode, false);
	}
}

bool
trace_run_for_real(Tracer *t, const Statement *st, TraceResult *out)
{
	PgError err = {0};
	RelSnapshot *before, *after = NULL;
	LockSnapshot none = {0};
	bool ok = false;

	tracer_forget(t);
	before = rel_snapshot_read(t->conn, &err);
	if (before == NULL) {
		log_error("dry-run: cannot read pg_class: %s", err.message);
		pgsql_error_free(&err);
	}
	if (!execute(t, st->sql, false, out))
		goto done;
	out->state = TRACE_RAN_FOR_REAL;
	out->reason = xstrdup("cannot run inside a transaction block: run for real on the throwaway "
						  "server (--commit); its locks end with it, so they are the prediction");
	after = before ? rel_snapshot_read(t->conn, &err) : NULL;
	if (after) {
		diff_snapshots(t, before, &none, after, &none, NULL, NULL, 0, out);
	} else if (before) {
		log_error("dry-run: cannot read pg_class: %s", err.message);
	}
	result_predicted_locks(st, out);
	ok = true;
done:
	rel_snapshot_free(before);
	rel_snapshot_free(after);
	pgsql_error_free(&err);
	return ok;
}

void
trace_not_run(const Statement *st, const char *reason, TraceResult *out)
{
	out->state = TRACE_NOT_RUN;
	free(out->reason);
	out->reason = xstrdup(reason);
	result_predicted_locks(st, out);
}

bool
trace_result_mismatch(const TraceResult *r)
{
	return r->state == TRACE_TRACED && r->nmismatches > 0;
}

/* Adds a lock mode by name, or null for LOCK_NONE. */
static void
add_mode_or_null(cJSON *o, const char *key, LockMode m)
{
	if (m == LOCK_NONE)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, lockmode_name(m));
}

cJSON *
trace_mismatches_json(const TraceResult *r)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; r->state == TRACE_TRACED && i < r->nmismatches; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "relation", r->mismatches[i].relation);
		add_mode_or_null(o, "predicted", r->mismatches[i].predicted);
		add_mode_or_null(o, "observed", r->mismatches[i].observed);
		if (r->mismatches[i].held_before) {
			cJSON *held = cJSON_CreateArray();

			for (int m = LOCK_ACCESS_SHARE; m < LOCKMODE_COUNT; m++)
				if (r->mismatches[i].held_before & (1u << m))
					cJSON_AddItemToArray(held, cJSON_CreateString(lockmode_name((LockMode) m)));
			cJSON_AddItemToObject(o, "held_before", held);
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

cJSON *
trace_result_json(const TraceResult *r)
{
	static const char *const states[] = {
		[TRACE_TRACED] = "traced", [TRACE_RAN_FOR_REAL] = "ran-for-real",
		[TRACE_NOT_RUN] = "not-run", [TRACE_FAILED] = "failed",
	};
	cJSON *o = cJSON_CreateObject(), *locks = cJSON_CreateArray(), *rewrites = cJSON_CreateArray();
	cJSON *tables = cJSON_CreateArray(), *held = cJSON_CreateArray();
	bool predicted = r->state == TRACE_NOT_RUN || r->state == TRACE_RAN_FOR_REAL;

	cJSON_AddBoolToObject(o, "traced", r->state == TRACE_TRACED);
	cJSON_AddStringToObject(o, "state", states[r->state]);
	if (r->reason)
		cJSON_AddStringToObject(o, "reason", r->reason);
	cJSON_AddNumberToObject(o, "duration_ms", (double) (int64_t) (r->duration_ms * 1000) / 1000);
	for (size_t i = 0; i < r->nlocks; i++) {
		cJSON *l = cJSON_CreateObject();

		cJSON_AddStringToObject(l, "relation", r->locks[i].relation);
		if (r->locks[i].relkind == '?')
			cJSON_AddNullToObject(l, "relkind");
		else
			cJSON_AddStringToObject(l, "relkind", trace_relkind_name(r->locks[i].relkind));
		cJSON_AddStringToObject(l, "mode", lockmode_name(r->locks[i].mode));
		cJSON_AddBoolToObject(l, "created", r->locks[i].created);
		cJSON_AddBoolToObject(l, "predicted", predicted);
		cJSON_AddItemToArray(locks, l);
	}
	cJSON_AddItemToObject(o, "locks", locks);
	for (size_t i = 0; i < r->already_held.count; i++)
		cJSON_AddItemToArray(held, cJSON_CreateString(r->already_held.items[i]));
	cJSON_AddItemToObject(o, "already_held", held);
	held = cJSON_CreateArray();
	for (size_t i = 0; i < r->unexercised.count; i++)
		cJSON_AddItemToArray(held, cJSON_CreateString(r->unexercised.items[i]));
	cJSON_AddItemToObject(o, "unexercised", held);
	held = cJSON_CreateArray();
	for (size_t i = 0; i < r->absent.count; i++)
		cJSON_AddItemToArray(held, cJSON_CreateString(r->absent.items[i]));
	cJSON_AddItemToObject(o, "absent", held);
	for (size_t i = 0; i < r->ntables; i++) {
		const TraceTable *tt = &r->tables[i];
		cJSON *t = cJSON_CreateObject();

		cJSON_AddStringToObject(t, "relation", tt->relation);
		cJSON_AddStringToObject(t, "relkind", trace_relkind_name(tt->relkind));
		if (tt->bytes >= 0)
			cJSON_AddNumberToObject(t, "bytes", (double) tt->bytes);
		else
			cJSON_AddNullToObject(t, "bytes");
		if (tt->rows >= 0)
			cJSON_AddNumberToObject(t, "rows", tt->rows);
		else
			cJSON_AddNullToObject(t, "rows");
		add_mode_or_null(t, "mode", tt->mode);
		cJSON_AddBoolToObject(t, "rewritten", tt->rewritten);
		cJSON_AddItemToArray(tables, t);
		if (tt->rewritten) {
			cJSON *rw = cJSON_CreateObject();

			cJSON_AddStringToObject(rw, "relation", tt->relation);
			cJSON_AddStringToObject(rw, "relkind", trace_relkind_name(tt->relkind));
			cJSON_AddItemToArray(rewrites, rw);
		}
	}
	cJSON_AddItemToObject(o, "rewrites", rewrites);
	cJSON_AddItemToObject(o, "tables", tables);
	if (r->state == TRACE_FAILED) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "sqlstate", r->err.sqlstate);
		cJSON_AddStringToObject(e, "message", r->err.message ? r->err.message : "");
		if (r->err.detail)
			cJSON_AddStringToObject(e, "detail", r->err.detail);
		if (r->err.hint)
			cJSON_AddStringToObject(e, "hint", r->err.hint);
		cJSON_AddItemToObject(o, "error", e);
		cJSON_AddItemToObject(o, "blockers",
							  r->blockers ? cJSON_Duplicate(r->blockers, true) : cJSON_CreateArray());
	}
	return o;
}

void
trace_result_free(TraceResult *r)
{
	for (size_t i = 0; i < r->nlocks; i++)
		free(r->locks[i].relation);
	free(r->locks);
	for (size_t i = 0; i < r->ntables; i++)
		free(r->tables[i].relation);
	free(r->tables);
	for (size_t i = 0; i < r->nmismatches; i++)
		free(r->mismatches[i].relation);
	free(r->mismatches);
	strlist_free(&r->already_held);
	strlist_free(&r->unexercised);
	strlist_free(&r->absent);
	pgsql_error_free(&r->err);
	cJSON_Delete(r->blockers);
	free(r->reason);
	free(r->watchdog_reason);
	memset(r, 0, sizeof *r);
}
