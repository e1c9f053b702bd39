/*
 * analyze.h — static lock analysis: which lock every statement takes.
 *
 * Pure library: parse trees in, Analysis out. It never touches a file, a
 * socket or a terminal.
 */
#ifndef MIGSAFE_ANALYZE_H
#define MIGSAFE_ANALYZE_H

#include "model.h"

#define ANALYZE_DEFAULT_PG_VERSION 15

/*
 * What the analysis knows across statements: the PostgreSQL major version,
 * the default schema, the current search_path, and a small catalog of the
 * objects earlier statements created (indexes and the table behind them,
 * column types, foreign keys, views, sequences, partitions).
 */
typedef struct AnalyzeContext AnalyzeContext;

AnalyzeContext *analyze_context_new(const char *default_schema, int pg_version);
void analyze_context_free(AnalyzeContext *ctx);
int analyze_context_pg_version(const AnalyzeContext *ctx);

/*
 * Starts a new migration file: the search_path goes back to the default
 * schema; the catalog of objects is kept (later files see earlier ones).
 */
void analyze_context_begin_migration(AnalyzeContext *ctx);

/*
 * Fills st->analysis for every statement of m, in order, and adds an
 * "unknown-lock" finding for each statement whose lock is not known.
 */
void analyze_migration(AnalyzeContext *ctx, Migration *m);

/* Analyses one statement; also updates ctx (search_path, catalog). */
void analyze_statement(AnalyzeContext *ctx, const Statement *st, Analysis *out);

#endif
