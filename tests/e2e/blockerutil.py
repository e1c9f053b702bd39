"""Real sessions for the pre-check, plan and blockers end-to-end tests.

A Session is a psycopg2 connection with its own application_name (never
"migsafe...", which migsafe treats as its own). hold() leaves it idle in
transaction holding the locks of a statement; start() runs a statement in a
background thread, e.g. one that waits for a lock or sleeps.
"""
import json
import os
import subprocess
import threading

import psycopg2

from applyutil import query as sql
from conftest import connect


def waiting_for_lock(url, pid):
    """True while backend pid waits for a heavyweight lock."""
    rows = sql(url, "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,))
    return bool(rows) and rows[0][0] == "Lock"


def backend_state(url, pid):
    """pg_stat_activity.state of pid, or None when the backend is gone."""
    rows = sql(url, "SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,))
    return rows[0][0] if rows else None


class Session:
    """One client session of the 'application'."""

    def __init__(self, url, app):
        self.url = url
        self.conn = connect(url, autocommit=False, application_name=app)
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            self.pid = cur.fetchone()[0]
        self.conn.commit()
        self.thread = None
        self.error = None
        self.done = threading.Event()

    def hold(self, statement):
        """Runs statement in a transaction left open: idle in transaction."""
        with self.conn.cursor() as cur:
            cur.execute(statement)
        return self

    def start(self, statement, autocommit=True):
        """Runs statement in a background thread (it may wait or sleep)."""
        self.conn.autocommit = autocommit

        def body():
            try:
                with self.conn.cursor() as cur:
                    cur.execute(statement)
            except psycopg2.Error as e:
                self.error = e
            finally:
                self.done.set()

        self.thread = threading.Thread(target=body, daemon=True)
        self.thread.start()
        return self

    def alive(self):
        """True when the backend still answers (it was not terminated)."""
        try:
            with self.conn.cursor() as cur:
                cur.execute("SELECT 1")
            return True
        except psycopg2.Error:
            return False

    def close(self):
        """Ends whatever the session does (cancel, rollback) and disconnects."""
        if self.thread and self.thread.is_alive():
            sql(self.url, "SELECT pg_cancel_backend(%s)", (self.pid,))
            self.done.wait(10)
        try:
            if not self.conn.closed:
                if not self.conn.autocommit:
                    self.conn.rollback()
                self.conn.close()
        except psycopg2.Error:
            pass


def popen_migsafe(migsafe_bin, *args):
    """Starts migsafe in the background (stdout/stderr captured as text)."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["NO_COLOR"] = "1"
    return subprocess.Popen([migsafe_bin, *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def load_json(path):
    with open(path) as f:
        return json.load(f)
