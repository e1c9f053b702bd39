/*
 * util.h — allocation that never returns NULL, a growable string, and a
 * growable list of strings. Shared by checks/ and runner/.
 */
#ifndef MIGSAFE_UTIL_H
#define MIGSAFE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Allocation: abort with a message when memory is exhausted. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *items (each item_size bytes) so that index `need` fits. */
void array_reserve(void **items, size_t *cap, size_t need, size_t item_size);

/* A growable NUL-terminated string; zero-initialise, then strbuf_free. */
typedef struct StrBuf {
	char *data;
	size_t len;
	size_t cap;
} StrBuf;

/* Makes room for extra more bytes (and the NUL) without changing the contents. */
void strbuf_grow(StrBuf *sb, size_t extra);
void strbuf_append(StrBuf *sb, const char *s);
void strbuf_append_n(StrBuf *sb, const char *s, size_t n);
void strbuf_appendf(StrBuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vappendf(StrBuf *sb, const char *fmt, va_list ap);
/* Hands the string to the caller (who frees it) and resets the buffer. */
char *strbuf_detach(StrBuf *sb);
void strbuf_free(StrBuf *sb);

/* A growable list of owned strings; zero-initialise, then strlist_free. */
typedef struct StrList {
	char **items;
	size_t count;
	size_t cap;
} StrList;

void strlist_add(StrList *l, const char *s);
/* Adds s unless an equal string is already there. */
void strlist_add_unique(StrList *l, const char *s);
bool strlist_contains(const StrList *l, const char *s);
void strlist_free(StrList *l);

/* FNV-1a: a simple, well-spread hash of a name (the catalog's and StrSet's tables). */
size_t str_hash(const char *s);

/*
 * A set of owned strings, in the order they were added (list), with hashed
 * lookup: for names collected over a whole migration, where a StrList's
 * linear search made big files quadratic. Zero-initialise, then strset_free.
 */
typedef struct StrSet {
	StrList list;
	size_t *slots;       /* 1 + index into list, 0 for an empty slot */
	size_t cap;          /* a power of two, at least twice list.count */
} StrSet;

/* Adds s unless it is there already; true when added. */
bool strset_add(StrSet *set, const char *s);
bool strset_contains(const StrSet *set, const char *s);
void strset_free(StrSet *set);

#endif
