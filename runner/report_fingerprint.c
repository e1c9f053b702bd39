/*
 * report_fingerprint.c — a stable identity for a finding, for the formats
 * that track findings across runs (GitLab Code Quality, SARIF).
 *
 * It hashes what identifies the problem, not where it is: the file, the
 * rule, the statement's text and the message. Adding lines above a
 * statement keeps its findings' fingerprints; editing the statement changes
 * them. occurrence tells apart identical findings in one file.
 */
#include "report.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* FNV-1a, 64 bits, continued from h. */
static uint64_t
fnv1a(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		h ^= *p;
		h *= UINT64_C(0x100000001b3);
	}
	h ^= 0xff;                 /* field separator: ("ab","c") differs from ("a","bc") */
	h *= UINT64_C(0x100000001b3);
	return h;
}

char *
report_fingerprint(const Migration *m, const Finding *f, int occurrence)
{
	/* two hashes with different offsets: 128 bits, as long as an MD5 */
	uint64_t h[2] = {UINT64_C(0xcbf29ce484222325), UINT64_C(0x84222325cbf29ce4)};
	const char *sql = f->statement >= 0 && (size_t) f->statement < m->nstmts ?
		m->stmts[f->statement].sql : "";
	char occ[16];

	snprintf(occ, sizeof occ, "%d", occurrence);
	for (int i = 0; i < 2; i++) {
		h[i] = fnv1a(h[i], report_relative_path(m->path));
		h[i] = fnv1a(h[i], f->rule);
		h[i] = fnv1a(h[i], sql);
		h[i] = fnv1a(h[i], f->message);
		h[i] = fnv1a(h[i], occ);
	}
	return xasprintf("%016llx%016llx", (unsigned long long) h[0], (unsigned long long) h[1]);
}

int
report_occurrence(const Migration *m, size_t k)
{
	const Finding *f = &m->findings[k];
	int n = 0;

	for (size_t i = 0; i < k; i++) {
		const Finding *g = &m->findings[i];

		if (g->statement == f->statement && strcmp(g->rule, f->rule) == 0 &&
			strcmp(g->message, f->message) == 0)
			n++;
	}
	return n;
}
