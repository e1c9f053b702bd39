/*
 * test_jsondoc.c — the arena JSON documents read exactly as cJSON_Parse
 * reads the same text: same acceptance, same nodes and values.
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

#include "jsondoc.h"

/* Asserts both parsers accept or reject text, and print what they accept the same. */
static void
assert_same_as_cjson(const char *text)
{
	cJSON *expected = cJSON_Parse(text);
	JsonDoc *doc = jsondoc_parse(text);

	if (expected == NULL) {
		if (doc != NULL)
			fail_msg("jsondoc accepted what cJSON rejects: %s", text);
		return;
	}
	if (doc == NULL)
		fail_msg("jsondoc rejected what cJSON accepts: %s", text);
	else {
		char *want = cJSON_PrintUnformatted(expected);
		char *got = cJSON_PrintUnformatted(jsondoc_root(doc));

		assert_string_equal(got, want);
		free(want);
		free(got);
	}
	cJSON_Delete(expected);
	jsondoc_free(doc);
}

static void
test_values_and_escapes(void **state)
{
	static const char *const texts[] = {
		"{}", "[]", "null", "true", "false", "0", "-12", "3.25", "1e3", "-2.5E-3",
		"2147483647", "2147483648", "-2147483649", "123456789012345678901234567890",
		/* found by fuzz_jsondoc: a number longer than 64 characters is read whole */
		"77777777777777777777777777777777777777777777777777777777777777777777777777777777",
		"\"plain\"", "\"q\\\"uote\\\\back\\/slash\"", "\"\\b\\f\\n\\r\\t\"",
		"\"\\u0001\\u001f\\u00e9\\u20ac\"", "\"\\ud83d\\ude00 pair\"", "\"raw é € 😀\"",
		"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
		"  [ 1 , [ 2 , [ 3 ] ] , { } ]  ", "{\"dup\":1,\"dup\":2}", "[\"\"]",
		/* malformed: both must refuse */
		"", "[", "{", "[1,]", "{\"a\"}", "{\"a\":}", "{1:2}", "\"open", "\"bad\\x\"",
		"\"\\u12\"", "\"\\ud83d alone\"", "\"\\ude00 low first\"", "nul", "tru", "-", "[1 2]",
		"{\"a\":1,}",
		/* cJSON's quirks, kept: non-hex \\u digits read as U+0000, a leading BOM is skipped */
		"\"\\u00zz\"", "\"\\uzzzz tail\"", "\"\\ud83d\\u12\"", "\"\\u12\"", "\xEF\xBB\xBF[1]",
		/* found by fuzz_jsondoc: a high surrogate whose hex digits are cut by a raw byte */
		"\"a\\\"b\\\\c\\true\\f\\n\\r\\t\\u00e9\\ud86\x04\xe7ude00\"",
	};

	(void) state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		assert_same_as_cjson(texts[i]);
}

/*
 * Numbers, those read without strtod included: the same double, to the bit
 * (-0 keeps its sign), and the same clamped valueint as cJSON's.
 */
static void
test_numbers_read_as_strtod(void **state)
{
	static const char *const texts[] = {
		"0", "7", "-7", "-0", "-05", "007", "0x1A", "42,", "42]", "42}", "42 ",
		"123456789012345", "-123456789012345", "1234567890123456", "99999999999999999999",
		"2147483647", "2147483648", "-2147483648", "-2147483649", "5.", "5.5", "12e", "12e2",
		"1E+2", "1-2", "1+2", "3.25e-1", "-",
	};

	(void) state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		cJSON *expected = cJSON_Parse(texts[i]);
		JsonDoc *doc = jsondoc_parse(texts[i]);

		if (expected == NULL) {
			if (doc != NULL)
				fail_msg("jsondoc accepted what cJSON rejects: %s", texts[i]);
			continue;
		}
		if (doc == NULL)
			fail_msg("jsondoc rejected what cJSON accepts: %s", texts[i]);
		else {
			const cJSON *got = jsondoc_root(doc);

			if (memcmp(&got->valuedouble, &expected->valuedouble, sizeof(double)) != 0)
				fail_msg("%s: %.17g, cJSON %.17g", texts[i], got->valuedouble,
						 expected->valuedouble);
			assert_int_equal(got->valueint, expected->valueint);
			assert_int_equal(got->type, expected->type);
		}
		cJSON_Delete(expected);
		jsondoc_free(doc);
	}
}

/* Nesting of n arrays: cJSON's limit (1000) holds here as well. */
static void
test_nesting_limit(void **state)
{
	(void) state;
	for (int n = CJSON_NESTING_LIMIT - 1; n <= CJSON_NESTING_LIMIT + 1; n++) {
		char *text = malloc((size_t) n * 2 + 1);

		memset(text, '[', (size_t) n);
		memset(text + n, ']', (size_t) n);
		text[n * 2] = '\0';
		assert_same_as_cjson(text);
		free(text);
	}
}

/* Parse trees of real statements, big strings included (a block of their own). */
static void
test_parse_trees(void **state)
{
	char *big = malloc(200000);
	char *sql;

	(void) state;
	memset(big, 'x', 199999);
	big[199999] = '\0';
	sql = malloc(200100);
	snprintf(sql, 200100, "INSERT INTO t (s) VALUES ('%s'); SELECT 'a\"b\\c', E'\\n\\t', 1.5, "
			 "-3 FROM u WHERE x IN (1, 2, 3);", big);
	{
		PgQueryParseResult r = pg_query_parse(sql);

		assert_null(r.error);
		assert_same_as_cjson(r.parse_tree);
		pg_query_free_parse_result(r);
	}
	{
		PgQueryParseResult r = pg_query_parse(
			"CREATE TABLE \"wé€\" (id bigint GENERATED ALWAYS AS IDENTITY, "
			"v jsonb DEFAULT '{\"k\": [1, 2]}'); ALTER TABLE x ADD COLUMN y int NOT NULL DEFAULT 0");

		assert_null(r.error);
		assert_same_as_cjson(r.parse_tree);
		pg_query_free_parse_result(r);
	}
	free(sql);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_escapes),
		cmocka_unit_test(test_numbers_read_as_strtod),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_parse_trees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
