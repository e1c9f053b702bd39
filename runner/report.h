/*
 * report.h — the report model (a JSON document following the public
 * contract in docs/report.md) and its renderers, one file per format.
 */
#ifndef MIGSAFE_REPORT_H
#define MIGSAFE_REPORT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "model.h"
#include "options.h"

#define REPORT_VERSION 1

/*
 * Builds the document every command starts from: version, command, the
 * migrations with their statements, locks and findings, and the summary.
 * The caller owns it; commands add their own fields (target, attempts...).
 * It borrows the migrations' strings: delete it before freeing them.
 */
cJSON *report_document(const char *command, const MigrationList *l);

/*
 * One migration as the contract shows it: statements, locks, findings. Like
 * the document, it borrows m's strings.
 */
cJSON *report_migration_json(const Migration *m);

/* What the summary counts: reported migrations, their statements and findings. */
typedef struct ReportCounts {
	size_t migrations;
	size_t statements;
	int by_severity[3];  /* indexed by Severity */
} ReportCounts;

/* Counts m (a reported migration) into c. */
void report_counts_add(ReportCounts *c, const Migration *m);

/* The "summary" object of the contract. */
cJSON *report_summary_json(const ReportCounts *c);

/* One statement as the contract shows it; it borrows st's strings. */
cJSON *report_statement_json(const Statement *st);

/* Recomputes "summary" counts from the migrations in doc. */
void report_update_summary(cJSON *doc, const MigrationList *l);

/* A renderer turns the document (and the model it came from) into text. */
typedef char *(*ReportRenderer)(const cJSON *doc, const MigrationList *l);

/* The renderer of a --format value, or NULL when there is none. */
ReportRenderer report_renderer(const char *format);

char *report_render_json(const cJSON *doc, const MigrationList *l);
char *report_render_text(const cJSON *doc, const MigrationList *l);
char *report_render_sarif(const cJSON *doc, const MigrationList *l);
char *report_render_github(const cJSON *doc, const MigrationList *l);
char *report_render_gitlab(const cJSON *doc, const MigrationList *l);
char *report_render_markdown(const cJSON *doc, const MigrationList *l);

/*
 * A format that can be written one migration at a time, as check does for
 * thousands of files: its opening, one migration (`any`: whether an earlier
 * call wrote an item; returns whether this one did), and its closing from
 * the counts. Its renderer above writes the same bytes from the whole list.
 */
typedef struct ReportStreamer {
	void (*begin)(StrBuf *sb);
	bool (*migration)(StrBuf *sb, const Migration *m, bool any);
	void (*end)(StrBuf *sb, const ReportCounts *c);
} ReportStreamer;

/* The streamer of a --format value; NULL when the format needs every migration first. */
const ReportStreamer *report_streamer(const char *format);

/*
 * The whole report of a streamed format: what check writes as it goes,
 * for the migrations of l that are reported (not --since context).
 */
char *report_render_streamed(const ReportStreamer *s, const MigrationList *l);

/* Builds the JSON item of finding k of m. */
typedef cJSON *(*FindingJson)(const Migration *m, size_t k);

/*
 * Appends one item per finding of m as elements of a JSON array that sits
 * `depth` levels deep (", " before each but the array's first: `any`);
 * true when m had findings.
 */
bool report_json_findings(StrBuf *sb, const Migration *m, bool any, int depth, FindingJson make);

extern const ReportStreamer report_text_streamer;
extern const ReportStreamer report_github_streamer;
extern const ReportStreamer report_gitlab_streamer;
extern const ReportStreamer report_sarif_streamer;

/* The text report of one migration: its statements with their locks, and its findings. */
void report_text_migration(StrBuf *sb, const Migration *m);

/* The text report's last line: how many migrations, statements and findings. */
void report_text_summary(StrBuf *sb, const ReportCounts *c);

/* The text renderer colours only when allowed (not when writing to a file). */
void report_text_allow_color(bool allow);

/*
 * A stable fingerprint of finding f of m (32 hex digits; caller frees): the
 * file, rule, statement text and message, not the line, so it survives
 * edits elsewhere in the file. occurrence tells identical findings apart.
 */
char *report_fingerprint(const Migration *m, const Finding *f, int occurrence);

/*
 * path relative to the current directory when it is an absolute path below
 * it (a pointer into path), else path itself: CI tools place findings by
 * repository-relative paths.
 */
const char *report_relative_path(const char *path);

/* How many findings before m->findings[k] are identical to it (for report_fingerprint). */
int report_occurrence(const Migration *m, size_t k);

/*
 * Renders doc in opts->format to opts->output_path (or stdout), and writes
 * the JSON to opts->report_path when given. Files are written atomically.
 */
bool report_emit(const Options *opts, const cJSON *doc, const MigrationList *l);

#endif
