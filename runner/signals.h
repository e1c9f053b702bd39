/*
 * signals.h — SIGINT and SIGTERM during apply: the handler cancels the
 * running statement (libpq's cancel, async-signal-safe) and records the
 * signal; the attempt loop then rolls back, the report is written, the
 * runner lock released, and the process exits 130 or 143.
 */
#ifndef MIGSAFE_SIGNALS_H
#define MIGSAFE_SIGNALS_H

/* The signal received (SIGINT or SIGTERM), 0 while none arrived. */
extern volatile int signals_received;

/* Installs the handlers (without SA_RESTART, so waits return early). */
void signals_install(void);

/* The exit code for the signal received: 128 + its number. */
int signals_exit_code(void);

#endif
