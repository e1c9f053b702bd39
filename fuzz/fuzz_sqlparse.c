/*
 * fuzz_sqlparse.c — libFuzzer target for the SQL side of one migration:
 * PostgreSQL's scanner for comments and the statement/directive parser
 * (sqlparse_migration), on arbitrary bytes; and the reading of the
 * scanner's protobuf output (scan_decode), compared with protobuf-c's.
 *
 * The loader validates UTF-8 and rejects NUL bytes before these functions
 * see a file, but they must still never read out of bounds on whatever
 * text reaches them, so the input is passed as is (cut at its first NUL,
 * as a C string would be).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "model.h"
#include "scan_decode.h"
#include "sqlparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks what every parsed statement must satisfy, aborting when it does not. */
static void
statements_check(const Migration *m, size_t len)
{
	for (size_t i = 0; i < m->nstmts; i++) {
		const Statement *st = &m->stmts[i];

		if (st->offset > len || st->length > len - st->offset || st->line < 1 || st->column < 1)
			abort();
		if (strlen(st->sql) != st->length)
			abort();
	}
}

/*
 * Reads buf with scan_decode and with protobuf-c; aborts when both accept it
 * and read different tokens, or when `must_accept` and either refuses it.
 */
static void
scan_decode_compare(const uint8_t *buf, size_t len, bool must_accept)
{
	PgQuery__ScanResult *want = pg_query__scan_result__unpack(NULL, len, buf);
	SqlToken *got = NULL;
	size_t count = 0;
	bool ok = scan_decode(buf, len, &got, &count);

	if (must_accept && (want == NULL || !ok))
		abort();
	if (want && ok) {
		if (count != want->n_tokens)
			abort();
		for (size_t i = 0; i < count; i++)
			if (got[i].start != (size_t) want->tokens[i]->start ||
				got[i].end != (size_t) want->tokens[i]->end ||
				got[i].kind != (int) want->tokens[i]->token)
				abort();
	}
	free(got);
	if (want)
		pg_query__scan_result__free_unpacked(want, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	size_t len;
	SqlCommentList comments = {0};
	SqlError err = {0};
	Migration *m;

	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);

	if (sqlparse_comments(text, len, &comments, &err)) {
		for (size_t i = 0; i < comments.count; i++)
			if (comments.items[i].start >= comments.items[i].end ||
				comments.items[i].end > len)
				abort();
	}
	sqlparse_comments_free(&comments);
	sqlparse_error_free(&err);

	{
		PgQueryScanResult res = pg_query_scan(text);

		if (res.error == NULL)
			scan_decode_compare((const uint8_t *) res.pbuf.data, res.pbuf.len, true);
		pg_query_free_scan_result(res);
	}
	scan_decode_compare(data, size, false);   /* the input itself as a message */

	m = migration_new("fuzz.sql");
	memset(&err, 0, sizeof err);
	if (sqlparse_migration(m, text, &err))
		statements_check(m, len);
	else if (err.message == NULL || err.line < 1 || err.column < 1)
		abort();
	sqlparse_error_free(&err);
	migration_free(m);
	free(text);
	return 0;
}
