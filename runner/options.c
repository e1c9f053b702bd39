/*
 * options.c — the option table: name, value type, the commands that accept
 * it, and its help line. Parsing and usage both read the same table.
 */
#include "options.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "defaults.h"
#include "duration.h"
#include "log.h"

#define CMD_ALL (CMD_CHECK | CMD_PLAN | CMD_DRY_RUN | CMD_APPLY | CMD_STATUS | CMD_BLOCKERS)
#define CMD_ANALYSE (CMD_CHECK | CMD_PLAN | CMD_DRY_RUN | CMD_APPLY)
#define CMD_DB (CMD_PLAN | CMD_DRY_RUN | CMD_APPLY | CMD_STATUS | CMD_BLOCKERS)
#define CMD_PRECHECK (CMD_PLAN | CMD_APPLY | CMD_DRY_RUN)

typedef enum OptType {
	OPT_STRING,          /* const char * */
	OPT_FLAG,            /* bool, set to true */
	OPT_INT,             /* int, >= 0 */
	OPT_INT64,           /* int64_t, >= 0 */
	OPT_DURATION,        /* int64_t milliseconds */
	OPT_LIST,            /* StrList, repeatable */
	OPT_CUSTOM           /* parsed by a function */
} OptType;

typedef bool (*OptParser)(Options *opts, const char *arg);

typedef struct OptSpec {
	const char *name;
	OptType type;
	size_t offset;
	unsigned commands;
	const char *metavar;
	const char *help;
	OptParser parse;
} OptSpec;

static bool
parse_format(Options *opts, const char *arg)
{
	static const char *const formats[] = {"text", "json", "sarif", "github", "gitlab", "markdown"};

	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		if (strcmp(arg, formats[i]) == 0) {
			opts->format = formats[i];
			return true;
		}
	}
	return false;
}

static bool
parse_layout(Options *opts, const char *arg)
{
	return layout_parse(arg, &opts->layout);
}

static bool
parse_fail_on(Options *opts, const char *arg)
{
	static const char *const names[] = {"error", "warning", "never"};

	for (int i = 0; i < 3; i++) {
		if (strcmp(arg, names[i]) == 0) {
			opts->fail_on = (FailOn) i;
			return true;
		}
	}
	return false;
}

static bool
parse_applied_by(Options *opts, const char *arg)
{
	if (strcmp(arg, "migsafe") == 0)
		opts->applied_by_other = false;
	else if (strcmp(arg, "other") == 0)
		opts->applied_by_other = true;
	else
		return false;
	return true;
}

static bool
parse_on_blockers(Options *opts, const char *arg)
{
	static const char *const names[] = {"wait", "fail", "cancel", "terminate", "ignore"};

	for (int i = 0; i < 5; i++) {
		if (strcmp(arg, names[i]) == 0) {
			opts->on_blockers = (BlockerPolicy) i;
			return true;
		}
	}
	return false;
}

static bool
parse_mode(Options *opts, const char *arg)
{
	opts->mode = lockmode_parse(arg);
	return opts->mode != LOCK_NONE;
}

static bool
parse_blocker_min_age(Options *opts, const char *arg)
{
	opts->blocker_min_age_set = true;
	return duration_parse(arg, &opts->blocker_min_age_ms);
}

static bool
parse_pg_version(Options *opts, const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end != '\0' || v < 9 || v > 99)
		return false;
	opts->pg_version = (int) v;
	return true;
}

#define OFF(field) offsetof(Options, field)

