/*
 * cli_check.c — migsafe check: static analysis, no database.
 *
 * Load the migrations, then analyse each (locks, then rules) and report it
 * at once, so that checking thousands of files keeps memory flat.
 */
#include "cli.h"
#include "defaults.h"
#include "log.h"
#include "options.h"
#include "pipeline.h"
#include "report_stream.h"
#include "signals.h"

#define CHECK_SUMMARY "Static analysis of migrations: the lock each statement takes, what it " \
	"blocks, rewrites and scans, and the findings of the safety rules. No database is needed."

/* The pipeline's sink: each analysed migration goes straight into the report, until a signal. */
static bool
report_migration(void *stream, Migration *m)
{
	if (signals_received) {
		migration_free(m);
		return false;
	}
	return report_stream_add(stream, m);
}

int
cli_check(int argc, char **argv)
{
	Options opts;
	MigrationList migrations = {0};
	ReportStream *report = NULL;
	bool ok;
	int rc;

	options_init(&opts, CMD_CHECK, "check");
	rc = options_parse(&opts, argc, argv);
	if (rc >= 0) {
		if (rc == 0)
			options_usage(CMD_CHECK, "check", CHECK_SUMMARY);
		goto done;
	}

	signals_install();     /* Ctrl-C: stop, and leave no unfinished report file behind */
	ok = pipeline_load(&opts, &migrations);
	report = report_stream_open(&opts, "check", migrations.count ? migrations.items[0]->path : ".");
	if (report == NULL) {
		rc = EXIT_USAGE;
		goto done;
	}
	ok = pipeline_analyse(&opts, opts.pg_version ? opts.pg_version : DEFAULT_PG_VERSION,
						  &migrations, report_migration, report) && ok;
	if (signals_received)
		rc = signals_exit_code();    /* report_stream_free removes the unfinished files */
	else if (!report_stream_finish(report) || !ok)
		rc = EXIT_USAGE;
	else
		rc = pipeline_exit_code_for(&opts, report_stream_counts(report));

done:
	report_stream_free(report);
	migration_list_free(&migrations);
	options_free(&opts);
	return rc;
}
