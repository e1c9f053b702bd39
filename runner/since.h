/*
 * since.h — --since REF: report only the migrations this change adds or
 * edits (against the merge base of HEAD and REF), keep the others as
 * context, and flag merged migrations that were edited, renamed or deleted.
 */
#ifndef MIGSAFE_SINCE_H
#define MIGSAFE_SINCE_H

#include <stdbool.h>

#include "model.h"
#include "options.h"

/*
 * Applies opts->since to the loaded migrations: marks the ones unchanged
 * since the merge base context_only, adds an edited-merged-migration error
 * to each one that existed at the base and changed (content or name), and
 * appends a placeholder migration (deleted) carrying a
 * deleted-merged-migration error for each file deleted since. False, with
 * the reason and what to do logged (exit 2), outside a git repository or
 * when the base cannot be found (e.g. a shallow clone); l is then unchanged.
 */
bool since_apply(const Options *opts, MigrationList *l);

/*
 * Fills view with the migrations of l that are reported (not
 * context_only), in order. The view borrows them: release it with
 * since_view_free, never migration_list_free.
 */
void since_reported_view(const MigrationList *l, MigrationList *view);
void since_view_free(MigrationList *view);

#endif
