/*
 * pgtemp.c — a throwaway PostgreSQL cluster for dry-run, started from C.
 *
 * The steps mirror ci/pg-temp: find the newest initdb/pg_ctl, make the
 * directory, initdb as the unprivileged owner, write a loopback-only
 * configuration with a free port, pg_ctl start -w; at the end pg_ctl stop
 * (fast, then immediate) and remove the directory.
 */
#define _GNU_SOURCE
#include "pgtemp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "defaults.h"
#include "log.h"
#include "signals.h"
#include "util.h"

/* The directory prefix ci/pg-temp uses too, so leftovers are recognisable. */
#define PGTEMP_PREFIX "migsafe-pg."

struct PgTemp {
	char *dir;           /* $TMPDIR/migsafe-pg.XXXXXX */
	char *data;          /* dir/data */
	char *bindir;        /* where initdb and pg_ctl are */
	char *conninfo;
	bool as_user;        /* root: run the server as uid/gid */
	uid_t uid;
	gid_t gid;
	bool started;
};

/* The newest /usr/lib/postgresql/N/bin holding initdb and pg_ctl; else initdb's dir on PATH. */
static char *
pgtemp_find_bindir(void)
{
	glob_t g;
	char *best = NULL;
	long best_version = -1;
	const char *path;

	if (glob("/usr/lib/postgresql/*/bin", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *d = g.gl_pathv[i];
			long v = strtol(d + strlen("/usr/lib/postgresql/"), NULL, 10);
			char *initdb = xasprintf("%s/initdb", d), *pg_ctl = xasprintf("%s/pg_ctl", d);

			if (access(initdb, X_OK) == 0 && access(pg_ctl, X_OK) == 0 && v > best_version) {
				free(best);
				best = xstrdup(d);
				best_version = v;
			}
			free(initdb);
			free(pg_ctl);
		}
		globfree(&g);
	}
	if (best)
		return best;
	path = getenv("PATH");
	while (path && *path) {
		size_t n = strcspn(path, ":");
		char *dir = xstrndup(path, n), *initdb = xasprintf("%s/initdb", dir);

		if (n > 0 && access(initdb, X_OK) == 0) {
			free(initdb);
			return dir;
		}
		free(initdb);
		free(dir);
		path += n + (path[n] == ':');
	}
	log_error("dry-run: no initdb found: install the postgresql package (make deps), "
			  "or pass --db to dry-run against an existing database");
	return NULL;
}

/*
 * Runs argv[0] (a full path) and waits for it. The child writes its output
 * to log_path (or /dev/null) and, when t->as_user, drops root for the
 * cluster's owner first. True when it exited 0.
 */
static bool
pgtemp_run(const PgTemp *t, char *const argv[], const char *log_path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		log_error("dry-run: cannot fork to run %s: %s", argv[0], strerror(errno));
		return false;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY), out;

		if (t->as_user &&
			(setgroups(1, &t->gid) != 0 || setgid(t->gid) != 0 || setuid(t->uid) != 0))
			_exit(126);
		out = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in >= 0)
			dup2(in, STDIN_FILENO);
		if (out >= 0) {
			dup2(out, STDOUT_FILENO);
			dup2(out, STDERR_FILENO);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			log_error("dry-run: waiting for %s: %s", argv[0], strerror(errno));
			return false;
		}
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Runs a system command found on PATH as root (useradd), output to /dev/null. */
static bool
pgtemp_run_system(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return false;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * As root, finds (or creates, as a system user without login) the user the
 * cluster runs as. As anyone else, the cluster is simply ours.
 */
static bool
pgtemp_resolve_owner(PgTemp *t)
{
	const char *name = getenv("PGTEMP_USER");
	struct passwd *pw;

	if (geteuid() != 0)
		return true;
	if (name == NULL || name[0] == '\0')
		name = DEFAULT_PGTEMP_USER;
	pw = getpwnam(name);
	if (pw == NULL) {
		char *argv[] = {"useradd", "--system", "--no-create-home", "--shell",
						"/usr/sbin/nologin", (char *) name, NULL};

		log_info("dry-run: creating system user %s to own the throwaway cluster "
				 "(PostgreSQL refuses to run as root)", name);
		(void) pgtemp_run_system(argv);
		pw = getpwnam(name);     /* another process may have created it meanwhile */
	}
	if (pw == NULL) {
		log_error("dry-run: cannot create user %s for the throwaway cluster; run as a "
				  "non-root user, set PGTEMP_USER to an existing user, or pass --db", name);
		return false;
	}
	t->as_user = true;
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	return true;
}

/* A port on 127.0.0.1 nobody listens on right now (the kernel picks it). */
static int
pgtemp_free_port(void)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof addr;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &addr, sizeof addr) == 0 &&
		getsockname(fd, (struct sockaddr *) &addr, &len) == 0)
		port = ntohs(addr.sin_port);
	close(fd);
	return port;
}

