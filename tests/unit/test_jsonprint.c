/*
 * test_jsonprint.c — jsonprint prints what cJSON_Print prints: the same
 * bytes for a whole document, and for a part `depth` levels deep the same
 * bytes with `depth` more tabs after every newline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <math.h>
#include <cmocka.h>

#include "jsonprint.h"

/* cJSON's printing of item re-indented to `depth`: what jsonprint must give. */
static char *
expected_print(const cJSON *item, int depth)
{
	char *plain = cJSON_Print(item);
	StrBuf sb = {0};

	for (const char *p = plain; *p; p++) {
		strbuf_append_n(&sb, p, 1);
		for (int i = 0; *p == '\n' && i < depth; i++)
			strbuf_append_n(&sb, "\t", 1);
	}
	free(plain);
	return strbuf_detach(&sb);
}

static void
assert_prints_like_cjson(const cJSON *item)
{
	for (int depth = 0; depth < 4; depth++) {
		char *want = expected_print(item, depth);
		StrBuf got = {0};

		strbuf_append(&got, "prefix:");          /* appends, does not overwrite */
		jsonprint_append(&got, item, depth);
		assert_string_equal(got.data + 7, want);
		assert_int_equal(got.len, strlen(got.data));
		free(want);
		strbuf_free(&got);
	}
}

static void
test_scalars(void **state)
{
	static const double numbers[] = {
		0, -0.0, 1, -1, 42, 2147483647, -2147483648.0, 2147483648.0, -2147483649.0,
		1e15, 1e16, 1e300, -1e-300, 0.1, 0.25, 1.0 / 3, 2.0 / 3, 123456.789, 5e-324,
		9007199254740993.0, 3.141592653589793, 1e21, 1.7976931348623157e308,
		999999999999999.0, -999999999999999.0, 4503599627370496.5, NAN, -NAN, INFINITY, -INFINITY,
	};
	static const char *const strings[] = {
		"", "plain", "q\"uote", "back\\slash", "/slash", "\b\f\n\r\t", "\x01\x1f\x7f",
		"é € 😀", "tab\there", "nul-free \x0b vertical",
	};
	cJSON *item;

	(void) state;
	for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
		item = cJSON_CreateNumber(numbers[i]);
		assert_prints_like_cjson(item);
		cJSON_Delete(item);
	}
	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
		item = cJSON_CreateString(strings[i]);
		assert_prints_like_cjson(item);
		cJSON_Delete(item);
	}
	item = cJSON_CreateNull();
	assert_prints_like_cjson(item);
	cJSON_Delete(item);
	item = cJSON_CreateTrue();
	assert_prints_like_cjson(item);
	cJSON_Delete(item);
	item = cJSON_CreateFalse();
	assert_prints_like_cjson(item);
	cJSON_Delete(item);
	item = cJSON_CreateRaw("{\"raw\": 1}");
	assert_prints_like_cjson(item);
	cJSON_Delete(item);
}

static void
test_containers(void **state)
{
	static const char *const texts[] = {
		"{}", "[]", "[[]]", "{\"a\":{}}", "[{}]", "[{}, {}]",
		"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\",\"f\":[{\"g\":[]}]}}",
		"[1,[2,[3,{\"deep\":[{\"deeper\":{}}]}]]]",
		"{\"k\\\"ey\\n\":\"v\",\"\":\"empty key\"}",
	};

	(void) state;
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		cJSON *item = cJSON_Parse(texts[i]);

		assert_non_null(item);
		assert_prints_like_cjson(item);
		cJSON_Delete(item);
	}
}

/* A random tree of every kind of value, from a fixed seed. */
static cJSON *
random_tree(unsigned int *seed, int depth)
{
	int kind = rand_r(seed) % (depth > 4 ? 5 : 7);
	char text[16];

	switch (kind) {
		case 0: return cJSON_CreateNull();
		case 1: return cJSON_CreateBool(rand_r(seed) & 1);
		case 2: {
			int bits = rand_r(seed) % 4;
			double d = bits == 0 ? (double) (rand_r(seed) - RAND_MAX / 2) :
				bits == 1 ? (double) rand_r(seed) / (rand_r(seed) + 1) :
				bits == 2 ? ldexp((double) rand_r(seed), rand_r(seed) % 120 - 60) :
				(double) rand_r(seed) * 1e9;

			return cJSON_CreateNumber(rand_r(seed) & 1 ? -d : d);
		}
		case 3:
		case 4:
			for (size_t i = 0; i + 1 < sizeof text; i++)
				text[i] = (char) (1 + rand_r(seed) % 255);
			text[rand_r(seed) % sizeof text] = '\0';
			text[sizeof text - 1] = '\0';
			return cJSON_CreateString(text);
		case 5: {
			cJSON *arr = cJSON_CreateArray();

			for (int n = rand_r(seed) % 4; n > 0; n--)
				cJSON_AddItemToArray(arr, random_tree(seed, depth + 1));
			return arr;
		}
		default: {
			cJSON *obj = cJSON_CreateObject();

			for (int n = rand_r(seed) % 4; n > 0; n--) {
				snprintf(text, sizeof text, "k%d\t\"", rand_r(seed) % 100);
				cJSON_AddItemToObject(obj, text, random_tree(seed, depth + 1));
			}
			return obj;
		}
	}
}

static void
test_random_trees(void **state)
{
	unsigned int seed = 20261203;

	(void) state;
	for (int i = 0; i < 2000; i++) {
		cJSON *item = random_tree(&seed, 0);

		assert_prints_like_cjson(item);
		cJSON_Delete(item);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_random_trees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
