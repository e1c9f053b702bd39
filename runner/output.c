/*
 * output.c — atomic report files.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defaults.h"
#include "log.h"
#include "util.h"

struct OutputFile {
	char *path;          /* NULL: stdout */
	char *tmp;           /* the temp file being written */
	int fd;
	bool failed;         /* a write failed (logged once) */
	StrBuf pending;      /* appended, not yet written: written in blocks */
};

static bool
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		data += n;
		len -= (size_t) n;
	}
	return true;
}

OutputFile *
output_open(const char *path)
{
	OutputFile *f = xcalloc(1, sizeof *f);

	f->fd = -1;
	if (path == NULL || strcmp(path, "-") == 0)
		return f;
	f->path = xstrdup(path);
	f->tmp = xasprintf("%s.tmp.XXXXXX", path);
	f->fd = mkstemp(f->tmp);
	if (f->fd < 0) {
		log_error("%s: cannot create report file: %s", path, strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		output_discard(f);
		return NULL;
	}
	return f;
}

/* Writes data to the file or stdout now; false (logged once) on failure. */
static bool
write_out(OutputFile *f, const char *data, size_t len)
{
	if (f->path == NULL ? fwrite(data, 1, len, stdout) != len : !write_all(f->fd, data, len)) {
		if (f->path)
			log_error("%s: cannot write report: %s", f->path, strerror(errno));
		else
			log_error("cannot write to stdout: %s", strerror(errno));
		f->failed = true;
	}
	return !f->failed;
}

static bool
flush_pending(OutputFile *f)
{
	bool ok = f->pending.len == 0 || write_out(f, f->pending.data, f->pending.len);

	f->pending.len = 0;
	return ok;
}

bool
output_append(OutputFile *f, const char *data, size_t len)
{
	if (f->failed)
		return false;
	if (len == 0)
		return true;                     /* data may then be NULL (an empty buffer) */
	if (f->pending.len + len >= DEFAULT_OUTPUT_BLOCK_BYTES && !flush_pending(f))
		return false;
	if (len >= DEFAULT_OUTPUT_BLOCK_BYTES)
		return write_out(f, data, len);
	strbuf_append_n(&f->pending, data, len);
	return true;
}

bool
output_commit(OutputFile *f)
{
	bool ok = !f->failed && flush_pending(f);

	if (ok && f->path == NULL && fflush(stdout) != 0) {
		log_error("cannot write to stdout: %s", strerror(errno));
		ok = false;
	} else if (ok && f->path) {
		bool synced = fsync(f->fd) == 0 && fchmod(f->fd, 0644) == 0;
		bool closed = close(f->fd) == 0;

		f->fd = -1;
		if (!synced || !closed || rename(f->tmp, f->path) != 0) {
			log_error("%s: cannot write report: %s", f->path, strerror(errno));
			ok = false;
		} else {
			free(f->tmp);
			f->tmp = NULL;   /* renamed: nothing to remove */
		}
	}
	output_discard(f);
	return ok;
}

void
output_discard(OutputFile *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	strbuf_free(&f->pending);
	free(f);
}

bool
output_write(const char *path, const char *data, size_t len)
{
	OutputFile *f = output_open(path);

	if (f == NULL)
		return false;
	output_append(f, data, len);
	return output_commit(f);
}
