/*
 * log.h — diagnostics on stderr. stdout is reserved for reports.
 */
#ifndef MIGSAFE_LOG_H
#define MIGSAFE_LOG_H

#include <stdbool.h>

#include "util.h"

typedef enum LogLevel {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_QUIET
} LogLevel;

void log_set_level(LogLevel level);
LogLevel log_get_level(void);
/* True when stderr is a terminal and NO_COLOR is unset. */
bool log_use_color(void);

/*
 * While capturing, this thread's messages are appended to sb (as they would
 * be written) instead of going to stderr: worker threads capture, and the
 * thread that owns the order of the work writes them out with log_replay,
 * so that messages come in the order of the work, not of the threads.
 */
void log_capture_begin(StrBuf *sb);
void log_capture_end(void);

/* Writes captured messages to stderr. */
void log_replay(const StrBuf *sb);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
