/*
 * loader.c — finds migration files, tells their layout from their names and
 * section markers, reads and validates them, and parses them.
 */
#define _GNU_SOURCE             /* memmem */
#include "loader.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitrepo.h"
#include "log.h"
#include "sqlparse.h"

/* What a file or directory name says about a migration. */
typedef struct NameInfo {
	Layout layout;
	char *version;
	char *name;
	bool skip;           /* recognised but not applied (down, undo) */
	const char *unsupported; /* recognised but not supported: why */
} NameInfo;

static void
name_info_free(NameInfo *ni)
{
	free(ni->version);
	free(ni->name);
	memset(ni, 0, sizeof *ni);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/*
 * Reads a version made of digits, allowing `seps` between digit groups
 * (they become "." when dots_between_groups, vanish otherwise). Returns the
 * number of bytes consumed, 0 when `s` does not start with a digit.
 */
static size_t
scan_version(const char *s, const char *seps, bool dots_between_groups, char **out)
{
	StrBuf sb = {0};
	size_t i = 0;

	if (!isdigit((unsigned char) s[0]))
		return 0;
	while (s[i]) {
		if (isdigit((unsigned char) s[i])) {
			strbuf_append_n(&sb, &s[i], 1);
			i++;
		} else if (strchr(seps, s[i]) && isdigit((unsigned char) s[i + 1])) {
			if (dots_between_groups)
				strbuf_append(&sb, ".");
			i++;
		} else {
			break;
		}
	}
	*out = strbuf_detach(&sb);
	return i;
}

/* The name part after the version: skips one separator, drops the suffix. */
static char *
name_part(const char *rest, const char *suffix)
{
	size_t n;

	while (*rest == '_' || *rest == '-' || *rest == '.')
		rest++;
	n = strlen(rest);
	if (suffix && has_suffix(rest, suffix))
		n -= strlen(suffix);
	return xstrndup(rest, n);
}

/* Flyway: V<version>__<desc>.sql, U... (undo, skipped), R__ (repeatable). */
static bool
match_flyway(const char *base, NameInfo *ni)
{
	const char *sep;
	size_t used;

	if (!has_suffix(base, ".sql"))
		return false;
	if (strncmp(base, "R__", 3) == 0) {
		ni->layout = LAYOUT_FLYWAY;
		ni->unsupported = "Flyway repeatable migrations (R__) are not supported yet";
		return true;
	}
	if (base[0] != 'V' && base[0] != 'U')
		return false;
	sep = strstr(base, "__");
	if (sep == NULL)
		return false;
	used = scan_version(base + 1, "._", true, &ni->version);
	if (used == 0 || base + 1 + used != sep) {
		free(ni->version);
		ni->version = NULL;
		return false;
	}
	ni->layout = LAYOUT_FLYWAY;
	ni->name = name_part(sep + 2, ".sql");
	ni->skip = base[0] == 'U';
	return true;
}

/* <version>_<name>.up.sql / .down.sql (golang-migrate, sqlx reversible). */
static bool
match_updown(const char *base, NameInfo *ni)
{
	bool up = has_suffix(base, ".up.sql"), down = has_suffix(base, ".down.sql");
	size_t used;

	if (!up && !down)
		return false;
	used = scan_version(base, "", false, &ni->version);
	if (used == 0)
		return false;
	ni->layout = LAYOUT_GOLANG_MIGRATE;
	ni->name = name_part(base + used, up ? ".up.sql" : ".down.sql");
	ni->skip = down;
	return true;
}

/* <version>_<name>.sql (plain, sqlx simple, dbmate, goose). */
static bool
match_plain(const char *base, NameInfo *ni)
{
	size_t used;

	if (!has_suffix(base, ".sql"))
		return false;
	used = scan_version(base, "", false, &ni->version);
	if (used == 0)
		return false;
	if (base[used] != '_' && base[used] != '-' && base[used] != '.') {
		free(ni->version);
		ni->version = NULL;
		return false;
	}
	ni->layout = LAYOUT_PLAIN;
	ni->name = name_part(base + used, ".sql");
	return true;
}

typedef bool (*NameMatcher)(const char *base, NameInfo *ni);

/* File-name layouts, tried in order; the first that matches wins. */
static const struct {
	NameMatcher match;
	Layout layouts[4];   /* forced --layout values this matcher serves */
} file_matchers[] = {
	{match_flyway, {LAYOUT_FLYWAY}},
	{match_updown, {LAYOUT_GOLANG_MIGRATE, LAYOUT_SQLX}},
	{match_plain, {LAYOUT_PLAIN, LAYOUT_SQLX, LAYOUT_DBMATE, LAYOUT_GOOSE}},
};

static bool
matcher_serves(size_t i, Layout forced)
{
	if (forced == LAYOUT_AUTO)
		return true;
	for (size_t k = 0; k < 4; k++)
		if (file_matchers[i].layouts[k] == forced)
			return true;
	return false;
}

static bool
classify_file_name(const char *base, Layout forced, NameInfo *ni)
{
	for (size_t i = 0; i < sizeof file_matchers / sizeof file_matchers[0]; i++) {
		if (!matcher_serves(i, forced))
			continue;
		if (file_matchers[i].match(base, ni)) {
			if (forced != LAYOUT_AUTO && ni->layout != LAYOUT_FLYWAY)
				ni->layout = forced;
			return true;
		}
	}
	return false;
}

/* Directory layouts: <version>_<name>/<file>. */
static const struct {
	const char *file;
	Layout layout;
	const char *version_seps;   /* separators allowed inside the version */
} dir_layouts[] = {
	{"migration.sql", LAYOUT_PRISMA, ""},
	{"up.sql", LAYOUT_DIESEL, "-"},
};

static bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds the migration file in a directory entry; returns its path or NULL. */
static char *
classify_dir(const char *dir, const char *base, Layout forced, NameInfo *ni)
{
	for (size_t i = 0; i < sizeof dir_layouts / sizeof dir_layouts[0]; i++) {
		char *path;
		size_t used;

		if (forced != LAYOUT_AUTO && forced != dir_layouts[i].layout)
			continue;
		path = xasprintf("%s/%s/%s", dir, base, dir_layouts[i].file);
		if (!file_exists(path)) {
			free(path);
			continue;
		}
		used = scan_version(base, dir_layouts[i].version_seps, false, &ni->version);
		if (used == 0) {
			free(path);
			return NULL;
		}
		ni->layout = dir_layouts[i].layout;
		ni->name = name_part(base + used, NULL);
		return path;
	}
	return NULL;
}

/*
 * Reads a whole file into a NUL-terminated buffer; false (logged) when it
 * cannot. A regular file is read into a buffer of its size at once (check
 * reads thousands of them); anything else grows the buffer as it comes.
 */
static bool
read_file(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t cap, n = 0;
	char *buf;
	bool regular;

	if (fd < 0) {
		log_error("%s: cannot read: %s", path, strerror(errno));
		return false;
	}
	/*
	 * One more byte than the size, so that no growth is needed; a read that
	 * brings a regular file to exactly its size has reached the end, which
	 * saves a second read per file (files of /proc, whose size is 0, read on).
	 */
	regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	cap = regular ? (size_t) st.st_size + 1 : 65536;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t got;

		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		got = read(fd, buf + n, cap - n);
		if (got == 0)
			break;
		if (got > 0 && regular && n + (size_t) got == (size_t) st.st_size) {
			n += (size_t) got;
			break;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			log_error("%s: cannot read: %s", path, strerror(errno));
			close(fd);
			free(buf);
			return false;
		}
		n += (size_t) got;
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return true;
}

/* Length of the valid UTF-8 sequence at s (0 when invalid). */
static size_t
utf8_sequence_length(const unsigned char *s, size_t avail)
{
	size_t need;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (need > avail)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return need;
}

/* Rejects empty, binary and non-UTF-8 files with a located message. */
static bool
validate_text(const char *path, const char *text, size_t len)
{
	bool blank = true;
	size_t i = 0;

	while (i < len) {
		const unsigned char *p = (const unsigned char *) text + i;
		size_t n;
		int line, col;

		if (!blank && len - i >= 8) {
			/* eight ASCII bytes, none of them NUL, at once: most of a migration */
			const uint64_t high = 0x8080808080808080u, ones = 0x0101010101010101u;
			uint64_t w;

			memcpy(&w, p, sizeof w);
			if ((w & high) == 0 && ((w - ones) & ~w & high) == 0) {
				i += 8;
				continue;
			}
		}
		if (*p == '\0') {
			sqlparse_position(text, i, &line, &col);
			log_error("%s:%d:%d: binary file (NUL byte): not a SQL migration", path, line, col);
			return false;
		}
		n = utf8_sequence_length(p, len - i);
		if (n == 0) {
			sqlparse_position(text, i, &line, &col);
			log_error("%s:%d:%d: invalid UTF-8 (byte 0x%02x)", path, line, col, *p);
			return false;
		}
		if (!isspace(*p))
			blank = false;
		i += n;
	}
	if (blank) {
		log_error("%s: empty migration file", path);
		return false;
	}
	return true;
}

/* Blanks bytes [from, to) of buf except newlines, keeping offsets valid. */
static void
blank_range(char *buf, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (buf[i] != '\n')
			buf[i] = ' ';
}

/* Section markers of the layouts that keep up and down in one file. */
typedef enum MarkerKind {
	MARK_UP, MARK_DOWN, MARK_NO_TRANSACTION, MARK_OTHER
} MarkerKind;

static const struct {
	const char *prefix;  /* the comment body starts with this */
	Layout layout;
	MarkerKind kind;
} section_markers[] = {
	{"migrate:up", LAYOUT_DBMATE, MARK_UP},
	{"migrate:down", LAYOUT_DBMATE, MARK_DOWN},
	{"+goose Up", LAYOUT_GOOSE, MARK_UP},
	{"+goose Down", LAYOUT_GOOSE, MARK_DOWN},
	{"+goose NO TRANSACTION", LAYOUT_GOOSE, MARK_NO_TRANSACTION},
	{"+goose StatementBegin", LAYOUT_GOOSE, MARK_OTHER},
	{"+goose StatementEnd", LAYOUT_GOOSE, MARK_OTHER},
};

/*
 * True when some marker's words occur anywhere in the text. Markers are
 * comments, found by the scanner; a text without any of their words cannot
 * hold one, and most migrations have none, so the scan is skipped for them
 * (the parser scans the text again anyway).
 */
static bool
markers_possible(const char *text, size_t len)
{
	for (size_t i = 0; i < sizeof section_markers / sizeof section_markers[0]; i++) {
		const char *word = section_markers[i].prefix;
		size_t n = strcspn(word, " ");

		/* the goose markers share their first word: look for it once */
		if (i > 0 && strncmp(section_markers[i - 1].prefix, word, n + 1) == 0)
			continue;
		if (memmem(text, len, word, n) != NULL)
			return true;
	}
	return false;
}

static int
marker_find(const char *body)
{
	for (size_t i = 0; i < sizeof section_markers / sizeof section_markers[0]; i++) {
		size_t n = strlen(section_markers[i].prefix);

		if (strncmp(body, section_markers[i].prefix, n) == 0 &&
			(body[n] == '\0' || isspace((unsigned char) body[n])))
			return (int) i;
	}
	return -1;
}

/*
 * Applies dbmate / goose section markers: returns a copy of the text in
 * which only the up section is left (the rest blanked), and switches the
 * migration's layout and transaction mode as the markers say. Without
 * markers the copy is the text unchanged.
 */
static char *
apply_sections(Migration *m, SqlError *err)
{
	SqlCommentList comments = {0};
	char *sql = xstrndup(m->text, m->text_len);
	MarkerKind state = MARK_OTHER;   /* MARK_OTHER: before the first section */
	size_t region_start = 0;

	if (!markers_possible(m->text, m->text_len))
		return sql;
	if (!sqlparse_comments(m->text, m->text_len, &comments, err)) {
		free(sql);
		return NULL;
	}
	for (size_t i = 0; i < comments.count; i++) {
		const SqlComment *c = &comments.items[i];
		int k = marker_find(c->body);

		if (k < 0)
			continue;
		m->layout = section_markers[k].layout;
		if (section_markers[k].kind == MARK_NO_TRANSACTION) {
			m->transactional = false;
			continue;
		}
		if (section_markers[k].kind != MARK_UP && section_markers[k].kind != MARK_DOWN)
			continue;
		if (state != MARK_UP)
			blank_range(sql, region_start, c->start);
		state = section_markers[k].kind;
		region_start = c->end;
		if (state == MARK_UP && strstr(c->body, "transaction:false"))
			m->transactional = false;
	}
	if (state == MARK_DOWN)
		blank_range(sql, region_start, m->text_len);
	sqlparse_comments_free(&comments);
	return sql;
}

/*
 * Checks the text and its section markers and keeps the part to apply in
 * m->up_text for loader_parse. False (logged) when the text is not usable.
 */
static bool
prepare_text(Migration *m)
{
	SqlError err = {0};

	if (!validate_text(m->path, m->text, m->text_len) ||
		!gitrepo_blob_id(m->text, m->text_len, m->checksum))
		return false;
	m->up_text = apply_sections(m, &err);
	if (m->up_text == NULL) {
		log_error("%s:%d:%d: %s", m->path, err.line, err.column, err.message);
		sqlparse_error_free(&err);
		return false;
	}
	return true;
}

/*
 * One migration file: named, then (when read) read, validated and
 * sectioned; parsing comes later. Unread, loader_parse reads it.
 */
static Migration *
load_one(const char *path, const NameInfo *ni, bool read)
{
	Migration *m = migration_new(path);

	m->layout = ni->layout;
	m->version = xstrdup(ni->version ? ni->version : "");
	m->name = xstrdup(ni->name ? ni->name : "");
	if (read && (!read_file(path, &m->text, &m->text_len) || !prepare_text(m))) {
		migration_free(m);
		return NULL;
	}
	return m;
}

bool
loader_parse(Migration *m)
{
	SqlError err = {0};
	bool ok;

	if (m->text == NULL && (!read_file(m->path, &m->text, &m->text_len) || !prepare_text(m)))
		return false;                /* listed by loader_list: read now */
	if (m->up_text == NULL)
		return true;
	ok = sqlparse_migration(m, m->up_text, &err);
	if (!ok)
		log_error("%s:%d:%d: %s", m->path, err.line, err.column, err.message);
	sqlparse_error_free(&err);
	free(m->up_text);
	m->up_text = NULL;
	return ok;
}

bool
loader_parse_all(MigrationList *l, size_t from)
{
	size_t kept = from;
	bool ok = true;

	for (size_t i = from; i < l->count; i++) {
		if (loader_parse(l->items[i])) {
			l->items[kept++] = l->items[i];
		} else {
			migration_free(l->items[i]);
			ok = false;
		}
	}
	l->count = kept;
	return ok;
}

int
loader_version_compare(const char *a, const char *b)
{
	while (*a || *b) {
		size_t la, lb;
		int c;

		while (*a == '0' && isdigit((unsigned char) a[1]))
			a++;
		while (*b == '0' && isdigit((unsigned char) b[1]))
			b++;
		la = strspn(a, "0123456789");
		lb = strspn(b, "0123456789");
		if (la != lb)
			return la < lb ? -1 : 1;
		c = strncmp(a, b, la);
		if (c != 0)
			return c < 0 ? -1 : 1;
		a += la;
		b += lb;
		if (*a != *b)
			return *a == '\0' ? -1 : (*b == '\0' ? 1 : (*a < *b ? -1 : 1));
		if (*a) {
			a++;
			b++;
		}
	}
	return 0;
}

static int
migration_order(const void *x, const void *y)
{
	const Migration *a = *(Migration *const *) x, *b = *(Migration *const *) y;
	int c = loader_version_compare(a->version, b->version);

	return c != 0 ? c : strcmp(a->path, b->path);
}

static int
name_order(const void *x, const void *y)
{
	return strcmp(*(char *const *) x, *(char *const *) y);
}

static bool
dir_has_sql(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL)
		found = has_suffix(e->d_name, ".sql");
	closedir(d);
	return found;
}

