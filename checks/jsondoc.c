/*
 * jsondoc.c — a read-only JSON document whose cJSON nodes live in one arena.
 */
#include "jsondoc.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "util.h"

struct JsonDoc {
	Arena *arena;            /* every node and string */
	cJSON *root;
};

/* The parser's position in the text. */
typedef struct Cursor {
	const char *p;
	Arena *arena;            /* where its nodes and strings go */
} Cursor;

static void
skip_space(Cursor *c)
{
	while (*c->p && (unsigned char) *c->p <= 32)
		c->p++;
}

static bool parse_value(Cursor *c, cJSON *item, int depth);

/* Four hex digits of a \\u escape; 0 when they are not hex digits, as cJSON reads them. */
static unsigned
hex4(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char ch = s[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned) (ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned) (ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned) (ch - 'A' + 10);
		else
			return 0;
	}
	return v;
}

/* Writes code point cp as UTF-8 at out; returns the bytes written. */
static size_t
put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Decodes the \\u escape at s (s[0] == '\\', s[1] == 'u'; end is the closing
 * quote), a UTF-16 surrogate pair included, into out; returns the escape's
 * length in the text, 0 when it is invalid. Exactly cJSON's reading,
 * quirks included: digits that are not hex read as code point 0.
 */
static size_t
unicode_escape(const char *s, const char *end, char *out, size_t *written)
{
	unsigned hi, lo;

	if (end - s < 6)
		return 0;
	hi = hex4(s + 2);
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return 0;
	if (hi >= 0xD800 && hi <= 0xDBFF) {
		if (end - (s + 6) < 6 || s[6] != '\\' || s[7] != 'u')
			return 0;
		lo = hex4(s + 8);
		if (lo < 0xDC00 || lo > 0xDFFF)
			return 0;
		*written = put_utf8(out, 0x10000 + (((hi & 0x3FF) << 10) | (lo & 0x3FF)));
		return 12;
	}
	*written = put_utf8(out, hi);
	return 6;
}

/* A string at c->p (the opening quote), unescaped into the arena; NULL when malformed. */
static char *
parse_string(Cursor *c)
{
	const char *s = c->p + 1, *end = s;
	char *out, *o;

	while (*end && *end != '"') {
		if (*end == '\\' && end[1])
			end++;
		end++;
	}
	if (*end != '"')
		return NULL;
	/* escapes never decode to more bytes than they take in the text */
	o = out = arena_alloc(c->arena, (size_t) (end - s) + 1);
	while (s < end) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		if (s[1] == 'u') {
			size_t written, len = unicode_escape(s, end, o, &written);

			if (len == 0)
				return NULL;
			o += written;
			s += len;
			continue;
		}
		switch (s[1]) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case '"':
		case '\\':
		case '/': *o++ = s[1]; break;
		default:
			return NULL;
		}
		s += 2;
	}
	*o = '\0';
	c->p = end + 1;
	return out;
}

/* item as the number d, valueint clamped to int as cJSON does. */
static void
set_number(cJSON *item, double d)
{
	item->valuedouble = d;
	if (d >= INT_MAX)
		item->valueint = INT_MAX;
	else if (d <= (double) INT_MIN)
		item->valueint = INT_MIN;
	else
		item->valueint = (int) d;
	item->type = cJSON_Number;
}

/*
 * The length of the integer at s when strtod would read exactly it, with
 * no loss in an int64_t and in a double: an optional '-', 1 to 15 digits
 * (no "-0", which strtod reads as -0.0), and after them nothing strtod could
 * read on; 0 otherwise.
 */
static size_t
integer_length(const char *s)
{
	size_t neg = *s == '-', n = neg;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == neg || n - neg > 15 || (neg && s[1] == '0'))
		return 0;
	if (s[n] == '.' || s[n] == 'e' || s[n] == 'E' || s[n] == '+' || s[n] == '-')
		return 0;
	return n;
}

/*
 * A number as cJSON reads it: strtod over the run of number characters
 * (however long), valueint clamped to int.
 */
