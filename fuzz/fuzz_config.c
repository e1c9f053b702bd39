/*
 * fuzz_config.c — libFuzzer target for migsafe.json (config_apply_text):
 * arbitrary bytes as the configuration text, applied to the options of
 * every command in turn. Whatever is accepted must leave the options
 * usable: a known format and non-negative limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "options.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	Command command;
	const char *name;
} commands[] = {
	{CMD_CHECK, "check"}, {CMD_PLAN, "plan"}, {CMD_DRY_RUN, "dry-run"},
	{CMD_APPLY, "apply"}, {CMD_STATUS, "status"}, {CMD_BLOCKERS, "blockers"},
};

/* Rejected inputs are the common case: keep their messages off stderr. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	log_set_level(LOG_LEVEL_QUIET);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		Options opts;

		options_init(&opts, commands[i].command, commands[i].name);
		if (config_apply_text(&opts, (const char *) data, size, "fuzz.json")) {
			if (opts.format == NULL || opts.lock_timeout_ms < 0 || opts.max_attempts < 0 ||
				opts.statement_timeout_ms < 0 || opts.schema == NULL)
				abort();
		}
		options_free(&opts);
		log_set_level(LOG_LEVEL_QUIET);
	}
	return 0;
}
