/*
 * gitrepo.c — libgit2 calls: blob ids, opening the repository that holds
 * the migrations, merge bases, changes since a commit (committed, staged,
 * unstaged, untracked) and the work tree's state for reports.
 */
#include "gitrepo.h"

#include <pthread.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "log.h"

struct GitRepo {
	git_repository *repo;
	char *workdir;       /* resolved (realpath), with a trailing '/' */
};

/* libgit2 keeps global state; release it at exit so leak checkers stay quiet. */
static void
gitrepo_shutdown(void)
{
	git_libgit2_shutdown();
}

/* Initialises libgit2 and arranges its shutdown at exit. */
static void
gitrepo_init(void)
{
	git_libgit2_init();
	atexit(gitrepo_shutdown);
}

/* libgit2 must be initialised once per process before any call, whichever thread comes first. */
static void
gitrepo_init_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, gitrepo_init);
}

/* libgit2's message for the last failure. */
static const char *
git_last_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

bool
gitrepo_blob_id(const char *data, size_t len, char out[41])
{
	git_oid oid;

	gitrepo_init_once();
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) != 0) {
		log_error("cannot hash blob: %s", git_last_message());
		return false;
	}
	git_oid_tostr(out, 41, &oid);
	return true;
}

/*
 * The directory to start the repository search from: path itself when it
 * is a directory, its parent when it is a file. The caller frees it.
 */
static char *
search_start(const char *path)
{
	struct stat st;
	const char *slash;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return xstrdup(path);
	slash = strrchr(path, '/');
	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t) (slash - path));
}

/*
 * The work tree of the repository containing start when only its owner
 * keeps it from opening (safe.directory), else NULL. A probe with owner
 * validation briefly off, so the message can say what to do; the
 * repository is still refused. The caller frees the result.
 */
static char *
foreign_owner_workdir(const char *start)
{
	git_repository *repo = NULL;
	char *workdir = NULL;

	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (git_repository_open_ext(&repo, start, 0, NULL) == 0 && git_repository_workdir(repo)) {
		workdir = xstrdup(git_repository_workdir(repo));
		if (strlen(workdir) > 1 && workdir[strlen(workdir) - 1] == '/')
			workdir[strlen(workdir) - 1] = '\0';
	}
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1);
	git_repository_free(repo);
	return workdir;
}

GitRepo *
gitrepo_open(const char *path, bool log_errors)
{
	void (*report)(const char *, ...) = log_errors ? log_error : log_debug;
	git_repository *repo = NULL;
	char *start = search_start(path);
	char resolved[PATH_MAX];
	GitRepo *r = NULL;
	int rc;

	gitrepo_init_once();
	rc = git_repository_open_ext(&repo, start, 0, NULL);
	if (rc != 0) {
		char *foreign = foreign_owner_workdir(start);

		if (foreign)
			report("%s: the git repository %s belongs to another user, so git and libgit2 "
				   "refuse it; if you trust it, mark it safe: "
				   "`git config --global --add safe.directory %s`", start, foreign, foreign);
		else
			report("%s: not inside a git repository (%s)", start, git_last_message());
		free(foreign);
		goto done;
	}
	if (git_repository_is_bare(repo) || git_repository_workdir(repo) == NULL) {
		report("%s: the git repository is bare: it has no work tree to compare", start);
		goto done;
	}
	if (realpath(git_repository_workdir(repo), resolved) == NULL) {
		report("%s: cannot resolve the work tree %s", start, git_repository_workdir(repo));
		goto done;
	}
	r = xcalloc(1, sizeof *r);
	r->repo = repo;
	r->workdir = xasprintf("%s%s", resolved, strcmp(resolved, "/") == 0 ? "" : "/");
	repo = NULL;

done:
	git_repository_free(repo);
	free(start);
	return r;
}

void
gitrepo_free(GitRepo *repo)
{
	if (repo == NULL)
		return;
	git_repository_free(repo->repo);
	free(repo->workdir);
	free(repo);
}

char *
gitrepo_relative_path(const GitRepo *repo, const char *path)
{
	char resolved[PATH_MAX];
	size_t n = strlen(repo->workdir);

	if (realpath(path, resolved) == NULL)
		return NULL;
	/* The work tree itself resolves without the trailing slash. */
	if (strlen(resolved) + 1 == n && strncmp(resolved, repo->workdir, n - 1) == 0)
		return xstrdup("");
	if (strncmp(resolved, repo->workdir, n) != 0)
		return NULL;
	return xstrdup(resolved + n);
}

