"""migsafe apply against a real server: history, retries, blockers, the
watchdog, kill -9 recovery, non-transactional resume, the safety gate."""
import json
import signal
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

from conftest import connect
from applyutil import (ActiveBlocker, Blocker, Reader, column_exists, history_rows, index_state,
                       load_report, popen_apply, query, runner_backends, wait_for)

# Tests not about the gate run with --fail-on never, so that what the rules
# think of their SQL does not decide what the runner does.
NO_GATE = ("--fail-on", "never")
# Tests of the attempt loop itself: the pre-check (issue 6) counts an active
# session as churn while its transaction is younger than this, so the
# runner enters the lock queue and lock_timeout, retries and the watchdog
# are what bounds the wait.
NO_PRECHECK = ("--blocker-min-age", "1h")


def setup_accounts(url, rows=10):
    query(url, "CREATE TABLE accounts (id bigint PRIMARY KEY, name text)")
    query(url, "INSERT INTO accounts SELECT g, 'n' || g FROM generate_series(1, %s) g", (rows,))


def git_blob_id(path):
    return subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_applies_in_order_records_history_and_reports(db, run, write_migrations, tmp_path):
    d = write_migrations({
        "0001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
        "0002_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n",
    })
    report = tmp_path / "r.json"
    r = run("apply", "--db", db, d, "--report", report, *NO_GATE)
    assert r.returncode == 0, r.stderr
    assert column_exists(db, "accounts", "email")
    rows = query(db, "SELECT version, name, checksum, status, attempts, applied_by, migsafe_version, "
                     "jsonb_array_length(attempt_log) FROM migsafe.migrations ORDER BY version")
    assert [(v, n) for v, n, *_ in rows] == [("0001", "accounts"), ("0002", "email")]
    assert rows[0][2] == git_blob_id(d / "0001_accounts.sql")
    assert all(row[3] == "applied" and row[4] == 1 and row[7] == 1 for row in rows)
    assert rows[0][5] == "postgres" and rows[0][6]

    doc = load_report(report)
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["command"] == "apply" and doc["report_version"] == 1
    assert doc["target"]["database"] == db.rsplit("/", 1)[1]
    assert doc["target"]["server_version"]
    assert [m["status"] for m in doc["migrations"]] == ["applied", "applied"]
    a = doc["migrations"][1]["attempts"][0]
    assert a["n"] == 1 and a["outcome"] == "applied" and a["lock_timeout_ms"] == 100
    assert {"sqlstate", "statement", "waited_ms", "slept_ms", "blockers"} <= a.keys()
    assert doc["summary"]["applied"] == 2 and doc["summary"]["not_attempted"] == 0

    r = run("apply", "--db", db, d, "--report", report, *NO_GATE)
    assert r.returncode == 0, r.stderr
    doc = load_report(report)
    assert [m["status"] for m in doc["migrations"]] == ["already-applied", "already-applied"]
    assert doc["summary"]["already_applied"] == 2


def test_password_is_masked_in_report(db, run, write_migrations, tmp_path):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n"})
    report = tmp_path / "r.json"
    url = db.replace("postgres@", "postgres:s3cret-pw@")
    r = run("apply", "--db", url, d, "--report", report, *NO_GATE)
    assert r.returncode == 0, r.stderr
    text = report.read_text()
    assert "s3cret-pw" not in text and "s3cret-pw" not in r.stderr
    assert "********" in load_report(report)["target"]["conninfo"]


def test_sql_error_rolls_back_and_names_location(db, run, write_migrations, tmp_path):
    setup_accounts(db)
    d = write_migrations({
        "0001_two.sql": "ALTER TABLE accounts ADD COLUMN a int;\n\nALTER TABLE accounts ADD COLUMN b nosuchtype;\n",
        "0002_later.sql": "ALTER TABLE accounts ADD COLUMN c int;\n",
    })
    report = tmp_path / "r.json"
    r = run("apply", "--db", db, d, "--report", report, *NO_GATE)
    assert r.returncode == 1
    assert "0001_two.sql:3:" in r.stderr and "42704" in r.stderr and "nosuchtype" in r.stderr
    assert not column_exists(db, "accounts", "a")
    assert history_rows(db) == {}
    doc = load_report(report)
    assert [m["status"] for m in doc["migrations"]] == ["failed", "not-attempted"]
    a = doc["migrations"][0]["attempts"]
    assert len(a) == 1 and a[0]["outcome"] == "error" and a[0]["sqlstate"] == "42704"
    assert a[0]["statement"] == 1
    # nothing was left idle in transaction
    assert runner_backends(db) == []


