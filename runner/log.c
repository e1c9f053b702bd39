/*
 * log.c — leveled messages on stderr, prefixed with "migsafe:".
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static LogLevel current_level = LOG_LEVEL_INFO;
static __thread StrBuf *capture;     /* this thread's captured messages, or NULL */

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

void
log_capture_begin(StrBuf *sb)
{
	capture = sb;
}

void
log_capture_end(void)
{
	capture = NULL;
}

void
log_replay(const StrBuf *sb)
{
	if (sb->len == 0)
		return;
	fwrite(sb->data, 1, sb->len, stderr);
	fflush(stderr);
}

static void
log_emit(LogLevel level, const char *tag, const char *fmt, va_list ap)
{
	if (level < current_level)
		return;
	if (capture) {
		strbuf_append(capture, "migsafe: ");
		strbuf_append(capture, tag ? tag : "");
		strbuf_vappendf(capture, fmt, ap);
		strbuf_append(capture, "\n");
		return;
	}
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
