/*
 * pipeline.c — load and analyse, shared by check, plan, dry-run and apply.
 */
#include "pipeline.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "defaults.h"
#include "loader.h"
#include "log.h"
#include "parse_ahead.h"
#include "report.h"
#include "rules.h"
#include "since.h"

/* Reads all of stdin into one migration. */
static bool
load_stdin(const Options *opts, MigrationList *out)
{
	StrBuf sb = {0};
	char buf[65536];
	size_t n;
	bool ok;

	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
		strbuf_append_n(&sb, buf, n);
	if (sb.data == NULL)
		strbuf_append(&sb, "");
	ok = loader_load_text(sb.data, sb.len, opts->stdin_filename ? opts->stdin_filename : "<stdin>",
						  out);
	strbuf_free(&sb);
	return ok;
}

/* True when path matches one of the configuration's "exclude" patterns. */
static bool
path_excluded(const Options *opts, const char *path)
{
	for (size_t i = 0; i < opts->exclude_paths.count; i++)
		if (fnmatch(opts->exclude_paths.items[i], path, 0) == 0)
			return true;
	return false;
}

/* Leaves out (and frees) the migrations of l from index `from` on that are excluded. */
static void
drop_excluded(const Options *opts, MigrationList *l, size_t from)
{
	size_t kept = from;

	for (size_t i = from; i < l->count; i++) {
		if (path_excluded(opts, l->items[i]->path)) {
			log_debug("%s: excluded by the configuration", l->items[i]->path);
			migration_free(l->items[i]);
		} else
			l->items[kept++] = l->items[i];
	}
	l->count = kept;
}

bool
pipeline_load(const Options *opts, MigrationList *out)
{
	/*
	 * check reads and parses in pipeline_analyse, one migration at a time
	 * (and on parse-ahead threads), to keep memory flat; --since needs the
	 * checksums, so then the files are read here.
	 */
	bool lazy_parse = opts->command == CMD_CHECK;
	bool lazy = lazy_parse && opts->since == NULL;
	bool ok = true;

	if (opts->paths.count == 0) {
		log_error("%s: no migrations given: name a directory or files (or - for stdin)",
				  opts->command_name);
		return false;
	}
	for (size_t i = 0; i < opts->paths.count; i++) {
		const char *const *p = (const char *const *) &opts->paths.items[i];

		if (strcmp(*p, "-") == 0)
			ok = load_stdin(opts, out) && ok;
		else if (path_excluded(opts, *p))
			continue;
		else if (lazy)
			ok = loader_list(p, 1, opts->layout, out) && ok;
		else
			ok = loader_load_unparsed(p, 1, opts->layout, out) && ok;
	}
	drop_excluded(opts, out, 0);
	if (!lazy_parse)
		ok = loader_parse_all(out, 0) && ok;
	if (opts->since && !since_apply(opts, out))
		ok = false;
	return ok;
}

/* Worker threads for parsing ahead: one fewer than the cores, at least one. */
static int
parse_threads(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (cores - 1 > DEFAULT_PARSE_THREADS)
		return DEFAULT_PARSE_THREADS;
	return cores > 2 ? (int) cores - 1 : 1;
}

/* Parses migration i of the list, in line or by the parse-ahead workers; false (logged) on error. */
static bool
parse_in_order(ParseAhead *pa, size_t i, Migration *m)
{
	return pa ? parse_ahead_wait(pa, i) : loader_parse(m);
}

bool
pipeline_analyse(const Options *opts, int pg_version, MigrationList *l, MigrationSink sink,
				 void *sink_arg)
{
	size_t kept = 0, stop = l->count;
	bool ok = true;
	ParseAhead *pa = NULL;
	AnalyzeContext *ctx = analyze_context_new(opts->schema, pg_version);
	RulesOptions rules = {
		.pg_version = analyze_context_pg_version(ctx),
		/* apply, dry-run and plan mean migsafe applies the files (and sets lock_timeout) */
		.applied_by_other = opts->applied_by_other && opts->command == CMD_CHECK,
		.enable = &opts->enable_rules,
		.disable = &opts->disable_rules,
		.severities = &opts->rule_severities,
	};

	/* check loads without parsing (pipeline_load): parse on other threads meanwhile */
	if (opts->command == CMD_CHECK && l->count > 1)
		pa = parse_ahead_start(l, parse_threads(), DEFAULT_PARSE_AHEAD);

	for (size_t i = 0; i < l->count; i++) {
		Migration *m = l->items[i];

		if (!parse_in_order(pa, i, m)) {
			migration_free(m);
			ok = false;
			continue;
		}
		analyze_context_begin_migration(ctx);
		analyze_migration(ctx, m);
		rules_check_migration(&rules, m);
		if (opts->command == CMD_CHECK)
			migration_release_tree(m);   /* check reports from texts and analyses only */
		if (sink && !sink(sink_arg, m)) {
			ok = false;              /* the sink gave up: analyse no further */
			stop = i + 1;
			break;
		}
		if (!sink)
			l->items[kept++] = m;
	}
	if (pa)
		parse_ahead_stop(pa);
	for (size_t i = stop; i < l->count; i++)
		migration_free(l->items[i]);
	l->count = kept;
	analyze_context_free(ctx);
	return ok;
}

int
pipeline_exit_code_for(const Options *opts, const ReportCounts *c)
{
	int errors = c->by_severity[SEVERITY_ERROR], warnings = c->by_severity[SEVERITY_WARNING];

	if (opts->fail_on == FAIL_ON_ERROR && errors > 0)
		return EXIT_FINDINGS;
	if (opts->fail_on == FAIL_ON_WARNING && errors + warnings > 0)
		return EXIT_FINDINGS;
	return EXIT_OK;
}

int
pipeline_findings_exit_code(const Options *opts, const MigrationList *l)
{
	ReportCounts c = {0};

	for (size_t i = 0; i < l->count; i++)
		if (!l->items[i]->context_only)      /* --since: context, not reported */
			report_counts_add(&c, l->items[i]);
	return pipeline_exit_code_for(opts, &c);
}
