/*
 * cli_blockers.c — migsafe blockers: the live lock tree: who blocks whom.
 */
#include "cli.h"
#include "defaults.h"
#include "log.h"
#include "options.h"

int
cli_blockers(int argc, char **argv)
{
	Options opts;
	int rc;

	options_init(&opts, CMD_BLOCKERS, "blockers");
	rc = options_parse(&opts, argc, argv);
	if (rc == 0)
		options_usage(CMD_BLOCKERS, "blockers", "the live lock tree: who blocks whom");
	if (rc < 0) {
		log_error("blockers: not implemented yet");
		rc = EXIT_USAGE;
	}
	options_free(&opts);
	return rc;
}
