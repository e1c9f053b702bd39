/*
 * dry_run_report.c — the dry-run's report document and its text form.
 */
#include "dry_run_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "output.h"
#include "report.h"

/* Units for sizes, each 1024 times the one before (as pg_size_pretty). */
static const char *const byte_units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
/* Units for row counts, each 1000 times the one before. */
static const char *const row_units[] = {"", " k", " M", " G", " T"};

char *
dry_run_format_bytes(int64_t bytes)
{
	double v = (double) bytes;
	size_t u = 0;

	if (bytes < 0)
		return xstrdup("unknown size");
	while (v >= 1024.0 && u + 1 < sizeof byte_units / sizeof byte_units[0]) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		return xasprintf("%lld bytes", (long long) bytes);
	return xasprintf(v < 10 ? "%.1f %s" : "%.0f %s", v, byte_units[u]);
}

char *
dry_run_format_rows(double rows)
{
	size_t u = 0;

	if (rows < 0)
		return xstrdup("unknown rows (never analysed)");
	while (rows >= 1000.0 && u + 1 < sizeof row_units / sizeof row_units[0]) {
		rows /= 1000.0;
		u++;
	}
	if (u == 0)
		return xasprintf(rows == 1 ? "%.0f row" : "%.0f rows", rows);
	return xasprintf(rows < 10 ? "%.1f%s rows" : "%.0f%s rows", rows, row_units[u]);
}

/* True when relation is rewritten (observed) or rewritten/scanned (predicted) by st. */
static bool
relation_has_impact(const Statement *st, const TraceTable *tt)
{
	return tt->rewritten || strlist_contains(&st->analysis.rewrites, tt->relation) ||
		strlist_contains(&st->analysis.scans, tt->relation);
}

/* "public.orders 1.2 GB, 8.1 M rows, rewritten" for one table. */
static void
append_table_size(StrBuf *sb, const TraceTable *tt)
{
	char *b = dry_run_format_bytes(tt->bytes), *r = dry_run_format_rows(tt->rows);

	strbuf_appendf(sb, "%s %s, %s%s", tt->relation, b, r, tt->rewritten ? ", rewritten" : "");
	free(b);
	free(r);
}

void
dry_run_annotate_findings(DryRunView *v)
{
	for (size_t i = 0; i < v->migrations->count; i++) {
		Migration *m = v->migrations->items[i];

		for (size_t f = 0; f < m->nfindings; f++) {
			Finding *fd = &m->findings[f];
			const TraceResult *r;
			StrBuf sb = {0};
			int n = 0;

			if (fd->statement < 0 || (size_t) fd->statement >= m->nstmts)
				continue;
			r = &v->results[i][fd->statement];
			if (r->state != TRACE_TRACED && r->state != TRACE_RAN_FOR_REAL)
				continue;
			for (size_t t = 0; t < r->ntables; t++) {
				const TraceTable *tt = &r->tables[t];

				if (tt->bytes < 0 || !relation_has_impact(&m->stmts[fd->statement], tt) ||
					tt->relkind == 'i' || tt->relkind == 'I')
					continue;
				strbuf_append(&sb, n++ ? "; " : " (dry-run: ");
				append_table_size(&sb, tt);
			}
			if (n == 0)
				continue;
			strbuf_append(&sb, ")");
			{
				char *msg = xasprintf("%s%s", fd->message, sb.data);

				free(fd->message);
				fd->message = msg;
			}
			strbuf_free(&sb);
		}
	}
}

/* One line of the impact ranking, before sorting. */
typedef struct Impact {
	const char *verb;        /* "rewrites" or "scans" */
	const char *relation;
	int64_t bytes;
	double rows;
	LockMode mode;
	const Migration *m;
	const Statement *st;
} Impact;

/* Largest first; unknown sizes last. */
static int
impact_compare(const void *a, const void *b)
{
	const Impact *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->relation, y->relation);
}

