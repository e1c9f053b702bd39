/*
 * precheck.c — placeholder: always proceeds until the pre-check lands.
 */
#include "precheck.h"

PrecheckOutcome
precheck_before_attempt(PgConn *conn, const Options *opts, const Migration *m, cJSON *mig_report)
{
	(void) conn;
	(void) opts;
	(void) m;
	(void) mig_report;
	return PRECHECK_PROCEED;
}
