/*
 * fuzz_loader_files.c — libFuzzer target for the loader on a directory:
 * file and sub-directory names (layout detection, versions, duplicates,
 * ordering) together with their contents.
 *
 * Input: one byte choosing the layout (modulo the number of layouts), then
 * records separated by "\n@@\n". A record's first line is a relative path
 * (at most two components; NUL bytes become '_', empty, "." and ".."
 * components are dropped), the rest of it is the file's contents. The files
 * are written to a fresh directory under $TMPDIR, loaded, analysed and
 * removed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defaults.h"
#include "loader.h"
#include "log.h"
#include "options.h"
#include "pipeline.h"

#define FUZZ_MAX_FILES 8
#define FUZZ_MAX_COMPONENT 200
#define FUZZ_SEPARATOR "\n@@\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[4096];         /* this process's scratch directory */

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

/* Removes a directory tree; the scratch directory is rebuilt every input. */
static void
tree_remove(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
root_remove(void)
{
	tree_remove(root);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void) argc;
	(void) argv;
	log_set_level(LOG_LEVEL_QUIET);
	snprintf(root, sizeof root, "%s/migsafe-fuzz.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(root_remove);
	return 0;
}

/* Appends one cleaned path component to buf; false when nothing is left of it. */
static bool
component_append(char *buf, size_t bufsz, const uint8_t *s, size_t n)
{
	size_t len = strlen(buf), start = len;

	if (n > FUZZ_MAX_COMPONENT)
		n = FUZZ_MAX_COMPONENT;
	if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	if (len + 1 + n + 1 > bufsz)
		return false;
	buf[len++] = '/';
	for (size_t i = 0; i < n; i++)
		buf[len++] = s[i] == '\0' ? '_' : (char) s[i];
	buf[len] = '\0';
	return len > start + 1;
}

/* Writes one record (name line + contents) below dir. */
static void
record_write(const char *dir, const uint8_t *rec, size_t n)
{
	const uint8_t *nl = memchr(rec, '\n', n);
	size_t name_len = nl ? (size_t) (nl - rec) : n;
	const uint8_t *body = nl ? nl + 1 : rec + n;
	size_t body_len = (size_t) (rec + n - body);
	const uint8_t *slash = memchr(rec, '/', name_len);
	char path[8192];         /* dir (up to 4200 bytes) and two components */
	int fd;

	snprintf(path, sizeof path, "%s", dir);
	if (slash) {
		if (component_append(path, sizeof path, rec, (size_t) (slash - rec)))
			(void) mkdir(path, 0755);
		name_len -= (size_t) (slash - rec) + 1;
		rec = slash + 1;
	}
	if (!component_append(path, sizeof path, rec, name_len))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	while (body_len > 0) {
		ssize_t w = write(fd, body, body_len);

		if (w <= 0)
			break;
		body += w;
		body_len -= (size_t) w;
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[4200];
	const char *paths[1];
	MigrationList list = {0};
	Options opts;
	Layout layout;
	size_t pos = 1, nfiles = 0;

	if (size < 1)
		return 0;
	layout = (Layout) (data[0] % (LAYOUT_SQLX + 1));
	snprintf(dir, sizeof dir, "%s/m", root);
	tree_remove(dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		abort();
	while (pos < size && nfiles < FUZZ_MAX_FILES) {
		const uint8_t *sep = memmem(data + pos, size - pos, FUZZ_SEPARATOR, strlen(FUZZ_SEPARATOR));
		size_t end = sep ? (size_t) (sep - data) : size;

		record_write(dir, data + pos, end - pos);
		nfiles++;
		pos = end + strlen(FUZZ_SEPARATOR);
	}

	options_init(&opts, CMD_CHECK, "check");
	paths[0] = dir;
	(void) loader_load(paths, 1, layout, &list);
	for (size_t i = 1; i < list.count; i++)
		if (loader_version_compare(list.items[i - 1]->version, list.items[i]->version) > 0)
			abort();
	pipeline_analyse(&opts, DEFAULT_PG_VERSION, &list, NULL, NULL);
	migration_list_free(&list);
	options_free(&opts);
	return 0;
}
