/*
 * duration.h — durations written the way PostgreSQL writes them.
 */
#ifndef MIGSAFE_DURATION_H
#define MIGSAFE_DURATION_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Parses "100ms", "2s", "1min", "1h", "250us" or a bare number of
 * milliseconds (as lock_timeout takes it) into milliseconds. False on
 * anything else, negative values included.
 */
bool duration_parse(const char *text, int64_t *ms);

/* Writes ms the way PostgreSQL's SET accepts it ("250ms", "2s"). */
void duration_format(int64_t ms, char *buf, int bufsz);

#endif
