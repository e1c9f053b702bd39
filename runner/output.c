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

#include "log.h"
#include "util.h"

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

bool
output_write(const char *path, const char *data, size_t len)
{
	char *tmp;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
			log_error("cannot write to stdout: %s", strerror(errno));
			return false;
		}
		return true;
	}
	tmp = xasprintf("%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		log_error("%s: cannot create report file: %s", path, strerror(errno));
		free(tmp);
		return false;
	}
	if (!write_all(fd, data, len) || fsync(fd) != 0) {
		log_error("%s: cannot write report: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return false;
	}
	fchmod(fd, 0644);
	close(fd);
	if (rename(tmp, path) != 0) {
		log_error("%s: cannot write report: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return false;
	}
	free(tmp);
	return true;
}
