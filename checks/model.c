/*
 * model.c — constructors, destructors and small accessors of the model.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgnode.h"

static const char *const severity_names[] = {"info", "warning", "error"};

const char *
severity_name(Severity s)
{
	if (s < SEVERITY_INFO || s > SEVERITY_ERROR)
		return "error";
	return severity_names[s];
}

bool
severity_parse(const char *text, Severity *out)
{
	for (int s = SEVERITY_INFO; s <= SEVERITY_ERROR; s++) {
		if (strcasecmp(text, severity_names[s]) == 0) {
			*out = (Severity) s;
			return true;
		}
	}
	return false;
}

static const char *const layout_names[] = {
	[LAYOUT_AUTO] = "auto",
	[LAYOUT_PLAIN] = "plain",
	[LAYOUT_FLYWAY] = "flyway",
	[LAYOUT_GOLANG_MIGRATE] = "golang-migrate",
	[LAYOUT_DBMATE] = "dbmate",
	[LAYOUT_GOOSE] = "goose",
	[LAYOUT_PRISMA] = "prisma",
	[LAYOUT_DIESEL] = "diesel",
	[LAYOUT_SQLX] = "sqlx",
	[LAYOUT_FILE] = "file",
};

const char *
layout_name(Layout l)
{
	if (l < LAYOUT_AUTO || l > LAYOUT_FILE)
		return "unknown";
	return layout_names[l];
}

bool
layout_parse(const char *text, Layout *out)
{
	for (int l = LAYOUT_AUTO; l <= LAYOUT_SQLX; l++) {
		if (strcasecmp(text, layout_names[l]) == 0) {
			*out = (Layout) l;
			return true;
		}
	}
	return false;
}

Migration *
migration_new(const char *path)
{
	Migration *m = xcalloc(1, sizeof *m);

	m->path = xstrdup(path);
	m->transactional = true;
	return m;
}

static void
directives_free(Directive *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].rule);
		free(d[i].reason);
	}
	free(d);
}

void
migration_free(Migration *m)
{
	if (m == NULL)
		return;
	migration_release_tree(m);
	for (size_t i = 0; i < m->nstmts; i++) {
		free(m->stmts[i].sql);
		directives_free(m->stmts[i].ignores, m->stmts[i].nignores);
		analysis_free(&m->stmts[i].analysis);
	}
	free(m->stmts);
	directives_free(m->file_ignores, m->nfile_ignores);
	for (size_t i = 0; i < m->nfindings; i++) {
		free(m->findings[i].rule);
		free(m->findings[i].message);
		free(m->findings[i].help);
	}
	free(m->findings);
	free(m->up_text);
	free(m->path);
	free(m->version);
	free(m->name);
	free(m->text);
	free(m);
}

Finding *
migration_add_finding(Migration *m, const char *rule, Severity sev, int stmt,
					  const char *message, const char *help)
{
	Finding *f;

	array_reserve((void **) &m->findings, &m->findings_cap, m->nfindings, sizeof *f);
	f = &m->findings[m->nfindings++];
	f->rule = xstrdup(rule);
	f->severity = sev;
	f->statement = stmt;
	if (stmt >= 0 && (size_t) stmt < m->nstmts) {
		f->line = m->stmts[stmt].line;
		f->column = m->stmts[stmt].column;
	} else {
		f->line = 1;
		f->column = 1;
	}
	f->message = xstrdup(message ? message : "");
	f->help = xstrdup(help ? help : "");
	return f;
}

void
migration_release_tree(Migration *m)
{
	for (size_t i = 0; i < m->nstmts; i++)
		m->stmts[i].tree = NULL;
	jsondoc_free(m->parse_tree);
	m->parse_tree = NULL;
	free(m->tokens);
	m->tokens = NULL;
	m->ntokens = 0;
}

void
migration_list_add(MigrationList *l, Migration *m)
{
	array_reserve((void **) &l->items, &l->cap, l->count, sizeof(Migration *));
	l->items[l->count++] = m;
}

void
migration_list_free(MigrationList *l)
{
	for (size_t i = 0; i < l->count; i++)
		migration_free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = l->cap = 0;
}

bool
migration_runs_in_transaction(const Migration *m)
{
	size_t runnable = 0, outside = 0;

	if (!m->transactional)
		return false;
	for (size_t i = 0; i < m->nstmts; i++) {
		if (pgnode_get(m->stmts[i].tree, "TransactionStmt"))
			continue;
		runnable++;
		outside += !m->stmts[i].analysis.transactional;
	}
	return runnable == 0 || outside < runnable;
}

void
analysis_add_lock(Analysis *a, const char *relation, LockMode mode)
{
	for (size_t i = 0; i < a->nlocks; i++) {
		if (strcmp(a->locks[i].relation, relation) == 0) {
			a->locks[i].mode = lockmode_strongest(a->locks[i].mode, mode);
			return;
		}
	}
	array_reserve((void **) &a->locks, &a->locks_cap, a->nlocks, sizeof(LockNeed));
	a->locks[a->nlocks].relation = xstrdup(relation);
	a->locks[a->nlocks].mode = mode;
	a->nlocks++;
}

LockMode
analysis_strongest(const Analysis *a)
{
	LockMode m = LOCK_NONE;

	for (size_t i = 0; i < a->nlocks; i++)
		m = lockmode_strongest(m, a->locks[i].mode);
	return m;
}

void
analysis_free(Analysis *a)
{
	for (size_t i = 0; i < a->nlocks; i++)
		free(a->locks[i].relation);
	free(a->locks);
	free(a->kind);
	strlist_free(&a->rewrites);
	strlist_free(&a->scans);
	strlist_free(&a->creates);
	strlist_free(&a->calls);
	memset(a, 0, sizeof *a);
}