bool
gitrepo_is_shallow(const GitRepo *repo)
{
	return git_repository_is_shallow(repo->repo) == 1;
}

/* Resolves spec to the id of the commit it names (tags and refs peeled). */
static int
resolve_commit(git_repository *repo, const char *spec, git_oid *out)
{
	git_object *obj = NULL, *commit = NULL;
	int rc;

	rc = git_revparse_single(&obj, repo, spec);
	if (rc == 0)
		rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
	if (rc == 0)
		git_oid_cpy(out, git_object_id(commit));
	git_object_free(commit);
	git_object_free(obj);
	return rc;
}

/* A set of commit ids (open addressing), for walking the history of a shallow clone. */
typedef struct OidSet {
	git_oid *slots;
	bool *used;
	size_t cap;          /* a power of two */
	size_t count;
} OidSet;

/* The slot of id in s: where it is, or the free slot where it belongs. */
static size_t
oidset_slot(const OidSet *s, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof h);
	for (h &= s->cap - 1; s->used[h] && !git_oid_equal(&s->slots[h], id); h = (h + 1) & (s->cap - 1))
		;
	return h;
}

/* True when id is in s. */
static bool
oidset_contains(const OidSet *s, const git_oid *id)
{
	return s->cap > 0 && s->used[oidset_slot(s, id)];
}

/* Adds id; false when it was already there. Grows at half load. */
static bool
oidset_add(OidSet *s, const git_oid *id)
{
	size_t h;

	if (2 * (s->count + 1) > s->cap) {
		OidSet bigger = {0};

		bigger.cap = s->cap ? 2 * s->cap : 256;
		bigger.slots = xcalloc(bigger.cap, sizeof(git_oid));
		bigger.used = xcalloc(bigger.cap, sizeof(bool));
		for (size_t i = 0; i < s->cap; i++)
			if (s->used[i])
				oidset_add(&bigger, &s->slots[i]);
		free(s->slots);
		free(s->used);
		*s = bigger;
	}
	h = oidset_slot(s, id);
	if (s->used[h])
		return false;
	s->used[h] = true;
	git_oid_cpy(&s->slots[h], id);
	s->count++;
	return true;
}

/* Releases the slots of s (the set itself is the caller's). */
static void
oidset_free(OidSet *s)
{
	free(s->slots);
	free(s->used);
}

/*
 * Walks the commits reachable from start whose objects are present (a
 * shallow clone lacks the parents of its boundary commits), adding them to
 * seen. With `other`, stops and returns true at the first commit found in
 * it: a common ancestor exists among the objects present.
 */
static bool
walk_present(git_repository *repo, git_odb *odb, const git_oid *start, OidSet *seen,
			 const OidSet *other)
{
	git_oid *stack = NULL;
	size_t n = 0, cap = 0;
	bool found = false;

	array_reserve((void **) &stack, &cap, n, sizeof *stack);
	git_oid_cpy(&stack[n++], start);
	while (n > 0 && !found) {
		git_oid id = stack[--n];
		git_commit *c = NULL;

		if (!oidset_add(seen, &id) || !git_odb_exists(odb, &id))
			continue;
		if (other && oidset_contains(other, &id))
			found = true;
		else if (git_commit_lookup(&c, repo, &id) == 0) {
			for (unsigned i = 0; i < git_commit_parentcount(c); i++) {
				array_reserve((void **) &stack, &cap, n, sizeof *stack);
				git_oid_cpy(&stack[n++], git_commit_parent_id(c, i));
			}
		}
		git_commit_free(c);
	}
	free(stack);
	return found;
}

/*
 * True when HEAD and other share an ancestor among the commits present.
 * Asked before git_merge_base in a shallow clone, whose walk fails (and
 * leaks, in libgit2 1.5) on reaching a missing parent.
 */
static bool
shallow_have_common_ancestor(git_repository *repo, const git_oid *head, const git_oid *other)
{
	OidSet from_other = {0}, from_head = {0};
	git_odb *odb = NULL;
	bool found = false;

	if (git_repository_odb(&odb, repo) != 0)
		return true;    /* let git_merge_base report the problem */
	walk_present(repo, odb, other, &from_other, NULL);
	found = walk_present(repo, odb, head, &from_head, &from_other);
	oidset_free(&from_other);
	oidset_free(&from_head);
	git_odb_free(odb);
	return found;
}

