/*
 * analyze_do.c — DO blocks: the SQL a PL/pgSQL body runs, analysed like
 * top-level statements.
 *
 * libpg_query parses the body (pg_query_parse_plpgsql, given as the body of
 * a function); every statement with SQL text of its own (a query, INSERT,
 * ALTER TABLE ..., PERFORM, FOR ... IN query, an expression) is parsed with
 * pg_query_parse and sent through analyze_statement. The DO statement takes
 * the union: the strongest mode per relation, every rewrite and scan. Each
 * branch of an IF is assumed to run. Dynamic SQL (EXECUTE, FOR ... IN
 * EXECUTE, OPEN ... FOR EXECUTE), another language, or a body that does not
 * parse leaves the statement unknown.
 */
#include "analyze_internal.h"

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "sqlparse.h"

/*
 * libpg_query 15 loses one byte (its parser's stderr buffer, allocated in
 * pg_query_raw_parse) each time a PL/pgSQL body fails to compile, e.g. a
 * templated migration ("{{ .Schema }}.t") or a declared variable with a
 * COLLATE. The leak is the library's, bounded and not ours to free: builds
 * with LeakSanitizer are told to ignore that allocation site.
 */
#if defined(__SANITIZE_ADDRESS__)
#define MIGSAFE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIGSAFE_LSAN 1
#endif
#endif
#ifdef MIGSAFE_LSAN
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:pg_query_raw_parse\n";
}
#endif

/* PL/pgSQL statements whose SQL is built at run time: not knowable statically. */
static const char *const dynamic_statements[] = {
	"PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors", NULL
};

/* The body and language of a DoStmt (language NULL when not given: plpgsql). */
static const char *
do_body(const cJSON *body, const char **language)
{
	const cJSON *arg;
	const char *code = NULL;

	*language = NULL;
	cJSON_ArrayForEach(arg, pgnode_list(body, "args")) {
		const cJSON *def = pgnode_as(arg, "DefElem");
		const char *name = pgnode_str(def, "defname");
		const char *value = pgnode_sval(pgnode_get(def, "arg"));

		if (name && strcmp(name, "as") == 0)
			code = value;
		else if (name && strcmp(name, "language") == 0)
			*language = value;
	}
	return code;
}

/*
 * The CREATE FUNCTION text pg_query_parse_plpgsql reads: the body as a
 * standard string literal (quotes doubled; backslashes are literal).
 */
static char *
function_text(const char *code)
{
	StrBuf sb = {0};

	strbuf_append(&sb, "CREATE FUNCTION migsafe_do() RETURNS void LANGUAGE plpgsql AS '");
	for (const char *p = code; *p; p++) {
		char c[3] = {*p, *p == '\'' ? '\'' : '\0', '\0'};

		strbuf_append(&sb, c);
	}
	strbuf_append(&sb, "'");
	return sb.data;
}

/* PostgreSQL's parse tree of a body's SQL text, read with cJSON; NULL when it does not parse. */
cJSON *
analyze_parse_sql(const char *sql)
{
	PgQueryParseResult r = pg_query_parse(sql);
	cJSON *tree = r.error ? NULL : cJSON_Parse(r.parse_tree);

	pg_query_free_parse_result(r);
	return tree;
}

/* Adds what one inner statement locks, rewrites and scans to the DO statement. */
static void
merge_analysis(Analysis *into, const Analysis *from)
{
	for (size_t i = 0; i < from->nlocks; i++)
		analysis_add_lock(into, from->locks[i].relation, from->locks[i].mode);
	for (size_t i = 0; i < from->rewrites.count; i++)
		strlist_add_unique(&into->rewrites, from->rewrites.items[i]);
	for (size_t i = 0; i < from->scans.count; i++)
		strlist_add_unique(&into->scans, from->scans.items[i]);
	for (size_t i = 0; i < from->creates.count; i++)
		strlist_add_unique(&into->creates, from->creates.items[i]);
	for (size_t i = 0; i < from->calls.count; i++)
		strlist_add_unique(&into->calls, from->calls.items[i]);
	if (!from->known)
		into->known = false;
}

