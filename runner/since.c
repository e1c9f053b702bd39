/*
 * since.c — --since REF: which migrations this change adds or edits.
 *
 * The merge base of HEAD and REF is the commit the change started from.
 * Files added since (committed, staged, unstaged or untracked) are
 * reported; files unchanged since are context (their objects are known,
 * dry-run still applies them). Files that existed at the base are merged
 * migrations: editing, renaming or deleting one is an error, because
 * databases where it already ran will never see the new text.
 */
#include "since.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gitrepo.h"
#include "log.h"

/* A migrations path from the command line and its place in the work tree. */
typedef struct SincePath {
	const char *given;   /* as the user wrote it */
	char *relative;      /* relative to the work tree; "" is the work tree */
} SincePath;

#define EDIT_HELP "restore the merged file (`git checkout %.12s -- %s`) and put the change " \
	"in a new migration"

/* The change recorded for relative path rel, or NULL when it is unchanged. */
static GitrepoChange *
change_find(GitrepoChangeList *changes, const char *rel)
{
	for (size_t i = 0; i < changes->count; i++)
		if (changes->items[i].path && strcmp(changes->items[i].path, rel) == 0)
			return &changes->items[i];
	return NULL;
}

/*
 * The path to show for a file at relative path rel, written the way the
 * loader writes paths: the directory as the user named it, '/', the rest.
 * The caller frees it.
 */
static char *
display_path(const SincePath *paths, size_t npaths, const char *rel)
{
	for (size_t i = 0; i < npaths; i++) {
		size_t n = strlen(paths[i].relative);

		if (n == 0)
			return xasprintf("%s/%s", paths[i].given, rel);
		if (strcmp(rel, paths[i].relative) == 0)
			return xstrdup(paths[i].given);
		if (strncmp(rel, paths[i].relative, n) == 0 && rel[n] == '/')
			return xasprintf("%s%s", paths[i].given, rel + n);
	}
	return xstrdup(rel);
}

/* Adds edited-merged-migration to m, which existed at the base as change c describes. */
static void
flag_edited(Migration *m, const GitrepoChange *c, const char *base, const char *ref)
{
	char *msg, *help = xasprintf(EDIT_HELP, base, m->path);

	if (c->kind == GITREPO_RENAMED)
		msg = xasprintf("merged migration renamed: %s was %s at the merge base %.12s of HEAD "
						"and %s (+%zu -%zu lines); databases where it already ran record the "
						"old name and will see it as a new migration", m->path, c->old_path,
						base, ref, c->lines_added, c->lines_removed);
	else
		msg = xasprintf("merged migration edited: %s existed at the merge base %.12s of HEAD "
						"and %s and was modified since (+%zu -%zu lines); databases where it "
						"already ran will never run the new text", m->path, base, ref,
						c->lines_added, c->lines_removed);
	migration_add_finding(m, "edited-merged-migration", SEVERITY_ERROR, -1, msg, help);
	free(msg);
	free(help);
}

/*
 * Appends a placeholder migration for a merged file that is gone from the
 * migrations (deleted, or renamed to something that is not a migration),
 * carrying the deleted-merged-migration error.
 */
static void
add_deleted(MigrationList *l, const SincePath *paths, size_t npaths, const GitrepoChange *c,
			const char *base, const char *ref)
{
	char *shown = display_path(paths, npaths, c->old_path);
	Migration *m = migration_new(shown);
	const char *slash = strrchr(shown, '/');
	char *msg, *help;

	m->version = xstrdup("");
	m->name = xstrdup(slash ? slash + 1 : shown);
	m->layout = LAYOUT_FILE;
	m->text = xstrdup("");
	m->deleted = true;
	memcpy(m->checksum, c->old_blob, sizeof m->checksum);
	if (c->kind == GITREPO_RENAMED)
		msg = xasprintf("merged migration removed: %s existed at the merge base %.12s of HEAD "
						"and %s and was renamed to %s, which is not a migration (+%zu -%zu "
						"lines); databases where it already ran keep its changes",
						shown, base, ref, c->path, c->lines_added, c->lines_removed);
	else
		msg = xasprintf("merged migration deleted: %s existed at the merge base %.12s of HEAD "
						"and %s and was deleted since (-%zu lines); databases where it already "
						"ran keep its changes and record it as applied", shown, base, ref,
						c->lines_removed);
	help = xasprintf("restore it (`git checkout %.12s -- %s`); to undo what it did, add a new "
					 "migration", base, shown);
	migration_add_finding(m, "deleted-merged-migration", SEVERITY_ERROR, -1, msg, help);
	migration_list_add(l, m);
	free(msg);
	free(help);
	free(shown);
}

/* True when path ends with suffix. */
static bool
ends_with(const char *path, const char *suffix)
{
	size_t n = strlen(path), k = strlen(suffix);

	return n >= k && strcmp(path + n - k, suffix) == 0;
}

