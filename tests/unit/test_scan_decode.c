/*
 * test_scan_decode.c — the scanner's tokens read from libpg_query's protobuf
 * output are the tokens protobuf-c's unpack reads from the same bytes, and
 * malformed bytes are refused without reading past their end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "scan_decode.h"

/* Asserts scan_decode and protobuf-c agree on buf: both refuse it, or read the same tokens. */
static void
assert_same_as_unpack(const uint8_t *buf, size_t len)
{
	PgQuery__ScanResult *want = pg_query__scan_result__unpack(NULL, len, buf);
	SqlToken *got = NULL;
	size_t count = 0;
	bool ok = scan_decode(buf, len, &got, &count);

	if (want == NULL) {
		assert_false(ok);
		return;
	}
	assert_true(ok);
	assert_int_equal(count, want->n_tokens);
	for (size_t i = 0; i < count; i++) {
		assert_int_equal(got[i].start, (size_t) want->tokens[i]->start);
		assert_int_equal(got[i].end, (size_t) want->tokens[i]->end);
		assert_int_equal(got[i].kind, (int) want->tokens[i]->token);
	}
	free(got);
	pg_query__scan_result__free_unpacked(want, NULL);
}

/* Scans sql with PostgreSQL's scanner and compares the two readings of its output. */
static void
assert_scan_same(const char *sql)
{
	PgQueryScanResult res = pg_query_scan(sql);

	assert_null(res.error);
	assert_same_as_unpack((const uint8_t *) res.pbuf.data, res.pbuf.len);
	pg_query_free_scan_result(res);
}

static void
test_scanner_output(void **state)
{
	static const char *const texts[] = {
		"",
		"SELECT 1",
		"-- only a comment\n",
		"/* block /* nested */ comment */ ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;",
		"CREATE TABLE \"wé€\" (id bigint GENERATED ALWAYS AS IDENTITY, v text DEFAULT 'it''s');",
		"DO $body$ BEGIN x := 1; END $body$; SELECT E'\\n', B'101', X'ff', 1.5e10, $1, :=;",
		"UPDATE t SET a = a + 1 WHERE b <> 2 AND c >= 3 OR d::text ~~ 'x%' RETURNING *;",
	};
	char *big;
	size_t n = 0;

	(void) state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		assert_scan_same(texts[i]);

	/* many tokens, with offsets needing multi-byte varints */
	big = malloc(200000);
	while (n + 64 < 200000)
		n += (size_t) snprintf(big + n, 200000 - n, "ALTER TABLE t%zu ADD c int; -- note\n", n);
	assert_scan_same(big);
	free(big);
}

/* One varint appended to buf at *n. */
static void
put_varint(uint8_t *buf, size_t *n, uint64_t v)
{
	do {
		uint8_t b = v & 0x7F;

		v >>= 7;
		buf[(*n)++] = v ? (uint8_t) (b | 0x80) : b;
	} while (v);
}

static void
test_crafted_messages(void **state)
{
	uint8_t tok[64], msg[256];
	size_t t = 0, m = 0;
	SqlToken *tokens;
	size_t count;

	(void) state;
	/* a token with an unknown field of each wire type, a field repeated, a negative int32 */
	put_varint(tok, &t, (1 << 3) | 0); put_varint(tok, &t, 7);           /* start = 7 */
	put_varint(tok, &t, (9 << 3) | 0); put_varint(tok, &t, 300);         /* unknown varint */
	put_varint(tok, &t, (10 << 3) | 1); memset(tok + t, 0xAB, 8); t += 8; /* unknown fixed64 */
	put_varint(tok, &t, (11 << 3) | 5); memset(tok + t, 0xCD, 4); t += 4; /* unknown fixed32 */
	put_varint(tok, &t, (12 << 3) | 2); put_varint(tok, &t, 3);
	memcpy(tok + t, "abc", 3); t += 3;                                     /* unknown bytes */
	put_varint(tok, &t, (2 << 3) | 0); put_varint(tok, &t, 9);           /* end = 9 */
	put_varint(tok, &t, (2 << 3) | 0); put_varint(tok, &t, 12);          /* end again: 12 wins */
	put_varint(tok, &t, (4 << 3) | 0); put_varint(tok, &t, (uint64_t) -5); /* token = -5 */

	put_varint(msg, &m, (1 << 3) | 0); put_varint(msg, &m, 150001);      /* version */
	put_varint(msg, &m, (2 << 3) | 2); put_varint(msg, &m, t);
	memcpy(msg + m, tok, t); m += t;
	put_varint(msg, &m, (2 << 3) | 2); put_varint(msg, &m, 0);           /* an empty token */
	assert_same_as_unpack(msg, m);
	assert_true(scan_decode(msg, m, &tokens, &count));
	assert_int_equal(count, 2);
	assert_int_equal(tokens[0].start, 7);
	assert_int_equal(tokens[0].end, 12);
	assert_int_equal(tokens[0].kind, -5);
	assert_int_equal(tokens[1].start, 0);
	free(tokens);

	/* every truncation of a valid message: refused, or read as protobuf-c reads it */
	for (size_t cut = 0; cut < m; cut++)
		assert_same_as_unpack(msg, cut);

	/* 100 empty tokens, two bytes each: more tokens than a first guess from the size */
	m = 0;
	for (int i = 0; i < 100; i++) {
		put_varint(msg, &m, (2 << 3) | 2);
		put_varint(msg, &m, 0);
	}
	assert_same_as_unpack(msg, m);
	assert_true(scan_decode(msg, m, &tokens, &count));
	assert_int_equal(count, 100);
	free(tokens);

	/* the empty message: no tokens */
	assert_true(scan_decode(msg, 0, &tokens, &count));
	assert_int_equal(count, 0);
	free(tokens);
}

static void
test_malformed_messages(void **state)
{
	static const struct {
		const char *why;
		uint8_t bytes[16];
		size_t len;
	} cases[] = {
		{"varint never ends", {0x08, 0xFF, 0xFF}, 3},
		{"varint longer than ten bytes",
		 {0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 12},
		{"field number 0", {0x00, 0x01}, 2},
		{"tokens as a varint", {0x10, 0x01}, 2},
		{"token longer than the message", {0x12, 0x05, 0x08, 0x01}, 4},
		{"start as bytes", {0x12, 0x03, 0x0A, 0x01, 0x41}, 5},
		{"group wire type", {0x13, 0x14}, 2},
		{"fixed64 cut short", {0x19, 0x01, 0x02}, 3},
	};

	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		SqlToken *tokens = NULL;
		size_t count = 99;

		if (scan_decode(cases[i].bytes, cases[i].len, &tokens, &count))
			fail_msg("accepted: %s", cases[i].why);
		assert_same_as_unpack(cases[i].bytes, cases[i].len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_output),
		cmocka_unit_test(test_crafted_messages),
		cmocka_unit_test(test_malformed_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
