/*
 * sqlparse.h — SQL text to statements, with PostgreSQL's own parser.
 *
 * Statement boundaries, positions and comments all come from libpg_query
 * (its parser and its scanner); nothing here splits SQL by hand.
 */
#ifndef MIGSAFE_SQLPARSE_H
#define MIGSAFE_SQLPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* A comment found by PostgreSQL's scanner. */
typedef struct SqlComment {
	size_t start;        /* byte offset of the comment's first character */
	size_t end;          /* byte offset just past it */
	int line;            /* 1-based */
	int column;          /* 1-based, in characters */
	char *body;          /* text without the comment markers, trimmed */
} SqlComment;

typedef struct SqlCommentList {
	SqlComment *items;
	size_t count;
	size_t cap;
} SqlCommentList;

/* Longest parse error message kept: PostgreSQL quotes whole tokens, however long. */
#define SQLPARSE_MESSAGE_MAX 200

/* A parse error located in the file. */
typedef struct SqlError {
	int line;
	int column;
	char *message;       /* PostgreSQL's message */
} SqlError;

/*
 * Lists the comments of text[0..len) in order. False (with err filled) when
 * the scanner rejects the text, e.g. an unterminated comment.
 */
bool sqlparse_comments(const char *text, size_t len, SqlCommentList *out, SqlError *err);
void sqlparse_comments_free(SqlCommentList *l);

/*
 * PostgreSQL's scanner tokens of text[0..len) (NUL-terminated at len), comments
 * included, in *tokens (caller frees). False (with err filled, if not NULL)
 * when the scanner rejects the text.
 */
bool sqlparse_tokens(const char *text, size_t len, SqlToken **tokens, size_t *count, SqlError *err);

/*
 * Parses `sql` (same length as m->text: bytes outside the part to apply are
 * blanked by the loader, so offsets are the file's) into m->stmts with their
 * positions, keeps the parse tree in m->parse_tree, and attaches
 * "-- migsafe:ignore" directives to the statement that follows them.
 * Sets m->transactional to false on "-- migsafe:no-transaction".
 * False (with err filled) on a syntax error.
 */
bool sqlparse_migration(Migration *m, const char *sql, SqlError *err);

/* 1-based line and character column of a byte offset in text. */
void sqlparse_position(const char *text, size_t offset, int *line, int *column);

/*
 * Moves *line and *column, the position of byte `from` in text, on to byte
 * `offset` (not before from) or to the end of text if that comes first, and
 * returns the offset reached: positions inside a statement count from its
 * start, not from the top of the file.
 */
size_t sqlparse_position_from(const char *text, size_t from, int *line, int *column, size_t offset);

void sqlparse_error_free(SqlError *err);

/*
 * Another session's query with its constants replaced by $n placeholders
 * (libpg_query's normalization), or its fingerprint when it does not parse:
 * what a report may show when queries must not leak data. Caller frees.
 */
char *sqlparse_redact(const char *query);

#endif
