/*
 * jsonprint.c — cJSON's formatted printing, into a growable string, at any
 * depth.
 *
 * The check report is written one migration at a time, so each part must
 * come out as it reads inside the whole document. cJSON prints a part as a
 * document of its own (and every number through sprintf and sscanf); this
 * prints the same bytes, a part at the depth it has, in one pass.
 * tests/unit/test_jsonprint.c compares the two.
 */
#include "jsonprint.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_value(StrBuf *sb, const cJSON *item, int depth);

static void
append_tabs(StrBuf *sb, int n)
{
	strbuf_grow(sb, (size_t) n);
	memset(sb->data + sb->len, '\t', (size_t) n);
	sb->len += (size_t) n;
	sb->data[sb->len] = '\0';
}

/* The escape of each byte cJSON escapes (u: \u00XX), 0 for bytes kept as they are. */
static const char escapes[256] = {
	['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['"'] = '"',
	['\\'] = '\\',
	[0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u', [0x06] = 'u',
	[0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u',
	[0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',
	[0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
	[0x1e] = 'u', [0x1f] = 'u',
};

/* Appends a JSON string literal: cJSON's escapes, other bytes as they are. */
static void
print_string(StrBuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *) (s ? s : "");

	strbuf_append_n(sb, "\"", 1);
	for (;;) {
		const unsigned char *run = p;
		char esc;

		while (*p && escapes[*p] == 0)
			p++;
		strbuf_append_n(sb, (const char *) run, (size_t) (p - run));
		if (*p == '\0')
			break;
		esc = escapes[*p];
		if (esc == 'u') {
			char u[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};

			strbuf_append_n(sb, u, sizeof u);
		} else {
			char e[2] = {'\\', esc};

			strbuf_append_n(sb, e, sizeof e);
		}
		p++;
	}
	strbuf_append_n(sb, "\"", 1);
}

/*
 * Appends a number as cJSON does: NaN and infinities as null, others with
 * 15 significant digits unless those do not read back as the same value,
 * then 17. Whole numbers below 1e15 (most of a report's) skip printf.
 */
static void
print_number(StrBuf *sb, const cJSON *item)
{
	double d = item->valuedouble;
	char tmp[32];
	int n;

	if (isnan(d) || isinf(d)) {
		strbuf_append_n(sb, "null", 4);
		return;
	}
	if (fabs(d) < 1e15 && d == (double) (long long) d && !(d == 0 && signbit(d))) {
		long long v = (long long) d;
		unsigned long long u = v < 0 ? 0ull - (unsigned long long) v : (unsigned long long) v;
		char *e = tmp + sizeof tmp, *p = e;

		do {
			*--p = (char) ('0' + u % 10);
			u /= 10;
		} while (u);
		if (v < 0)
			*--p = '-';
		strbuf_append_n(sb, p, (size_t) (e - p));
		return;
	}
	n = snprintf(tmp, sizeof tmp, "%1.15g", d);
	{
		double back = strtod(tmp, NULL);
		double larger = fabs(back) > fabs(d) ? fabs(back) : fabs(d);

		if (!(fabs(back - d) <= larger * DBL_EPSILON))
			n = snprintf(tmp, sizeof tmp, "%1.17g", d);
	}
	strbuf_append_n(sb, tmp, (size_t) n);
}

/* "[a, b]": cJSON keeps an array on one line; its objects still break lines. */
static void
print_array(StrBuf *sb, const cJSON *item, int depth)
{
	strbuf_append_n(sb, "[", 1);
	for (const cJSON *c = item->child; c; c = c->next) {
		print_value(sb, c, depth + 1);
		if (c->next)
			strbuf_append_n(sb, ", ", 2);
	}
	strbuf_append_n(sb, "]", 1);
}

/* One member per line, a tab deeper than the braces, key and value tab-separated. */
static void
print_object(StrBuf *sb, const cJSON *item, int depth)
{
	strbuf_append_n(sb, "{\n", 2);
	for (const cJSON *c = item->child; c; c = c->next) {
		append_tabs(sb, depth + 1);
		print_string(sb, c->string);
		strbuf_append_n(sb, ":\t", 2);
		print_value(sb, c, depth + 1);
		strbuf_append_n(sb, c->next ? ",\n" : "\n", c->next ? 2 : 1);
	}
	append_tabs(sb, depth);
	strbuf_append_n(sb, "}", 1);
}

static void
print_value(StrBuf *sb, const cJSON *item, int depth)
{
	switch (item->type & 0xFF) {
		case cJSON_NULL: strbuf_append_n(sb, "null", 4); break;
		case cJSON_False: strbuf_append_n(sb, "false", 5); break;
		case cJSON_True: strbuf_append_n(sb, "true", 4); break;
		case cJSON_Number: print_number(sb, item); break;
		case cJSON_Raw: strbuf_append(sb, item->valuestring ? item->valuestring : ""); break;
		case cJSON_String: print_string(sb, item->valuestring); break;
		case cJSON_Array: print_array(sb, item, depth); break;
		case cJSON_Object: print_object(sb, item, depth); break;
		default: break;
	}
}

void
jsonprint_append(StrBuf *sb, const cJSON *item, int depth)
{
	print_value(sb, item, depth);
}
