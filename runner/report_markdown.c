/*
 * report_markdown.c — a pull-request comment or $GITHUB_STEP_SUMMARY body:
 * a summary line, then per migration a table of its statements (lock, what
 * it blocks, findings) and the findings with their safe alternative in a
 * collapsible block. The whole body stays under MARKDOWN_MAX_BYTES, with a
 * note saying what was left out.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

/* GitHub rejects comments over 65,536 characters; stay clear of it, in bytes. */
#define MARKDOWN_MAX_BYTES 65000
/* Room kept for the truncation note. */
#define MARKDOWN_NOTE_BYTES 400
/* Statement text shown in a table cell. */
#define MARKDOWN_SQL_CHARS 60

/* Appends s for a table cell: no newlines, pipes escaped, HTML kept literal. */
static void
append_cell(StrBuf *sb, const char *s, size_t max)
{
	size_t n = 0;

	for (const char *p = s; *p && n < max; p++, n++) {
		switch (*p) {
		case '|':
			strbuf_append(sb, "\\|");
			break;
		case '\n':
		case '\r':
		case '\t':
			strbuf_append(sb, " ");
			break;
		case '<':
			strbuf_append(sb, "&lt;");
			break;
		case '>':
			strbuf_append(sb, "&gt;");
			break;
		case '`':
			strbuf_append(sb, "'");
			break;
		default:
			strbuf_append_n(sb, p, 1);
		}
	}
	if (s[n] != '\0')
		strbuf_append(sb, "...");
}

/* Counts of a migration's findings by severity. */
static void
count_findings(const Migration *m, int counts[3])
{
	counts[0] = counts[1] = counts[2] = 0;
	for (size_t k = 0; k < m->nfindings; k++)
		counts[m->findings[k].severity]++;
}

/* One table row per statement that locks something or has findings. */
static void
append_row(StrBuf *sb, const Migration *m, const Statement *st)
{
	const Analysis *a = &st->analysis;
	LockMode strongest = analysis_strongest(a);
	bool any = false;

	strbuf_appendf(sb, "| %d | `", st->line);
	append_cell(sb, st->sql, MARKDOWN_SQL_CHARS);
	strbuf_append(sb, "` | ");
	for (size_t i = 0; i < a->nlocks; i++) {
		strbuf_appendf(sb, "%s%s on ", i ? "<br>" : "", lockmode_name(a->locks[i].mode));
		append_cell(sb, a->locks[i].relation, 200);
	}
	strbuf_appendf(sb, "%s | %s | ", a->nlocks ? "" : "none",
				   strongest == LOCK_NONE ? "nothing" : lockmode_blocks(strongest));
	for (size_t k = 0; k < m->nfindings; k++) {
		const Finding *f = &m->findings[k];

		if (f->statement != st->index)
			continue;
		strbuf_appendf(sb, "%s**%s** %s", any ? "<br>" : "", severity_name(f->severity), f->rule);
		any = true;
	}
	strbuf_append(sb, any ? " |\n" : "- |\n");
}

/* Appends piece when it fits under the cap; false (nothing appended) otherwise. */
static bool
append_capped(StrBuf *sb, const char *piece)
{
	if (sb->len + strlen(piece) > MARKDOWN_MAX_BYTES - MARKDOWN_NOTE_BYTES)
		return false;
	strbuf_append(sb, piece);
	return true;
}

/*
 * Appends the statement table of m (its heading row first) while it fits
 * under the cap; returns how many rows were left out.
 */
static size_t
append_table_capped(StrBuf *out, const Migration *m)
{
	size_t left_out = 0;

	for (size_t i = 0; i < m->nstmts; i++) {
		const Statement *st = &m->stmts[i];
		bool has_finding = false;
		StrBuf row = {0};

		for (size_t k = 0; k < m->nfindings && !has_finding; k++)
			has_finding = m->findings[k].statement == st->index;
		if (st->analysis.nlocks == 0 && !has_finding)
			continue;
		append_row(&row, m, st);
		if (left_out > 0 || !append_capped(out, row.data))
			left_out++;
		strbuf_free(&row);
	}
	append_capped(out, "\n");
	return left_out;
}

static char *
migration_details(const Migration *m)
{
	StrBuf sb = {0};

	strbuf_appendf(&sb, "<details><summary>%zu finding%s</summary>\n\n", m->nfindings,
				   m->nfindings == 1 ? "" : "s");
	for (size_t k = 0; k < m->nfindings; k++) {
		const Finding *f = &m->findings[k];

		strbuf_appendf(&sb, "**%s** `%s` at line %d, column %d: ", severity_name(f->severity),
					   f->rule, f->line, f->column);
		append_cell(&sb, f->message, 4000);
		strbuf_append(&sb, "\n\n");
		if (f->help && f->help[0])
			strbuf_appendf(&sb, "```\n%s\n```\n\n", f->help);
	}
	strbuf_append(&sb, "</details>\n\n");
	return strbuf_detach(&sb);
}

char *
report_render_markdown(const cJSON *doc, const MigrationList *l)
{
	const char *command = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "command"));
	StrBuf sb = {0};
	int total[3] = {0, 0, 0};
	size_t shown = 0, nstmts = 0, cut_details = 0, cut_rows = 0;

	for (size_t i = 0; i < l->count; i++) {
		int c[3];

		count_findings(l->items[i], c);
		for (int s = 0; s < 3; s++)
			total[s] += c[s];
		nstmts += l->items[i]->nstmts;
	}
	strbuf_appendf(&sb, "## migsafe %s: %d errors, %d warnings, %d infos\n\n%zu migrations, %zu "
				   "statements.\n\n", command ? command : "check", total[SEVERITY_ERROR],
				   total[SEVERITY_WARNING], total[SEVERITY_INFO], l->count, nstmts);
	for (; shown < l->count && cut_rows == 0; shown++) {
		const Migration *m = l->items[shown];
		int c[3];
		char *head, *details;
		bool fits;

		count_findings(m, c);
		head = xasprintf("### `%s`: %d errors, %d warnings, %d infos\n\n"
						 "| Line | Statement | Lock | Blocks | Findings |\n|---:|---|---|---|---|\n",
						 m->path, c[SEVERITY_ERROR], c[SEVERITY_WARNING], c[SEVERITY_INFO]);
		fits = append_capped(&sb, head);
		free(head);
		if (!fits)
			break;
		cut_rows = append_table_capped(&sb, m);
		details = m->nfindings ? migration_details(m) : xstrdup("");
		if (!append_capped(&sb, details))
			cut_details++;
		free(details);
	}
	if (shown < l->count || cut_details > 0 || cut_rows > 0) {
		strbuf_appendf(&sb, "> **Truncated** to stay under %d characters: %zu of %zu migrations "
					   "shown", MARKDOWN_MAX_BYTES, shown, l->count);
		if (cut_rows > 0)
			strbuf_appendf(&sb, ", the last without %zu of its statements", cut_rows);
		if (cut_details > 0)
			strbuf_appendf(&sb, ", %zu without their findings' details", cut_details);
		strbuf_appendf(&sb, ". Run `migsafe %s --format text` for the full report.\n",
					   command ? command : "check");
	}
	return strbuf_detach(&sb);
}
