/*
 * cli_dry_run.c — migsafe dry-run: run pending migrations in a transaction, record the locks taken, roll back.
 */
#include "cli.h"
#include "defaults.h"
#include "log.h"
#include "options.h"

int
cli_dry_run(int argc, char **argv)
{
	Options opts;
	int rc;

	options_init(&opts, CMD_DRY_RUN, "dry-run");
	rc = options_parse(&opts, argc, argv);
	if (rc == 0)
		options_usage(CMD_DRY_RUN, "dry-run", "run pending migrations in a transaction, record the locks taken, roll back");
	if (rc < 0) {
		log_error("dry-run: not implemented yet");
		rc = EXIT_USAGE;
	}
	options_free(&opts);
	return rc;
}
