/*
 * report_path.c — paths as CI tools want them: relative to the directory
 * migsafe runs in (the repository root, in a pipeline), so that GitHub and
 * GitLab can place findings on their files.
 */
#include "report.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

const char *
report_relative_path(const char *path)
{
	char cwd[PATH_MAX];
	size_t n;

	if (path[0] != '/' || getcwd(cwd, sizeof cwd) == NULL)
		return path;
	n = strlen(cwd);
	if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/' && path[n + 1] != '\0')
		return path + n + 1;
	return path;
}
