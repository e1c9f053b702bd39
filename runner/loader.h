/*
 * loader.h — migration files on disk to an ordered MigrationList.
 *
 * Reads directories in any of the supported layouts (plain, Flyway,
 * golang-migrate, dbmate, goose, Prisma, diesel, sqlx), detected per file
 * or forced, and files named explicitly. Each migration is parsed into
 * statements with libpg_query.
 */
#ifndef MIGSAFE_LOADER_H
#define MIGSAFE_LOADER_H

#include <stdbool.h>

#include "model.h"

/*
 * Loads every path (a directory or a file) in order, directories sorted by
 * version. Every problem is logged naming its file (and line:column for SQL
 * errors); loading goes on with the other files so that one run reports
 * them all. Returns false when any file could not be loaded.
 */
bool loader_load(const char *const *paths, int npaths, Layout layout, MigrationList *out);

/*
 * The same without parsing: each migration keeps the SQL to parse in
 * up_text until loader_parse, so that a long run can parse, analyse and
 * release one migration at a time.
 */
bool loader_load_unparsed(const char *const *paths, int npaths, Layout layout,
						  MigrationList *out);

/*
 * The same without reading the files either: migrations are named, ordered
 * and checked for duplicate versions, and loader_parse reads each file (so
 * that reading, too, can happen on parse-ahead threads). Checksums and
 * section markers are known only once a migration is parsed.
 */
bool loader_list(const char *const *paths, int npaths, Layout layout, MigrationList *out);

/*
 * Reads m when it was only listed, then parses m->up_text into statements
 * (no-op when parsed); false (logged) when the file cannot be read or used,
 * or on a syntax error.
 */
bool loader_parse(Migration *m);

/* Parses l->items[from..]; the ones that fail are logged, freed and left out. */
bool loader_parse_all(MigrationList *l, size_t from);

/*
 * Loads SQL text given directly (e.g. from stdin) as one migration whose
 * path is `display_path`. False (logged) on a parse error.
 */
bool loader_load_text(const char *text, size_t len, const char *display_path, MigrationList *out);

/* Orders two versions segment by segment, numerically: "1.9" < "1.10". */
int loader_version_compare(const char *a, const char *b);

#endif
