/*
 * signals.c — SIGINT/SIGTERM handling for apply.
 */
#include "signals.h"

#include <signal.h>
#include <string.h>

#include "pgsql.h"

volatile int signals_received = 0;

/* Records the signal and asks the server to cancel the running statement. */
static void
signals_handle(int sig)
{
	if (signals_received == 0)
		signals_received = sig;
	pgsql_cancel_from_signal();
}

void
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = signals_handle;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int
signals_exit_code(void)
{
	return 128 + signals_received;
}