/* The predicted mode on relation in st, LOCK_NONE when none. */
static LockMode
predicted_on(const Statement *st, const char *relation)
{
	for (size_t i = 0; i < st->analysis.nlocks; i++)
		if (strcmp(st->analysis.locks[i].relation, relation) == 0)
			return st->analysis.locks[i].mode;
	return LOCK_NONE;
}

/* Collects rewrites (observed) and scans (predicted, sized by the trace) of the traced statements. */
static Impact *
collect_impact(const DryRunView *v, size_t *count)
{
	Impact *items = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < v->migrations->count; i++) {
		const Migration *m = v->migrations->items[i];

		if (m->context_only)
			continue;
		for (size_t k = 0; k < m->nstmts; k++) {
			const TraceResult *r = &v->results[i][k];
			const Statement *st = &m->stmts[k];

			if (r->state != TRACE_TRACED && r->state != TRACE_RAN_FOR_REAL)
				continue;
			for (size_t t = 0; t < r->ntables; t++) {
				const TraceTable *tt = &r->tables[t];
				bool scanned = strlist_contains(&st->analysis.scans, tt->relation);

				if (tt->relkind == 'i' || tt->relkind == 'I' || (!tt->rewritten && !scanned))
					continue;
				array_reserve((void **) &items, &cap, n, sizeof *items);
				items[n] = (Impact) {
					tt->rewritten ? "rewrites" : "scans", tt->relation, tt->bytes, tt->rows,
					tt->mode != LOCK_NONE ? tt->mode : predicted_on(st, tt->relation), m, st,
				};
				n++;
			}
		}
	}
	if (n > 1)
		qsort(items, n, sizeof *items, impact_compare);
	*count = n;
	return items;
}

/* The report's "impact" array, in ranking order. */
static cJSON *
impact_json(const Impact *items, size_t n)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "action", items[i].verb);
		cJSON_AddStringToObject(o, "relation", items[i].relation);
		if (items[i].bytes >= 0)
			cJSON_AddNumberToObject(o, "bytes", (double) items[i].bytes);
		else
			cJSON_AddNullToObject(o, "bytes");
		if (items[i].rows >= 0)
			cJSON_AddNumberToObject(o, "rows", items[i].rows);
		else
			cJSON_AddNullToObject(o, "rows");
		if (items[i].mode != LOCK_NONE)
			cJSON_AddStringToObject(o, "mode", lockmode_name(items[i].mode));
		else
			cJSON_AddNullToObject(o, "mode");
		cJSON_AddStringToObject(o, "blocks", lockmode_blocks(items[i].mode));
		cJSON_AddStringToObject(o, "path", items[i].m->path);
		cJSON_AddNumberToObject(o, "statement", items[i].st->index);
		cJSON_AddNumberToObject(o, "line", items[i].st->line);
		cJSON_AddNumberToObject(o, "column", items[i].st->column);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The report's "target": database, server version, masked conninfo, throwaway. */
static cJSON *
target_json(const DryRunView *v)
{
	cJSON *o = cJSON_CreateObject();
	int ver = v->conn ? pgsql_server_version(v->conn) : 0;
	char version[32];

	snprintf(version, sizeof version, "%d.%d", ver / 10000, ver % 10000);
	cJSON_AddStringToObject(o, "database", v->conn ? pgsql_database(v->conn) : "");
	cJSON_AddStringToObject(o, "server_version", version);
	cJSON_AddStringToObject(o, "conninfo", v->conn ? pgsql_conninfo_masked(v->conn) : "");
	cJSON_AddBoolToObject(o, "throwaway", v->throwaway);
	return o;
}

