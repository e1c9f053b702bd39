/*
 * duration.c — PostgreSQL-style duration units as a table.
 */
#include "duration.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Units PostgreSQL accepts for time settings, in microseconds. */
static const struct {
	const char *unit;
	int64_t us;
} units[] = {
	{"us", 1},
	{"ms", 1000},
	{"s", 1000 * 1000},
	{"min", 60LL * 1000 * 1000},
	{"h", 3600LL * 1000 * 1000},
	{"d", 86400LL * 1000 * 1000},
};

bool
duration_parse(const char *text, int64_t *ms)
{
	char *end;
	double value;
	int64_t scale = 1000;       /* bare numbers are milliseconds */
	bool found;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return false;
	errno = 0;
	value = strtod(text, &end);
	if (errno != 0 || value < 0)
		return false;
	while (*end == ' ')
		end++;
	if (*end != '\0') {
		found = false;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (strcmp(end, units[i].unit) == 0) {
				scale = units[i].us;
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	value = value * (double) scale / 1000.0;
	if (!(value < (double) DURATION_MAX_MS + 0.5))
		return false;           /* overflowed int64 before (found by fuzz/fuzz_duration.c) */
	*ms = (int64_t) (value + 0.5);
	return true;
}

void
duration_format(int64_t ms, char *buf, int bufsz)
{
	if (ms % 1000 == 0 && ms >= 1000)
		snprintf(buf, (size_t) bufsz, "%llds", (long long) (ms / 1000));
	else
		snprintf(buf, (size_t) bufsz, "%lldms", (long long) ms);
}
