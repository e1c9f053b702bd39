/*
 * report.c — the report document and the choice of renderer.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "gitrepo.h"
#include "jsonprint.h"
#include "log.h"
#include "output.h"
#include "since.h"

/*
 * The formats --format accepts: the renderer of each, and how check writes
 * it one migration at a time (NULL: JSON, written by report_stream itself,
 * and markdown, which needs every migration first).
 */
static const struct {
	const char *format;
	ReportRenderer render;
	const ReportStreamer *streamer;
} formats[] = {
	{"json", report_render_json, NULL},
	{"text", report_render_text, &report_text_streamer},
	{"sarif", report_render_sarif, &report_sarif_streamer},
	{"github", report_render_github, &report_github_streamer},
	{"gitlab", report_render_gitlab, &report_gitlab_streamer},
	{"markdown", report_render_markdown, NULL},
};

/* The row of format, or -1. */
static int
format_index(const char *format)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (strcmp(formats[i].format, format) == 0)
			return (int) i;
	return -1;
}

/*
 * Members under literal keys, with values borrowed from the model: the
 * reports of a large check are built and printed one migration at a time,
 * and copying every statement's text only to free it again costs more than
 * the printing. A NULL string leaves the member out, as cJSON does.
 */
static void
put_str(cJSON *o, const char *key, const char *value)
{
	if (value)
		cJSON_AddItemToObjectCS(o, key, cJSON_CreateStringReference(value));
}

static void
put_num(cJSON *o, const char *key, double value)
{
	cJSON_AddItemToObjectCS(o, key, cJSON_CreateNumber(value));
}

static void
put_bool(cJSON *o, const char *key, bool value)
{
	cJSON_AddItemToObjectCS(o, key, cJSON_CreateBool(value));
}

static cJSON *
string_array(const StrList *l)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < l->count; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateStringReference(l->items[i]));
	return arr;
}

cJSON *
report_statement_json(const Statement *st)
{
	cJSON *o = cJSON_CreateObject(), *locks = cJSON_CreateArray();

	put_num(o, "index", st->index);
	put_num(o, "line", st->line);
	put_num(o, "column", st->column);
	put_str(o, "sql", st->sql);
	put_str(o, "kind", st->analysis.kind ? st->analysis.kind : "UNKNOWN");
	for (size_t i = 0; i < st->analysis.nlocks; i++) {
		cJSON *lk = cJSON_CreateObject();

		put_str(lk, "relation", st->analysis.locks[i].relation);
		put_str(lk, "mode", lockmode_name(st->analysis.locks[i].mode));
		cJSON_AddItemToArray(locks, lk);
	}
	cJSON_AddItemToObjectCS(o, "locks", locks);
	cJSON_AddItemToObjectCS(o, "rewrites", string_array(&st->analysis.rewrites));
	cJSON_AddItemToObjectCS(o, "scans", string_array(&st->analysis.scans));
	put_bool(o, "transactional", st->analysis.transactional);
	put_bool(o, "known", st->analysis.known);
	return o;
}

static cJSON *
finding_json(const Finding *f)
{
	cJSON *o = cJSON_CreateObject();

	put_str(o, "rule", f->rule);
	put_str(o, "severity", severity_name(f->severity));
	if (f->statement >= 0)
		put_num(o, "statement", f->statement);
	else
		cJSON_AddItemToObjectCS(o, "statement", cJSON_CreateNull());
	put_num(o, "line", f->line);
	put_num(o, "column", f->column);
	put_str(o, "message", f->message);
	put_str(o, "help", f->help);
	return o;
}

cJSON *
report_migration_json(const Migration *m)
{
	cJSON *o = cJSON_CreateObject(), *stmts = cJSON_CreateArray(), *findings = cJSON_CreateArray();

	put_str(o, "path", m->path);
	put_str(o, "version", m->version);
	put_str(o, "name", m->name);
	put_str(o, "layout", layout_name(m->layout));
	put_str(o, "checksum", m->checksum);
	put_bool(o, "transactional", m->transactional);
	for (size_t i = 0; i < m->nstmts; i++)
		cJSON_AddItemToArray(stmts, report_statement_json(&m->stmts[i]));
	cJSON_AddItemToObjectCS(o, "statements", stmts);
	for (size_t i = 0; i < m->nfindings; i++)
		cJSON_AddItemToArray(findings, finding_json(&m->findings[i]));
	cJSON_AddItemToObjectCS(o, "findings", findings);
	return o;
}

