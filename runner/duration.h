/*
 * duration.h — durations written the way PostgreSQL writes them.
 */
#ifndef MIGSAFE_DURATION_H
#define MIGSAFE_DURATION_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The longest duration accepted: PostgreSQL's timeout settings are int
 * milliseconds, and anything longer (24.8 days) is a typo, not a timeout.
 */
#define DURATION_MAX_MS INT32_MAX

/*
 * Parses "100ms", "2s", "1min", "1h", "250us" or a bare number of
 * milliseconds (as lock_timeout takes it) into milliseconds. False on
 * anything else, negative values and values above DURATION_MAX_MS included.
 */
bool duration_parse(const char *text, int64_t *ms);

/* Writes ms the way PostgreSQL's SET accepts it ("250ms", "2s"). */
void duration_format(int64_t ms, char *buf, int bufsz);

#endif
