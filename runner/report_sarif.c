/*
 * report_sarif.c — SARIF 2.1.0 for GitHub code scanning and other SARIF
 * consumers: the rule catalogue in tool.driver.rules, one result per
 * finding with its physical location and a stable fingerprint.
 */
#include "report.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jsonprint.h"
#include "rules.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* SARIF's level for a severity. */
static const char *
sarif_level(Severity s)
{
	switch (s) {
	case SEVERITY_ERROR:
		return "error";
	case SEVERITY_WARNING:
		return "warning";
	case SEVERITY_INFO:
		break;
	}
	return "note";
}

/*
 * A path as a URI reference: relative paths stay relative (to the run's
 * working directory), absolute ones become file:// URIs; bytes outside
 * RFC 3986's unreserved set and "/" are percent-encoded.
 */
static char *
path_uri(const char *path)
{
	StrBuf sb = {0};

	if (path[0] == '/')
		strbuf_append(&sb, "file://");
	for (const unsigned char *p = (const unsigned char *) path; *p; p++) {
		if (isalnum(*p) || strchr("-._~/", *p))
			strbuf_append_n(&sb, (const char *) p, 1);
		else
			strbuf_appendf(&sb, "%%%02X", *p);
	}
	if (sb.data == NULL)
		strbuf_append(&sb, "");
	return strbuf_detach(&sb);
}

/* "adding-foreign-key" -> "AddingForeignKey": SARIF's readable rule name. */
static char *
rule_name(const char *id)
{
	StrBuf sb = {0};
	bool upper = true;

	for (const char *p = id; *p; p++) {
		if (*p == '-') {
			upper = true;
			continue;
		}
		strbuf_appendf(&sb, "%c", upper ? toupper((unsigned char) *p) : *p);
		upper = false;
	}
	return strbuf_detach(&sb);
}

/* {"text": text}: SARIF's message object. */
static cJSON *
text_object(const char *text)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "text", text);
	return o;
}

/* tool.driver.rules: the whole catalogue, in catalogue order (ruleIndex refers to it). */
static cJSON *
sarif_rules(void)
{
	cJSON *rules = cJSON_CreateArray();

	for (size_t i = 0; i < rules_count(); i++) {
		const Rule *r = rules_at(i);
		cJSON *o = cJSON_CreateObject(), *conf = cJSON_CreateObject(), *props;
		char *name = rule_name(r->id);
		char *help = xasprintf("docs/rules.md, section %s: a bad and a good example.", r->id);

		cJSON_AddStringToObject(o, "id", r->id);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddItemToObject(o, "shortDescription", text_object(r->summary));
		cJSON_AddItemToObject(o, "help", text_object(help));
		cJSON_AddStringToObject(conf, "level", sarif_level(r->severity));
		cJSON_AddBoolToObject(conf, "enabled", r->enabled);
		cJSON_AddItemToObject(o, "defaultConfiguration", conf);
		props = cJSON_AddObjectToObject(o, "properties");
		cJSON_AddItemToObject(props, "tags", cJSON_CreateStringArray(&r->family, 1));
		cJSON_AddItemToArray(rules, o);
		free(name);
		free(help);
	}
	return rules;
}

/* The index of rule id in the catalogue, or -1. */
static int
rule_index(const char *id)
{
	for (size_t i = 0; i < rules_count(); i++)
		if (strcmp(rules_at(i)->id, id) == 0)
			return (int) i;
	return -1;
}

/* The result for finding k of m. */
static cJSON *
sarif_result(const Migration *m, size_t k)
{
	const Finding *f = &m->findings[k];
	cJSON *o = cJSON_CreateObject(), *loc = cJSON_CreateObject(), *locs = cJSON_CreateArray();
	cJSON *phys, *art, *region, *fps;
	char *uri = path_uri(report_relative_path(m->path));
	char *fp = report_fingerprint(m, f, report_occurrence(m, k));
	char *text = f->help && f->help[0] ? xasprintf("%s\n\n%s", f->message, f->help) :
		xstrdup(f->message);
	int idx = rule_index(f->rule);

	cJSON_AddStringToObject(o, "ruleId", f->rule);
	if (idx >= 0)
		cJSON_AddNumberToObject(o, "ruleIndex", idx);
	cJSON_AddStringToObject(o, "level", sarif_level(f->severity));
	cJSON_AddItemToObject(o, "message", text_object(text));
	phys = cJSON_AddObjectToObject(loc, "physicalLocation");
	art = cJSON_AddObjectToObject(phys, "artifactLocation");
	cJSON_AddStringToObject(art, "uri", uri);
	region = cJSON_AddObjectToObject(phys, "region");
	cJSON_AddNumberToObject(region, "startLine", f->line > 0 ? f->line : 1);
	cJSON_AddNumberToObject(region, "startColumn", f->column > 0 ? f->column : 1);
	cJSON_AddItemToArray(locs, loc);
	cJSON_AddItemToObject(o, "locations", locs);
	fps = cJSON_AddObjectToObject(o, "partialFingerprints");
	cJSON_AddStringToObject(fps, "migsafe/v1", fp);
	free(uri);
	free(fp);
	free(text);
	return o;
}

/*
 * Appends the document around its results — the part before them when
 * `before`, else the part after — so that the results can be written in
 * between as they come. The catalogue, not the findings, fills the rules
 * table, so the frame is the same whatever the results.
 */
static void
sarif_frame(StrBuf *sb, bool before)
{
	cJSON *sarif = cJSON_CreateObject(), *runs = cJSON_CreateArray(), *run = cJSON_CreateObject();
	cJSON *driver;
	StrBuf printed = {0};
	char *mark;

	cJSON_AddStringToObject(sarif, "$schema", SARIF_SCHEMA);
	cJSON_AddStringToObject(sarif, "version", "2.1.0");
	driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
	cJSON_AddStringToObject(driver, "name", "migsafe");
	cJSON_AddStringToObject(driver, "semanticVersion", MIGSAFE_VERSION);
	cJSON_AddItemToObject(driver, "rules", sarif_rules());
	/* where the results go: printed strings escape this byte, so it is found only here */
	cJSON_AddItemToObject(run, "results", cJSON_CreateRaw("\x01"));
	/* columns count characters (code points), as the text report shows them */
	cJSON_AddStringToObject(run, "columnKind", "unicodeCodePoints");
	cJSON_AddItemToArray(runs, run);
	cJSON_AddItemToObject(sarif, "runs", runs);
	jsonprint_append(&printed, sarif, 0);
	mark = strchr(printed.data, '\x01');
	if (before)
		strbuf_append_n(sb, printed.data, (size_t) (mark - printed.data));
	else
		strbuf_append(sb, mark + 1);
	strbuf_free(&printed);
	cJSON_Delete(sarif);
}

static void
sarif_begin(StrBuf *sb)
{
	sarif_frame(sb, true);
	strbuf_append(sb, "[");
}

/* The results of m, as elements of runs[0].results (four levels deep). */
static bool
sarif_migration(StrBuf *sb, const Migration *m, bool any)
{
	return report_json_findings(sb, m, any, 4, sarif_result);
}

static void
sarif_end(StrBuf *sb, const ReportCounts *c)
{
	(void) c;
	strbuf_append(sb, "]");
	sarif_frame(sb, false);
	strbuf_append(sb, "\n");
}

const ReportStreamer report_sarif_streamer = {sarif_begin, sarif_migration, sarif_end};

char *
report_render_sarif(const cJSON *doc, const MigrationList *l)
{
	(void) doc;
	return report_render_streamed(&report_sarif_streamer, l);
}
