/*
 * dry_run_report.h — the dry-run's report: the check contract extended
 * with each statement's observation ("observed", "mismatch"), the target,
 * and the impact ranking (rewrites and scans by real size); the text
 * rendering of it.
 */
#ifndef MIGSAFE_DRY_RUN_REPORT_H
#define MIGSAFE_DRY_RUN_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "model.h"
#include "options.h"
#include "pgsql.h"
#include "trace.h"

/* What the report is built from; everything is borrowed. */
typedef struct DryRunView {
	MigrationList *migrations;
	const char **status;                 /* per migration: traced, applied-first, ... */
	const TraceResult *const *results;   /* per migration, per statement */
	bool throwaway;                      /* the embedded throwaway server */
	PgConn *conn;
	int64_t lock_timeout_ms;
} DryRunView;

/* Counts over the reported migrations, also written to "summary". */
typedef struct DryRunTotals {
	int traced;
	int not_traced;
	int mismatches;
	int mismatches_unknown;              /* of them, on statements check called unknown-lock */
	int rewrites;
	int failed;
} DryRunTotals;

/*
 * Appends the real size of the tables a finding's statement rewrites or
 * scans to the finding's message ("... (dry-run: public.orders 1.2 GB,
 * 8.1 M rows)").
 */
void dry_run_annotate_findings(DryRunView *v);

/* The report document; fills totals. The caller owns it. */
cJSON *dry_run_document(const DryRunView *v, DryRunTotals *totals);

/* The text report: the check listing, then the trace and the impact ranking. */
char *dry_run_render_text(const cJSON *doc, const MigrationList *l);

/* The markdown report: the trace table and impact ranking, then the check listing; capped. */
char *dry_run_render_markdown(const cJSON *doc, const MigrationList *l);

/* Writes doc in opts->format (text and markdown here, others by report_emit) and --report. */
bool dry_run_emit(const Options *opts, const cJSON *doc, const MigrationList *l);

/* "1.2 GB", "8.0 kB", "512 bytes"; "unknown size" when negative. Caller frees. */
char *dry_run_format_bytes(int64_t bytes);

/* "8.1 M rows", "512 rows"; "unknown rows" when negative. Caller frees. */
char *dry_run_format_rows(double rows);

#endif
