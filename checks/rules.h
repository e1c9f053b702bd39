/*
 * rules.h — the safety rule catalogue and the pass that applies it.
 *
 * Each rule has a stable kebab-case id, a family, a default severity and a
 * check function; the catalogue is a table (rules.c) and the checks live in
 * one file per family (rules_<family>.c). Rules read the parse tree and the
 * lock analysis of each statement; they never look at SQL text.
 *
 * Pure library: statements in, findings out.
 */
#ifndef MIGSAFE_RULES_H
#define MIGSAFE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* How a run of the rules is configured (command line and migsafe.json). */
typedef struct RulesOptions {
	int pg_version;             /* PostgreSQL major version the facts are taken for */
	bool applied_by_other;      /* another tool applies the files: no timeouts set for them */
	const StrList *enable;      /* rule ids switched on (may be NULL) */
	const StrList *disable;     /* rule ids switched off (may be NULL) */
	const StrList *severities;  /* "rule-id=severity" overrides (may be NULL) */
} RulesOptions;

typedef struct RuleCtx RuleCtx;

/* A check looks at the statement ctx points at and reports through rule_report. */
typedef void (*RuleCheck)(RuleCtx *ctx);

typedef struct Rule {
	const char *id;             /* stable kebab-case id */
	const char *family;         /* rewrite, index, locking, breaking, hygiene, migsafe */
	Severity severity;          /* default severity */
	bool enabled;               /* on unless configuration says otherwise */
	const char *summary;        /* one line: what the rule catches */
	RuleCheck check;            /* NULL: the finding is emitted elsewhere (analysis, parser) */
} Rule;

/* Number of rules in the catalogue, and the i-th one (catalogue order). */
size_t rules_count(void);
const Rule *rules_at(size_t i);

/* The rule with this id, or NULL. */
const Rule *rules_find(const char *id);

/*
 * Runs every enabled rule over every statement of m (whose statements must
 * already be analysed), applies the ignore directives (dropping the findings
 * they cover and reporting unused or reasonless ones), applies configured
 * severities and drops findings of disabled rules, then sorts the findings
 * by position.
 */
void rules_check_migration(const RulesOptions *opts, Migration *m);

#endif
