/*
 * locks_live.c — the pre-check's and the lock tree's queries.
 *
 * Relation names and the conflict matrix go to the server as JSON
 * parameters: the matrix becomes, per relation, a bit mask of the lock
 * modes that conflict with what the migration needs there, and pg_locks
 * modes are numbered by their position in lockmode.c's list of names. The
 * conflict test is then one bit test per lock, done by the server while it
 * joins pg_locks with the few relations of interest, so thousands of
 * locks cost one pass.
 */
#include "locks_live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sqlparse.h"
#include "watcher.h"

/*
 * Targets as JSON rows: schema, name, the conflict mask, whether the name
 * may also resolve through search_path, and its position.
 */
#define TARGETS_CTE \
	"want AS ( " \
	"  SELECT w.ord, w.mask, " \
	"         coalesce(to_regclass(format('%I.%I', w.schema, w.name)), " \
	"                  CASE WHEN w.fallback THEN to_regclass(format('%I', w.name)) END)::oid AS relid " \
	"  FROM json_to_recordset($1::json) " \
	"       AS w(ord int, schema text, name text, mask int, fallback bool)), " \
	"tree AS ( " \
	"  SELECT ord, mask, relid FROM want WHERE relid IS NOT NULL " \
	"  UNION " \
	"  SELECT t.ord, t.mask, i.inhrelid FROM tree t JOIN pg_inherits i ON i.inhparent = t.relid), "

/* Lock mode names numbered as LockMode: AccessShareLock is 1. */
#define MODES_CTE \
	"modes AS (SELECT m.name, m.n::int AS n " \
	"          FROM json_array_elements_text($2::json) WITH ORDINALITY AS m(name, n)) "

/* "schema.name" of a relation oid column, NULL when the oid is. */
#define REL_NAME(oid) \
	"(SELECT rn.nspname || '.' || rc.relname FROM pg_class rc " \
	" JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = " oid ")"

/*
 * One row per transaction with a lock on a target (or a child of one): its
 * strongest lock there, conflicting locks first, granted before awaited.
 * An autovacuum worker that is not preventing wraparound yields: the
 * server cancels it itself when a conflicting request waits. The lock rows
 * on the targets are picked first, behind an OFFSET 0 fence: the planner
 * cannot estimate pg_locks and otherwise joins every lock of the server to
 * pg_stat_activity before looking at the relation (52 ms instead of ~17 at
 * 10,000 locks).
 */
static const char *scan_sql =
	"WITH RECURSIVE " TARGETS_CTE
	"need AS (SELECT relid, bit_or(mask) AS mask FROM tree GROUP BY relid), "
	MODES_CTE
	"SELECT DISTINCT ON (l.virtualtransaction) "
	"       coalesce(l.pid, 0) AS pid, a.usename::text, a.application_name, "
	"       a.client_addr::text, a.backend_type, a.state, a.wait_event, "
	"       (extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint, "
	"       (extract(epoch FROM clock_timestamp() - a.state_change) * 1000)::bigint, "
	"       l.mode, l.granted, " REL_NAME("l.relation") ", a.query, "
	"       (l.mask >> m.n) & 1 = 1 AS conflicts, "
	"       coalesce(a.backend_type = 'autovacuum worker' "
	"                AND a.query NOT LIKE '%to prevent wraparound%', false) AS yields, "
	"       l.pid IS NULL AS prepared, l.virtualtransaction "
	"FROM (SELECT l.virtualtransaction, l.pid, l.mode, l.granted, l.relation, need.mask "
	"      FROM pg_locks l JOIN need ON need.relid = l.relation "
	"      WHERE l.locktype = 'relation' "
	"        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
	"        AND (l.pid IS NULL OR l.pid <> pg_backend_pid()) "
	"      OFFSET 0) l "
	"JOIN modes m ON m.name = l.mode "
	"LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
	"WHERE coalesce(a.application_name, '') NOT LIKE 'migsafe%' "
	"ORDER BY l.virtualtransaction, conflicts DESC, l.granted DESC, m.n DESC";

/*
 * A prepared transaction has no session to describe it: who prepared it,
 * when, and the gid that ends it, by the virtual transaction of its locks
 * ($1, a JSON array of them). Read only when the scan found one.
 */
