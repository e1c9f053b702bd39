/*
 * gitrepo.c — libgit2 calls: blob ids.
 */
#include "gitrepo.h"

#include <git2.h>

#include "log.h"

/* libgit2 must be initialised once per process before any call. */
static void
gitrepo_init_once(void)
{
	static bool initialised = false;

	if (!initialised) {
		git_libgit2_init();
		initialised = true;
	}
}

bool
gitrepo_blob_id(const char *data, size_t len, char out[41])
{
	git_oid oid;

	gitrepo_init_once();
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) != 0) {
		const git_error *e = git_error_last();

		log_error("cannot hash blob: %s", e ? e->message : "unknown libgit2 error");
		return false;
	}
	git_oid_tostr(out, 41, &oid);
	return true;
}