static const OptSpec option_table[] = {
	{"db", OPT_STRING, OFF(db), CMD_DB, "URL",
	 "connection string or URI (else DATABASE_URL, else libpq's PG* variables)", NULL},
	{"format", OPT_CUSTOM, 0, CMD_ALL, "FORMAT",
	 "text, json, sarif, github, gitlab or markdown (default text)", parse_format},
	{"output", OPT_STRING, OFF(output_path), CMD_ALL, "FILE",
	 "write the report to FILE (atomically) instead of stdout", NULL},
	{"report", OPT_STRING, OFF(report_path), CMD_ALL, "FILE",
	 "also write the JSON report to FILE (atomically)", NULL},
	{"layout", OPT_CUSTOM, 0, CMD_ANALYSE | CMD_STATUS, "LAYOUT",
	 "auto, plain, flyway, golang-migrate, dbmate, goose, prisma, diesel or sqlx", parse_layout},
	{"stdin-filename", OPT_STRING, OFF(stdin_filename), CMD_CHECK, "NAME",
	 "name to show for SQL read from stdin (-)", NULL},
	{"config", OPT_STRING, OFF(config_path), CMD_ALL, "FILE",
	 "configuration file (default: ./migsafe.json when present)", NULL},
	{"since", OPT_STRING, OFF(since), CMD_CHECK | CMD_PLAN | CMD_DRY_RUN, "REF",
	 "report only migrations added or changed since the merge base with REF", NULL},
	{"schema", OPT_STRING, OFF(schema), CMD_ANALYSE, "SCHEMA",
	 "schema for unqualified names (default public)", NULL},
	{"pg-version", OPT_CUSTOM, 0, CMD_ANALYSE, "N",
	 "PostgreSQL major version for version-dependent facts (default: server's, else 15)",
	 parse_pg_version},
	{"fail-on", OPT_CUSTOM, 0, CMD_ANALYSE, "LEVEL",
	 "exit 1 on findings at or above LEVEL: error, warning or never (default error)",
	 parse_fail_on},
	{"applied-by", OPT_CUSTOM, 0, CMD_CHECK, "TOOL",
	 "migsafe (default) or other: the files are applied by another tool", parse_applied_by},
	{"quiet", OPT_FLAG, OFF(quiet), CMD_ALL, NULL, "only errors on stderr", NULL},
	{"verbose", OPT_FLAG, OFF(verbose), CMD_ALL, NULL, "debug messages on stderr", NULL},
	{"redact-queries", OPT_FLAG, OFF(redact_queries), CMD_DB, NULL,
	 "show other sessions' queries as normalized fingerprints; keep row values out of errors",
	 NULL},
	{"history-table", OPT_STRING, OFF(history_table), CMD_DB, "NAME",
	 "history table (default " DEFAULT_HISTORY_TABLE ")", NULL},
	{"lock-timeout", OPT_DURATION, OFF(lock_timeout_ms), CMD_APPLY | CMD_DRY_RUN | CMD_PLAN,
	 "DURATION", "first attempt's lock_timeout; later attempts escalate (default 100ms)", NULL},
	{"statement-timeout", OPT_DURATION, OFF(statement_timeout_ms), CMD_APPLY | CMD_DRY_RUN,
	 "DURATION", "statement_timeout of migration statements (default 30min)", NULL},
	{"max-attempts", OPT_INT, OFF(max_attempts), CMD_APPLY, "N",
	 "attempts per migration before giving up (default 10)", NULL},
	{"max-wait", OPT_DURATION, OFF(max_wait_ms), CMD_APPLY, "DURATION",
	 "total lock-waiting budget per migration (default 5min)", NULL},
	{"runner-wait", OPT_DURATION, OFF(runner_wait_ms), CMD_APPLY, "DURATION",
	 "how long to wait for another migsafe runner (default 10min)", NULL},
	{"allow-changed", OPT_FLAG, OFF(allow_changed), CMD_APPLY, NULL,
	 "proceed although an applied migration's file changed or disappeared", NULL},
	{"max-queued", OPT_INT, OFF(max_queued), CMD_APPLY, "N",
	 "watchdog: cancel the attempt when more than N sessions queue behind it (default 5)", NULL},
	{"max-queue-wait", OPT_DURATION, OFF(max_queue_wait_ms), CMD_APPLY, "DURATION",
	 "watchdog: cancel when a queued session has waited this long (default 500ms)", NULL},
	{"small-table-rows", OPT_INT64, OFF(small_table_rows), CMD_APPLY | CMD_PLAN, "N",
	 "tables below N rows and --small-table-bytes are small (default 10000)", NULL},
	{"small-table-bytes", OPT_INT64, OFF(small_table_bytes), CMD_APPLY | CMD_PLAN, "BYTES",
	 "tables below BYTES and --small-table-rows are small (default 10485760)", NULL},
	{"on-blockers", OPT_CUSTOM, 0, CMD_APPLY | CMD_PLAN, "POLICY",
	 "wait, fail, cancel, terminate, or ignore (no pre-check) (default wait)", parse_on_blockers},
	{"blocker-min-age", OPT_CUSTOM, 0, CMD_PRECHECK | CMD_BLOCKERS, "DURATION",
	 "younger transactions are churn, not blockers (default: --lock-timeout; blockers: off)",
	 parse_blocker_min_age},
	{"blocker-wait", OPT_DURATION, OFF(blocker_wait_ms), CMD_APPLY, "DURATION",
	 "--on-blockers wait gives up after this (default 5min)", NULL},
	{"cancel-after", OPT_DURATION, OFF(cancel_after_ms), CMD_APPLY | CMD_PLAN, "DURATION",
	 "cancel/terminate only blockers older than this (default 0)", NULL},
	{"terminate-grace", OPT_DURATION, OFF(terminate_grace_ms), CMD_APPLY | CMD_PLAN, "DURATION",
	 "terminate: wait this long after cancelling (default 1s)", NULL},
	{"only-idle-in-transaction", OPT_FLAG, OFF(only_idle_in_transaction), CMD_APPLY | CMD_PLAN,
	 NULL, "cancel/terminate only idle-in-transaction sessions", NULL},
	{"include-app", OPT_LIST, OFF(include_apps), CMD_APPLY | CMD_PLAN, "NAME",
	 "act only on sessions of this application_name (repeatable)", NULL},
	{"exclude-app", OPT_LIST, OFF(exclude_apps), CMD_APPLY | CMD_PLAN, "NAME",
	 "never act on sessions of this application_name (repeatable)", NULL},
	{"include-user", OPT_LIST, OFF(include_users), CMD_APPLY | CMD_PLAN, "ROLE",
	 "act only on sessions of this user (repeatable)", NULL},
	{"exclude-user", OPT_LIST, OFF(exclude_users), CMD_APPLY | CMD_PLAN, "ROLE",
	 "never act on sessions of this user (repeatable)", NULL},
	{"explain-only", OPT_FLAG, OFF(explain_only), CMD_PLAN, NULL,
	 "show what --on-blockers would do, act on nobody", NULL},
	{"table", OPT_STRING, OFF(table), CMD_BLOCKERS, "TABLE",
	 "only sessions whose locks conflict with --mode on TABLE", NULL},
	{"mode", OPT_CUSTOM, 0, CMD_BLOCKERS, "MODE",
	 "lock mode for --table (default AccessExclusiveLock)", parse_mode},
	{"watch", OPT_INT64, OFF(watch_seconds), CMD_BLOCKERS, "SECONDS",
	 "refresh every SECONDS until Ctrl-C or --count refreshes", NULL},
	{"count", OPT_INT, OFF(watch_count), CMD_BLOCKERS, "N",
	 "with --watch: stop after N refreshes (default 100)", NULL},
	{"commit", OPT_FLAG, OFF(commit), CMD_DRY_RUN, NULL,
	 "on a throwaway server, run non-transactional statements for real", NULL},
	{"dir", OPT_LIST, OFF(paths), CMD_ANALYSE | CMD_STATUS, "DIR",
	 "migrations directory (same as a positional argument)", NULL},
};

