/*
 * report_text.c — the human-readable report: each migration, each statement
 * with its lock and what that lock blocks, the findings, a one-line summary.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct Palette {
	const char *bold, *dim, *red, *yellow, *blue, *reset;
} Palette;

static const Palette colors = {"\033[1m", "\033[2m", "\033[31m", "\033[33m", "\033[34m", "\033[0m"};
static const Palette plain = {"", "", "", "", "", ""};

static bool color_allowed = true;

void
report_text_allow_color(bool allow)
{
	color_allowed = allow;
}

/* Colours only on a terminal, never into a file, and never when NO_COLOR is set. */
static const Palette *
palette(void)
{
	const char *no_color = getenv("NO_COLOR");

	if (color_allowed && isatty(STDOUT_FILENO) && (no_color == NULL || no_color[0] == '\0'))
		return &colors;
	return &plain;
}

/* First line of the statement, shortened for the listing. */
static void
append_sql_head(StrBuf *sb, const char *sql)
{
	size_t n = strcspn(sql, "\n");

	if (n > 72) {
		strbuf_append_n(sb, sql, 69);
		strbuf_append(sb, "...");
	} else {
		strbuf_append_n(sb, sql, n);
		if (sql[n] == '\n')
			strbuf_append(sb, " ...");
	}
}

/* Appends "label a, b" when the list is not empty. */
static void
append_list(StrBuf *sb, const char *label, const StrList *l, const Palette *p)
{
	if (l->count == 0)
		return;
	strbuf_appendf(sb, "      %s%s%s ", p->yellow, label, p->reset);
	for (size_t i = 0; i < l->count; i++)
		strbuf_appendf(sb, "%s%s", i ? ", " : "", l->items[i]);
	strbuf_append(sb, "\n");
}

/* Appends a statement: position, kind, SQL head, its locks and flags. */
static void
append_statement(StrBuf *sb, const Migration *m, const Statement *st, const Palette *p)
{
	const Analysis *a = &st->analysis;

	strbuf_appendf(sb, "  %s:%d:%d  %s%s%s  ", m->path, st->line, st->column, p->bold,
				   a->kind ? a->kind : "UNKNOWN", p->reset);
	append_sql_head(sb, st->sql);
	strbuf_append(sb, "\n");
	for (size_t i = 0; i < a->nlocks; i++)
		strbuf_appendf(sb, "      %s %s%s%s: blocks %s\n", a->locks[i].relation, p->blue,
					   lockmode_name(a->locks[i].mode), p->reset,
					   lockmode_blocks(a->locks[i].mode));
	if (a->nlocks == 0)
		strbuf_appendf(sb, "      %sno table lock%s\n", p->dim, p->reset);
	append_list(sb, "rewrites", &a->rewrites, p);
	append_list(sb, "scans", &a->scans, p);
	if (!a->transactional)
		strbuf_appendf(sb, "      %scannot run inside a transaction%s\n", p->dim, p->reset);
}

/* Appends text with every line after the first indented by indent. */
static void
append_indented(StrBuf *sb, const char *text, const char *indent)
{
	for (const char *p = text; *p; p++) {
		strbuf_append_n(sb, p, 1);
		if (*p == '\n' && p[1] != '\0')
			strbuf_append(sb, indent);
	}
}

/* Appends a finding, its message and help indented under it. */
static void
append_finding(StrBuf *sb, const Migration *m, const Finding *f, const Palette *p)
{
	const char *color = f->severity == SEVERITY_ERROR ? p->red :
		f->severity == SEVERITY_WARNING ? p->yellow : p->blue;

	strbuf_appendf(sb, "    %s:%d:%d: %s%s%s [%s] ", m->path, f->line, f->column, color,
				   severity_name(f->severity), p->reset, f->rule);
	append_indented(sb, f->message, "      ");
	strbuf_append(sb, "\n");
	if (f->help && f->help[0]) {
		strbuf_appendf(sb, "      %shelp:%s ", p->dim, p->reset);
		append_indented(sb, f->help, "        ");
		strbuf_append(sb, "\n");
	}
}

/* Appends the findings of m located at statement index stmt (-1: the file's own). */
static void
append_findings_of(StrBuf *sb, const Migration *m, int stmt, const Palette *p)
{
	for (size_t k = 0; k < m->nfindings; k++)
		if (m->findings[k].statement == stmt)
			append_finding(sb, m, &m->findings[k], p);
}

void
report_text_migration(StrBuf *sb, const Migration *m)
{
	const Palette *p = palette();

	strbuf_appendf(sb, "%s%s%s  (version %s, %s%s)\n", p->bold, m->path, p->reset,
				   m->version[0] ? m->version : "-", layout_name(m->layout),
				   m->transactional ? "" : ", no transaction");
	for (size_t k = 0; k < m->nstmts; k++) {
		append_statement(sb, m, &m->stmts[k], p);
		append_findings_of(sb, m, (int) k, p);
	}
	append_findings_of(sb, m, -1, p);
	strbuf_append(sb, "\n");
}

void
report_text_summary(StrBuf *sb, const ReportCounts *c)
{
	const Palette *p = palette();
	int errors = c->by_severity[SEVERITY_ERROR], warnings = c->by_severity[SEVERITY_WARNING];

	strbuf_appendf(sb, "%s%zu migrations, %zu statements: %s%d errors%s, %s%d warnings%s, "
				   "%d infos%s\n", p->bold, c->migrations, c->statements,
				   errors ? p->red : "", errors, p->reset,
				   warnings ? p->yellow : "", warnings, p->reset,
				   c->by_severity[SEVERITY_INFO], p->reset);
}

static bool
text_migration(StrBuf *sb, const Migration *m, bool any)
{
	(void) any;
	report_text_migration(sb, m);
	return true;
}

const ReportStreamer report_text_streamer = {NULL, text_migration, report_text_summary};

char *
report_render_text(const cJSON *doc, const MigrationList *l)
{
	(void) doc;
	return report_render_streamed(&report_text_streamer, l);
}
