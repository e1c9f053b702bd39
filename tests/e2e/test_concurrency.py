"""Several migsafe runners and application sessions at once, for real."""
import threading
import time

import psycopg2
import pytest

from applyutil import (history_rows, index_state, load_report, popen_apply, query, runner_backends,
                       wait_for)
from conftest import connect

NO_GATE = ("--fail-on", "never")


@pytest.mark.slow
def test_four_runners_apply_each_migration_exactly_once(db, write_migrations, tmp_path, migsafe_bin):
    d = write_migrations({
        "0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n",
        "0002_seed.sql": "INSERT INTO accounts VALUES (1, 'a@x'), (2, 'b@x');\n",
        "0003_index.sql": ("-- migsafe:no-transaction\n"
                           "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n"),
        "0004_events.sql": ("CREATE TABLE events (id bigint);\n"
                            "INSERT INTO events SELECT count(*) FROM accounts;\n"),
        "0005_index2.sql": "CREATE INDEX CONCURRENTLY events_id_idx ON events (id);\n",
    })
    procs = [popen_apply(migsafe_bin, db, d, *NO_GATE, report=tmp_path / f"r{i}.json")
             for i in range(4)]
    results = [p.communicate(timeout=90) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
    # every data migration ran exactly once
    assert query(db, "SELECT id FROM accounts ORDER BY id") == [(1,), (2,)]
    assert query(db, "SELECT id FROM events") == [(2,)]
    assert index_state(db, "accounts_email_idx") is True
    assert index_state(db, "events_id_idx") is True
    rows = history_rows(db)
    assert sorted(rows) == ["0001", "0002", "0003", "0004", "0005"]
    assert all(status == "applied" for status, _, _ in rows.values())
    # across the four reports each migration was applied by exactly one runner
    applied = {}
    for i in range(4):
        for m in load_report(tmp_path / f"r{i}.json")["migrations"]:
            if m["status"] == "applied":
                applied[m["version"]] = applied.get(m["version"], 0) + 1
            else:
                assert m["status"] == "already-applied", m
    assert applied == {v: 1 for v in rows}


@pytest.mark.slow
def test_second_runner_waits_then_gives_up_naming_the_holder(db, run, write_migrations,
                                                             migsafe_bin):
    query(db, "CREATE TABLE slow_marker ()")
    d = write_migrations({"0001_slow.sql": (
        "SELECT pg_sleep(CASE WHEN to_regclass('slow_marker') IS NULL THEN 0 ELSE 4 END);\n")})
    first = popen_apply(migsafe_bin, db, d, *NO_GATE)
    try:
        wait_for(lambda: any("pg_sleep" in (q or "") and s == "active"
                             for _, _, s, q in runner_backends(db)), what="the first runner")
        holder = [pid for pid, _, _, q in runner_backends(db) if "pg_sleep" in (q or "")][0]
        t0 = time.monotonic()
        r = run("apply", "--db", db, d, "--runner-wait", "700ms", *NO_GATE)
        elapsed = time.monotonic() - t0
    finally:
        out, err = first.communicate(timeout=30)
    assert r.returncode == 3, r.stderr
    assert 0.5 < elapsed < 4
    assert f"another runner: pid {holder} (app=migsafe" in r.stderr
    assert "--runner-wait" in r.stderr
    assert first.returncode == 0, err
    # the waiting runner, given time, finds the work done
    r = run("apply", "--db", db, d, *NO_GATE)
    assert r.returncode == 0 and "nothing to apply" in r.stderr


@pytest.mark.slow
def test_runner_queued_behind_a_runner_with_concurrent_index_does_not_deadlock(
        db, write_migrations, migsafe_bin, tmp_path):
    # A runner building an index concurrently waits for every older
    # transaction; a second runner must poll for the runner lock, never sit
    # in a transaction (or a blocking pg_advisory_lock) that the build waits for.
    query(db, "CREATE TABLE big (id int, v int)")
    query(db, "INSERT INTO big SELECT g, g FROM generate_series(1, 300000) g")
    d = write_migrations({"0001_idx.sql": "CREATE INDEX CONCURRENTLY big_v_idx ON big (v);\n"})
    procs = [popen_apply(migsafe_bin, db, d, *NO_GATE, "--statement-timeout", "60s",
                         report=tmp_path / f"r{i}.json") for i in range(2)]
    results = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert index_state(db, "big_v_idx") is True
    statuses = sorted(load_report(tmp_path / f"r{i}.json")["migrations"][0]["status"] for i in range(2))
    assert statuses == ["already-applied", "applied"]
    # and the build succeeded on its first attempt: nobody held it up
    for i in range(2):
        m = load_report(tmp_path / f"r{i}.json")["migrations"][0]
        if m["status"] == "applied":
            assert [a["outcome"] for a in m["attempts"]] == ["applied"]


@pytest.mark.slow
def test_deadlock_victim_rolls_back_and_retries(db, write_migrations, tmp_path, migsafe_bin):
    """The runner locks a then b; an application transaction locks b then a.
    The runner is the deadlock victim: the attempt ends as `deadlock`, rolls
    back, and the retry applies once the application has finished."""
    query(db, "CREATE TABLE a (id int)")
    query(db, "CREATE TABLE b (id int)")
    d = write_migrations({"0001_both.sql": ("LOCK TABLE a IN ACCESS EXCLUSIVE MODE;\n"
                                            "LOCK TABLE b IN ACCESS EXCLUSIVE MODE;\n"
                                            "ALTER TABLE b ADD COLUMN c int;\n")})
    report = tmp_path / "r.json"
    app = connect(db, application_name="app")
    errors = []

    def application():
        try:
            with app.cursor() as cur:
                # holds b, and asks for a only once the runner waits for b:
                # the runner's deadlock check (deadlock_timeout after its wait
                # began) then finds the cycle, so the runner is the victim
                cur.execute(
                    "BEGIN; LOCK TABLE b IN ACCESS EXCLUSIVE MODE; "
                    "DO $$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity "
                    "  WHERE application_name = 'migsafe' AND wait_event_type = 'Lock') "
                    "LOOP PERFORM pg_sleep(0.02); PERFORM pg_stat_clear_snapshot(); END LOOP; END $$; "
                    "LOCK TABLE a IN ACCESS EXCLUSIVE MODE; COMMIT;")
        except psycopg2.Error as e:
            errors.append(e)

    t = threading.Thread(target=application)
    t.start()
    try:
        wait_for(lambda: query(db, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                   "WHERE c.relname = 'b' AND l.granted")[0][0] > 0,
                 what="the application to hold b")
        p = popen_apply(migsafe_bin, db, d, "--lock-timeout", "10s", "--max-queue-wait", "30s",
                        *NO_GATE, "--blocker-min-age", "1h", report=report)
        out, err = p.communicate(timeout=60)
    finally:
        if t.is_alive():
            query(db, "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'app'")
        t.join(timeout=30)
        app.close()
    assert p.returncode == 0, err
    assert not errors, errors
    attempts = load_report(report)["migrations"][0]["attempts"]
    assert attempts[0]["outcome"] == "deadlock" and attempts[0]["sqlstate"] == "40P01"
    assert attempts[0]["statement"] == 1
    assert attempts[-1]["outcome"] == "applied"
    assert query(db, "SELECT count(*) FROM information_schema.columns "
                     "WHERE table_name = 'b' AND column_name = 'c'")[0][0] == 1