/* Adds each reported migration's dry-run status and each statement's observation. */
static void
add_observations(const DryRunView *v, cJSON *doc, DryRunTotals *totals)
{
	cJSON *migs = cJSON_GetObjectItem(doc, "migrations");
	int j = 0;

	for (size_t i = 0; i < v->migrations->count; i++) {
		const Migration *m = v->migrations->items[i];
		cJSON *mo, *stmts, *dr;

		if (m->context_only)
			continue;        /* report_document left it out too */
		mo = cJSON_GetArrayItem(migs, j++);
		stmts = cJSON_GetObjectItem(mo, "statements");
		dr = cJSON_CreateObject();
		cJSON_AddStringToObject(dr, "status", v->status[i]);
		cJSON_AddItemToObject(mo, "dry_run", dr);
		for (size_t k = 0; k < m->nstmts; k++) {
			const TraceResult *r = &v->results[i][k];
			cJSON *so = cJSON_GetArrayItem(stmts, (int) k);
			bool mm = trace_result_mismatch(r);

			if (so == NULL)
				continue;
			cJSON_AddItemToObject(so, "observed", trace_result_json(r));
			cJSON_AddBoolToObject(so, "mismatch", mm);
			cJSON_AddItemToObject(so, "mismatches", trace_mismatches_json(r));
			totals->traced += r->state == TRACE_TRACED;
			totals->not_traced += r->state != TRACE_TRACED;
			totals->mismatches += mm;
			totals->mismatches_unknown += mm && !m->stmts[k].analysis.known;
			totals->failed += r->state == TRACE_FAILED;
			for (size_t t = 0; t < r->ntables; t++)
				totals->rewrites += r->tables[t].rewritten;
		}
	}
}

cJSON *
dry_run_document(const DryRunView *v, DryRunTotals *totals)
{
	cJSON *doc = report_document("dry-run", v->migrations), *summary;
	Impact *impact;
	size_t nimpact;

	cJSON_AddItemToObject(doc, "target", target_json(v));
	cJSON_AddNumberToObject(doc, "lock_timeout_ms", (double) v->lock_timeout_ms);
	cJSON_AddBoolToObject(doc, "rolled_back", true);
	add_observations(v, doc, totals);
	impact = collect_impact(v, &nimpact);
	cJSON_AddItemToObject(doc, "impact", impact_json(impact, nimpact));
	free(impact);
	summary = cJSON_GetObjectItem(doc, "summary");
	cJSON_AddNumberToObject(summary, "traced", totals->traced);
	cJSON_AddNumberToObject(summary, "not_traced", totals->not_traced);
	cJSON_AddNumberToObject(summary, "mismatches", totals->mismatches);
	cJSON_AddNumberToObject(summary, "mismatches_unknown", totals->mismatches_unknown);
	cJSON_AddNumberToObject(summary, "rewrites", totals->rewrites);
	cJSON_AddNumberToObject(summary, "failed", totals->failed);
	return doc;
}

