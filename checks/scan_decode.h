/*
 * scan_decode.h — PostgreSQL's scanner tokens, read from libpg_query's
 * protobuf output into one flat array.
 */
#ifndef MIGSAFE_SCAN_DECODE_H
#define MIGSAFE_SCAN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/*
 * Reads a pg_query ScanResult message (pg_query_scan's pbuf) into *tokens
 * (caller frees) and *count, the same tokens, in the same order, as
 * protobuf-c's pg_query__scan_result__unpack gives. False, with nothing
 * allocated, when the bytes are not such a message.
 */
bool scan_decode(const uint8_t *buf, size_t len, SqlToken **tokens, size_t *count);

#endif
