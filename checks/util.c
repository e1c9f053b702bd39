/*
 * util.c — small memory and string helpers used everywhere.
 */
#define _GNU_SOURCE                  /* vasprintf */
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
out_of_memory(size_t n)
{
	fprintf(stderr, "migsafe: out of memory (%zu bytes)\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory(n);
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory(count * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		out_of_memory(n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);          /* formats once; the analysis calls this a lot */
	va_end(ap);
	if (n < 0)
		out_of_memory(strlen(fmt));
	return s;
}

void
array_reserve(void **items, size_t *cap, size_t need, size_t item_size)
{
	size_t ncap;

	if (need < *cap)
		return;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap <= need)
		ncap *= 2;
	*items = xrealloc(*items, ncap * item_size);
	memset((char *) *items + *cap * item_size, 0, (ncap - *cap) * item_size);
	*cap = ncap;
}

void
strbuf_grow(StrBuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need <= sb->cap)
		return;
	sb->cap = sb->cap ? sb->cap : 64;
	while (sb->cap < need)
		sb->cap *= 2;
	sb->data = xrealloc(sb->data, sb->cap);
}

void
strbuf_append_n(StrBuf *sb, const char *s, size_t n)
{
	strbuf_grow(sb, n);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
strbuf_append(StrBuf *sb, const char *s)
{
	strbuf_append_n(sb, s, strlen(s));
}

void
strbuf_vappendf(StrBuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	/* format into the free space first: a second pass only when it does not fit */
	strbuf_grow(sb, 64);
	va_copy(ap2, ap);
	n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		sb->data[sb->len] = '\0';
		return;
	}
	if ((size_t) n >= sb->cap - sb->len) {
		strbuf_grow(sb, (size_t) n);
		vsnprintf(sb->data + sb->len, (size_t) n + 1, fmt, ap);
	}
	sb->len += (size_t) n;
}

void
strbuf_appendf(StrBuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vappendf(sb, fmt, ap);
	va_end(ap);
}

char *
strbuf_detach(StrBuf *sb)
{
	char *s = sb->data ? sb->data : xstrdup("");

	sb->data = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void
strbuf_free(StrBuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

void
strlist_add(StrList *l, const char *s)
{
	array_reserve((void **) &l->items, &l->cap, l->count, sizeof(char *));
	l->items[l->count++] = xstrdup(s);
}

bool
strlist_contains(const StrList *l, const char *s)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

void
strlist_add_unique(StrList *l, const char *s)
{
	if (!strlist_contains(l, s))
		strlist_add(l, s);
}

void
strlist_free(StrList *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = l->cap = 0;
}

size_t
str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return (size_t) h;
}

/* The slot holding s, or the empty slot where it would go. */
static size_t
strset_slot(const StrSet *set, const char *s)
{
	size_t mask = set->cap - 1, i = str_hash(s) & mask;

	while (set->slots[i] && strcmp(set->list.items[set->slots[i] - 1], s) != 0)
		i = (i + 1) & mask;
	return i;
}

bool
strset_contains(const StrSet *set, const char *s)
{
	return set->cap > 0 && set->slots[strset_slot(set, s)] != 0;
}

bool
strset_add(StrSet *set, const char *s)
{
	if (strset_contains(set, s))
		return false;
	if (2 * (set->list.count + 1) > set->cap) {
		set->cap = set->cap ? set->cap * 2 : 16;
		free(set->slots);
		set->slots = xcalloc(set->cap, sizeof *set->slots);
		for (size_t i = 0; i < set->list.count; i++)
			set->slots[strset_slot(set, set->list.items[i])] = i + 1;
	}
	strlist_add(&set->list, s);
	set->slots[strset_slot(set, s)] = set->list.count;
	return true;
}

void
strset_free(StrSet *set)
{
	strlist_free(&set->list);
	free(set->slots);
	set->slots = NULL;
	set->cap = 0;
}
