/*
 * options.h — every command-line option of every command, parsed in one
 * place so that names, value syntax and errors are the same everywhere.
 */
#ifndef MIGSAFE_OPTIONS_H
#define MIGSAFE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

typedef enum Command {
	CMD_CHECK = 1 << 0,
	CMD_PLAN = 1 << 1,
	CMD_DRY_RUN = 1 << 2,
	CMD_APPLY = 1 << 3,
	CMD_STATUS = 1 << 4,
	CMD_BLOCKERS = 1 << 5
} Command;

typedef enum FailOn {
	FAIL_ON_ERROR = 0,
	FAIL_ON_WARNING,
	FAIL_ON_NEVER
} FailOn;

typedef enum BlockerPolicy {
	ON_BLOCKERS_WAIT = 0,
	ON_BLOCKERS_FAIL,
	ON_BLOCKERS_CANCEL,
	ON_BLOCKERS_TERMINATE,
	ON_BLOCKERS_IGNORE          /* no pre-check: lock_timeout retries alone */
} BlockerPolicy;

typedef struct Options {
	Command command;
	const char *command_name;

	/* inputs */
	StrList paths;              /* positional: directories and files; "-" is stdin */
	Layout layout;
	const char *stdin_filename;
	const char *config_path;
	const char *since;          /* git ref: only migrations changed since it */

	/* analysis */
	const char *schema;
	int pg_version;             /* 0: the server's when connected, else the default */
	FailOn fail_on;
	bool applied_by_other;      /* --applied-by other: files applied by another tool */

	/* output */
	const char *format;         /* text, json, sarif, github, gitlab, markdown */
	const char *output_path;    /* --output: the report instead of stdout */
	const char *report_path;    /* --report: the JSON report, in addition */
	bool quiet;
	bool verbose;
	bool redact_queries;

	/* connection */
	const char *db;             /* --db, else DATABASE_URL, else libpq's PG* */

	/* runner */
	const char *history_table;
	int64_t lock_timeout_ms;
	int64_t statement_timeout_ms;
	int max_attempts;
	int64_t max_wait_ms;
	int64_t runner_wait_ms;
	bool allow_changed;
	int max_queued;
	int64_t max_queue_wait_ms;
	int64_t small_table_rows;
	int64_t small_table_bytes;

	/* blockers */
	BlockerPolicy on_blockers;
	int64_t blocker_min_age_ms;
	bool blocker_min_age_set;   /* else it follows --lock-timeout */
	int64_t blocker_wait_ms;
	int64_t cancel_after_ms;
	int64_t terminate_grace_ms;
	bool only_idle_in_transaction;
	StrList include_apps, exclude_apps, include_users, exclude_users;
	bool explain_only;
	const char *table;          /* blockers --table */
	LockMode mode;              /* blockers --mode */
	int64_t watch_seconds;      /* blockers --watch */
	int watch_count;            /* blockers --count: refreshes before stopping */

	/* dry-run */
	bool commit;

	/* from migsafe.json (runner/config.c) */
	StrList enable_rules;       /* rule ids switched on */
	StrList disable_rules;      /* rule ids switched off */
	StrList rule_severities;    /* "rule-id=severity" */
	StrList exclude_paths;      /* fnmatch patterns of migration paths to leave out */
	StrList config_strings;     /* values read from the file, owned here (options point into it) */
} Options;

/* Fills opts with the defaults of defaults.h. */
void options_init(Options *opts, Command command, const char *name);

/*
 * Parses argv (argv[0] is the command name). Returns -1 when parsing went
 * fine, else the exit code to leave with (0 after --help, 2 on a usage
 * error, which is printed).
 */
int options_parse(Options *opts, int argc, char **argv);

/*
 * Sets option `name` (its long name, without "--") from text as the command
 * line would; the configuration file uses it. False when the name is unknown
 * or the value invalid. The caller keeps text alive as long as opts.
 */
bool options_set(Options *opts, const char *name, const char *text);

/* Prints the command's usage and options to stdout. */
void options_usage(Command command, const char *name, const char *summary);

/* The connection string: --db, else DATABASE_URL, else "" (libpq's PG* environment). */
const char *options_conninfo(const Options *opts);

void options_free(Options *opts);

#endif