/* Loads one directory entry (file or sub-directory) into out. */
static bool
load_entry(const char *dir, const char *base, Layout layout, bool read, MigrationList *out)
{
	char *path = xasprintf("%s/%s", dir, base);
	NameInfo ni = {0};
	struct stat st;
	char *file = NULL;
	Migration *m;
	bool ok = true;

	if (stat(path, &st) != 0) {
		log_error("%s: %s", path, strerror(errno));
		ok = false;
	} else if (S_ISDIR(st.st_mode)) {
		file = classify_dir(dir, base, layout, &ni);
		if (file == NULL && dir_has_sql(path)) {
			log_error("%s: directory fits no migration layout "
					  "(expected <version>_<name>/migration.sql or /up.sql)", path);
			ok = false;
		}
	} else if (has_suffix(base, ".sql")) {
		if (!classify_file_name(base, layout, &ni)) {
			log_error("%s: file name fits no %s layout (expected e.g. 0001_name.sql, "
					  "V1__name.sql, 0001_name.up.sql)", path,
					  layout == LAYOUT_AUTO ? "migration" : layout_name(layout));
			ok = false;
		} else if (ni.unsupported) {
			log_error("%s: %s", path, ni.unsupported);
			ok = false;
		} else if (!ni.skip) {
			file = xstrdup(path);
		}
	}
	if (ok && file) {
		m = load_one(file, &ni, read);
		if (m)
			migration_list_add(out, m);
		else
			ok = false;
	}
	free(file);
	free(path);
	name_info_free(&ni);
	return ok;
}

