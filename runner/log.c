/*
 * log.c — leveled messages on stderr, prefixed with "migsafe:".
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static LogLevel current_level = LOG_LEVEL_INFO;

void
log_set_level(LogLevel level)
{
	current_level = level;
}

LogLevel
log_get_level(void)
{
	return current_level;
}

bool
log_use_color(void)
{
	const char *no_color = getenv("NO_COLOR");

	return isatty(STDERR_FILENO) && (no_color == NULL || no_color[0] == '\0');
}

static void
log_emit(LogLevel level, const char *tag, const char *fmt, va_list ap)
{
	if (level < current_level)
		return;
	fputs("migsafe: ", stderr);
	if (tag)
		fputs(tag, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

#define LOG_FUNC(fn, level, tag) \
	void fn(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(level, tag, fmt, ap); \
		va_end(ap); \
	}

LOG_FUNC(log_debug, LOG_LEVEL_DEBUG, "debug: ")
LOG_FUNC(log_info, LOG_LEVEL_INFO, NULL)
LOG_FUNC(log_warn, LOG_LEVEL_WARN, "warning: ")
LOG_FUNC(log_error, LOG_LEVEL_ERROR, "error: ")
