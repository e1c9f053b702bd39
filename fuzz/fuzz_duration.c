/*
 * fuzz_duration.c — libFuzzer target for duration_parse (option values and
 * configuration durations). Whatever it accepts must be non-negative and
 * survive a round trip through duration_format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	int64_t ms = -1, again = -1;
	char buf[64];

	memcpy(text, data, size);
	text[size] = '\0';
	if (duration_parse(text, &ms)) {
		if (ms < 0)
			abort();
		duration_format(ms, buf, sizeof buf);
		if (!duration_parse(buf, &again) || again != ms)
			abort();
	}
	free(text);
	return 0;
}
