/*
 * report_stream.h — the check report written one migration at a time.
 *
 * check may be given thousands of files: the reports are written as each
 * migration is analysed, and the migration is freed, so memory stays flat
 * however many files are checked. Markdown needs the whole list (its
 * totals come first): the stream keeps the migrations and renders them at
 * the end.
 */
#ifndef MIGSAFE_REPORT_STREAM_H
#define MIGSAFE_REPORT_STREAM_H

#include <stdbool.h>

#include "model.h"
#include "options.h"
#include "report.h"

typedef struct ReportStream ReportStream;

/*
 * Starts the report of `command` in opts->format to opts->output_path (or
 * stdout), plus the JSON to opts->report_path when given. git_path locates
 * the repository for the report's git metadata. NULL (logged) when the
 * format is unknown or a file cannot be created.
 */
ReportStream *report_stream_open(const Options *opts, const char *command, const char *git_path);

/* Reports m and takes it over. False (logged) when writing failed. */
bool report_stream_add(ReportStream *rs, Migration *m);

/*
 * Ends the report (summary; kept formats rendered) and puts the files in
 * place. False (logged) on failure: no partial file is left.
 */
bool report_stream_finish(ReportStream *rs);

/* What was reported so far. */
const ReportCounts *report_stream_counts(const ReportStream *rs);

/* Frees rs; an unfinished report's files are removed. */
void report_stream_free(ReportStream *rs);

#endif