/*
 * True when a deleted file could have been a forward migration: a SQL
 * file, and not the down half of a layout that keeps it apart
 * (golang-migrate and sqlx "*.down.sql", diesel "<dir>/down.sql"), which
 * is never applied and is not loaded either.
 */
static bool
is_migration_file(const char *path)
{
	static const char *const down_suffixes[] = {".down.sql", "/down.sql"};

	if (!ends_with(path, ".sql") || strcmp(path, "down.sql") == 0)
		return false;
	for (size_t i = 0; i < sizeof down_suffixes / sizeof down_suffixes[0]; i++)
		if (ends_with(path, down_suffixes[i]))
			return false;
	return true;
}

/*
 * Marks each migration reported or context-only from the changes, flags
 * edits of merged files, and adds placeholders for merged files gone.
 */
static void
since_mark(GitRepo *repo, MigrationList *l, GitrepoChangeList *changes, const SincePath *paths,
		   size_t npaths, const char *base, const char *ref)
{
	size_t nloaded = l->count, nreported = 0;
	bool *matched = xcalloc(changes->count + 1, sizeof(bool));

	for (size_t i = 0; i < nloaded; i++) {
		Migration *m = l->items[i];
		char *rel = gitrepo_relative_path(repo, m->path);
		GitrepoChange *c = rel ? change_find(changes, rel) : NULL;

		if (rel == NULL) {
			/* stdin, or a file outside the work tree: nothing to compare, so report it */
			nreported++;
			continue;
		}
		if (c != NULL)
			matched[c - changes->items] = true;
		if (c == NULL || (c->kind == GITREPO_MODIFIED && strcmp(c->old_blob, m->checksum) == 0)) {
			m->context_only = true;    /* same content as at the base (a mode change at most) */
		} else {
			nreported++;
			if (c->kind != GITREPO_ADDED)
				flag_edited(m, c, base, ref);
		}
		free(rel);
	}
	for (size_t k = 0; k < changes->count; k++) {
		const GitrepoChange *c = &changes->items[k];

		if (matched[k] || !is_migration_file(c->old_path ? c->old_path : ""))
			continue;
		if (c->kind == GITREPO_DELETED || c->kind == GITREPO_RENAMED) {
			add_deleted(l, paths, npaths, c, base, ref);
			nreported++;
		}
	}
	log_info("--since %s: merge base %.12s; %zu of %zu migrations reported, the others are "
			 "context only", ref, base, nreported, l->count);
	free(matched);
}

bool
since_apply(const Options *opts, MigrationList *l)
{
	const char *start = ".";
	SincePath *paths = xcalloc(opts->paths.count + 1, sizeof *paths);
	size_t npaths = 0;
	StrList specs = {0};
	GitrepoChangeList changes = {0};
	GitRepo *repo;
	char base[41];
	bool ok = false;

	for (size_t i = 0; i < opts->paths.count; i++) {
		if (strcmp(opts->paths.items[i], "-") != 0) {
			start = opts->paths.items[i];
			break;
		}
	}
	repo = gitrepo_open(start, true);
	if (repo == NULL) {
		log_error("--since %s needs the git history of the migrations: it compares them with "
				  "the merge base of HEAD and %s (run migsafe inside a clone, or drop --since)",
				  opts->since, opts->since);
		goto done;
	}
	if (!gitrepo_merge_base(repo, opts->since, base))
		goto done;
	for (size_t i = 0; i < opts->paths.count; i++) {
		const char *p = opts->paths.items[i];

		if (strcmp(p, "-") == 0 || access(p, F_OK) != 0)
			continue;        /* stdin, or a path the loader already reported missing */
		paths[npaths].given = p;
		paths[npaths].relative = gitrepo_relative_path(repo, p);
		if (paths[npaths].relative == NULL) {
			log_error("--since %s: %s is not inside the git work tree of %s", opts->since, p,
					  start);
			npaths++;
			goto done;
		}
		strlist_add(&specs, paths[npaths].relative);
		npaths++;
	}
	/* Without a path in the work tree (stdin only) there is nothing to compare. */
	if (specs.count > 0 && !gitrepo_changes_since(repo, base, &specs, &changes))
		goto done;
	since_mark(repo, l, &changes, paths, npaths, base, opts->since);
	ok = true;

done:
	for (size_t i = 0; i < npaths; i++)
		free(paths[i].relative);
	free(paths);
	strlist_free(&specs);
	gitrepo_change_list_free(&changes);
	gitrepo_free(repo);
	return ok;
}

void
since_reported_view(const MigrationList *l, MigrationList *view)
{
	memset(view, 0, sizeof *view);
	for (size_t i = 0; i < l->count; i++)
		if (!l->items[i]->context_only)
			migration_list_add(view, l->items[i]);
}

void
since_view_free(MigrationList *view)
{
	free(view->items);
	view->items = NULL;
	view->count = view->cap = 0;
}