/* A string member of o, or dflt. */
static const char *
json_str(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* A number member of o, or dflt. */
static double
json_num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/*
 * The observed locks of a statement, one entry per relation with its
 * strongest mode: "public.orders AccessExclusiveLock, public.orders_pkey
 * AccessExclusiveLock (created)". The JSON keeps every mode.
 */
static void
append_locks(StrBuf *sb, const cJSON *locks)
{
	const cJSON *l, *k;
	StrList seen = {0};

	cJSON_ArrayForEach(l, locks) {
		const char *rel = json_str(l, "relation", "?");
		LockMode mode = LOCK_NONE;

		if (strlist_contains(&seen, rel))
			continue;
		cJSON_ArrayForEach(k, locks)
			if (strcmp(json_str(k, "relation", "?"), rel) == 0)
				mode = lockmode_strongest(mode, lockmode_parse(json_str(k, "mode", "")));
		strbuf_appendf(sb, "%s%s %s%s", seen.count ? ", " : "", rel, lockmode_name(mode),
					   cJSON_IsTrue(cJSON_GetObjectItem(l, "created")) ? " (created)" : "");
		strlist_add(&seen, rel);
	}
	if (seen.count == 0)
		strbuf_append(sb, "no new relation lock");
	strlist_free(&seen);
}

/* One statement's observation in the text report. */
static void
append_observed(StrBuf *sb, const cJSON *so)
{
	const cJSON *obs = cJSON_GetObjectItem(so, "observed"), *x;
	const char *state = json_str(obs, "state", "?");

	strbuf_appendf(sb, "    :%d:%d  %s  ", (int) json_num(so, "line", 0),
				   (int) json_num(so, "column", 0), json_str(so, "kind", "UNKNOWN"));
	if (strcmp(state, "traced") == 0) {
		strbuf_appendf(sb, "%.1f ms\n      locks: ", json_num(obs, "duration_ms", 0));
		append_locks(sb, cJSON_GetObjectItem(obs, "locks"));
		strbuf_append(sb, "\n");
		if (cJSON_GetArraySize(cJSON_GetObjectItem(obs, "already_held")) > 0) {
			strbuf_append(sb, "      already held from an earlier statement:");
			cJSON_ArrayForEach(x, cJSON_GetObjectItem(obs, "already_held"))
				strbuf_appendf(sb, " %s", x->valuestring);
			strbuf_append(sb, "\n");
		}
		if (cJSON_GetArraySize(cJSON_GetObjectItem(obs, "absent")) > 0) {
			strbuf_append(sb, "      predicted on relations that do not exist here:");
			cJSON_ArrayForEach(x, cJSON_GetObjectItem(obs, "absent"))
				strbuf_appendf(sb, " %s", x->valuestring);
			strbuf_append(sb, "\n");
		}
		if (cJSON_GetArraySize(cJSON_GetObjectItem(obs, "unexercised")) > 0) {
			strbuf_append(sb, "      predicted per-row lock not taken (no row was checked here):");
			cJSON_ArrayForEach(x, cJSON_GetObjectItem(obs, "unexercised"))
				strbuf_appendf(sb, " %s", x->valuestring);
			strbuf_append(sb, "\n");
		}
	} else {
		strbuf_appendf(sb, "not traced (%s): %s\n", state, json_str(obs, "reason", ""));
		if (strcmp(state, "failed") != 0) {
			strbuf_append(sb, "      predicted locks: ");
			append_locks(sb, cJSON_GetObjectItem(obs, "locks"));
			strbuf_append(sb, "\n");
		}
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(obs, "tables")) {
		bool rewritten = cJSON_IsTrue(cJSON_GetObjectItem(x, "rewritten"));
		const char *kind = json_str(x, "relkind", "?");
		char *b, *r;

		if (!rewritten && (strcmp(kind, "index") == 0 || strcmp(kind, "sequence") == 0 ||
						   strcmp(kind, "partitioned index") == 0))
			continue;        /* in the JSON; in text only tables, or what was rewritten */
		b = dry_run_format_bytes((int64_t) json_num(x, "bytes", -1));
		r = dry_run_format_rows(json_num(x, "rows", -1));
		strbuf_appendf(sb, "      %s %s (%s): %s, %s\n",
					   cJSON_IsTrue(cJSON_GetObjectItem(x, "rewritten")) ? "REWROTE" : "touched",
					   json_str(x, "relation", "?"), json_str(x, "relkind", "?"), b, r);
		free(b);
		free(r);
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(so, "mismatches")) {
		const cJSON *h;

		strbuf_appendf(sb, "      MISMATCH on %s: predicted %s, observed %s", json_str(x, "relation", "?"),
					   json_str(x, "predicted", "no lock"), json_str(x, "observed", "no lock"));
		if (cJSON_GetArraySize(cJSON_GetObjectItem(x, "held_before")) > 0) {
			strbuf_append(sb, " (the transaction already held");
			cJSON_ArrayForEach(h, cJSON_GetObjectItem(x, "held_before"))
				strbuf_appendf(sb, " %s", h->valuestring);
			strbuf_append(sb, ")");
		}
		strbuf_append(sb, cJSON_IsFalse(cJSON_GetObjectItem(so, "known")) ?
					  " — check reported this statement's locks as unknown (unknown-lock)\n" :
					  " — a bug in migsafe's knowledge of this statement\n");
	}
	if ((x = cJSON_GetObjectItem(obs, "error")) != NULL)
		strbuf_appendf(sb, "      error [%s]: %s\n", json_str(x, "sqlstate", ""),
					   json_str(x, "message", ""));
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(obs, "blockers")) {
		strbuf_appendf(sb, "      blocked by pid %d (%s, app=%s, user=%s) %s %s on %s: %s\n",
					   (int) json_num(x, "pid", 0), json_str(x, "state", "?"),
					   json_str(x, "application_name", "-"), json_str(x, "usename", "-"),
					   cJSON_IsTrue(cJSON_GetObjectItem(x, "granted")) ? "holding" : "waiting for",
					   json_str(x, "mode", "a lock"), json_str(x, "relation", "?"),
					   json_str(x, "query", ""));
	}
}