static const char *prepared_sql =
	"SELECT x.virtualtransaction, p.owner::text, "
	"       (extract(epoch FROM clock_timestamp() - p.prepared) * 1000)::bigint, "
	"       'PREPARE TRANSACTION ' || quote_literal(p.gid) "
	"FROM pg_locks x JOIN pg_prepared_xacts p ON p.transaction = x.transactionid "
	"WHERE x.locktype = 'transactionid' AND x.pid IS NULL "
	"  AND x.virtualtransaction IN (SELECT json_array_elements_text($1::json))";

/* Each target as the server resolves it, with its number of descendants. */
static const char *resolve_sql =
	"WITH RECURSIVE " TARGETS_CTE
	"counts AS (SELECT ord, count(*) - 1 AS descendants FROM tree GROUP BY ord) "
	"SELECT w.ord, " REL_NAME("w.relid") ", "
	"       (SELECT c.relkind::text FROM pg_class c WHERE c.oid = w.relid), "
	"       coalesce(k.descendants, 0) "
	"FROM want w LEFT JOIN counts k ON k.ord = w.ord ORDER BY w.ord";

/*
 * The lock tree: every session of this database waiting for a lock, the
 * sessions pg_blocking_pids() names for them, and (with $1, a relation
 * oid) every session whose lock on it or its children conflicts with the
 * mask $3. For each: the lock it waits for, else its conflicting lock on
 * $1, else its strongest granted lock on an object somebody waits for.
 */
static const char *tree_sql =
	"WITH RECURSIVE "
	"rels AS (SELECT $1::oid AS relid WHERE $1 IS NOT NULL "
	"         UNION SELECT i.inhrelid FROM rels r JOIN pg_inherits i ON i.inhparent = r.relid), "
	MODES_CTE ", "
	"lk AS (SELECT l.*, m.n FROM pg_locks l LEFT JOIN modes m ON m.name = l.mode), "
	"waiting AS (SELECT a.pid, pg_blocking_pids(a.pid) AS blocked_by FROM pg_stat_activity a "
	"            WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' "
	"              AND a.pid <> pg_backend_pid()), "
	"conflicting AS (SELECT DISTINCT ON (l.pid) l.pid, l.mode, l.granted, l.relation "
	"   FROM lk l JOIN rels r ON r.relid = l.relation "
	"   WHERE l.locktype = 'relation' AND l.pid <> pg_backend_pid() "
	"     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
	"     AND ($3::int >> l.n) & 1 = 1 "
	"   ORDER BY l.pid, l.granted DESC, l.n DESC), "
	"involved AS (SELECT pid FROM waiting UNION SELECT unnest(blocked_by) FROM waiting "
	"             UNION SELECT pid FROM conflicting), "
	"awaited AS (SELECT DISTINCT ON (pid) pid, mode, relation, locktype FROM lk "
	"            WHERE NOT granted ORDER BY pid, n DESC NULLS LAST), "
	"held AS (SELECT DISTINCT ON (h.pid) h.pid, h.mode, h.relation, h.locktype "
	"   FROM lk h JOIN lk u ON NOT u.granted AND u.locktype = h.locktype "
	"        AND coalesce(u.relation, 0) = coalesce(h.relation, 0) AND u.pid <> h.pid "
	"        AND u.database IS NOT DISTINCT FROM h.database AND u.page IS NOT DISTINCT FROM h.page "
	"        AND u.tuple IS NOT DISTINCT FROM h.tuple "
	"        AND u.virtualxid IS NOT DISTINCT FROM h.virtualxid "
	"        AND u.transactionid IS NOT DISTINCT FROM h.transactionid "
	"        AND u.classid IS NOT DISTINCT FROM h.classid AND u.objid IS NOT DISTINCT FROM h.objid "
	"        AND u.objsubid IS NOT DISTINCT FROM h.objsubid "
	"   WHERE h.granted ORDER BY h.pid, h.n DESC NULLS LAST) "
	"SELECT i.pid, a.usename::text, a.application_name, a.client_addr::text, "
	"       coalesce(a.backend_type, CASE WHEN i.pid = 0 THEN 'prepared transaction' END), "
	"       coalesce(a.state, CASE WHEN i.pid = 0 THEN 'prepared' END), "
	"       a.wait_event, "
	"       (extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint, "
	"       (extract(epoch FROM clock_timestamp() - a.state_change) * 1000)::bigint, "
	"       coalesce(aw.mode, c.mode, h.mode), "
	"       CASE WHEN aw.pid IS NOT NULL THEN false ELSE coalesce(c.granted, true) END, "
	"       coalesce(" REL_NAME("coalesce(aw.relation, c.relation, h.relation)") ", "
	"                aw.locktype, h.locktype), "
	"       a.query, a.wait_event_type, coalesce(array_to_json(w.blocked_by)::text, '[]'), "
	"       c.pid IS NOT NULL "
	"FROM involved i "
	"LEFT JOIN pg_stat_activity a ON a.pid = i.pid "
	"LEFT JOIN waiting w ON w.pid = i.pid "
	"LEFT JOIN conflicting c ON c.pid = i.pid "
	"LEFT JOIN awaited aw ON aw.pid = i.pid "
	"LEFT JOIN held h ON h.pid = i.pid";

