/*
 * blocker.h — a session in the way of a lock migsafe needs, as every report
 * shows it (apply attempts, plan, blockers, dry-run).
 */
#ifndef MIGSAFE_BLOCKER_H
#define MIGSAFE_BLOCKER_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "pgsql.h"

typedef struct Blocker {
	int pid;
	char *usename;
	char *application_name;
	char *client_addr;
	char *backend_type;
	char *state;             /* "active", "idle in transaction", ... */
	char *wait_event;        /* "relation", "ClientRead", ... or NULL */
	int64_t xact_age_ms;     /* -1 when no transaction is open */
	int64_t state_age_ms;
	char *mode;              /* the conflicting lock's mode, "AccessShareLock" */
	bool granted;            /* false: it waits in the lock queue ahead of us */
	char *relation;          /* "schema.table" */
	char *query;             /* its query, or its fingerprint when redacted */
} Blocker;

typedef struct BlockerList {
	Blocker *items;
	size_t count;
	size_t cap;
} BlockerList;

/*
 * Fills b from row `row` of a query whose columns 0..12 are: pid, usename,
 * application_name, client_addr, backend_type, state, wait_event,
 * xact age (ms), state age (ms), mode, granted, relation, query. With
 * redact, the query is replaced by its normalized form (sqlparse_redact).
 */
void blocker_fill(Blocker *b, const PgResult *r, int row, bool redact);

/* Appends a zeroed blocker and returns it; strings are owned by the list. */
Blocker *blocker_list_add(BlockerList *l);
void blocker_list_free(BlockerList *l);

/* Frees a blocker's strings and zeroes it (xact_age_ms back to -1). */
void blocker_clear(Blocker *b);

/* The report object: pid, state, xact_age_ms, application_name, usename,
 * client_addr, mode, granted, relation, query, wait_event, backend_type. */
cJSON *blocker_json(const Blocker *b);
cJSON *blocker_list_json(const BlockerList *l);

/* One line for progress output: "pid 4242 (idle in transaction 00:01:12, app=billing)". */
char *blocker_describe(const Blocker *b);

#endif