/* The impact ranking in the text report. */
static void
append_impact(StrBuf *sb, const cJSON *impact)
{
	const cJSON *x;

	if (cJSON_GetArraySize(impact) == 0)
		return;
	strbuf_append(sb, "\nImpact, largest table first:\n");
	cJSON_ArrayForEach(x, impact) {
		char *b = dry_run_format_bytes((int64_t) json_num(x, "bytes", -1));
		char *r = dry_run_format_rows(json_num(x, "rows", -1));
		const char *action = json_str(x, "action", "?");

		strbuf_appendf(sb, "  %s %s, %s, %s, under %s: blocks %s for the whole %s  (%s:%d:%d)\n",
					   action, json_str(x, "relation", "?"), b, r, json_str(x, "mode", "no lock"),
					   json_str(x, "blocks", "nothing"),
					   strcmp(action, "rewrites") == 0 ? "rewrite" : "scan",
					   json_str(x, "path", "?"), (int) json_num(x, "line", 0),
					   (int) json_num(x, "column", 0));
		free(b);
		free(r);
	}
}

char *
dry_run_render_text(const cJSON *doc, const MigrationList *l)
{
	char *base = report_render_text(doc, l);
	const cJSON *target = cJSON_GetObjectItem(doc, "target"), *m, *summary;
	StrBuf sb = {0};

	strbuf_append(&sb, base);
	free(base);
	strbuf_appendf(&sb, "\nDry-run on %s (PostgreSQL %s, lock_timeout %.0fms); every transaction "
				   "was rolled back\n",
				   cJSON_IsTrue(cJSON_GetObjectItem(target, "throwaway")) ?
				   "a throwaway server" : json_str(target, "conninfo", "?"),
				   json_str(target, "server_version", "?"), json_num(doc, "lock_timeout_ms", 0));
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(doc, "migrations")) {
		const cJSON *so;

		strbuf_appendf(&sb, "  %s  %s\n", json_str(m, "path", "?"),
					   json_str(cJSON_GetObjectItem(m, "dry_run"), "status", "?"));
		cJSON_ArrayForEach(so, cJSON_GetObjectItem(m, "statements"))
			append_observed(&sb, so);
	}
	append_impact(&sb, cJSON_GetObjectItem(doc, "impact"));
	summary = cJSON_GetObjectItem(doc, "summary");
	strbuf_appendf(&sb, "\n%.0f statements traced, %.0f not traced, %.0f failed, %.0f rewrites, "
				   "%.0f mismatches with the prediction\n", json_num(summary, "traced", 0),
				   json_num(summary, "not_traced", 0), json_num(summary, "failed", 0),
				   json_num(summary, "rewrites", 0), json_num(summary, "mismatches", 0));
	return strbuf_detach(&sb);
}

/* GitHub rejects comments over 65,536 characters: the whole body stays under this. */
#define DRY_RUN_MARKDOWN_MAX_BYTES 65000
/* The dry-run part is listed first and kept to this, so the check listing has room too. */
#define DRY_RUN_MARKDOWN_SECTION_BYTES 16000

