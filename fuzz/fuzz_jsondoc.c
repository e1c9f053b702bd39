/*
 * fuzz_jsondoc.c — libFuzzer target for jsondoc_parse, differential against
 * cJSON_Parse: the same bytes must be accepted or refused by both, and what
 * both accept must print the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsondoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	cJSON *expected;
	JsonDoc *doc;

	memcpy(text, data, size);
	text[size] = '\0';
	expected = cJSON_Parse(text);
	doc = jsondoc_parse(text);
	if ((expected == NULL) != (doc == NULL))
		abort();
	if (expected) {
		char *want = cJSON_PrintUnformatted(expected);
		char *got = cJSON_PrintUnformatted(jsondoc_root(doc));

		if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0))
			abort();
		free(want);
		free(got);
	}
	cJSON_Delete(expected);
	jsondoc_free(doc);
	free(text);
	return 0;
}
