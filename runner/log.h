/*
 * log.h — diagnostics on stderr. stdout is reserved for reports.
 */
#ifndef MIGSAFE_LOG_H
#define MIGSAFE_LOG_H

#include <stdbool.h>

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

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
