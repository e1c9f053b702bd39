/*
 * fuzz_loader_text.c — libFuzzer target for one migration's contents, the
 * way `migsafe check -` sees them: validation (UTF-8, NUL, blank), dbmate
 * and goose section markers, parsing, directives, then the lock analysis
 * and rules of the check pipeline.
 */
#include <stdint.h>
#include <stdlib.h>

#include "defaults.h"
#include "loader.h"
#include "log.h"
#include "options.h"
#include "pipeline.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	MigrationList list = {0};
	Options opts;

	options_init(&opts, CMD_CHECK, "check");
	if (loader_load_text((const char *) data, size, "fuzz.sql", &list)) {
		if (list.count != 1)
			abort();
		pipeline_analyse(&opts, DEFAULT_PG_VERSION, &list, NULL, NULL);
	} else if (list.count != 0) {
		abort();
	}
	migration_list_free(&list);
	options_free(&opts);
	return 0;
}