/* Appends text as a table cell: one line, pipes escaped, HTML kept literal. */
static void
append_md_cell(StrBuf *sb, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '|')
			strbuf_append(sb, "\\|");
		else if (*p == '\n' || *p == '\r' || *p == '\t')
			strbuf_append(sb, " ");
		else if (*p == '<')
			strbuf_append(sb, "&lt;");
		else if (*p == '>')
			strbuf_append(sb, "&gt;");
		else if (*p == '`')
			strbuf_append(sb, "'");
		else
			strbuf_append_n(sb, p, 1);
	}
}

/* True when a statement's observation is worth a row: a lock, a rewrite, a failure, a skip. */
static bool
md_row_wanted(const cJSON *so)
{
	const cJSON *obs = cJSON_GetObjectItem(so, "observed");

	return cJSON_GetArraySize(cJSON_GetObjectItem(obs, "locks")) > 0 ||
		cJSON_GetArraySize(cJSON_GetObjectItem(obs, "rewrites")) > 0 ||
		!cJSON_IsTrue(cJSON_GetObjectItem(obs, "traced")) ||
		cJSON_IsTrue(cJSON_GetObjectItem(so, "mismatch"));
}

/* One statement's row: where, observed locks, rewrites, duration, prediction check. */
static void
append_md_row(StrBuf *sb, const cJSON *m, const cJSON *so)
{
	const cJSON *obs = cJSON_GetObjectItem(so, "observed"), *x;
	StrBuf cell = {0};
	int nrw = 0;

	strbuf_appendf(sb, "| `%s:%d` | %s | ", json_str(m, "path", "?"), (int) json_num(so, "line", 0),
				   json_str(so, "kind", "UNKNOWN"));
	if (cJSON_IsTrue(cJSON_GetObjectItem(obs, "traced")))
		append_locks(&cell, cJSON_GetObjectItem(obs, "locks"));
	else
		strbuf_appendf(&cell, "not traced: %s", json_str(obs, "reason", ""));
	append_md_cell(sb, cell.data);
	strbuf_append(sb, " | ");
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(obs, "tables")) {
		char *b;

		if (!cJSON_IsTrue(cJSON_GetObjectItem(x, "rewritten")))
			continue;
		b = dry_run_format_bytes((int64_t) json_num(x, "bytes", -1));
		strbuf_appendf(sb, "%s%s (%s)", nrw++ ? "<br>" : "", json_str(x, "relation", "?"), b);
		free(b);
	}
	strbuf_appendf(sb, " | %.1f ms | ", json_num(obs, "duration_ms", 0));
	if (!cJSON_IsTrue(cJSON_GetObjectItem(obs, "traced")))
		strbuf_append(sb, "-");
	else if (!cJSON_IsTrue(cJSON_GetObjectItem(so, "mismatch")))
		strbuf_append(sb, "yes");
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(so, "mismatches"))
		strbuf_appendf(sb, "**no** on %s: predicted %s, observed %s<br>", json_str(x, "relation", "?"),
					   json_str(x, "predicted", "no lock"), json_str(x, "observed", "no lock"));
	strbuf_append(sb, " |\n");
	strbuf_free(&cell);
}

