/*
 * report_gitlab.c — GitLab Code Quality (a JSON array of issues with stable
 * fingerprints), shown in merge request widgets and diffs.
 */
#include "report.h"

#include <stdlib.h>

/* GitLab's severity for ours (info, minor, major, critical, blocker). */
static const char *
gitlab_severity(Severity s)
{
	switch (s) {
	case SEVERITY_ERROR:
		return "critical";
	case SEVERITY_WARNING:
		return "major";
	case SEVERITY_INFO:
		break;
	}
	return "info";
}

/* The Code Quality issue for finding k of m. */
static cJSON *
gitlab_issue(const Migration *m, size_t k)
{
	const Finding *f = &m->findings[k];
	cJSON *o = cJSON_CreateObject(), *loc, *lines, *content;
	char *fp = report_fingerprint(m, f, report_occurrence(m, k));

	cJSON_AddStringToObject(o, "type", "issue");
	cJSON_AddStringToObject(o, "check_name", f->rule);
	cJSON_AddStringToObject(o, "description", f->message);
	content = cJSON_AddObjectToObject(o, "content");
	cJSON_AddStringToObject(content, "body", f->help ? f->help : "");
	cJSON_AddItemToObject(o, "categories", cJSON_CreateStringArray((const char *[]) {"Bug Risk"}, 1));
	cJSON_AddStringToObject(o, "severity", gitlab_severity(f->severity));
	cJSON_AddStringToObject(o, "fingerprint", fp);
	loc = cJSON_AddObjectToObject(o, "location");
	cJSON_AddStringToObject(loc, "path", report_relative_path(m->path));
	lines = cJSON_AddObjectToObject(loc, "lines");
	cJSON_AddNumberToObject(lines, "begin", f->line > 0 ? f->line : 1);
	free(fp);
	return o;
}

static void
gitlab_begin(StrBuf *sb)
{
	strbuf_append(sb, "[");
}

/* The issues of m, as elements of the document's array. */
static bool
gitlab_migration(StrBuf *sb, const Migration *m, bool any)
{
	return report_json_findings(sb, m, any, 1, gitlab_issue);
}

static void
gitlab_end(StrBuf *sb, const ReportCounts *c)
{
	(void) c;
	strbuf_append(sb, "]\n");
}

const ReportStreamer report_gitlab_streamer = {gitlab_begin, gitlab_migration, gitlab_end};

char *
report_render_gitlab(const cJSON *doc, const MigrationList *l)
{
	(void) doc;
	return report_render_streamed(&report_gitlab_streamer, l);
}