#define N_OPTIONS (sizeof option_table / sizeof option_table[0])

void
options_init(Options *opts, Command command, const char *name)
{
	memset(opts, 0, sizeof *opts);
	opts->command = command;
	opts->command_name = name;
	opts->layout = LAYOUT_AUTO;
	opts->schema = DEFAULT_SCHEMA;
	opts->format = "text";
	opts->fail_on = FAIL_ON_ERROR;
	opts->history_table = DEFAULT_HISTORY_TABLE;
	opts->lock_timeout_ms = DEFAULT_LOCK_TIMEOUT_MS;
	opts->statement_timeout_ms = DEFAULT_STATEMENT_TIMEOUT_MS;
	opts->max_attempts = DEFAULT_MAX_ATTEMPTS;
	opts->max_wait_ms = DEFAULT_MAX_WAIT_MS;
	opts->runner_wait_ms = DEFAULT_RUNNER_WAIT_MS;
	opts->max_queued = DEFAULT_MAX_QUEUED;
	opts->max_queue_wait_ms = DEFAULT_MAX_QUEUE_WAIT_MS;
	opts->small_table_rows = DEFAULT_SMALL_TABLE_ROWS;
	opts->small_table_bytes = DEFAULT_SMALL_TABLE_BYTES;
	opts->on_blockers = ON_BLOCKERS_WAIT;
	opts->blocker_min_age_ms = DEFAULT_BLOCKER_MIN_AGE_MS;
	opts->blocker_wait_ms = DEFAULT_BLOCKER_WAIT_MS;
	opts->cancel_after_ms = DEFAULT_CANCEL_AFTER_MS;
	opts->terminate_grace_ms = DEFAULT_TERMINATE_GRACE_MS;
	opts->mode = LOCK_ACCESS_EXCLUSIVE;
	opts->watch_count = 100;
}

