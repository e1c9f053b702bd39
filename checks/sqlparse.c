/*
 * sqlparse.c — statements, positions, comments and directives from
 * libpg_query's parser and scanner.
 */
#include "sqlparse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgnode.h"
#include "scan_decode.h"

#define DIRECTIVE_PREFIX "migsafe:"

size_t
sqlparse_position_from(const char *text, size_t from, int *line, int *column, size_t offset)
{
	size_t i;

	for (i = from; i < offset && text[i] != '\0'; i++) {
		unsigned char ch = (unsigned char) text[i];

		if (ch == '\n') {
			(*line)++;
			*column = 1;
		} else if ((ch & 0xC0) != 0x80) {
			(*column)++;   /* count characters, not UTF-8 continuation bytes */
		}
	}
	return i;
}

void
sqlparse_position(const char *text, size_t offset, int *line, int *column)
{
	*line = *column = 1;
	sqlparse_position_from(text, 0, line, column, offset);
}

/*
 * Line and column of offsets visited in increasing order: statements and
 * comments come in text order, so each position continues from the last one
 * instead of counting from the start of the file again (big files stay
 * linear).
 */
typedef struct PosCursor {
	const char *text;
	size_t offset;
	int line;
	int column;
} PosCursor;

static void
cursor_init(PosCursor *cur, const char *text)
{
	cur->text = text;
	cur->offset = 0;
	cur->line = cur->column = 1;
}

/* The position of offset; an offset behind the cursor restarts it from the top. */
static void
cursor_position(PosCursor *cur, size_t offset, int *line, int *column)
{
	if (offset < cur->offset)
		cursor_init(cur, cur->text);
	cur->offset = sqlparse_position_from(cur->text, cur->offset, &cur->line, &cur->column, offset);
	*line = cur->line;
	*column = cur->column;
}

/* Byte offset of the 1-based character position PostgreSQL reports. */
static size_t
char_to_byte_offset(const char *text, size_t len, int charpos)
{
	size_t i = 0;
	int chars = 0;

	while (i < len) {
		if (((unsigned char) text[i] & 0xC0) != 0x80) {
			if (chars == charpos - 1)
				return i;
			chars++;
		}
		i++;
	}
	return len;
}

/*
 * Records a parse error. PostgreSQL quotes the whole offending token ("at or
 * near ..."), which for an unterminated comment or string is the rest of the
 * file: the message is cut at SQLPARSE_MESSAGE_MAX bytes, on a character
 * boundary, so that a 16 MB file gives a one-line error.
 */
static void
error_set(SqlError *err, const char *text, size_t offset, const char *message)
{
	size_t n = strlen(message);

	if (err == NULL)
		return;
	sqlparse_position(text, offset, &err->line, &err->column);
	if (n <= SQLPARSE_MESSAGE_MAX) {
		err->message = xstrdup(message);
		return;
	}
	n = SQLPARSE_MESSAGE_MAX;
	while (n > 0 && ((unsigned char) message[n] & 0xC0) == 0x80)
		n--;
	err->message = xasprintf("%.*s...\" (cut)", (int) n, message);
}

void
sqlparse_error_free(SqlError *err)
{
	free(err->message);
	err->message = NULL;
}

char *
sqlparse_redact(const char *query)
{
	PgQueryNormalizeResult nr = pg_query_normalize(query);
	char *out;

	if (nr.error == NULL && nr.normalized_query) {
		out = xstrdup(nr.normalized_query);
	} else {
		PgQueryFingerprintResult fr = pg_query_fingerprint(query);

		out = fr.error == NULL && fr.fingerprint_str ?
			xasprintf("<fingerprint %s>", fr.fingerprint_str) : xstrdup("<redacted>");
		pg_query_free_fingerprint_result(fr);
	}
	pg_query_free_normalize_result(nr);
	return out;
}

static bool
token_is_comment(const SqlToken *t)
{
	return t->kind == PG_QUERY__TOKEN__SQL_COMMENT || t->kind == PG_QUERY__TOKEN__C_COMMENT;
}

bool
sqlparse_tokens(const char *text, size_t len, SqlToken **tokens, size_t *count, SqlError *err)
{
	PgQueryScanResult res = pg_query_scan(text);

	*tokens = NULL;
	*count = 0;
	if (res.error) {
		size_t off = res.error->cursorpos > 0 ?
			char_to_byte_offset(text, len, res.error->cursorpos) : len;

		error_set(err, text, off, res.error->message);
	} else {
		if (!scan_decode((const uint8_t *) res.pbuf.data, res.pbuf.len, tokens, count))
			error_set(err, text, 0, "could not read the scanner's output");
	}
	pg_query_free_scan_result(res);
	return *tokens != NULL;
}