/* What to tell a user whose clone lacks the history --since needs. */
#define FETCH_ADVICE "fetch the base branch with enough history, e.g. " \
	"`git fetch --unshallow origin` or `git fetch origin <base>:refs/remotes/origin/<base>` " \
	"(GitHub Actions: actions/checkout with fetch-depth: 0; GitLab CI: GIT_DEPTH: 0)"

bool
gitrepo_merge_base(GitRepo *repo, const char *ref, char out[41])
{
	bool shallow = gitrepo_is_shallow(repo);
	git_oid head, other, base;
	int rc;

	if (git_repository_head_unborn(repo->repo) == 1) {
		log_error("--since %s: HEAD has no commit yet: commit first, then compare", ref);
		return false;
	}
	if (resolve_commit(repo->repo, "HEAD", &head) != 0) {
		log_error("--since %s: cannot resolve HEAD: %s", ref, git_last_message());
		return false;
	}
	if (resolve_commit(repo->repo, ref, &other) != 0) {
		if (shallow)
			log_error("--since %s: '%s' is not in this shallow clone (%s); " FETCH_ADVICE,
					  ref, ref, git_last_message());
		else
			log_error("--since %s: unknown revision '%s' (%s); if it is a remote branch, "
					  "fetch it first, e.g. `git fetch origin <base>`", ref, ref,
					  git_last_message());
		return false;
	}
	if (shallow && !shallow_have_common_ancestor(repo->repo, &head, &other))
		rc = GIT_ENOTFOUND;
	else
		rc = git_merge_base(&base, repo->repo, &head, &other);
	if (rc != 0) {
		if (shallow)
			log_error("--since %s: the merge base of HEAD and %s is missing from this shallow "
					  "clone; " FETCH_ADVICE, ref, ref);
		else if (rc == GIT_ENOTFOUND)
			log_error("--since %s: HEAD and %s have no common ancestor", ref, ref);
		else
			log_error("--since %s: cannot find the merge base of HEAD and %s: %s", ref, ref,
					  git_last_message());
		return false;
	}
	git_oid_tostr(out, 41, &base);
	return true;
}

/* Appends a change and returns it, zeroed, for the caller to fill. */
static GitrepoChange *
change_list_push(GitrepoChangeList *l)
{
	GitrepoChange *c;

	array_reserve((void **) &l->items, &l->cap, l->count, sizeof *c);
	c = &l->items[l->count++];
	memset(c, 0, sizeof *c);
	return c;
}

/* The kind of change a diff delta records, or -1 for deltas of no interest. */
static int
delta_kind(git_delta_t status)
{
	static const struct {
		git_delta_t status;
		GitrepoChangeKind kind;
	} kinds[] = {
		{GIT_DELTA_ADDED, GITREPO_ADDED},
		{GIT_DELTA_UNTRACKED, GITREPO_ADDED},
		{GIT_DELTA_COPIED, GITREPO_ADDED},
		{GIT_DELTA_MODIFIED, GITREPO_MODIFIED},
		{GIT_DELTA_TYPECHANGE, GITREPO_MODIFIED},
		{GIT_DELTA_CONFLICTED, GITREPO_MODIFIED},
		{GIT_DELTA_RENAMED, GITREPO_RENAMED},
		{GIT_DELTA_DELETED, GITREPO_DELETED},
	};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].status == status)
			return (int) kinds[i].kind;
	return -1;
}

/* Fills the lines added and removed of delta idx (its patch against the base). */
static bool
change_line_stats(git_diff *diff, size_t idx, GitrepoChange *c)
{
	git_patch *patch = NULL;
	size_t context;

	if (git_patch_from_diff(&patch, diff, idx) != 0) {
		log_error("%s: cannot compute the diff: %s", c->path ? c->path : c->old_path,
				  git_last_message());
		return false;
	}
	if (patch != NULL)
		git_patch_line_stats(&context, &c->lines_added, &c->lines_removed, patch);
	git_patch_free(patch);
	return true;
}

