/*
 * gate.h — the safety gate of apply: the findings of the same analysis as
 * `check`, judged with what only a connected runner knows (table sizes),
 * before anything is applied.
 */
#ifndef MIGSAFE_GATE_H
#define MIGSAFE_GATE_H

#include <stdbool.h>

#include "model.h"
#include "options.h"
#include "pgsql.h"

/*
 * Whether m runs statement by statement outside a transaction: a
 * no-transaction directive or layout flag, or every statement being one
 * that cannot run in a transaction block.
 */
bool gate_is_nontransactional(const Migration *m);

/*
 * For each pending migration (pending[i] for l->items[i]): adds an error
 * finding when transactional and non-transactional statements are mixed;
 * downgrades to info the findings on statements that rewrite, scan or
 * build an index without CONCURRENTLY when every table involved is below
 * the small-table thresholds (the size goes into the message). Then logs
 * the findings at or above --fail-on; returns false when there are any
 * (apply stops before applying anything, exit 1).
 */
bool gate_check(PgConn *conn, const Options *opts, MigrationList *l, const bool *pending);

#endif