/* The comment's text without "--" or the C-style comment delimiters, trimmed. */
static char *
comment_body(const char *text, size_t start, size_t end)
{
	const char *s = text + start, *e = text + end;

	if (e - s >= 2 && s[0] == '-' && s[1] == '-')
		s += 2;
	else if (e - s >= 4 && s[0] == '/' && s[1] == '*') {
		s += 2;
		e -= 2;
	}
	while (s < e && isspace((unsigned char) *s))
		s++;
	while (e > s && isspace((unsigned char) e[-1]))
		e--;
	return xstrndup(s, (size_t) (e - s));
}

static void
comments_from_tokens(const char *text, const SqlToken *tokens, size_t ntokens,
					 SqlCommentList *out)
{
	PosCursor cur;

	cursor_init(&cur, text);
	for (size_t i = 0; i < ntokens; i++) {
		const SqlToken *t = &tokens[i];
		SqlComment *c;

		if (!token_is_comment(t))
			continue;
		array_reserve((void **) &out->items, &out->cap, out->count, sizeof *c);
		c = &out->items[out->count++];
		c->start = t->start;
		c->end = t->end;
		cursor_position(&cur, c->start, &c->line, &c->column);
		c->body = comment_body(text, c->start, c->end);
	}
}

bool
sqlparse_comments(const char *text, size_t len, SqlCommentList *out, SqlError *err)
{
	SqlToken *tokens;
	size_t ntokens;

	if (!sqlparse_tokens(text, len, &tokens, &ntokens, err))
		return false;
	comments_from_tokens(text, tokens, ntokens, out);
	free(tokens);
	return true;
}

void
sqlparse_comments_free(SqlCommentList *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i].body);
	free(l->items);
	l->items = NULL;
	l->count = l->cap = 0;
}

/* Splits "rule reason words..." into a Directive. */
static void
directive_fill(Directive *d, const char *args, const SqlComment *c)
{
	const char *p = args, *rule_end;

	while (isspace((unsigned char) *p))
		p++;
	rule_end = p;
	while (*rule_end && !isspace((unsigned char) *rule_end))
		rule_end++;
	d->rule = xstrndup(p, (size_t) (rule_end - p));
	p = rule_end;
	while (isspace((unsigned char) *p))
		p++;
	d->reason = xstrdup(p);
	d->line = c->line;
	d->column = c->column;
	d->used = false;
}

static void
directive_add(Directive **items, size_t *count, const char *args, const SqlComment *c)
{
	*items = xrealloc(*items, (*count + 1) * sizeof **items);
	directive_fill(&(*items)[*count], args, c);
	(*count)++;
}

/* Adds a finding located at a comment rather than at a statement. */
static void
finding_at_comment(Migration *m, const char *rule, const SqlComment *c, const char *msg,
				   const char *help)
{
	Finding *f = migration_add_finding(m, rule, SEVERITY_WARNING, -1, msg, help);

	f->line = c->line;
	f->column = c->column;
}

/*
 * Applies one "migsafe:" comment: no-transaction, ignore (to the next
 * statement), ignore-file. Anything else is reported, never silently dropped.
 */
static void
directive_apply(Migration *m, const SqlComment *c)
{
	const char *cmd = c->body + strlen(DIRECTIVE_PREFIX);
	size_t cmdlen = strcspn(cmd, " \t\r\n");
	const char *args = cmd + cmdlen;

	if (cmdlen == strlen("no-transaction") && strncmp(cmd, "no-transaction", cmdlen) == 0) {
		m->transactional = false;
	} else if (cmdlen == strlen("ignore-file") && strncmp(cmd, "ignore-file", cmdlen) == 0) {
		directive_add(&m->file_ignores, &m->nfile_ignores, args, c);
	} else if (cmdlen == strlen("ignore") && strncmp(cmd, "ignore", cmdlen) == 0) {
		for (size_t i = 0; i < m->nstmts; i++) {
			if (m->stmts[i].offset > c->start) {
				directive_add(&m->stmts[i].ignores, &m->stmts[i].nignores, args, c);
				return;
			}
		}
		finding_at_comment(m, "unused-ignore", c,
						   "migsafe:ignore is not followed by any statement",
						   "Put the directive on the line just before the statement it excuses.");
	} else {
		char *msg = xasprintf("unknown directive \"%.*s\"", (int) cmdlen, cmd);

		finding_at_comment(m, "unknown-directive", c, msg,
						   "Known directives: migsafe:no-transaction, "
						   "migsafe:ignore <rule> <reason>, migsafe:ignore-file <rule> <reason>.");
		free(msg);
	}
}