/* Two migrations of one directory with the same version: name both. */
static bool
check_duplicates(MigrationList *l, size_t from)
{
	bool ok = true;

	for (size_t i = from + 1; i < l->count; i++) {
		if (loader_version_compare(l->items[i - 1]->version, l->items[i]->version) == 0) {
			log_error("%s and %s: duplicate migration version %s", l->items[i - 1]->path,
					  l->items[i]->path, l->items[i]->version);
			ok = false;
		}
	}
	return ok;
}

static bool
load_dir(const char *given, Layout layout, bool read, MigrationList *out)
{
	char *dir = xstrdup(given);
	size_t dlen = strlen(dir);
	DIR *d;
	struct dirent *e;
	StrList names = {0};
	size_t first = out->count;
	bool ok = true;

	while (dlen > 1 && dir[dlen - 1] == '/')
		dir[--dlen] = '\0';
	d = opendir(dir);
	if (d == NULL) {
		log_error("%s: cannot open directory: %s", dir, strerror(errno));
		free(dir);
		return false;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			strlist_add(&names, e->d_name);
	closedir(d);
	if (names.count > 1)
		qsort(names.items, names.count, sizeof(char *), name_order);
	for (size_t i = 0; i < names.count; i++)
		ok = load_entry(dir, names.items[i], layout, read, out) && ok;
	strlist_free(&names);
	free(dir);
	if (out->count - first > 1)
		qsort(out->items + first, out->count - first, sizeof(Migration *), migration_order);
	return check_duplicates(out, first) && ok;
}

/* A file named on the command line: checked whatever its name. */
static bool
load_explicit_file(const char *path, Layout layout, bool read, MigrationList *out)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	NameInfo ni = {0};
	Migration *m;

	if (!classify_file_name(base, layout, &ni) || ni.unsupported) {
		name_info_free(&ni);
		ni.layout = LAYOUT_FILE;
	}
	m = load_one(path, &ni, read);
	name_info_free(&ni);
	if (m == NULL)
		return false;
	migration_list_add(out, m);
	return true;
}