void
report_counts_add(ReportCounts *c, const Migration *m)
{
	c->migrations++;
	c->statements += m->nstmts;
	for (size_t k = 0; k < m->nfindings; k++)
		c->by_severity[m->findings[k].severity]++;
}

cJSON *
report_summary_json(const ReportCounts *c)
{
	cJSON *s = cJSON_CreateObject();

	cJSON_AddNumberToObject(s, "migrations", (double) c->migrations);
	cJSON_AddNumberToObject(s, "statements", (double) c->statements);
	cJSON_AddNumberToObject(s, "errors", c->by_severity[SEVERITY_ERROR]);
	cJSON_AddNumberToObject(s, "warnings", c->by_severity[SEVERITY_WARNING]);
	cJSON_AddNumberToObject(s, "infos", c->by_severity[SEVERITY_INFO]);
	return s;
}

void
report_update_summary(cJSON *doc, const MigrationList *l)
{
	ReportCounts c = {0};
	cJSON *s;

	for (size_t i = 0; i < l->count; i++)
		if (!l->items[i]->context_only)     /* --since: context, not reported */
			report_counts_add(&c, l->items[i]);
	s = report_summary_json(&c);
	if (cJSON_HasObjectItem(doc, "summary"))
		cJSON_ReplaceItemInObjectCaseSensitive(doc, "summary", s);
	else
		cJSON_AddItemToObject(doc, "summary", s);
}

cJSON *
report_document(const char *command, const MigrationList *l)
{
	cJSON *doc = cJSON_CreateObject(), *migs = cJSON_CreateArray();

	cJSON_AddStringToObject(doc, "migsafe_version", MIGSAFE_VERSION);
	cJSON_AddNumberToObject(doc, "report_version", REPORT_VERSION);
	cJSON_AddStringToObject(doc, "command", command);
	cJSON_AddItemToObject(doc, "git", gitrepo_report_json(l->count ? l->items[0]->path : "."));
	for (size_t i = 0; i < l->count; i++)
		if (!l->items[i]->context_only)     /* --since: context, not reported */
			cJSON_AddItemToArray(migs, report_migration_json(l->items[i]));
	cJSON_AddItemToObject(doc, "migrations", migs);
	report_update_summary(doc, l);
	return doc;
}

char *
report_render_json(const cJSON *doc, const MigrationList *l)
{
	StrBuf sb = {0};

	(void) l;
	jsonprint_append(&sb, doc, 0);
	strbuf_append_n(&sb, "\n", 1);
	return strbuf_detach(&sb);
}

const ReportStreamer *
report_streamer(const char *format)
{
	int i = format_index(format);

	return i < 0 ? NULL : formats[i].streamer;
}

char *
report_render_streamed(const ReportStreamer *s, const MigrationList *l)
{
	StrBuf sb = {0};
	ReportCounts counts = {0};
	bool any = false;

	strbuf_append(&sb, "");
	if (s->begin)
		s->begin(&sb);
	for (size_t i = 0; i < l->count; i++) {
		if (l->items[i]->context_only)
			continue;        /* --since: context, not reported */
		any = s->migration(&sb, l->items[i], any) || any;
		report_counts_add(&counts, l->items[i]);
	}
	s->end(&sb, &counts);
	return strbuf_detach(&sb);
}

bool
report_json_findings(StrBuf *sb, const Migration *m, bool any, int depth, FindingJson make)
{
	for (size_t k = 0; k < m->nfindings; k++, any = true) {
		cJSON *item = make(m, k);

		strbuf_append(sb, any ? ", " : "");
		jsonprint_append(sb, item, depth);
		cJSON_Delete(item);
	}
	return m->nfindings > 0;
}

ReportRenderer
report_renderer(const char *format)
{
	int i = format_index(format);

	return i < 0 ? NULL : formats[i].render;
}

bool
report_emit(const Options *opts, const cJSON *doc, const MigrationList *l)
{
	ReportRenderer render = report_renderer(opts->format);
	MigrationList reported;
	char *text;
	bool ok;

	if (render == NULL) {
		log_error("%s: --format %s is not available for this command", opts->command_name,
				  opts->format);
		return false;
	}
	/* Renderers see only the reported migrations: --since leaves the others as context. */
	since_reported_view(l, &reported);
	report_text_allow_color(opts->output_path == NULL || strcmp(opts->output_path, "-") == 0);
	text = render(doc, &reported);
	ok = output_write(opts->output_path, text, strlen(text));
	free(text);
	if (ok && opts->report_path) {
		text = report_render_json(doc, &reported);
		ok = output_write(opts->report_path, text, strlen(text));
		free(text);
	}
	since_view_free(&reported);
	return ok;
}
