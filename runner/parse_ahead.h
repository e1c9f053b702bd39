/*
 * parse_ahead.h — parsing migrations on worker threads, ahead of an
 * analysis that must take them in order.
 *
 * The analysis is sequential (each migration sees the objects of the earlier
 * ones), but parsing a file needs nothing but the file: workers parse the
 * next few files while the caller analyses the current one. Workers
 * capture what they log (log_capture_begin); a file's messages are written
 * when the caller reaches the file, in the same order as parsing in line.
 */
#ifndef MIGSAFE_PARSE_AHEAD_H
#define MIGSAFE_PARSE_AHEAD_H

#include <stdbool.h>

#include "model.h"

typedef struct ParseAhead ParseAhead;

/*
 * Starts parsing l's migrations (l must not change until parse_ahead_stop)
 * on up to nthreads threads, at most `ahead` migrations beyond the one last
 * waited for. NULL when no thread could be started: the caller parses in line.
 */
ParseAhead *parse_ahead_start(const MigrationList *l, int nthreads, size_t ahead);

/*
 * Waits until migration i is parsed (loader_parse), in increasing order of
 * i, writes the messages its parsing logged, and returns whether it parsed.
 * After this the caller owns migration i again and may free it.
 */
bool parse_ahead_wait(ParseAhead *pa, size_t i);

/* Stops the workers (parsing nothing more) and frees pa. */
void parse_ahead_stop(ParseAhead *pa);

#endif
