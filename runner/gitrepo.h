/*
 * gitrepo.h — everything migsafe asks of git, through libgit2.
 */
#ifndef MIGSAFE_GITREPO_H
#define MIGSAFE_GITREPO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The git blob id of data, as `git hash-object` prints it (40 hex digits and
 * a NUL in out). Used as the migration checksum so drift maps to a commit.
 */
bool gitrepo_blob_id(const char *data, size_t len, char out[41]);

#endif
