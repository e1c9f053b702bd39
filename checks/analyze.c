/*
 * analyze.c — placeholder until the lock analysis lands: every statement is
 * reported as unknown.
 */
#include "analyze.h"

#include <stdlib.h>

struct AnalyzeContext {
	char *schema;
	int pg_version;
};

AnalyzeContext *
analyze_context_new(const char *default_schema, int pg_version)
{
	AnalyzeContext *ctx = xcalloc(1, sizeof *ctx);

	ctx->schema = xstrdup(default_schema);
	ctx->pg_version = pg_version;
	return ctx;
}

void
analyze_context_free(AnalyzeContext *ctx)
{
	if (ctx == NULL)
		return;
	free(ctx->schema);
	free(ctx);
}

int
analyze_context_pg_version(const AnalyzeContext *ctx)
{
	return ctx->pg_version;
}

void
analyze_context_begin_migration(AnalyzeContext *ctx)
{
	(void) ctx;
}

void
analyze_statement(AnalyzeContext *ctx, const Statement *st, Analysis *out)
{
	(void) ctx;
	(void) st;
	out->kind = xstrdup("UNKNOWN");
	out->transactional = true;
	out->known = false;
}

void
analyze_migration(AnalyzeContext *ctx, Migration *m)
{
	for (size_t i = 0; i < m->nstmts; i++)
		analyze_statement(ctx, &m->stmts[i], &m->stmts[i].analysis);
}