bool
gitrepo_changes_since(GitRepo *repo, const char *base, const StrList *pathspecs,
					  GitrepoChangeList *out)
{
	git_diff_options dopts;
	git_diff_find_options fopts;
	git_oid base_oid;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	char **specs = xcalloc(pathspecs->count + 1, sizeof(char *));
	size_t nspecs = 0;
	bool ok = false;

	git_diff_options_init(&dopts, GIT_DIFF_OPTIONS_VERSION);
	git_diff_find_options_init(&fopts, GIT_DIFF_FIND_OPTIONS_VERSION);
	for (size_t i = 0; i < pathspecs->count; i++) {
		if (pathspecs->items[i][0] == '\0') {
			nspecs = 0;        /* the whole tree */
			break;
		}
		specs[nspecs++] = pathspecs->items[i];
	}
	/* Paths are literal: a directory named "db[1]" is not a glob. */
	dopts.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
		GIT_DIFF_SHOW_UNTRACKED_CONTENT | GIT_DIFF_INCLUDE_TYPECHANGE |
		GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	dopts.pathspec.strings = specs;
	dopts.pathspec.count = nspecs;
	fopts.flags = GIT_DIFF_FIND_RENAMES | GIT_DIFF_FIND_FOR_UNTRACKED;

	if (git_oid_fromstr(&base_oid, base) != 0 ||
		git_commit_lookup(&commit, repo->repo, &base_oid) != 0 ||
		git_commit_tree(&tree, commit) != 0) {
		log_error("cannot read commit %s: %s", base, git_last_message());
		goto done;
	}
	if (git_diff_tree_to_workdir_with_index(&diff, repo->repo, tree, &dopts) != 0 ||
		git_diff_find_similar(diff, &fopts) != 0) {
		log_error("cannot compare the work tree with commit %s: %s", base, git_last_message());
		goto done;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		int kind = delta_kind(d->status);
		GitrepoChange *c;

		if (kind < 0)
			continue;
		c = change_list_push(out);
		c->kind = (GitrepoChangeKind) kind;
		if (c->kind != GITREPO_DELETED)
			c->path = xstrdup(d->new_file.path);
		if (c->kind != GITREPO_ADDED) {
			c->old_path = xstrdup(d->old_file.path);
			git_oid_tostr(c->old_blob, sizeof c->old_blob, &d->old_file.id);
			if (!change_line_stats(diff, i, c))
				goto done;
		}
	}
	ok = true;

done:
	git_diff_free(diff);
	git_tree_free(tree);
	git_commit_free(commit);
	free(specs);
	return ok;
}

void
gitrepo_change_list_free(GitrepoChangeList *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].path);
		free(l->items[i].old_path);
	}
	free(l->items);
	l->items = NULL;
	l->count = l->cap = 0;
}

/* True when the work tree or index differs from HEAD, or untracked files exist. */
static bool
worktree_dirty(git_repository *repo)
{
	git_status_options sopts;
	git_status_list *status = NULL;
	bool dirty;

	git_status_options_init(&sopts, GIT_STATUS_OPTIONS_VERSION);
	sopts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	sopts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&status, repo, &sopts) != 0) {
		log_debug("cannot read the git status: %s", git_last_message());
		return true;
	}
	dirty = git_status_list_entrycount(status) > 0;
	git_status_list_free(status);
	return dirty;
}

cJSON *
gitrepo_report_json(const char *path)
{
	struct stat st;
	GitRepo *r = gitrepo_open(stat(path, &st) == 0 ? path : ".", false);
	git_reference *head = NULL;
	git_oid oid;
	char hex[41];
	cJSON *o;

	if (r == NULL)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (resolve_commit(r->repo, "HEAD", &oid) == 0) {
		git_oid_tostr(hex, sizeof hex, &oid);
		cJSON_AddStringToObject(o, "commit", hex);
	} else
		cJSON_AddNullToObject(o, "commit");
	/* An unborn branch still has a name: git_repository_head fails, the symbolic ref does not. */
	if (git_reference_lookup(&head, r->repo, "HEAD") == 0 &&
		git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
		strncmp(git_reference_symbolic_target(head), "refs/heads/", 11) == 0)
		cJSON_AddStringToObject(o, "branch", git_reference_symbolic_target(head) + 11);
	else
		cJSON_AddNullToObject(o, "branch");
	cJSON_AddBoolToObject(o, "dirty", worktree_dirty(r->repo));
	git_reference_free(head);
	gitrepo_free(r);
	return o;
}