def test_history_row_or_commit_failing_after_the_last_statement_rolls_back(db, run, write_migrations):
    """The row and COMMIT travel with the last statement: when the row cannot be written, or
    COMMIT fails (a deferred constraint), the migration is not applied and nothing is recorded."""
    d = write_migrations({"0001_drop_history.sql": "CREATE TABLE t1 (id int);\n"
                                                   "DROP TABLE migsafe.migrations;\n"})
    r = run("apply", "--db", db, d, *NO_GATE)
    assert r.returncode == 1, r.stderr
    assert "cannot record" in r.stderr and "migrations" in r.stderr, r.stderr
    assert query(db, "SELECT to_regclass('public.t1')")[0][0] is None
    assert history_rows(db) == {}                 # the DROP was rolled back with the rest

    d = write_migrations({"0001_deferred.sql":
                          "CREATE TABLE p (id int PRIMARY KEY);\n"
                          "CREATE TABLE c (pid int REFERENCES p DEFERRABLE INITIALLY DEFERRED);\n"
                          "INSERT INTO c VALUES (1);\n"}, subdir="deferred")
    r = run("apply", "--db", db, d, *NO_GATE)
    assert r.returncode == 1, r.stderr
    assert "0001_deferred.sql: outside its statements: insert or update on table" in r.stderr
    assert "23503" in r.stderr, r.stderr          # foreign_key_violation, raised at COMMIT
    assert query(db, "SELECT to_regclass('public.c')")[0][0] is None
    assert history_rows(db) == {}
    assert runner_backends(db) == []


