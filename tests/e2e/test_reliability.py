"""Reliability: apply survives what production does to it.

- kill -9 of `apply` at random moments of a 30-migration run mixing
  transactional and non-transactional files (20 trials): after each kill a
  transactional migration is either fully applied with its history row or
  absent without one; a rerun completes; nothing is applied twice;
- the runner's backend terminated by another session, and the server
  restarted, in the middle of a migration: a clear error, exit 4, and a
  clean rerun;
- 8 `apply` processes at once: each migration exactly once, no deadlock,
  the losers wait and then find nothing to do.

All slow (several seconds each): `make test-slow`, run by .ci/run.
"""
import os
import random
import signal
import subprocess
import threading
import time
import uuid

import pytest

from conftest import connect, url_for_db

pytestmark = pytest.mark.slow

N_MIGRATIONS = 30
KILL_TRIALS = int(os.environ.get("MIGSAFE_KILL_TRIALS", "20"))
CONCURRENT = 8
SEED = int(os.environ.get("MIGSAFE_RELIABILITY_SEED", "9"))


def is_nontx(i):
    """Every fifth migration is non-transactional (concurrent index builds)."""
    return i % 5 == 0


def migration_files():
    """30 migrations: 0001 makes the log table, transactional ones create a
    table, fill it and log themselves, every fifth builds two indexes
    concurrently on earlier tables (four statements, so it can stop
    half-way)."""
    files = {"0001_log.sql": "CREATE TABLE applied_log (version text NOT NULL, "
                             "at timestamptz NOT NULL DEFAULT clock_timestamp());\n"
                             "INSERT INTO applied_log (version) VALUES ('0001');\n"}
    for i in range(2, N_MIGRATIONS + 1):
        v = f"{i:04d}"
        if is_nontx(i):
            # The re-runnable form docs/rules.md recommends
            # (create-index-concurrently-if-not-exists).
            files[f"{v}_indexes.sql"] = (
                "-- migsafe:no-transaction\n"
                f"DROP INDEX CONCURRENTLY IF EXISTS rel_{i - 1:04d}_a;\n"
                f"CREATE INDEX CONCURRENTLY rel_{i - 1:04d}_a ON rel_{i - 1:04d} (a);\n"
                f"DROP INDEX CONCURRENTLY IF EXISTS rel_{i - 2:04d}_b;\n"
                f"CREATE INDEX CONCURRENTLY rel_{i - 2:04d}_b ON rel_{i - 2:04d} (b);\n")
        else:
            files[f"{v}_rel.sql"] = (
                f"CREATE TABLE rel_{v} (a int NOT NULL, b int NOT NULL);\n"
                f"INSERT INTO rel_{v} SELECT g, g % 7 FROM generate_series(1, 2000) g;\n"
                f"SELECT pg_sleep(0.01);\n"
                f"INSERT INTO applied_log (version) VALUES ('{v}');\n")
    return files


def history(cur):
    cur.execute("SELECT to_regclass('migsafe.migrations') IS NOT NULL")
    if not cur.fetchone()[0]:
        return {}
    cur.execute("SELECT version, status FROM migsafe.migrations")
    return dict(cur.fetchall())


def check_partial_state(url, context):
    """What must hold at any moment, even right after a kill -9."""
    conn = connect(url)
    with conn.cursor() as cur:
        rows = history(cur)
        cur.execute("SELECT to_regclass('public.applied_log') IS NOT NULL")
        log = {}
        if cur.fetchone()[0]:
            cur.execute("SELECT version, count(*) FROM applied_log GROUP BY version")
            log = dict(cur.fetchall())
        for i in range(1, N_MIGRATIONS + 1):
            v = f"{i:04d}"
            if is_nontx(i):
                assert rows.get(v) in (None, "applied", "partial"), (context, v, rows.get(v))
                continue
            done = rows.get(v) == "applied"
            assert rows.get(v) in (None, "applied"), (context, v, rows.get(v))
            assert log.get(v, 0) == (1 if done else 0), (context, v, log.get(v), rows.get(v))
            if i > 1:
                cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"public.rel_{v}",))
                exists = cur.fetchone()[0]
                assert exists == done, (context, v, "table without history row or the reverse")
                if exists:
                    cur.execute(f"SELECT count(*) FROM rel_{v}")
                    assert cur.fetchone()[0] == 2000, (context, v, "half-filled table")
    conn.close()