static bool
parse_number(Cursor *c, cJSON *item)
{
	size_t n = integer_length(c->p);
	char small[64], *buf, *endp;
	size_t used;
	double d;

	if (n > 0) {
		/* the parser's locations and lengths: plain integers, read without strtod */
		bool negative = *c->p == '-';
		const char *p = c->p + negative, *end = c->p + n;
		int64_t v = 0;

		while (p < end)
			v = v * 10 + (*p++ - '0');
		c->p = end;
		set_number(item, (double) (negative ? -v : v));
		return true;
	}
	n = strspn(c->p, "0123456789+-eE.");
	buf = n < sizeof small ? small : xmalloc(n + 1);
	memcpy(buf, c->p, n);
	buf[n] = '\0';
	d = strtod(buf, &endp);
	used = (size_t) (endp - buf);
	if (buf != small)
		free(buf);
	if (used == 0)
		return false;
	c->p += used;
	set_number(item, d);
	return true;
}

/* Links child as the last of parent's children (cJSON keeps the last in child->prev). */
static void
append_child(cJSON *parent, cJSON *child)
{
	if (parent->child == NULL) {
		parent->child = child;
	} else {
		cJSON *last = parent->child->prev;

		last->next = child;
		child->prev = last;
	}
	parent->child->prev = child;
}

/* An array or an object (with keys) at c->p, its opening bracket. */
static bool
parse_container(Cursor *c, cJSON *item, int depth, bool object)
{
	char close = object ? '}' : ']';

	if (depth >= CJSON_NESTING_LIMIT)
		return false;
	item->type = object ? cJSON_Object : cJSON_Array;
	c->p++;
	skip_space(c);
	if (*c->p == close) {
		c->p++;
		return true;
	}
	for (;;) {
		cJSON *child = arena_alloc(c->arena, sizeof(cJSON));

		memset(child, 0, sizeof *child);
		skip_space(c);
		if (object) {
			if (*c->p != '"' || (child->string = parse_string(c)) == NULL)
				return false;
			skip_space(c);
			if (*c->p != ':')
				return false;
			c->p++;
		}
		if (!parse_value(c, child, depth + 1))
			return false;
		append_child(item, child);
		skip_space(c);
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p != close)
			return false;
		c->p++;
		return true;
	}
}

/* The literal word (null, true, false) at c->p, of the given node type. */
static bool
parse_literal(Cursor *c, cJSON *item, const char *word, int type)
{
	size_t n = strlen(word);

	if (strncmp(c->p, word, n) != 0)
		return false;
	item->type = type;
	item->valueint = type == cJSON_True;     /* as cJSON sets it */
	c->p += n;
	return true;
}

/* Any value at c->p (after white space) into item. */
static bool
parse_value(Cursor *c, cJSON *item, int depth)
{
	skip_space(c);
	switch (*c->p) {
	case '"':
		item->type = cJSON_String;
		return (item->valuestring = parse_string(c)) != NULL;
	case '[':
		return parse_container(c, item, depth, false);
	case '{':
		return parse_container(c, item, depth, true);
	case 'n':
		return parse_literal(c, item, "null", cJSON_NULL);
	case 't':
		return parse_literal(c, item, "true", cJSON_True);
	case 'f':
		return parse_literal(c, item, "false", cJSON_False);
	default:
		return (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) && parse_number(c, item);
	}
}

JsonDoc *
jsondoc_parse(const char *text)
{
	JsonDoc *doc = xcalloc(1, sizeof *doc);
	Cursor c;

	doc->arena = arena_create();
	c.p = text;
	c.arena = doc->arena;
	if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
		c.p += 3;                          /* a UTF-8 byte order mark, which cJSON skips */

	doc->root = arena_alloc(doc->arena, sizeof(cJSON));
	memset(doc->root, 0, sizeof *doc->root);
	if (!parse_value(&c, doc->root, 0)) {
		jsondoc_free(doc);
		return NULL;
	}
	return doc;
}

const cJSON *
jsondoc_root(const JsonDoc *doc)
{
	return doc->root;
}

void
jsondoc_free(JsonDoc *doc)
{
	if (doc == NULL)
		return;
	arena_free(doc->arena);
	free(doc);
}