def test_last_statement_commits_without_waiting_for_migsafe(db, write_migrations, migsafe_bin):
    """The last statement, the history row and COMMIT reach the server together: the
    migration's locks go when the server is done, not one round trip to migsafe later.
    migsafe is stopped (SIGSTOP) while its last statement runs; the table must be readable
    and the history row there as soon as that statement ends, with migsafe still stopped."""
    setup_accounts(db)
    d = write_migrations({"0001_add.sql": "ALTER TABLE accounts ADD COLUMN a int;\n"
                                          "SELECT pg_sleep(1);\n"})
    proc = popen_apply(migsafe_bin, db, d, *NO_GATE)
    try:
        wait_for(lambda: any(st == "active" and "pg_sleep" in (q or "")
                             for _, _, st, q in runner_backends(db)),
                 what="migsafe's last statement running")
        proc.send_signal(signal.SIGSTOP)
        reader = connect(db, application_name="test-reader")
        try:
            with reader.cursor() as cur:
                cur.execute("SET lock_timeout = '10s'")
                cur.execute("SELECT count(*) FROM accounts")   # waits for the ALTER's lock
                assert cur.fetchone()[0] == 10
        finally:
            reader.close()
        assert history_rows(db) == {"0001": ("applied", 2, 1)}
        (duration, waited), = query(db, "SELECT duration_ms, (attempt_log -> -1 ->> 'waited_ms')::float "
                                        "FROM migsafe.migrations")
        assert duration >= 1000 and waited >= 1000, (duration, waited)   # the server's count
    finally:
        proc.send_signal(signal.SIGCONT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert column_exists(db, "accounts", "a")


@pytest.mark.slow
def test_idle_in_transaction_blocker_apply_succeeds_after_it_commits(db, write_migrations, tmp_path,
                                                                     migsafe_bin):
    """The issue's scenario with every default: the pre-check sees the
    forgotten session and waits without queueing; once it commits, the
    migration applies. The report names it; readers never stall."""
    setup_accounts(db)
    d = write_migrations({"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    report = tmp_path / "r.json"
    blocker = Blocker(db, "SELECT * FROM accounts", app="billing")
    p, err, worst, reader = _apply_blocked_for_3s(migsafe_bin, db, d, blocker, report, *NO_GATE)
    assert p.returncode == 0, err
    assert column_exists(db, "accounts", "email")
    m = load_report(report)["migrations"][0]
    assert m["status"] == "applied" and m["attempts"][-1]["outcome"] == "applied"
    seen = [b for b in _all_blockers(m) if b["pid"] == blocker.pid]
    assert seen, f"blocker pid {blocker.pid} not in the report: {m}"
    assert seen[0]["state"] == "idle in transaction" and seen[0]["application_name"] == "billing"
    assert not reader.errors
    assert worst < 2.0, f"a reader waited {worst:.2f}s"


def _apply_blocked_for_3s(migsafe_bin, db, d, blocker, report, *args):
    """Runs apply while blocker holds accounts for 3 s and a reader queries it;
    asserts apply was still running when the blocker let go. Returns the
    finished process, its stderr, the reader's worst latency and the reader."""
    reader = Reader(db, "SELECT count(*) FROM accounts")
    reader.start()
    t0 = time.monotonic()
    p = popen_apply(migsafe_bin, db, d, *args, report=report)
    try:
        time.sleep(3)
        assert p.poll() is None, "apply finished while the blocker still held its lock"
        blocker.release()
        _, err = p.communicate(timeout=60)
    finally:
        blocker.release()
        worst = reader.finish()
    assert time.monotonic() - t0 >= 3
    return p, err, worst, reader


def _all_blockers(m):
    """Every blocker object of a migration's report: pre-check and attempts."""
    found = list((m.get("precheck") or {}).get("blockers", [])) + list(m.get("blockers", []))
    for a in m["attempts"]:
        found += a["blockers"]
    return found


@pytest.mark.slow
def test_lock_timeout_retries_escalate_and_name_the_blocker(db, write_migrations, tmp_path,
                                                            migsafe_bin):
    """The attempt loop itself: a long query holds the table for 3 s; each
    attempt waits at most its lock_timeout, rolls back, sleeps, escalates;
    the report names the blocker; a concurrent reader never waits much
    longer than an attempt's lock_timeout."""
    setup_accounts(db)
    d = write_migrations({"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    report = tmp_path / "r.json"
    blocker = ActiveBlocker(db, "SELECT * FROM accounts", app="billing")
    p, err, worst, reader = _apply_blocked_for_3s(migsafe_bin, db, d, blocker, report,
                                                  "--max-attempts", "30", *NO_GATE, *NO_PRECHECK)
    assert p.returncode == 0, err
    assert column_exists(db, "accounts", "email")

    doc = load_report(report)
    attempts = doc["migrations"][0]["attempts"]
    assert len(attempts) >= 2
    assert attempts[-1]["outcome"] == "applied"
    failed = attempts[:-1]
    assert all(a["outcome"] == "lock-timeout" and a["sqlstate"] == "55P03" for a in failed)
    assert all(a["statement"] == 0 for a in failed)
    # escalating lock_timeout, sleeping between attempts
    assert failed[0]["lock_timeout_ms"] == 100
    assert attempts[-1]["lock_timeout_ms"] > failed[0]["lock_timeout_ms"]
    assert all(a["slept_ms"] > 0 for a in failed)
    assert all(a["waited_ms"] < a["lock_timeout_ms"] + 1000 for a in failed)
    named = [b for a in failed for b in a["blockers"] if b["pid"] == blocker.pid]
    assert named, f"blocker pid {blocker.pid} not in the report: {failed}"
    assert named[0]["state"] == "active" and named[0]["application_name"] == "billing"
    assert named[0]["mode"] == "AccessShareLock" and named[0]["granted"] is True
    assert named[0]["relation"] == "public.accounts"
    assert "pg_sleep" in named[0]["query"]
    assert f"blocked by pid {blocker.pid} (active" in err
    assert "[1/1] " in err and "attempt 2/30: lock_timeout 150ms" in err
    assert not reader.errors
    assert worst < 2.0, f"a reader waited {worst:.2f}s"
    assert history_rows(db)["0001"][0] == "applied"


@pytest.mark.parametrize("redact", [False, True])
def test_redact_queries_shows_normalized_text(db, write_migrations, tmp_path, migsafe_bin, redact):
    setup_accounts(db)
    d = write_migrations({"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    report = tmp_path / "r.json"
    blocker = ActiveBlocker(db, "SELECT * FROM accounts",
                            sleep_sql="SELECT pg_sleep(%s) WHERE 'secret-name' <> ''")
    try:
        p = popen_apply(migsafe_bin, db, d, "--max-attempts", "2", *NO_GATE, *NO_PRECHECK,
                        *(["--redact-queries"] if redact else []), report=report)
        out, err = p.communicate(timeout=30)
    finally:
        blocker.release()
    assert p.returncode == 3, err
    blockers = [b for a in load_report(report)["migrations"][0]["attempts"] for b in a["blockers"]]
    assert {b["pid"] for b in blockers} == {blocker.pid}
    if redact:
        assert "secret-name" not in report.read_text()
        assert blockers[0]["query"] == "SELECT pg_sleep($1) WHERE $2 <> $3"
    else:
        assert "'secret-name'" in blockers[0]["query"]


@pytest.mark.slow
def test_never_ending_blocker_gives_up_with_exit_3(db, run, write_migrations, tmp_path):
    setup_accounts(db)
    d = write_migrations({
        "0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n",
        "0002_later.sql": "ALTER TABLE accounts ADD COLUMN later int;\n",
    })
    report = tmp_path / "r.json"
    blocker = ActiveBlocker(db, "SELECT * FROM accounts")
    try:
        t0 = time.monotonic()
        r = run("apply", "--db", db, d, "--report", report, "--max-attempts", "4", *NO_GATE,
                *NO_PRECHECK)
        elapsed = time.monotonic() - t0
    finally:
        blocker.release()
    assert r.returncode == 3, r.stderr
    assert "gave up after 4 attempts" in r.stderr
    assert elapsed < 20
    assert not column_exists(db, "accounts", "email")
    assert not column_exists(db, "accounts", "later")
    assert history_rows(db) == {}
    doc = load_report(report)
    assert [m["status"] for m in doc["migrations"]] == ["gave-up", "not-attempted"]
    assert len(doc["migrations"][0]["attempts"]) == 4
    assert doc["summary"]["gave_up"] == 1 and doc["summary"]["not_attempted"] == 1
    assert doc["migrations"][0]["attempts"][-1]["slept_ms"] == 0


@pytest.mark.slow
def test_max_wait_bounds_the_whole_migration(db, run, write_migrations):
    setup_accounts(db)
    d = write_migrations({"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    blocker = ActiveBlocker(db, "SELECT * FROM accounts")
    try:
        t0 = time.monotonic()
        r = run("apply", "--db", db, d, "--max-attempts", "1000", "--max-wait", "1500ms", *NO_GATE,
                *NO_PRECHECK)
        elapsed = time.monotonic() - t0
    finally:
        blocker.release()
    assert r.returncode == 3, r.stderr
    assert 1.0 < elapsed < 8, elapsed
    assert not column_exists(db, "accounts", "email")


@pytest.mark.slow
def test_watchdog_cancels_when_readers_queue_behind(db, write_migrations, tmp_path, migsafe_bin):
    setup_accounts(db)
    d = write_migrations({"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    report = tmp_path / "r.json"
    blocker = ActiveBlocker(db, "SELECT * FROM accounts")
    readers = []
    p = popen_apply(migsafe_bin, db, d, "--lock-timeout", "20s", "--max-attempts", "1",
                    "--max-queued", "2", "--max-queue-wait", "5s", *NO_GATE, *NO_PRECHECK,
                    report=report)
    try:
        wait_for(lambda: any(w == "Lock" for _, w, _, _ in runner_backends(db)),
                 what="the runner to wait for its lock")
        t_queue = time.monotonic()
        for _ in range(4):
            reader = Reader(db, "SELECT count(*) FROM accounts")
            reader.start()
            readers.append(reader)
        out, err = p.communicate(timeout=30)
        cancelled_after = time.monotonic() - t_queue
    finally:
        blocker.release()
        worst = max(r.finish() for r in readers) if readers else 0
    assert p.returncode == 3, err
    assert cancelled_after < 5, cancelled_after
    attempt = load_report(report)["migrations"][0]["attempts"][0]
    assert attempt["outcome"] == "watchdog"
    assert attempt["lock_timeout_ms"] == 20000
    assert attempt["waited_ms"] < 10000
    assert attempt["max_queued"] >= 3
    assert "queued behind the migration" in attempt["watchdog"]
    assert "watchdog" in err
    assert worst < 5
    assert not column_exists(db, "accounts", "email")


@pytest.mark.slow
def test_watchdog_queue_wait_limit(db, write_migrations, tmp_path, migsafe_bin):
    setup_accounts(db)
    d = write_migrations({"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    report = tmp_path / "r.json"
    blocker = ActiveBlocker(db, "SELECT * FROM accounts")
    p = popen_apply(migsafe_bin, db, d, "--lock-timeout", "20s", "--max-attempts", "1",
                    "--max-queued", "50", "--max-queue-wait", "300ms", *NO_GATE, *NO_PRECHECK,
                    report=report)
    reader = None
    try:
        wait_for(lambda: any(w == "Lock" for _, w, _, _ in runner_backends(db)),
                 what="the runner to wait for its lock")
        reader = Reader(db, "SELECT count(*) FROM accounts")
        reader.start()
        out, err = p.communicate(timeout=30)
    finally:
        blocker.release()
        worst = reader.finish() if reader else 0
    assert p.returncode == 3, err
    attempt = load_report(report)["migrations"][0]["attempts"][0]
    assert attempt["outcome"] == "watchdog"
    assert "--max-queue-wait" in attempt["watchdog"]
    assert worst < 3


@pytest.mark.slow
def test_kill_9_mid_transaction_leaves_nothing_and_rerun_completes(db, run, write_migrations,
                                                                   migsafe_bin, tmp_path):
    setup_accounts(db)
    query(db, "CREATE TABLE slow_marker ()")
    d = write_migrations({"0001_two_steps.sql": (
        "ALTER TABLE accounts ADD COLUMN x int;\n"
        "SELECT pg_sleep(CASE WHEN to_regclass('slow_marker') IS NULL THEN 0 ELSE 60 END);\n"
        "ALTER TABLE accounts ADD COLUMN y int;\n")})
    p = popen_apply(migsafe_bin, db, d, "--statement-timeout", "2min", *NO_GATE)
    wait_for(lambda: any("pg_sleep" in (q or "") and s == "active"
                         for _, _, s, q in runner_backends(db)), what="the runner in pg_sleep")
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    # the orphaned backend notices its client is gone (client_connection_check_interval)
    wait_for(lambda: not runner_backends(db), timeout=15, what="the killed runner's backend to end")
    assert not column_exists(db, "accounts", "x")
    assert history_rows(db) == {}

    query(db, "DROP TABLE slow_marker")
    r = run("apply", "--db", db, d, *NO_GATE)
    assert r.returncode == 0, r.stderr
    assert column_exists(db, "accounts", "x") and column_exists(db, "accounts", "y")
    assert history_rows(db)["0001"][0] == "applied"


@pytest.mark.slow
def test_kill_9_mid_nontransactional_resumes_and_drops_invalid_index(db, run, write_migrations,
                                                                     migsafe_bin, tmp_path):
    # The second index's expression is slow while slow_marker exists, so the
    # runner can be killed in the middle of building it.
    query(db, "CREATE TABLE slow_marker ()")
    query(db, "CREATE FUNCTION slow_id(x int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$ "
              "BEGIN IF to_regclass('slow_marker') IS NOT NULL THEN PERFORM pg_sleep(0.05); END IF; "
              "RETURN x; END $$")
    query(db, "CREATE TABLE t1 (a int)")
    query(db, "CREATE TABLE t2 (b int)")
    query(db, "INSERT INTO t2 SELECT g FROM generate_series(1, 400) g")
    d = write_migrations({"0001_indexes.sql": (
        "-- migsafe:no-transaction\n"
        "CREATE INDEX CONCURRENTLY t1_a_idx ON t1 (a);\n"
        "CREATE INDEX CONCURRENTLY t2_b_idx ON t2 (slow_id(b));\n")})
    p = popen_apply(migsafe_bin, db, d, "--statement-timeout", "2min", *NO_GATE)
    wait_for(lambda: history_rows(db).get("0001", (None, 0))[1] == 1,
             what="statement 1 recorded as done")
    wait_for(lambda: any(s == "active" and "t2_b_idx" in (q or "")
                         for _, _, s, q in runner_backends(db)),
             what="the second CREATE INDEX CONCURRENTLY building")
    time.sleep(0.5)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    wait_for(lambda: not runner_backends(db), timeout=15,
             what="the killed runner's backend to end")
    assert index_state(db, "t1_a_idx") is True
    assert index_state(db, "t2_b_idx") is False, "the killed build should leave an invalid index"
    assert history_rows(db)["0001"][:2] == ("partial", 1)

    query(db, "DROP TABLE slow_marker")
    report = tmp_path / "r.json"
    r = run("apply", "--db", db, d, "--report", report, *NO_GATE)
    assert r.returncode == 0, r.stderr
    assert "resuming at statement 2" in r.stderr
    assert "dropped invalid index" in r.stderr
    m = load_report(report)["migrations"][0]
    assert m["status"] == "applied"
    assert m["resumed_at_statement"] == 1
    assert m["invalid_indexes_dropped"] == ["public.t2_b_idx"]
    assert [a["statement"] for a in m["attempts"]] == [1]
    assert index_state(db, "t1_a_idx") is True and index_state(db, "t2_b_idx") is True
    assert history_rows(db)["0001"][:2] == ("applied", 2)


def test_failed_concurrent_index_is_dropped_and_rerun_succeeds(db, run, write_migrations, tmp_path):
    query(db, "CREATE TABLE users (email text)")
    query(db, "INSERT INTO users VALUES ('a@x'), ('b@x'), ('a@x')")
    d = write_migrations({"0001_unique.sql":
                          "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"})
    report = tmp_path / "r.json"
    r = run("apply", "--db", db, d, "--report", report, *NO_GATE)
    assert r.returncode == 1, r.stderr
    assert "23505" in r.stderr and "0001_unique.sql:1:1" in r.stderr
    assert "detail: Key (email)=(a@x) is duplicated" in r.stderr
    assert index_state(db, "users_email_key") is None, "the invalid index must be dropped"
    m = load_report(report)["migrations"][0]
    assert m["status"] == "failed" and m["invalid_indexes_dropped"] == ["public.users_email_key"]
    assert m["attempts"][0]["outcome"] == "error" and m["attempts"][0]["sqlstate"] == "23505"
    assert m["attempts"][0]["detail"] == "Key (email)=(a@x) is duplicated."
    assert "0001" not in history_rows(db)

    query(db, "DELETE FROM users WHERE ctid = (SELECT max(ctid) FROM users WHERE email = 'a@x')")
    r = run("apply", "--db", db, d, *NO_GATE)
    assert r.returncode == 0, r.stderr
    assert index_state(db, "users_email_key") is True
    assert history_rows(db)["0001"][0] == "applied"


def test_concurrently_file_without_directive_runs_outside_a_transaction(db, run, write_migrations):
    query(db, "CREATE TABLE t (a int)")
    d = write_migrations({"0001_idx.sql": "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n"})
    r = run("apply", "--db", db, d, *NO_GATE)
    assert r.returncode == 0, r.stderr
    assert index_state(db, "t_a_idx") is True


def test_mixing_transactional_and_concurrent_statements_is_refused(db, run, write_migrations):
    query(db, "CREATE TABLE t (a int)")
    d = write_migrations({"0001_mixed.sql": (
        "ALTER TABLE t ADD COLUMN b int;\n"
        "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n")})
    r = run("apply", "--db", db, d)
    assert r.returncode == 1
    # the rule catalogue's concurrently-in-transaction, or the runner's own finding
    assert "in-transaction]" in r.stderr or "apply-mixed-transaction" in r.stderr
    assert "no-transaction" in r.stderr
    assert not column_exists(db, "t", "b") and index_state(db, "t_a_idx") is None


def test_changed_applied_migration_exits_2_unless_allowed(db, run, write_migrations, tmp_path):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n"})
    assert run("apply", "--db", db, d, *NO_GATE).returncode == 0
    (d / "0001_a.sql").write_text("CREATE TABLE a (id bigint);\n")
    (d / "0002_b.sql").write_text("CREATE TABLE b (id int);\n")
    r = run("apply", "--db", db, d, *NO_GATE)
    assert r.returncode == 2
    assert "0001_a.sql" in r.stderr and "changed" in r.stderr
    assert query(db, "SELECT to_regclass('b')")[0][0] is None

    report = tmp_path / "r.json"
    r = run("apply", "--db", db, d, "--allow-changed", "--report", report, *NO_GATE)
    assert r.returncode == 0, r.stderr
    assert query(db, "SELECT to_regclass('b')")[0][0] == "b"
    ms = load_report(report)["migrations"]
    assert ms[0]["status"] == "already-applied" and ms[0]["changed"] is True
    assert ms[1]["status"] == "applied"


def test_disappeared_applied_migration_exits_2(db, run, write_migrations):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n",
                          "0002_b.sql": "CREATE TABLE b (id int);\n"})
    assert run("apply", "--db", db, d, *NO_GATE).returncode == 0
    (d / "0001_a.sql").unlink()
    r = run("apply", "--db", db, d, *NO_GATE)
    assert r.returncode == 2 and "0001" in r.stderr
    assert run("apply", "--db", db, d, "--allow-changed", *NO_GATE).returncode == 0


def test_applying_one_named_file_does_not_count_the_others_as_disappeared(db, run,
                                                                          write_migrations):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n",
                          "0002_b.sql": "CREATE TABLE b (id int);\n"})
    assert run("apply", "--db", db, d / "0001_a.sql", *NO_GATE).returncode == 0
    (d / "0003_c.sql").write_text("CREATE TABLE c (id int);\n")
    r = run("apply", "--db", db, d / "0003_c.sql", *NO_GATE)
    assert r.returncode == 0, r.stderr
    assert "no file any more" not in r.stderr
    assert [row[0] for row in query(db, "SELECT version FROM migsafe.migrations ORDER BY 1")] \
        == ["0001", "0003"]
    assert query(db, "SELECT to_regclass('b')")[0][0] is None
    # a named file that changed since it was applied is still refused
    (d / "0001_a.sql").write_text("CREATE TABLE a (id bigint);\n")
    r = run("apply", "--db", db, d / "0001_a.sql", *NO_GATE)
    assert r.returncode == 2 and "changed" in r.stderr


def test_gate_stops_plain_index_on_large_table(db, run, write_migrations, tmp_path):
    query(db, "CREATE TABLE big (id int, v int)")
    query(db, "INSERT INTO big SELECT g, g % 1000 FROM generate_series(1, 100000) g")
    query(db, "ANALYZE big")
    d = write_migrations({"0001_first.sql": "CREATE TABLE other (id int);\n",
                          "0002_index.sql": "CREATE INDEX big_v_idx ON big (v);\n"})
    report = tmp_path / "r.json"
    r = run("apply", "--db", db, d, "--report", report)
    assert r.returncode == 1, r.stderr
    assert "0002_index.sql:1:1" in r.stderr and "stopped before applying anything" in r.stderr
    assert index_state(db, "big_v_idx") is None
    assert query(db, "SELECT to_regclass('other')")[0][0] is None
    assert history_rows(db) == {}
    ms = load_report(report)["migrations"]
    assert [m["status"] for m in ms] == ["not-attempted", "not-attempted"]
    assert any(f["severity"] == "error" for f in ms[1]["findings"])


def test_gate_downgrades_plain_index_on_empty_table(db, run, write_migrations, tmp_path):
    query(db, "CREATE TABLE big (id int, v int)")
    d = write_migrations({"0001_index.sql": "CREATE INDEX big_v_idx ON big (v);\n"})
    report = tmp_path / "r.json"
    r = run("apply", "--db", db, d, "--report", report)
    assert r.returncode == 0, r.stderr
    assert index_state(db, "big_v_idx") is True
    m = load_report(report)["migrations"][0]
    assert m["status"] == "applied"
    infos = [f for f in m["findings"] if f["severity"] == "info"]
    assert infos, m["findings"]
    assert all(f["severity"] != "error" for f in m["findings"])
    assert "public.big has about 0 rows" in infos[0]["message"]


def test_gate_uses_a_count_when_the_table_was_never_analysed(db, run, write_migrations):
    # reltuples is -1 before the first ANALYZE: the gate must not take that as "small"
    query(db, "CREATE TABLE big (id int, v int)")
    query(db, "INSERT INTO big SELECT g, g FROM generate_series(1, 20000) g")
    d = write_migrations({"0001_index.sql": "CREATE INDEX big_v_idx ON big (v);\n"})
    r = run("apply", "--db", db, d)
    assert r.returncode == 1, r.stderr
    assert index_state(db, "big_v_idx") is None


def test_fail_on_never_lets_the_gate_pass(db, run, write_migrations):
    query(db, "CREATE TABLE big (id int, v int)")
    query(db, "INSERT INTO big SELECT g, g FROM generate_series(1, 100000) g")
    query(db, "ANALYZE big")
    d = write_migrations({"0001_index.sql": "CREATE INDEX big_v_idx ON big (v);\n"})
    r = run("apply", "--db", db, d, "--fail-on", "never")
    assert r.returncode == 0, r.stderr
    assert index_state(db, "big_v_idx") is True


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_a_wait_rolls_back_reports_and_releases(db, run, write_migrations,
                                                              migsafe_bin, tmp_path, sig, code):
    setup_accounts(db)
    d = write_migrations({"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    report = tmp_path / "r.json"
    blocker = ActiveBlocker(db, "SELECT * FROM accounts")
    try:
        p = popen_apply(migsafe_bin, db, d, "--lock-timeout", "20s", "--max-queue-wait", "1min",
                        *NO_GATE, *NO_PRECHECK, report=report)
        wait_for(lambda: any(w == "Lock" for _, w, _, _ in runner_backends(db)),
                 what="the runner to wait for its lock")
        t0 = time.monotonic()
        p.send_signal(sig)
        out, err = p.communicate(timeout=15)
        assert time.monotonic() - t0 < 5
    finally:
        blocker.release()
    assert p.returncode == code, err
    assert not column_exists(db, "accounts", "email")
    m = load_report(report)["migrations"][0]
    assert m["status"] == "failed" and m["attempts"][0]["sqlstate"] == "57014"
    # the runner lock was released: the next run does not wait for it
    t0 = time.monotonic()
    r = run("apply", "--db", db, d, *NO_GATE)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 < 5


@pytest.mark.slow
def test_long_wait_says_who_it_waits_for(db, run, write_migrations):
    setup_accounts(db)
    d = write_migrations({"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    blocker = ActiveBlocker(db, "SELECT * FROM accounts", app="nightly-report")
    try:
        r = run("apply", "--db", db, d, "--lock-timeout", "6s", "--max-attempts", "1",
                "--max-queue-wait", "1min", *NO_GATE, *NO_PRECHECK)
    finally:
        blocker.release()
    assert r.returncode == 3, r.stderr
    assert f"0001_email.sql: waiting 5s … blocked by pid {blocker.pid} (active" in r.stderr
    assert "app=nightly-report" in r.stderr


def test_connection_lost_mid_migration_exits_4(db, write_migrations, migsafe_bin, tmp_path):
    setup_accounts(db)
    d = write_migrations({"0001_slow.sql": ("ALTER TABLE accounts ADD COLUMN x int;\n"
                                            "SELECT pg_sleep(30);\n")})
    report = tmp_path / "r.json"
    p = popen_apply(migsafe_bin, db, d, *NO_GATE, report=report)
    pid = wait_for(lambda: [pid for pid, _, s, q in runner_backends(db)
                            if s == "active" and "pg_sleep" in (q or "")], what="the runner in pg_sleep")[0]
    query(db, "SELECT pg_terminate_backend(%s)", (pid,))
    out, err = p.communicate(timeout=30)
    assert p.returncode == 4, err
    assert not column_exists(db, "accounts", "x")
    assert load_report(report)["migrations"][0]["status"] == "failed"


def test_unreachable_database_exits_4_without_password(run, write_migrations):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n"})
    r = run("apply", "--db", "postgresql://u:topsecret@127.0.0.1:1/x", d, *NO_GATE)
    assert r.returncode == 4
    assert "topsecret" not in r.stderr and "topsecret" not in r.stdout


@pytest.mark.slow
def test_concurrent_index_lock_timeout_drops_invalid_index_and_retries(db, write_migrations,
                                                                       migsafe_bin, tmp_path):
    """CREATE INDEX CONCURRENTLY commits its (invalid) index before it waits
    for the writers; when that wait times out, the invalid index is dropped
    before the next attempt, which succeeds once the writer is gone."""
    query(db, "CREATE TABLE t (a int)")
    d = write_migrations({"0001_idx.sql": "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n"})
    report = tmp_path / "r.json"
    writer = ActiveBlocker(db, "INSERT INTO t VALUES (1)")
    p = popen_apply(migsafe_bin, db, d, "--max-attempts", "30", *NO_GATE, *NO_PRECHECK,
                    report=report)
    try:
        wait_for(lambda: index_state(db, "t_a_idx") is False,
                 what="the first build to leave an invalid index")
        time.sleep(1.5)
    finally:
        writer.release()
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    m = load_report(report)["migrations"][0]
    outcomes = [a["outcome"] for a in m["attempts"]]
    assert outcomes[0] == "lock-timeout" and outcomes[-1] == "applied", outcomes
    assert "public.t_a_idx" in m["invalid_indexes_dropped"]
    assert "dropped invalid index public.t_a_idx" in err
    assert index_state(db, "t_a_idx") is True


def test_history_records_git_commit_and_ci_job(db, run, write_migrations, tmp_path):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n"})
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "m"], check=True)
    head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    r = run("apply", "--db", db, d, *NO_GATE, env={"MIGSAFE_CI_JOB": "job-42"})
    assert r.returncode == 0, r.stderr
    assert query(db, "SELECT git_commit, ci_job FROM migsafe.migrations") == [(head, "job-42")]


def test_forgotten_session_that_never_ends_gives_up_with_exit_3(db, run, write_migrations,
                                                                 tmp_path):
    """The same with a session idle in transaction and every default but the
    pre-check's wait: exit 3, the table unchanged, no history row."""
    setup_accounts(db)
    d = write_migrations({"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    report = tmp_path / "r.json"
    blocker = Blocker(db, "SELECT * FROM accounts", app="billing")
    try:
        r = run("apply", "--db", db, d, "--blocker-wait", "1s", "--report", report, *NO_GATE)
    finally:
        blocker.release()
    assert r.returncode == 3, r.stderr
    assert not column_exists(db, "accounts", "email")
    assert history_rows(db) == {}
    m = load_report(report)["migrations"][0]
    assert m["status"] == "gave-up"
    assert any(b["pid"] == blocker.pid and b["state"] == "idle in transaction"
               for b in _all_blockers(m))


# Row values that only the table holds: PostgreSQL quotes them in an error's
# DETAIL (unique violation) or, for a data exception, in its message.
DUPLICATE_EMAIL = "alice-7f3e@example.org"
BAD_CODE = "zz-secret-22"
FAILING = {
    "0001_imports.sql": "CREATE TABLE users (email text PRIMARY KEY);\n"
                        "CREATE TABLE imports (email text);\n"
                        "CREATE TABLE codes (c text);\n",
    "0002_import.sql": "INSERT INTO users SELECT email FROM imports;\n",
}
CAST = {"0003_codes.sql": "ALTER TABLE codes ALTER COLUMN c TYPE int USING c::int;\n"}


def seed_duplicates(db):
    """Makes 0002's INSERT fail with a unique violation on DUPLICATE_EMAIL."""
    query(db, "INSERT INTO users VALUES (%s)", (DUPLICATE_EMAIL,))
    query(db, "INSERT INTO imports VALUES (%s)", (DUPLICATE_EMAIL,))
    query(db, "INSERT INTO codes VALUES (%s)", (BAD_CODE,))


def history_text(db):
    """Every history row as text (attempt_log included)."""
    return query(db, "SELECT coalesce(string_agg(h::text, ' '), '') FROM migsafe.migrations h")[0][0]


def test_redact_queries_keeps_row_values_out_of_failed_statements(db, run, write_migrations,
                                                                   tmp_path):
    d = write_migrations({"0001_imports.sql": FAILING["0001_imports.sql"]})
    assert run("apply", "--db", db, d, *NO_GATE).returncode == 0
    seed_duplicates(db)
    d = write_migrations(FAILING)

    plain = run("apply", "--db", db, d, "--report", tmp_path / "plain.json", *NO_GATE)
    assert plain.returncode == 1, plain.stderr
    attempt = load_report(tmp_path / "plain.json")["migrations"][1]["attempts"][-1]
    assert attempt["sqlstate"] == "23505"
    assert DUPLICATE_EMAIL in attempt["detail"] and DUPLICATE_EMAIL in plain.stderr

    report = tmp_path / "redacted.json"
    red = run("apply", "--db", db, d, "--redact-queries", "--report", report, *NO_GATE)
    assert red.returncode == 1, red.stderr
    attempt = load_report(report)["migrations"][1]["attempts"][-1]
    assert attempt["sqlstate"] == "23505" and attempt["detail"] == "<redacted: --redact-queries>"
    assert "duplicate key value violates unique constraint" in attempt["message"]
    for where in (red.stdout, red.stderr, report.read_text(), history_text(db)):
        assert DUPLICATE_EMAIL not in where

    # a data exception quotes the value in its message: redacted as a whole
    query(db, "DELETE FROM imports")
    d = write_migrations(CAST)
    plain = run("apply", "--db", db, d, *NO_GATE)
    assert plain.returncode == 1 and BAD_CODE in plain.stderr
    red = run("apply", "--db", db, d, "--redact-queries", "--report", report, *NO_GATE)
    assert red.returncode == 1 and "[22P02]" in red.stderr
    for where in (red.stdout, red.stderr, report.read_text(), history_text(db)):
        assert BAD_CODE not in where
