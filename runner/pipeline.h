/*
 * pipeline.h — the stages every command shares: load the migrations, then
 * analyse them (locks, then rules).
 */
#ifndef MIGSAFE_PIPELINE_H
#define MIGSAFE_PIPELINE_H

#include <stdbool.h>

#include "analyze.h"
#include "options.h"

/*
 * Loads opts->paths ("-" reads stdin) into out. Problems are logged per
 * file; returns false when any input could not be loaded (exit 2), while
 * out still holds every migration that did load. With --since, marks the
 * migrations unchanged since the merge base context-only (since.h).
 * Migrations come out parsed, except for check, which parses them in
 * pipeline_analyse one at a time.
 */
bool pipeline_load(const Options *opts, MigrationList *out);

/*
 * Runs the lock analysis and the rules over every migration, in order, so
 * that objects created by earlier migrations are known to later ones.
 * pg_version is the effective PostgreSQL major version. Parses what is not
 * parsed yet (a file with a syntax error is logged and left out: false);
 * for check, releases each parse tree once its rules have run.
 */
bool pipeline_analyse(const Options *opts, int pg_version, MigrationList *l);

/* Counts findings by severity, honouring suppressions already applied. */
void pipeline_count_findings(const MigrationList *l, int *errors, int *warnings, int *infos);

/* The exit code the findings call for under --fail-on (0 or 1). */
int pipeline_findings_exit_code(const Options *opts, const MigrationList *l);

#endif
