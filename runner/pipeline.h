/*
 * pipeline.h — the stages every command shares: load the migrations, then
 * analyse them (locks, then rules).
 */
#ifndef MIGSAFE_PIPELINE_H
#define MIGSAFE_PIPELINE_H

#include <stdbool.h>

#include "analyze.h"
#include "options.h"
#include "report.h"

/*
 * Loads opts->paths ("-" reads stdin) into out. Problems are logged per
 * file; returns false when any input could not be loaded (exit 2), while
 * out still holds every migration that did load. With --since, marks the
 * migrations unchanged since the merge base context-only (since.h).
 * Migrations come out parsed, except for check, which reads (unless
 * --since) and parses them in pipeline_analyse one at a time.
 */
bool pipeline_load(const Options *opts, MigrationList *out);

/*
 * Takes over an analysed migration (see pipeline_analyse); false when it
 * could not use it or the run should stop (the analysis then stops).
 */
typedef bool (*MigrationSink)(void *arg, Migration *m);

/*
 * Runs the lock analysis and the rules over every migration, in order, so
 * that objects created by earlier migrations are known to later ones.
 * pg_version is the effective PostgreSQL major version. Parses what is not
 * parsed yet (a file with a syntax error is logged and left out: false);
 * for check, releases each parse tree once its rules have run. With a sink,
 * each migration is handed to it as soon as it is analysed and l is left
 * empty (when the sink says stop, the rest are freed unanalysed: false);
 * without, l keeps them.
 */
bool pipeline_analyse(const Options *opts, int pg_version, MigrationList *l, MigrationSink sink,
					  void *sink_arg);

/* The exit code findings counted in c call for under --fail-on (0 or 1). */
int pipeline_exit_code_for(const Options *opts, const ReportCounts *c);

/* The exit code the findings of l's reported migrations call for under --fail-on (0 or 1). */
int pipeline_findings_exit_code(const Options *opts, const MigrationList *l);

#endif
