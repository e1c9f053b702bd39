/*
 * cli_apply.c — migsafe apply: apply pending migrations with lock_timeout, bounded retries and a report.
 */
#include "cli.h"
#include "defaults.h"
#include "log.h"
#include "options.h"

int
cli_apply(int argc, char **argv)
{
	Options opts;
	int rc;

	options_init(&opts, CMD_APPLY, "apply");
	rc = options_parse(&opts, argc, argv);
	if (rc == 0)
		options_usage(CMD_APPLY, "apply", "apply pending migrations with lock_timeout, bounded retries and a report");
	if (rc < 0) {
		log_error("apply: not implemented yet");
		rc = EXIT_USAGE;
	}
	options_free(&opts);
	return rc;
}
