"""Helpers shared by the apply, status and concurrency end-to-end tests.

Everything here drives real sessions on the throwaway server: blockers are
psycopg2 connections left idle in transaction, readers are threads running
real queries, runners are real migsafe subprocesses.
"""
import json
import os
import subprocess
import threading
import time

import psycopg2

from conftest import connect


def popen_apply(migsafe_bin, url, mdir, *args, report=None):
    """Starts `migsafe apply` in the background; returns the Popen."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["NO_COLOR"] = "1"
    cmd = [migsafe_bin, "apply", "--db", url, str(mdir), *map(str, args)]
    if report:
        cmd += ["--report", str(report)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def load_report(path):
    with open(path) as f:
        return json.load(f)


def query(url, sql, params=None):
    """Runs one query on a new autocommit connection; returns all rows."""
    conn = connect(url, application_name="test-admin")
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def history_rows(url, table="migsafe.migrations"):
    """{version: (status, statements_done, attempts)}; {} when the table does not exist."""
    if query(url, "SELECT to_regclass(%s)", (table,))[0][0] is None:
        return {}
    return {r[0]: r[1:] for r in query(
        url, f"SELECT version, status, statements_done, attempts FROM {table}")}


def column_exists(url, table, column):
    return bool(query(url, "SELECT 1 FROM information_schema.columns "
                           "WHERE table_name = %s AND column_name = %s", (table, column)))


def index_state(url, name):
    """None when the index does not exist, else its indisvalid."""
    rows = query(url, "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                      "WHERE c.relname = %s", (name,))
    return rows[0][0] if rows else None


def wait_for(predicate, timeout=15.0, interval=0.05, what="condition"):
    """Polls predicate until it is true; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def runner_backends(url, app="migsafe"):
    """pids and wait_event_type of the runner's backends (application_name = app)."""
    return query(url, "SELECT pid, wait_event_type, state, query FROM pg_stat_activity "
                      "WHERE application_name = %s AND datname = current_database()", (app,))


class Blocker:
    """A session that takes a lock and stays idle in transaction until released."""

    def __init__(self, url, sql, app="blocker-app"):
        self.conn = connect(url, autocommit=False, application_name=app)
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            self.pid = cur.fetchone()[0]
            cur.execute(sql)

    def release(self):
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


class Reader(threading.Thread):
    """Runs sql in a loop on its own connection and records each query's latency."""

    def __init__(self, url, sql, pause=0.02, app="reader"):
        super().__init__(daemon=True)
        self.url, self.sql, self.pause, self.app = url, sql, pause, app
        self.latencies = []
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        conn = connect(self.url, application_name=self.app)
        try:
            with conn.cursor() as cur:
                while not self.stop.is_set():
                    t0 = time.monotonic()
                    try:
                        cur.execute(self.sql)
                        cur.fetchall()
                    except psycopg2.Error as e:
                        self.errors.append(str(e))
                    self.latencies.append(time.monotonic() - t0)
                    time.sleep(self.pause)
        finally:
            conn.close()

    def finish(self):
        self.stop.set()
        self.join(timeout=30)
        return max(self.latencies) if self.latencies else 0.0


class ActiveBlocker:
    """A session that locks with sql, then stays *active* (pg_sleep) inside
    its transaction until released: a long query rather than a forgotten
    session, so the pre-check (issue 6) leaves it to lock_timeout when
    --blocker-min-age is above its age."""

    def __init__(self, url, sql, seconds=60, app="report-app", sleep_sql="SELECT pg_sleep(%s)"):
        self.conn = connect(url, autocommit=False, application_name=app)
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            self.pid = cur.fetchone()[0]
            cur.execute(sql)
        self.url = url
        self.thread = threading.Thread(target=self._sleep, args=(sleep_sql, seconds), daemon=True)
        self.thread.start()
        wait_for(lambda: query(url, "SELECT state FROM pg_stat_activity WHERE pid = %s",
                               (self.pid,)) == [("active",)], what="the blocker to be active")

    def _sleep(self, sleep_sql, seconds):
        try:
            with self.conn.cursor() as cur:
                cur.execute(sleep_sql, (seconds,))
        except psycopg2.Error:
            pass

    def release(self):
        if self.conn.closed:
            return
        query(self.url, "SELECT pg_cancel_backend(%s)", (self.pid,))
        self.thread.join(timeout=10)
        self.conn.rollback()
        self.conn.close()
