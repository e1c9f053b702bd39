/*
 * main.c — migsafe's entry point: finds the subcommand and runs it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "defaults.h"
#include "log.h"

typedef struct CommandEntry {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} CommandEntry;

static const CommandEntry commands[] = {
	{"check", cli_check, "static analysis of migrations: locks, rewrites, findings (no database)"},
	{"plan", cli_plan, "pending migrations, predicted locks and live blockers (changes nothing)"},
	{"dry-run", cli_dry_run, "run pending migrations in a transaction, record real locks, roll back"},
	{"apply", cli_apply, "apply pending migrations with lock_timeout, retries and a report"},
	{"status", cli_status, "applied, pending and changed migrations"},
	{"blockers", cli_blockers, "the live lock tree: who blocks whom"},
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: migsafe <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nmigsafe <command> --help shows a command's options; "
			"migsafe --version prints the version.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
		strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("migsafe %s\n", MIGSAFE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	log_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
