/*
 * cli_status.c — migsafe status: applied, pending and changed migrations.
 */
#include "cli.h"
#include "defaults.h"
#include "log.h"
#include "options.h"

int
cli_status(int argc, char **argv)
{
	Options opts;
	int rc;

	options_init(&opts, CMD_STATUS, "status");
	rc = options_parse(&opts, argc, argv);
	if (rc == 0)
		options_usage(CMD_STATUS, "status", "applied, pending and changed migrations");
	if (rc < 0) {
		log_error("status: not implemented yet");
		rc = EXIT_USAGE;
	}
	options_free(&opts);
	return rc;
}