void
lock_targets_add(LockTargets *t, const char *relation, LockMode mode)
{
	if (relation == NULL || mode <= LOCK_NONE || mode >= LOCKMODE_COUNT)
		return;
	for (size_t i = 0; i < t->count; i++) {
		if (strcmp(t->items[i].relation, relation) == 0) {
			t->items[i].modes |= 1u << mode;
			return;
		}
	}
	array_reserve((void **) &t->items, &t->cap, t->count, sizeof(LockTarget));
	t->items[t->count].relation = xstrdup(relation);
	t->items[t->count].modes = 1u << mode;
	t->count++;
}

/* True when one of statements first..last of m creates relation. */
static bool
created_by(const Migration *m, const char *relation, size_t first, size_t last)
{
	for (size_t i = first; i <= last && i < m->nstmts; i++)
		if (strlist_contains(&m->stmts[i].analysis.creates, relation))
			return true;
	return false;
}

void
lock_targets_from_migration(LockTargets *t, const Migration *m, int statement)
{
	for (size_t i = 0; i < m->nstmts; i++) {
		const Analysis *a = &m->stmts[i].analysis;
		/*
		 * In a whole transactional file, nobody else can see a relation an
		 * earlier (or the same) statement created. A statement run on its
		 * own sees the earlier ones committed: only its own creations are
		 * invisible.
		 */
		size_t first = statement >= 0 ? i : 0;

		if (statement >= 0 && (int) i != statement)
			continue;
		for (size_t k = 0; k < a->nlocks; k++)
			if (!created_by(m, a->locks[k].relation, first, i))
				lock_targets_add(t, a->locks[k].relation, a->locks[k].mode);
	}
}

void
lock_targets_free(LockTargets *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->items[i].relation);
	free(t->items);
	t->items = NULL;
	t->count = t->cap = 0;
}

unsigned
lock_conflict_mask(unsigned modes)
{
	unsigned mask = 0;

	for (int need = LOCK_ACCESS_SHARE; need < LOCKMODE_COUNT; need++) {
		if (!(modes & (1u << need)))
			continue;
		for (int held = LOCK_ACCESS_SHARE; held < LOCKMODE_COUNT; held++)
			if (lockmode_conflicts((LockMode) need, (LockMode) held))
				mask |= 1u << held;
	}
	return mask;
}

/* The targets as the JSON rows TARGETS_CTE reads; caller frees. */
static char *
targets_json(const LockTargets *t)
{
	cJSON *arr = cJSON_CreateArray();
	char *out;

	for (size_t i = 0; i < t->count; i++) {
		const char *rel = t->items[i].relation;
		const char *dot = strchr(rel, '.');
		char *schema = dot ? xstrndup(rel, (size_t) (dot - rel)) : NULL;
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "ord", (double) i);
		if (schema)
			cJSON_AddStringToObject(o, "schema", schema);
		else
			cJSON_AddNullToObject(o, "schema");
		cJSON_AddStringToObject(o, "name", dot ? dot + 1 : rel);
		cJSON_AddNumberToObject(o, "mask", lock_conflict_mask(t->items[i].modes));
		/*
		 * The analysis puts unqualified names in the default schema; the
		 * server may find them elsewhere on its search_path.
		 */
		cJSON_AddBoolToObject(o, "fallback", schema == NULL ||
							  (t->default_schema && strcmp(schema, t->default_schema) == 0));
		cJSON_AddItemToArray(arr, o);
		free(schema);
	}
	out = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return out;
}

