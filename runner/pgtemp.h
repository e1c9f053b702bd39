/*
 * pgtemp.h — the embedded default server of dry-run: a throwaway
 * PostgreSQL cluster started from C (initdb + pg_ctl) in a temporary
 * directory, listening on 127.0.0.1 on a free port with its socket inside
 * the directory, and always stopped and removed at the end.
 *
 * It behaves like ci/pg-temp: the directory is $TMPDIR/migsafe-pg.XXXXXX,
 * and when migsafe runs as root the cluster belongs to an unprivileged
 * system user (PGTEMP_USER, default DEFAULT_PGTEMP_USER), created if
 * missing, because initdb and postgres refuse to run as root.
 */
#ifndef MIGSAFE_PGTEMP_H
#define MIGSAFE_PGTEMP_H

typedef struct PgTemp PgTemp;

/*
 * Creates and starts a cluster. NULL (logged, with the server's log) on
 * failure; nothing is left behind then.
 */
PgTemp *pgtemp_start(void);

/* A libpq conninfo reaching the cluster's superuser over loopback. */
const char *pgtemp_conninfo(const PgTemp *t);

/* The cluster's directory (for messages). */
const char *pgtemp_dir(const PgTemp *t);

/* Stops the server (fast, then immediate), removes the directory, frees t. */
void pgtemp_stop(PgTemp *t);

#endif
