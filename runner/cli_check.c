/*
 * cli_check.c — migsafe check: static analysis, no database.
 *
 * Load the migrations, analyse their locks, run the rules, report.
 */
#include "cli.h"
#include "defaults.h"
#include "log.h"
#include "options.h"
#include "pipeline.h"
#include "report.h"

#define CHECK_SUMMARY "Static analysis of migrations: the lock each statement takes, what it " \
	"blocks, rewrites and scans, and the findings of the safety rules. No database is needed."

int
cli_check(int argc, char **argv)
{
	Options opts;
	MigrationList migrations = {0};
	cJSON *doc = NULL;
	bool loaded;
	int rc;

	options_init(&opts, CMD_CHECK, "check");
	rc = options_parse(&opts, argc, argv);
	if (rc >= 0) {
		if (rc == 0)
			options_usage(CMD_CHECK, "check", CHECK_SUMMARY);
		goto done;
	}

	loaded = pipeline_load(&opts, &migrations);
	loaded = pipeline_analyse(&opts, opts.pg_version ? opts.pg_version : DEFAULT_PG_VERSION,
							  &migrations) && loaded;

	doc = report_document("check", &migrations);
	if (!report_emit(&opts, doc, &migrations))
		rc = EXIT_USAGE;
	else if (!loaded)
		rc = EXIT_USAGE;
	else
		rc = pipeline_findings_exit_code(&opts, &migrations);

done:
	cJSON_Delete(doc);
	migration_list_free(&migrations);
	options_free(&opts);
	return rc;
}