/* ["AccessShareLock", ...]: position n (1-based) is LockMode n. */
static char *
modes_json(void)
{
	cJSON *arr = cJSON_CreateArray();
	char *out;

	for (int m = LOCK_ACCESS_SHARE; m < LOCKMODE_COUNT; m++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(lockmode_name((LockMode) m)));
	out = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return out;
}

/*
 * Fills in the owner, age and query of the prepared transactions among
 * out's sessions from `first` on, found by their virtual transactions (in
 * scan order); on an error they keep their bare description.
 */
static void
describe_prepared(PgConn *conn, const StrList *vxids, bool redact, LiveScan *out, size_t first)
{
	cJSON *arr = cJSON_CreateStringArray((const char *const *) vxids->items, (int) vxids->count);
	char *param = cJSON_PrintUnformatted(arr);
	PgError err = {0};
	PgResult *r;
	size_t k = 0;

	r = pgsql_query(conn, prepared_sql, 1, (const char *const *) &param, &err);
	free(param);
	cJSON_Delete(arr);
	if (r == NULL) {
		log_debug("cannot describe prepared transactions: %s", err.message);
		pgsql_error_free(&err);
		return;
	}
	for (size_t i = first; i < out->count && k < vxids->count; i++) {
		Blocker *b = &out->items[i].b;

		if (!out->items[i].prepared)
			continue;
		for (int row = 0; row < pgresult_rows(r); row++) {
			const char *q;

			if (strcmp(pgresult_get(r, row, 0), vxids->items[k]) != 0)
				continue;
			free(b->usename);
			b->usename = pgresult_dup(r, row, 1);
			b->xact_age_ms = b->state_age_ms = pgresult_get_int(r, row, 2, -1);
			q = pgresult_get(r, row, 3);
			free(b->query);
			b->query = redact ? sqlparse_redact(q) : xstrdup(q);
		}
		k++;
	}
	pgresult_free(r);
}

bool
locks_live_scan(PgConn *conn, const LockTargets *t, bool redact, LiveScan *out)
{
	char *targets, *modes;
	const char *params[2];
	PgError err = {0};
	StrList prepared_vxids = {0};
	size_t first = out->count;
	PgResult *r;

	if (t->count == 0)
		return true;
	targets = targets_json(t);
	modes = modes_json();
	params[0] = targets;
	params[1] = modes;
	r = pgsql_query(conn, scan_sql, 2, params, &err);
	free(targets);
	free(modes);
	if (r == NULL) {
		log_error("cannot read the locks held on the migration's tables: %s [%s]", err.message,
				  err.sqlstate);
		pgsql_error_free(&err);
		return false;
	}
	for (int i = 0; i < pgresult_rows(r); i++) {
		LiveSession *s;

		array_reserve((void **) &out->items, &out->cap, out->count, sizeof(LiveSession));
		s = &out->items[out->count++];
		memset(s, 0, sizeof *s);
		blocker_fill(&s->b, r, i, redact);
		s->conflicts = pgresult_get_bool(r, i, 13);
		s->yields = pgresult_get_bool(r, i, 14);
		s->prepared = pgresult_get_bool(r, i, 15);
		if (s->prepared) {
			s->b.backend_type = xstrdup("prepared transaction");
			s->b.state = xstrdup("prepared");
			strlist_add(&prepared_vxids, pgresult_get(r, i, 16));
		}
	}
	pgresult_free(r);
	if (prepared_vxids.count > 0)
		describe_prepared(conn, &prepared_vxids, redact, out, first);
	strlist_free(&prepared_vxids);
	return true;
}

void
live_scan_free(LiveScan *s)
{
	for (size_t i = 0; i < s->count; i++)
		blocker_clear(&s->items[i].b);
	free(s->items);
	memset(s, 0, sizeof *s);
}