static void
directives_apply(Migration *m, const SqlCommentList *comments)
{
	for (size_t i = 0; i < comments->count; i++) {
		if (strncmp(comments->items[i].body, DIRECTIVE_PREFIX, strlen(DIRECTIVE_PREFIX)) == 0)
			directive_apply(m, &comments->items[i]);
	}
}

static int
json_int(const cJSON *obj, const char *key, int dflt)
{
	const cJSON *v = pgnode_get(obj, key);

	return cJSON_IsNumber(v) ? v->valueint : dflt;
}

/*
 * Narrows [*start, *end) to the first and last non-comment tokens in it, so
 * a statement's position is that of its first keyword, not of the comments
 * and blank lines before it; *first_token is the index of its first token
 * (comments included). Statements come in text order and the tokens are
 * sorted, so *next carries the token to resume from between calls.
 */
static void
trim_to_tokens(const Migration *m, size_t *next, size_t *start, size_t *end, size_t *first_token)
{
	size_t first = *end, last = *start, i = *next;

	while (i > 0 && m->tokens[i - 1].start >= *start)
		i--;                     /* a statement starting earlier than expected */
	while (i < m->ntokens && m->tokens[i].start < *start)
		i++;
	*first_token = i;
	for (; i < m->ntokens && m->tokens[i].start < *end; i++) {
		const SqlToken *t = &m->tokens[i];

		if (token_is_comment(t))
			continue;
		if (t->start < first)
			first = t->start;
		if (t->end > last)
			last = t->end;
	}
	*next = i;
	if (first < last) {
		*start = first;
		*end = last;
	}
}

static void
statement_add(Migration *m, PosCursor *cur, const char *sql, const cJSON *tree, size_t start,
			  size_t end, size_t first_token, size_t end_token)
{
	Statement *st;

	array_reserve((void **) &m->stmts, &m->stmts_cap, m->nstmts, sizeof *m->stmts);
	st = &m->stmts[m->nstmts];
	memset(st, 0, sizeof *st);
	st->index = (int) m->nstmts;
	st->offset = start;
	st->length = end - start;
	st->sql = xstrndup(sql + start, end - start);
	st->tree = tree;
	st->first_token = first_token;
	st->ntokens = end_token - first_token;
	cursor_position(cur, start, &st->line, &st->column);
	m->nstmts++;
}

bool
sqlparse_migration(Migration *m, const char *sql, SqlError *err)
{
	size_t len = strlen(sql);
	PgQueryParseResult res;
	SqlToken *tokens;
	size_t ntokens;
	SqlCommentList comments = {0};
	const cJSON *stmts, *item;
	PosCursor cur;
	size_t next_token = 0, first_token;
	bool ok = false;

	if (!sqlparse_tokens(sql, len, &tokens, &ntokens, err))
		return false;
	m->tokens = tokens;          /* the rules read the statements' tokens */
	m->ntokens = ntokens;

	res = pg_query_parse(sql);
	if (res.error) {
		size_t off = res.error->cursorpos > 0 ?
			char_to_byte_offset(sql, len, res.error->cursorpos) : len;

		error_set(err, sql, off, res.error->message);
		goto done;
	}
	m->parse_tree = jsondoc_parse(res.parse_tree);
	if (m->parse_tree == NULL) {
		error_set(err, sql, 0, "could not read the parser's output");
		goto done;
	}
	stmts = pgnode_get(jsondoc_root(m->parse_tree), "stmts");
	cursor_init(&cur, sql);
	cJSON_ArrayForEach(item, stmts) {
		size_t start = (size_t) json_int(item, "stmt_location", 0);
		int slen = json_int(item, "stmt_len", 0);
		size_t end = slen > 0 ? start + (size_t) slen : len;

		if (end > len)
			end = len;
		trim_to_tokens(m, &next_token, &start, &end, &first_token);
		statement_add(m, &cur, sql, pgnode_get(item, "stmt"), start, end,
					  first_token, next_token);
	}
	comments_from_tokens(sql, tokens, ntokens, &comments);
	directives_apply(m, &comments);
	ok = true;

done:
	if (!ok)
		migration_release_tree(m);
	sqlparse_comments_free(&comments);
	pg_query_free_parse_result(res);
	return ok;
}
