/*
 * cli_plan.c — migsafe plan: pending migrations, predicted locks and live blockers (changes nothing).
 */
#include "cli.h"
#include "defaults.h"
#include "log.h"
#include "options.h"

int
cli_plan(int argc, char **argv)
{
	Options opts;
	int rc;

	options_init(&opts, CMD_PLAN, "plan");
	rc = options_parse(&opts, argc, argv);
	if (rc == 0)
		options_usage(CMD_PLAN, "plan", "pending migrations, predicted locks and live blockers (changes nothing)");
	if (rc < 0) {
		log_error("plan: not implemented yet");
		rc = EXIT_USAGE;
	}
	options_free(&opts);
	return rc;
}
