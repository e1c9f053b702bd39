/*
 * model.h — the one in-memory model every command shares.
 *
 *   files --load--> Migration[] --parse--> Statement[] --analyse--> Analysis
 *         --rules--> Finding[] --report--> text | json | ...
 *
 * Ownership: a Migration owns everything hanging off it (statements, their
 * analyses, findings, the parse tree). migration_free releases it all.
 */
#ifndef MIGSAFE_MODEL_H
#define MIGSAFE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "jsondoc.h"
#include "lockmode.h"
#include "util.h"

/* One relation and the table-level lock a statement takes on it. */
typedef struct LockNeed {
	char *relation;      /* "schema.name", identifiers unquoted */
	LockMode mode;
} LockNeed;

/* What a statement does to the database, as far as locks are concerned. */
typedef struct Analysis {
	char *kind;          /* "ALTER TABLE", "CREATE INDEX", ... */
	LockNeed *locks;     /* one entry per relation, strongest mode */
	size_t nlocks;
	size_t locks_cap;
	StrList rewrites;    /* relations rewritten (new relfilenode) */
	StrList scans;       /* relations fully scanned while locked */
	StrList creates;     /* relations this statement creates */
	StrList calls;       /* functions it calls that a migration created: bodies not analysed */
	bool transactional;  /* false: cannot run inside a transaction block */
	bool known;          /* false: migsafe does not know this statement's lock */
} Analysis;

typedef enum Severity {
	SEVERITY_INFO = 0,
	SEVERITY_WARNING = 1,
	SEVERITY_ERROR = 2
} Severity;

const char *severity_name(Severity s);
/* Parses "info" / "warning" / "error"; false when the text is none of them. */
bool severity_parse(const char *text, Severity *out);

/* A problem found in a migration, located in its file. */
typedef struct Finding {
	char *rule;          /* stable kebab-case id */
	Severity severity;
	int statement;       /* index into Migration.stmts, -1 for the whole file */
	int line;            /* 1-based, in the file */
	int column;          /* 1-based, in bytes */
	char *message;       /* names the object, the lock and what it blocks */
	char *help;          /* the safe alternative, with SQL */
} Finding;

/* "-- migsafe:ignore <rule-id> <reason>" found in a comment. */
typedef struct Directive {
	char *rule;
	char *reason;        /* may be empty: the rules report that */
	int line;
	int column;
	bool used;           /* set when it suppressed a finding */
} Directive;

/* One token of PostgreSQL's scanner: byte offsets in the text, and its kind (PG_QUERY__TOKEN__...). */
typedef struct SqlToken {
	size_t start;
	size_t end;
	int kind;
} SqlToken;

typedef struct Statement {
	int index;           /* 0-based within the migration */
	int line;            /* 1-based line of the first token in the file */
	int column;          /* 1-based byte column of the first token */
	size_t offset;       /* byte offset of the first token in the file */
	size_t length;       /* bytes up to (not including) the terminating ';' */
	char *sql;           /* the statement's text */
	const cJSON *tree;   /* the node under "stmt"; owned by Migration.parse_tree */
	size_t first_token;  /* its tokens in Migration.tokens (comments included) */
	size_t ntokens;
	Directive *ignores;  /* ignore directives just before this statement */
	size_t nignores;
	Analysis analysis;
} Statement;

typedef enum Layout {
	LAYOUT_AUTO = 0,
	LAYOUT_PLAIN,          /* <version>_<name>.sql */
	LAYOUT_FLYWAY,         /* V<version>__<desc>.sql */
	LAYOUT_GOLANG_MIGRATE, /* <version>_<name>.up.sql / .down.sql */
	LAYOUT_DBMATE,         /* -- migrate:up / -- migrate:down sections */
	LAYOUT_GOOSE,          /* -- +goose Up / Down sections */
	LAYOUT_PRISMA,         /* <timestamp>_<name>/migration.sql */
	LAYOUT_DIESEL,         /* <version>_<name>/up.sql */
	LAYOUT_SQLX,           /* <version>_<name>.sql and .up.sql / .down.sql */
	LAYOUT_FILE            /* named explicitly on the command line */
} Layout;

const char *layout_name(Layout l);
/* Parses a --layout value; false when unknown. */
bool layout_parse(const char *text, Layout *out);

typedef struct Migration {
	char *path;          /* as shown to the user */
	char *version;       /* normalised: "1.10", "20240101120000" */
	char *name;
	Layout layout;
	bool transactional;  /* false: a no-transaction directive or layout flag */
	char *text;          /* the whole file, NUL-terminated */
	size_t text_len;
	char checksum[41];   /* git blob id of the file, hex */
	char *up_text;       /* the SQL still to parse (text with all but the up section blanked), NULL once parsed */
	JsonDoc *parse_tree; /* libpg_query's JSON parse tree of the up section; NULL once released */
	SqlToken *tokens;    /* its scanner tokens, in text order; NULL once released */
	size_t ntokens;
	Statement *stmts;
	size_t nstmts;
	size_t stmts_cap;
	Directive *file_ignores; /* "-- migsafe:ignore-file <rule> <reason>" */
	size_t nfile_ignores;
	Finding *findings;
	size_t nfindings;
	size_t findings_cap;
	bool context_only;   /* --since: unchanged since the merge base; known, not reported */
	bool deleted;        /* --since: stands for a file deleted since the merge base; no statements */
} Migration;

/* An ordered set of migrations, as loaded from a directory. */
typedef struct MigrationList {
	Migration **items;
	size_t count;
	size_t cap;
} MigrationList;

Migration *migration_new(const char *path);
void migration_free(Migration *m);

/*
 * Appends a finding located at statement `stmt` (or the file when -1);
 * takes copies of the strings.
 */
Finding *migration_add_finding(Migration *m, const char *rule, Severity sev, int stmt,
							   const char *message, const char *help);

/*
 * Frees the parse tree once nothing needs it any more (check, after the
 * rules): Statement.tree becomes NULL; texts, analyses and findings stay.
 */
void migration_release_tree(Migration *m);

void migration_list_add(MigrationList *l, Migration *m);
void migration_list_free(MigrationList *l);

/*
 * True when migsafe runs the migration in one transaction: it is not marked
 * no-transaction, and not every statement is one PostgreSQL refuses inside a
 * transaction block (such a file runs statement by statement on its own).
 * Needs the analysis (Analysis.transactional) to be filled.
 */
bool migration_runs_in_transaction(const Migration *m);

/* Records a lock; keeps the strongest mode when the relation is already there. */
void analysis_add_lock(Analysis *a, const char *relation, LockMode mode);
/* The strongest mode the statement takes on any relation. */
LockMode analysis_strongest(const Analysis *a);
void analysis_free(Analysis *a);

#endif