/* Parses sql and analyses each of its statements into a; false when it does not parse. */
static bool
analyze_sql_text(AnalyzeContext *ctx, const char *sql, Analysis *a)
{
	cJSON *tree = analyze_parse_sql(sql);
	const cJSON *stmt;

	if (tree == NULL)
		return false;
	cJSON_ArrayForEach(stmt, pgnode_get(tree, "stmts")) {
		Statement st = {0};
		Analysis inner = {0};

		st.tree = pgnode_get(stmt, "stmt");
		analyze_statement(ctx, &st, &inner);
		merge_analysis(a, &inner);
		analysis_free(&inner);
	}
	cJSON_Delete(tree);
	return true;
}

/*
 * The expression of an assignment ("target := expr" or "target = expr"):
 * what follows the first := or = token of PostgreSQL's scanner; NULL when
 * there is none.
 */
static const char *
assignment_expression(const char *query)
{
	SqlToken *tokens;
	size_t ntokens;
	const char *expr = NULL;

	if (!sqlparse_tokens(query, strlen(query), &tokens, &ntokens, NULL))
		return NULL;
	for (size_t i = 0; i < ntokens && expr == NULL; i++) {
		if (tokens[i].kind == PG_QUERY__TOKEN__COLON_EQUALS ||
			tokens[i].kind == PG_QUERY__TOKEN__ASCII_61)
			expr = query + tokens[i].end;
	}
	free(tokens);
	return expr;
}

/*
 * One PL/pgSQL expression or statement text. PL/pgSQL runs an expression
 * as "SELECT expr"; text that parses on its own is a statement (execsql,
 * PERFORM, a FOR query). Text that parses neither way leaves the block unknown.
 */
static void
analyze_plpgsql_query(AnalyzeContext *ctx, const char *query, bool assignment, Analysis *a)
{
	const char *expr = assignment ? assignment_expression(query) : query;
	char *select;

	if (expr == NULL) {
		a->known = false;
		return;
	}
	if (!assignment && analyze_sql_text(ctx, expr, a))
		return;
	select = xasprintf("SELECT %s", expr);
	if (!analyze_sql_text(ctx, select, a))
		a->known = false;
	free(select);
}

/* True when key names a statement of dynamic SQL. */
static bool
is_dynamic(const char *key)
{
	for (int i = 0; key && dynamic_statements[i]; i++)
		if (strcmp(dynamic_statements[i], key) == 0)
			return true;
	return false;
}

/*
 * Walks the PL/pgSQL tree in order: every PLpgSQL_expr's query is analysed
 * (an assignment's through its expression); dynamic SQL makes the block
 * unknown.
 */
static void
walk_plpgsql(AnalyzeContext *ctx, const cJSON *node, Analysis *a)
{
	const cJSON *child;

	cJSON_ArrayForEach(child, node) {
		const char *key = child->string;

		if (key && strcmp(key, "PLpgSQL_expr") == 0) {
			const char *query = pgnode_str(child, "query");

			if (query)
				analyze_plpgsql_query(ctx, query, false, a);
			continue;
		}
		if (key && strcmp(key, "PLpgSQL_stmt_assign") == 0) {
			const cJSON *expr = pgnode_as(pgnode_get(child, "expr"), "PLpgSQL_expr");

			if (pgnode_str(expr, "query"))
				analyze_plpgsql_query(ctx, pgnode_str(expr, "query"), true, a);
			continue;
		}
		if (is_dynamic(key) || (key && strcmp(key, "dynquery") == 0))
			a->known = false;
		if (cJSON_IsObject(child) || cJSON_IsArray(child))
			walk_plpgsql(ctx, child, a);
	}
}

/*
 * DO: the statements of its PL/pgSQL body, their locks united. Another
 * language, or a body libpg_query cannot parse, is unknown: whatever it
 * names gets the strongest lock.
 */
void
analyze_do(AnalyzeContext *ctx, const cJSON *body, Analysis *a)
{
	const char *language;
	const char *code = do_body(body, &language);
	PgQueryPlpgsqlParseResult r;
	cJSON *funcs;
	char *text;

	if (code == NULL || (language && strcmp(language, "plpgsql") != 0)) {
		a->known = false;
		return;
	}
	text = function_text(code);
	r = pg_query_parse_plpgsql(text);
	free(text);
	funcs = r.error ? NULL : cJSON_Parse(r.plpgsql_funcs);
	pg_query_free_plpgsql_parse_result(r);
	if (funcs == NULL) {
		a->known = false;
		return;
	}
	walk_plpgsql(ctx, funcs, a);
	cJSON_Delete(funcs);
}
