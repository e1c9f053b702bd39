/*
 * report_github.c — GitHub Actions workflow commands: one annotation per
 * finding (::error file=...,line=...,col=...,title=...::message), shown on
 * the pull request's diff, then a one-line summary for the log.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

/* GitHub's command for a severity. */
static const char *
github_command(Severity s)
{
	switch (s) {
	case SEVERITY_ERROR:
		return "error";
	case SEVERITY_WARNING:
		return "warning";
	case SEVERITY_INFO:
		break;
	}
	return "notice";
}

/*
 * Appends s escaped as the runner's toolkit does: %, CR and LF always; in
 * property values also ':' and ','.
 */
static void
append_escaped(StrBuf *sb, const char *s, bool property)
{
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '%':
			strbuf_append(sb, "%25");
			break;
		case '\r':
			strbuf_append(sb, "%0D");
			break;
		case '\n':
			strbuf_append(sb, "%0A");
			break;
		case ':':
			strbuf_append(sb, property ? "%3A" : ":");
			break;
		case ',':
			strbuf_append(sb, property ? "%2C" : ",");
			break;
		default:
			strbuf_append_n(sb, p, 1);
		}
	}
}

/* One annotation per finding of m. */
static bool
github_migration(StrBuf *sb, const Migration *m, bool any)
{
	(void) any;
	for (size_t k = 0; k < m->nfindings; k++) {
		const Finding *f = &m->findings[k];
		char *title = xasprintf("migsafe %s", f->rule);

		strbuf_appendf(sb, "::%s file=", github_command(f->severity));
		append_escaped(sb, report_relative_path(m->path), true);
		strbuf_appendf(sb, ",line=%d,col=%d,title=", f->line, f->column);
		append_escaped(sb, title, true);
		strbuf_append(sb, "::");
		append_escaped(sb, f->message, false);
		if (f->help && f->help[0]) {
			append_escaped(sb, "\n\n", false);
			append_escaped(sb, f->help, false);
		}
		strbuf_append(sb, "\n");
		free(title);
	}
	return m->nfindings > 0;
}

/* The one-line summary for the log. */
static void
github_end(StrBuf *sb, const ReportCounts *c)
{
	strbuf_appendf(sb, "migsafe: %zu migrations: %d errors, %d warnings, %d infos\n",
				   c->migrations, c->by_severity[SEVERITY_ERROR], c->by_severity[SEVERITY_WARNING],
				   c->by_severity[SEVERITY_INFO]);
}

const ReportStreamer report_github_streamer = {NULL, github_migration, github_end};

char *
report_render_github(const cJSON *doc, const MigrationList *l)
{
	(void) doc;
	return report_render_streamed(&report_github_streamer, l);
}