def check_complete(url, context):
    """After a successful run: everything applied once, every index valid."""
    check_partial_state(url, context)
    conn = connect(url)
    with conn.cursor() as cur:
        rows = history(cur)
        assert len(rows) == N_MIGRATIONS and set(rows.values()) == {"applied"}, (context, rows)
        cur.execute("SELECT version, count(*) FROM applied_log GROUP BY version "
                    "HAVING count(*) <> 1")
        assert cur.fetchall() == [], (context, "a migration ran twice")
        cur.execute("SELECT count(*) FROM applied_log")
        assert cur.fetchone()[0] == N_MIGRATIONS - N_MIGRATIONS // 5
        cur.execute("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE NOT i.indisvalid")
        assert cur.fetchall() == [], (context, "invalid index left behind")
        cur.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' "
                    "AND indexname ~ '^rel_[0-9]{4}_[ab]$'")
        assert cur.fetchone()[0] == 2 * (N_MIGRATIONS // 5)
    conn.close()


@pytest.fixture
def fresh_db(server_url):
    """Like conftest's db, but reconnects for the cleanup (the server may
    have been restarted during the test)."""
    made = []

    def _make():
        name = "r_" + uuid.uuid4().hex[:12]
        admin = connect(server_url)
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        made.append(name)
        return url_for_db(server_url, name)
    yield _make
    for _ in range(60):
        try:
            admin = connect(server_url)
            break
        except Exception:
            time.sleep(0.5)
    with admin.cursor() as cur:
        for name in made:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def apply_argv(migsafe_bin, url, d):
    return [migsafe_bin, "apply", "--db", url, str(d)]


def env():
    e = dict(os.environ, NO_COLOR="1")
    e.pop("DATABASE_URL", None)
    return e


def test_kill_9_at_random_moments(migsafe_bin, fresh_db, write_migrations):
    d = write_migrations(migration_files())
    rng = random.Random(SEED)

    # One undisturbed run tells how long a whole run takes here.
    url = fresh_db()
    t0 = time.monotonic()
    res = subprocess.run(apply_argv(migsafe_bin, url, d), env=env(), capture_output=True,
                         text=True, timeout=300)
    full = time.monotonic() - t0
    assert res.returncode == 0, res.stderr[-3000:]
    check_complete(url, "undisturbed run")

    for trial in range(KILL_TRIALS):
        url = fresh_db()
        delay = rng.uniform(0.0, full)
        proc = subprocess.Popen(apply_argv(migsafe_bin, url, d), env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        context = f"trial {trial}, killed after {delay:.3f}s of {full:.3f}s"
        check_partial_state(url, context)
        res = subprocess.run(apply_argv(migsafe_bin, url, d), env=env(), capture_output=True,
                             text=True, timeout=300)
        assert res.returncode == 0, (context, res.stderr[-3000:])
        check_complete(url, context)
        res = subprocess.run(apply_argv(migsafe_bin, url, d), env=env(), capture_output=True,
                             text=True, timeout=300)
        assert res.returncode == 0, (context, res.stderr[-3000:])
        assert not [x for x in res.stdout.splitlines() if x.startswith("applied ")], \
            (context, "a third run applied something again", res.stdout)


# Found by test_kill_9_at_random_moments (issue 9); fixed in runner/nontx.c
# (index_already_built: a valid index of the resumed statement counts as built).
def test_resume_after_unrecorded_concurrent_index_build(migsafe_bin, fresh_db, write_migrations):
    """The state the random kills reach: the runner is killed while its
    CREATE INDEX CONCURRENTLY runs, the server finishes the build before it
    notices the client is gone (client_connection_check_interval is 1 s), so
    the index is valid but the history row still says the file stopped after
    its DROP INDEX statement. The rerun must complete. The state is made
    directly (apply, then rewind the row) so that the test does not depend
    on timing."""
    d = write_migrations({
        "0001_t.sql": "CREATE TABLE t (a int);\n",
        "0002_idx.sql": "-- migsafe:no-transaction\n"
                        "DROP INDEX CONCURRENTLY IF EXISTS t_a;\n"
                        "CREATE INDEX CONCURRENTLY t_a ON t (a);\n",
    })
    url = fresh_db()
    res = subprocess.run(apply_argv(migsafe_bin, url, d), env=env(), capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute("UPDATE migsafe.migrations SET status = 'partial', statements_done = 1 "
                    "WHERE version = '0002'")
        assert cur.rowcount == 1
    conn.close()
    res = subprocess.run(apply_argv(migsafe_bin, url, d), env=env(), capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    conn = connect(url)
    with conn.cursor() as cur:
        assert history(cur) == {"0001": "applied", "0002": "applied"}
        cur.execute("SELECT count(*) FROM pg_index WHERE indexrelid = 't_a'::regclass "
                    "AND indisvalid")
        assert cur.fetchone()[0] == 1
    conn.close()


SLOW_MIGRATIONS = {
    "0001_a.sql": "CREATE TABLE a (id int);\n",
    "0002_slow.sql": "CREATE TABLE b (id int);\nSELECT pg_sleep(3);\nCREATE TABLE c (id int);\n",
    "0003_d.sql": "CREATE TABLE d (id int);\n",
}


def wait_for_sleeping_runner(url, timeout=30):
    """The pid of migsafe's backend once it runs the pg_sleep of 0002."""
    conn = connect(url)
    deadline = time.monotonic() + timeout
    try:
        with conn.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute("SELECT pid FROM pg_stat_activity WHERE query LIKE '%%pg_sleep(3)%%' "
                            "AND state = 'active' AND pid <> pg_backend_pid()")
                row = cur.fetchone()
                if row:
                    return row[0]
                time.sleep(0.05)
    finally:
        conn.close()
    raise AssertionError("migsafe never reached the slow statement")


def check_slow_outcome(url, res, words):
    assert res.returncode == 4, res.stderr[-3000:]
    assert "0002_slow.sql" in res.stderr, res.stderr[-3000:]
    assert any(w in res.stderr.lower() for w in words), res.stderr[-3000:]
    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.a') IS NOT NULL, to_regclass('public.b') IS NULL, "
                    "to_regclass('public.d') IS NULL")
        assert cur.fetchone() == (True, True, True), "0002 half applied or 0003 attempted"
        assert history(cur) == {"0001": "applied"}
    conn.close()


def rerun_completes(migsafe_bin, url, d):
    res = subprocess.run(apply_argv(migsafe_bin, url, d), env=env(), capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    conn = connect(url)
    with conn.cursor() as cur:
        assert history(cur) == {"0001": "applied", "0002": "applied", "0003": "applied"}
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert cur.fetchone()[0] == 4
    conn.close()


def test_backend_terminated_mid_migration(migsafe_bin, fresh_db, write_migrations, server_url):
    d = write_migrations(SLOW_MIGRATIONS)
    url = fresh_db()
    proc = subprocess.Popen(apply_argv(migsafe_bin, url, d), env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    pid = wait_for_sleeping_runner(url)
    admin = connect(server_url)
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    out, err = proc.communicate(timeout=60)
    check_slow_outcome(url, subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
                       ["terminat", "connection", "server closed"])
    rerun_completes(migsafe_bin, url, d)


def pg_ctl(*args):
    """pg_ctl on the test cluster, as its owner; the server log stays where
    ci/pg-temp put it (the restarted server must not inherit our pipes)."""
    top = os.environ["PGTEMP_DIR"]
    bindir = sorted((p for p in os.listdir("/usr/lib/postgresql")), key=int)[-1]
    argv = [f"/usr/lib/postgresql/{bindir}/bin/pg_ctl", "-D", os.path.join(top, "data"),
            "-l", os.path.join(top, "server.log"), *args]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", os.environ.get("PGTEMP_USER", "migsafe-pg"), "--", *argv]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120)


@pytest.mark.skipif(not os.environ.get("PGTEMP_DIR"), reason="needs the cluster directory")
def test_server_restarted_mid_migration(migsafe_bin, fresh_db, write_migrations):
    d = write_migrations(SLOW_MIGRATIONS)
    url = fresh_db()
    proc = subprocess.Popen(apply_argv(migsafe_bin, url, d), env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for_sleeping_runner(url)
    pg_ctl("-m", "fast", "-w", "-t", "60", "restart")
    out, err = proc.communicate(timeout=60)
    check_slow_outcome(url, subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
                       ["terminat", "connection", "server closed", "shut"])
    rerun_completes(migsafe_bin, url, d)


def test_concurrent_runners(migsafe_bin, fresh_db, write_migrations):
    d = write_migrations(migration_files())
    url = fresh_db()
    start = threading.Barrier(CONCURRENT)
    results = [None] * CONCURRENT

    def runner(k):
        start.wait()
        results[k] = subprocess.run(apply_argv(migsafe_bin, url, d), env=env(),
                                    capture_output=True, text=True, timeout=300)

    threads = [threading.Thread(target=runner, args=(k,)) for k in range(CONCURRENT)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    for k, res in enumerate(results):
        assert res is not None and res.returncode == 0, (k, res and res.stderr[-3000:])
    check_complete(url, f"{CONCURRENT} concurrent runners")
    applied_by = [sum(1 for line in r.stdout.splitlines() if line.startswith("applied "))
                  for r in results]
    assert sum(applied_by) == N_MIGRATIONS, applied_by
    assert elapsed < 240, f"{CONCURRENT} runners took {elapsed:.0f}s"