/* The dry-run part of the markdown report: trace table and impact ranking, capped. */
static char *
dry_run_markdown_section(const cJSON *doc)
{
	const cJSON *target = cJSON_GetObjectItem(doc, "target"), *summary, *m, *x;
	StrBuf sb = {0};
	size_t omitted = 0;

	summary = cJSON_GetObjectItem(doc, "summary");
	strbuf_appendf(&sb, "## migsafe dry-run on %s (PostgreSQL %s): %.0f traced, %.0f not traced, "
				   "%.0f failed, %.0f mismatches\n\nEverything was rolled back.\n\n",
				   cJSON_IsTrue(cJSON_GetObjectItem(target, "throwaway")) ?
				   "a throwaway server" : "the target database",
				   json_str(target, "server_version", "?"), json_num(summary, "traced", 0),
				   json_num(summary, "not_traced", 0), json_num(summary, "failed", 0),
				   json_num(summary, "mismatches", 0));
	if (json_num(summary, "mismatches", 0) > 0)
		strbuf_append(&sb, "> **Mismatch**: a statement locked differently than migsafe predicted. "
					  "Unless `check` reported its locks as unknown (`unknown-lock`), that is a "
					  "bug in migsafe's knowledge; both are shown below.\n\n");
	strbuf_append(&sb, "| Statement | Kind | Observed locks | Rewrote | Duration | As predicted |\n"
				  "|---|---|---|---|---:|---|\n");
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(doc, "migrations")) {
		const cJSON *so;

		cJSON_ArrayForEach(so, cJSON_GetObjectItem(m, "statements")) {
			if (!md_row_wanted(so))
				continue;
			if (sb.len > DRY_RUN_MARKDOWN_SECTION_BYTES) {
				omitted++;
				continue;
			}
			append_md_row(&sb, m, so);
		}
	}
	if (omitted)
		strbuf_appendf(&sb, "\n> %zu more statements left out for size: see the JSON report.\n",
					   omitted);
	if (cJSON_GetArraySize(cJSON_GetObjectItem(doc, "impact")) > 0)
		strbuf_append(&sb, "\n**Impact, largest table first**\n\n");
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(doc, "impact")) {
		char *b = dry_run_format_bytes((int64_t) json_num(x, "bytes", -1));
		char *r = dry_run_format_rows(json_num(x, "rows", -1));
		const char *action = json_str(x, "action", "?");

		if (sb.len > DRY_RUN_MARKDOWN_SECTION_BYTES) {
			free(b);
			free(r);
			break;
		}
		strbuf_appendf(&sb, "1. %s `%s`, %s, %s, under %s: blocks %s for the whole %s "
					   "(`%s:%d`)\n", action, json_str(x, "relation", "?"), b, r,
					   json_str(x, "mode", "no lock"), json_str(x, "blocks", "nothing"),
					   strcmp(action, "rewrites") == 0 ? "rewrite" : "scan",
					   json_str(x, "path", "?"), (int) json_num(x, "line", 0));
		free(b);
		free(r);
	}
	strbuf_append(&sb, "\n");
	return strbuf_detach(&sb);
}

char *
dry_run_render_markdown(const cJSON *doc, const MigrationList *l)
{
	char *section = dry_run_markdown_section(doc), *base = report_render_markdown(doc, l);
	StrBuf sb = {0};
	size_t room;

	strbuf_append(&sb, section);
	room = DRY_RUN_MARKDOWN_MAX_BYTES - sb.len - 200;
	if (strlen(base) <= room)
		strbuf_append(&sb, base);
	else {
		const char *cut = base + room;

		while (cut > base && *cut != '\n')
			cut--;
		strbuf_append_n(&sb, base, (size_t) (cut - base));
		strbuf_append(&sb, "\n\n> **Truncated** to stay under the comment size limit: run "
					  "`migsafe dry-run --format text` for the full report.\n");
	}
	free(section);
	free(base);
	return strbuf_detach(&sb);
}

bool
dry_run_emit(const Options *opts, const cJSON *doc, const MigrationList *l)
{
	char *text;
	bool ok;

	if (strcmp(opts->format, "text") == 0)
		text = dry_run_render_text(doc, l);
	else if (strcmp(opts->format, "markdown") == 0)
		text = dry_run_render_markdown(doc, l);
	else
		return report_emit(opts, doc, l);
	ok = output_write(opts->output_path, text, strlen(text));
	free(text);
	if (ok && opts->report_path) {
		text = report_render_json(doc, l);
		ok = output_write(opts->report_path, text, strlen(text));
		free(text);
	}
	return ok;
}