bool
loader_load(const char *const *paths, int npaths, Layout layout, MigrationList *out)
{
	size_t first = out->count;
	bool ok = loader_load_unparsed(paths, npaths, layout, out);

	return loader_parse_all(out, first) && ok;
}

/* Loads paths (directories and files) into out; files are read only when `read`. */
static bool
load_paths(const char *const *paths, int npaths, Layout layout, bool read, MigrationList *out)
{
	bool ok = true;

	for (int i = 0; i < npaths; i++) {
		struct stat st;

		if (stat(paths[i], &st) != 0) {
			log_error("%s: %s", paths[i], strerror(errno));
			ok = false;
		} else if (S_ISDIR(st.st_mode)) {
			ok = load_dir(paths[i], layout, read, out) && ok;
		} else {
			ok = load_explicit_file(paths[i], layout, read, out) && ok;
		}
	}
	return ok;
}

bool
loader_load_unparsed(const char *const *paths, int npaths, Layout layout, MigrationList *out)
{
	return load_paths(paths, npaths, layout, true, out);
}

bool
loader_list(const char *const *paths, int npaths, Layout layout, MigrationList *out)
{
	return load_paths(paths, npaths, layout, false, out);
}

bool
loader_load_text(const char *text, size_t len, const char *display_path, MigrationList *out)
{
	Migration *m = migration_new(display_path);

	m->layout = LAYOUT_FILE;
	m->version = xstrdup("");
	m->name = xstrdup(display_path);
	m->text = xstrndup(text, len);
	m->text_len = len;
	if (!prepare_text(m) || !loader_parse(m)) {
		migration_free(m);
		return false;
	}
	migration_list_add(out, m);
	return true;
}