/* Writes text to path (replacing it), owned by the cluster's owner. */
static bool
pgtemp_write_file(const PgTemp *t, const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (f == NULL) {
		log_error("dry-run: cannot write %s: %s", path, strerror(errno));
		return false;
	}
	ok = fputs(text, f) >= 0;
	ok = fclose(f) == 0 && ok;
	if (ok && t->as_user && chown(path, t->uid, t->gid) != 0)
		ok = false;
	if (!ok)
		log_error("dry-run: cannot write %s: %s", path, strerror(errno));
	return ok;
}

/* text with every ' doubled, for a quoted value in postgresql.conf. */
static char *
pgtemp_conf_quote(const char *text)
{
	StrBuf sb = {0};

	strbuf_append(&sb, "");
	for (const char *p = text; *p; p++) {
		if (*p == '\'')
			strbuf_append(&sb, "''");
		else
			strbuf_append_n(&sb, p, 1);
	}
	return strbuf_detach(&sb);
}

/* Copies the tail of a log file to the error log, to say why a step failed. */
static void
pgtemp_log_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		log_error("  %s", line);
	}
	fclose(f);
}

/* Removes one entry of the cluster directory (nftw callback, depth first). */
static int
pgtemp_remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) flag;
	(void) ftw;
	if (remove(path) != 0 && errno != ENOENT)
		log_warn("dry-run: cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/* Writes the configuration and starts the server on a free port; retries on a port race. */
static bool
pgtemp_configure_and_start(PgTemp *t)
{
	char *hba = xasprintf("%s/pg_hba.conf", t->data);
	char *auto_conf = xasprintf("%s/postgresql.auto.conf", t->data);
	char *log_path = xasprintf("%s/server.log", t->dir);
	char *pg_ctl = xasprintf("%s/pg_ctl", t->bindir);
	char *sockdir = pgtemp_conf_quote(t->dir);
	char timeout[16];
	bool ok = false;

	snprintf(timeout, sizeof timeout, "%d", DEFAULT_PGTEMP_START_TIMEOUT_S);
	if (!pgtemp_write_file(t, hba, "local all all trust\nhost all postgres 127.0.0.1/32 trust\n"))
		goto done;
	for (int attempt = 0; attempt < DEFAULT_PGTEMP_PORT_TRIES && !ok; attempt++) {
		int port = pgtemp_free_port();
		char *conf;
		char *argv[] = {pg_ctl, "-D", t->data, "-l", log_path, "-w", "-t", timeout, "start", NULL};

		if (port < 0 || signals_received)
			break;
		conf = xasprintf("listen_addresses = '127.0.0.1'\nport = %d\n"
						 "unix_socket_directories = '%s'\nfsync = off\n"
						 "synchronous_commit = off\nfull_page_writes = off\n"
						 "max_locks_per_transaction = 256\nlog_min_messages = warning\n",
						 port, sockdir);
		if (pgtemp_write_file(t, auto_conf, conf) && pgtemp_run(t, argv, NULL)) {
			t->started = true;
			t->conninfo = xasprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres", port);
			ok = true;
		}
		free(conf);
	}
	if (!ok) {
		log_error("dry-run: the throwaway PostgreSQL server did not start; its log:");
		pgtemp_log_file(log_path);
	}
done:
	free(hba);
	free(auto_conf);
	free(log_path);
	free(pg_ctl);
	free(sockdir);
	return ok;
}

PgTemp *
pgtemp_start(void)
{
	PgTemp *t = xcalloc(1, sizeof *t);
	const char *tmp = getenv("TMPDIR");
	char *initdb = NULL, *initdb_log = NULL;

	t->bindir = pgtemp_find_bindir();
	if (t->bindir == NULL || !pgtemp_resolve_owner(t))
		goto fail;
	t->dir = xasprintf("%s/" PGTEMP_PREFIX "XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(t->dir) == NULL) {
		log_error("dry-run: cannot create a temporary directory %s: %s", t->dir, strerror(errno));
		free(t->dir);
		t->dir = NULL;
		goto fail;
	}
	t->data = xasprintf("%s/data", t->dir);
	if (chmod(t->dir, 0755) != 0 || (t->as_user && chown(t->dir, t->uid, t->gid) != 0)) {
		log_error("dry-run: cannot prepare %s: %s", t->dir, strerror(errno));
		goto fail;
	}
	log_info("dry-run: starting a throwaway PostgreSQL in %s", t->dir);
	initdb = xasprintf("%s/initdb", t->bindir);
	initdb_log = xasprintf("%s/initdb.log", t->dir);
	{
		char *argv[] = {initdb, "-D", t->data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
						"--locale=C", "--no-sync", NULL};

		if (!pgtemp_run(t, argv, initdb_log)) {
			log_error("dry-run: initdb failed:");
			pgtemp_log_file(initdb_log);
			goto fail;
		}
	}
	if (signals_received || !pgtemp_configure_and_start(t))
		goto fail;
	free(initdb);
	free(initdb_log);
	return t;

fail:
	free(initdb);
	free(initdb_log);
	pgtemp_stop(t);
	return NULL;
}

const char *
pgtemp_conninfo(const PgTemp *t)
{
	return t->conninfo;
}

const char *
pgtemp_dir(const PgTemp *t)
{
	return t->dir;
}

/* The postmaster's pid from postmaster.pid, or -1. */
static pid_t
pgtemp_postmaster_pid(const PgTemp *t)
{
	char *path = xasprintf("%s/postmaster.pid", t->data);
	FILE *f = fopen(path, "r");
	long pid = -1;

	free(path);
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return (pid_t) pid;
}

void
pgtemp_stop(PgTemp *t)
{
	if (t == NULL)
		return;
	if (t->data && pgtemp_postmaster_pid(t) > 0) {
		char *pg_ctl = xasprintf("%s/pg_ctl", t->bindir);
		char timeout[16];
		char *fast[] = {pg_ctl, "-D", t->data, "-m", "fast", "-w", "-t", timeout, "stop", NULL};
		char *immediate[] = {pg_ctl, "-D", t->data, "-m", "immediate", "-w", "-t", timeout,
							 "stop", NULL};

		snprintf(timeout, sizeof timeout, "%d", DEFAULT_PGTEMP_STOP_TIMEOUT_S);
		if (!pgtemp_run(t, fast, NULL) && !pgtemp_run(t, immediate, NULL)) {
			pid_t pid = pgtemp_postmaster_pid(t);

			log_warn("dry-run: pg_ctl could not stop the throwaway server; killing pid %d",
					 (int) pid);
			if (pid > 0)
				kill(pid, SIGKILL);
		}
		free(pg_ctl);
	}
	if (t->dir) {
		const char *base = strrchr(t->dir, '/');

		if (base && strncmp(base + 1, PGTEMP_PREFIX, strlen(PGTEMP_PREFIX)) == 0)
			nftw(t->dir, pgtemp_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	free(t->dir);
	free(t->data);
	free(t->bindir);
	free(t->conninfo);
	free(t);
}
