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
 */
cJSON *report_document(const char *command, const MigrationList *l);

/* One statement as the contract shows it. */
cJSON *report_statement_json(const Statement *st);

/* Recomputes "summary" counts from the migrations in doc. */
void report_update_summary(cJSON *doc, const MigrationList *l);

/* A renderer turns the document (and the model it came from) into text. */
typedef char *(*ReportRenderer)(const cJSON *doc, const MigrationList *l);

char *report_render_json(const cJSON *doc, const MigrationList *l);
char *report_render_text(const cJSON *doc, const MigrationList *l);

/*
 * Renders doc in opts->format to opts->output_path (or stdout), and writes
 * the JSON to opts->report_path when given. Files are written atomically.
 */
bool report_emit(const Options *opts, const cJSON *doc, const MigrationList *l);

#endif
