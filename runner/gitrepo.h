/*
 * gitrepo.h — everything migsafe asks of git, through libgit2 (never the
 * git command): blob ids, the repository holding the migrations, the merge
 * base of HEAD and a ref, what changed since then, and where the work tree
 * stands (commit, branch, dirty).
 */
#ifndef MIGSAFE_GITREPO_H
#define MIGSAFE_GITREPO_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "util.h"

/*
 * The git blob id of data, as `git hash-object` prints it (40 hex digits and
 * a NUL in out). Used as the migration checksum so drift maps to a commit.
 */
bool gitrepo_blob_id(const char *data, size_t len, char out[41]);

/* An open repository with a work tree; opaque. */
typedef struct GitRepo GitRepo;

/*
 * Opens the repository whose work tree contains path (a file or a
 * directory), searching parent directories. NULL outside a repository or a
 * bare one; the reason is logged as an error when log_errors is set, else
 * at debug level.
 */
GitRepo *gitrepo_open(const char *path, bool log_errors);
void gitrepo_free(GitRepo *repo);

/*
 * The path of an existing file or directory relative to the work tree
 * ("" for the work tree itself), or NULL when it lies outside. Symbolic
 * links are resolved on both sides. The caller frees the result.
 */
char *gitrepo_relative_path(const GitRepo *repo, const char *path);

/* True when the repository is a shallow clone (part of its history is missing). */
bool gitrepo_is_shallow(const GitRepo *repo);

/*
 * The merge base of HEAD and ref (a branch, tag or commit, in any form git
 * rev-parse accepts) as 40 hex digits in out. False, logged with what to do
 * (fetch the ref, deepen a shallow clone), when ref is unknown, HEAD has no
 * commit, or the two share no ancestor in the objects present.
 */
bool gitrepo_merge_base(GitRepo *repo, const char *ref, char out[41]);

typedef enum GitrepoChangeKind {
	GITREPO_ADDED,       /* new since the base: committed, staged or untracked */
	GITREPO_MODIFIED,    /* existed at the base, content changed */
	GITREPO_RENAMED,     /* existed at the base under old_path, now at path */
	GITREPO_DELETED      /* existed at the base, gone from the work tree */
} GitrepoChangeKind;

/* One file that differs between a commit and the work tree. */
typedef struct GitrepoChange {
	GitrepoChangeKind kind;
	char *path;          /* work tree path, relative; NULL when deleted */
	char *old_path;      /* path at the base, relative; NULL when added */
	char old_blob[41];   /* blob id at the base; "" when added */
	size_t lines_added;  /* diff summary against the base (0 for added files) */
	size_t lines_removed;
} GitrepoChange;

typedef struct GitrepoChangeList {
	GitrepoChange *items;
	size_t count;
	size_t cap;
} GitrepoChangeList;

/*
 * Every file under one of the relative pathspecs ("" is the whole tree)
 * whose content in the work tree differs from commit `base`: committed
 * since, staged, unstaged and untracked (ignored files excepted). Renames
 * are paired by similarity. False (logged) on a libgit2 error.
 */
bool gitrepo_changes_since(GitRepo *repo, const char *base, const StrList *pathspecs,
						   GitrepoChangeList *out);
void gitrepo_change_list_free(GitrepoChangeList *l);

/*
 * Where the work tree containing path stands, for reports:
 * {"commit": hex or null (no commit yet), "branch": name or null
 * (detached HEAD), "dirty": true when tracked files differ from HEAD or
 * untracked files exist}. A JSON null outside a repository.
 */
cJSON *gitrepo_report_json(const char *path);

#endif