bool
locks_live_resolve(PgConn *conn, const LockTargets *t, ResolvedTarget **out)
{
	char *targets;
	const char *params[1];
	PgError err = {0};
	PgResult *r;

	*out = xcalloc(t->count ? t->count : 1, sizeof **out);
	for (size_t i = 0; i < t->count; i++)
		(*out)[i].relation = xstrdup(t->items[i].relation);
	if (t->count == 0)
		return true;
	targets = targets_json(t);
	params[0] = targets;
	r = pgsql_query(conn, resolve_sql, 1, params, &err);
	free(targets);
	if (r == NULL) {
		log_error("cannot resolve the migration's tables: %s [%s]", err.message, err.sqlstate);
		pgsql_error_free(&err);
		return false;
	}
	for (int i = 0; i < pgresult_rows(r); i++) {
		int64_t ord = pgresult_get_int(r, i, 0, -1);

		if (ord < 0 || (size_t) ord >= t->count)
			continue;
		(*out)[ord].resolved = pgresult_dup(r, i, 1);
		(*out)[ord].relkind = pgresult_dup(r, i, 2);
		(*out)[ord].descendants = (int) pgresult_get_int(r, i, 3, 0);
	}
	pgresult_free(r);
	return true;
}

void
resolved_targets_free(ResolvedTarget *r, size_t n)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(r[i].relation);
		free(r[i].resolved);
		free(r[i].relkind);
	}
	free(r);
}

/* The oid of the relation the user names, as the server resolves it; false when none. */
static bool
resolve_table(PgConn *conn, const char *table, char **oid)
{
	const char *params[] = {table};
	PgError err = {0};
	PgResult *r = pgsql_query(conn, "SELECT to_regclass($1)::oid", 1, params, &err);

	if (r == NULL) {
		log_error("--table %s: %s [%s]", table, err.message, err.sqlstate);
		pgsql_error_free(&err);
		return false;
	}
	*oid = pgresult_dup(r, 0, 0);
	pgresult_free(r);
	if (*oid == NULL) {
		log_error("--table %s: no such table in database %s (search_path applies to "
				  "unqualified names)", table, pgsql_database(conn));
		return false;
	}
	return true;
}

/* Parses the JSON array of pg_blocking_pids() into the node. */
static void
node_set_blocked_by(TreeNode *n, const char *json)
{
	cJSON *arr = json ? cJSON_Parse(json) : NULL;
	int k = 0;

	n->nblocked_by = 0;
	if (cJSON_IsArray(arr)) {
		n->blocked_by = xcalloc((size_t) cJSON_GetArraySize(arr) + 1, sizeof(int));
		for (cJSON *e = arr->child; e; e = e->next)
			if (cJSON_IsNumber(e))
				n->blocked_by[k++] = e->valueint;
	}
	n->nblocked_by = (size_t) k;
	cJSON_Delete(arr);
}

bool
locks_live_tree(PgConn *conn, const char *table, LockMode mode, bool redact, LockTree *out)
{
	char *oid = NULL, *modes, mask[16];
	const char *params[3];
	PgError err = {0};
	PgResult *r;

	if (table && !resolve_table(conn, table, &oid))
		return false;
	modes = modes_json();
	snprintf(mask, sizeof mask, "%u", lock_conflict_mask(1u << mode));
	params[0] = oid;
	params[1] = modes;
	params[2] = mask;
	r = pgsql_query(conn, tree_sql, 3, params, &err);
	free(modes);
	free(oid);
	if (r == NULL) {
		log_error("cannot read the lock tree: %s [%s]", err.message, err.sqlstate);
		pgsql_error_free(&err);
		return false;
	}
	for (int i = 0; i < pgresult_rows(r); i++) {
		TreeNode *n = locktree_add(out, 0);

		blocker_fill(&n->b, r, i, redact);
		n->wait_event_type = pgresult_dup(r, i, 13);
		node_set_blocked_by(n, pgresult_get(r, i, 14));
		n->conflicts = pgresult_get_bool(r, i, 15);
	}
	pgresult_free(r);
	return true;
}