/* Stores one option's value; false when the value is not valid for it. */
static bool
option_store(Options *opts, const OptSpec *spec, const char *arg)
{
	char *field = (char *) opts + spec->offset;
	char *end;
	long long v;

	switch (spec->type) {
	case OPT_STRING:
		*(const char **) field = arg;
		return arg[0] != '\0';
	case OPT_FLAG:
		*(bool *) field = true;
		return true;
	case OPT_INT:
	case OPT_INT64:
		v = strtoll(arg, &end, 10);
		if (*end != '\0' || end == arg || v < 0 || (spec->type == OPT_INT && v > 1000000))
			return false;
		if (spec->type == OPT_INT)
			*(int *) field = (int) v;
		else
			*(int64_t *) field = v;
		return true;
	case OPT_DURATION:
		return duration_parse(arg, (int64_t *) field);
	case OPT_LIST:
		strlist_add((StrList *) field, arg);
		return true;
	case OPT_CUSTOM:
		return spec->parse(opts, arg);
	}
	return false;
}

static int
option_index(const char *name)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strcmp(option_table[i].name, name) == 0)
			return (int) i;
	return 0;
}

bool
options_set(Options *opts, const char *name, const char *text)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strcmp(option_table[i].name, name) == 0)
			return option_store(opts, &option_table[i], text);
	return false;
}

/* Parses argv into opts (see options_parse). */
static int
options_parse_argv(Options *opts, int argc, char **argv)
{
	struct option longopts[N_OPTIONS + 2];
	size_t n = 0;
	int c;

	for (size_t i = 0; i < N_OPTIONS; i++) {
		longopts[n].name = option_table[i].name;
		longopts[n].has_arg = option_table[i].type == OPT_FLAG ? no_argument : required_argument;
		longopts[n].flag = NULL;
		longopts[n].val = 1000 + (int) i;
		n++;
	}
	longopts[n++] = (struct option) {"help", no_argument, NULL, 'h'};
	longopts[n] = (struct option) {NULL, 0, NULL, 0};

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		const OptSpec *spec;

		if (c == 'h')
			return 0;
		if (c == 'o')
			c = 1000 + option_index("output");   /* -o is --output */
		if (c < 1000) {
			log_error("%s: unknown or incomplete option '%s' (see migsafe %s --help)",
					  opts->command_name, argv[optind - 1], opts->command_name);
			return EXIT_USAGE;
		}
		spec = &option_table[c - 1000];
		if (!(spec->commands & opts->command)) {
			log_error("%s: option --%s does not apply to this command", opts->command_name,
					  spec->name);
			return EXIT_USAGE;
		}
		if (!option_store(opts, spec, optarg ? optarg : "")) {
			log_error("%s: invalid value '%s' for --%s (%s)", opts->command_name,
					  optarg ? optarg : "", spec->name, spec->help);
			return EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++)
		strlist_add(&opts->paths, argv[i]);
	if (!opts->blocker_min_age_set)
		opts->blocker_min_age_ms = opts->lock_timeout_ms;
	if (opts->quiet)
		log_set_level(LOG_LEVEL_ERROR);
	if (opts->verbose)
		log_set_level(LOG_LEVEL_DEBUG);
	return -1;
}

/*
 * A first pass over argv finds --config; the configuration file is applied,
 * then the command line again, so that its values override the file's.
 */
int
options_parse(Options *opts, int argc, char **argv)
{
	Options first = *opts;
	const char *config;
	int rc;

	rc = options_parse_argv(&first, argc, argv);
	config = first.config_path;
	options_free(&first);
	if (rc >= 0)
		return rc;
	if (!config_apply_file(opts, config))
		return EXIT_USAGE;
	return options_parse_argv(opts, argc, argv);
}

void
options_usage(Command command, const char *name, const char *summary)
{
	printf("usage: migsafe %s [options] %s\n\n%s\n\noptions:\n", name,
		   (command & (CMD_ANALYSE | CMD_STATUS)) ? "[DIR|FILE...]" : "", summary);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		char left[64];

		if (!(option_table[i].commands & command))
			continue;
		snprintf(left, sizeof left, "--%s%s%s", option_table[i].name,
				 option_table[i].metavar ? " " : "",
				 option_table[i].metavar ? option_table[i].metavar : "");
		printf("  %-28s %s\n", left, option_table[i].help);
	}
	printf("  %-28s %s\n", "-h, --help", "show this help");
}

const char *
options_conninfo(const Options *opts)
{
	const char *env;

	if (opts->db)
		return opts->db;
	env = getenv("DATABASE_URL");
	if (env && env[0])
		return env;
	return "";
}

void
options_free(Options *opts)
{
	strlist_free(&opts->paths);
	strlist_free(&opts->include_apps);
	strlist_free(&opts->exclude_apps);
	strlist_free(&opts->include_users);
	strlist_free(&opts->exclude_users);
	strlist_free(&opts->enable_rules);
	strlist_free(&opts->disable_rules);
	strlist_free(&opts->rule_severities);
	strlist_free(&opts->exclude_paths);
	strlist_free(&opts->config_strings);
}
