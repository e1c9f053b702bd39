"""migsafe plan against real sessions: who is in the way of each pending migration.

Every blocker here is a real psycopg2 session holding or waiting for a real
lock; plan must find it through pg_locks and must itself change nothing.
"""
import json
import time

import jsonschema
import pytest

from applyutil import wait_for
from blockerutil import Session, backend_state, sql, waiting_for_lock
from conftest import REPO

BLOCKER_FIELDS = {"pid", "state", "xact_age_ms", "application_name", "usename", "client_addr",
                  "mode", "granted", "relation", "query", "wait_event", "backend_type"}

ALTER = {"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"}
CIC = {"0001_idx.sql": "-- migsafe:no-transaction\n"
                       "CREATE INDEX CONCURRENTLY accounts_name ON accounts (name);\n"}
PLAIN_INDEX = {"0001_idx.sql": "CREATE INDEX accounts_name ON accounts (name);\n"}


def plan_json(run, db, mdir, *args):
    res = run("plan", "--db", db, mdir, "--format", "json", *args)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def blockers_of(doc, index=0):
    return doc["migrations"][index]["blockers"]


def test_idle_in_transaction_select_is_a_blocker(accounts, run, write_migrations, sessions):
    db = accounts
    s = Session(db, "billing").hold("SELECT * FROM accounts")
    sessions.append(s)
    time.sleep(0.2)   # older than --blocker-min-age (100ms by default)
    doc = plan_json(run, db, write_migrations(ALTER))

    assert doc["command"] == "plan"
    found = [b for b in blockers_of(doc) if b["pid"] == s.pid]
    assert len(found) == 1, blockers_of(doc)
    b = found[0]
    assert b["state"] == "idle in transaction"
    assert b["mode"] == "AccessShareLock"
    assert b["granted"] is True
    assert b["relation"] == "public.accounts"
    assert b["application_name"] == "billing"
    assert b["usename"] == "postgres"
    assert b["wait_event"] == "ClientRead"
    assert b["backend_type"] == "client backend"
    assert b["query"] == "SELECT * FROM accounts"
    assert b["xact_age_ms"] >= 200
    m = doc["migrations"][0]
    assert m["status"] == "pending"
    assert m["actions"] == []
    assert m["needs"][0]["relation"] == "public.accounts"
    assert m["needs"][0]["modes"] == ["AccessExclusiveLock"]
    assert m["needs"][0]["exists"] is True
    assert doc["summary"]["blockers"] == 1
    # plan changed nothing: no column, no history table, the session untouched
    assert sql(db, "SELECT count(*) FROM information_schema.columns "
                   "WHERE table_name = 'accounts' AND column_name = 'email'")[0][0] == 0
    assert sql(db, "SELECT to_regclass('migsafe.migrations')")[0][0] is None
    assert backend_state(db, s.pid) == "idle in transaction"


def test_plan_json_follows_the_check_contract(accounts, run, write_migrations, sessions):
    s = Session(accounts, "billing").hold("SELECT * FROM accounts")
    sessions.append(s)
    time.sleep(0.2)
    doc = plan_json(run, accounts, write_migrations(ALTER), "--on-blockers", "cancel",
                    "--explain-only")
    schema = json.loads((REPO / "docs" / "report.schema.json").read_text())
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    m = doc["migrations"][0]
    assert BLOCKER_FIELDS <= set(m["blockers"][0])
    assert set(m["actions"][0]) >= {"pid", "action", "ok", "reason"}
    assert doc["target"]["conninfo"] and doc["on_blockers"] == "cancel"


def test_text_plan_names_the_session(accounts, run, write_migrations, sessions):
    s = Session(accounts, "billing").hold("SELECT * FROM accounts")
    sessions.append(s)
    time.sleep(0.2)
    res = run("plan", "--db", accounts, write_migrations(ALTER))
    assert res.returncode == 0, res.stderr
    assert f"in the way: pid {s.pid} (idle in transaction" in res.stdout
    assert "app=billing" in res.stdout
    assert "needs AccessExclusiveLock on public.accounts" in res.stdout


def test_waiting_lock_table_ahead_of_us_is_a_blocker(accounts, run, write_migrations, sessions):
    db = accounts
    holder = Session(db, "reporting").hold("SELECT * FROM accounts")
    waiter = Session(db, "ops").start("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE",
                                      autocommit=False)
    sessions.extend([waiter, holder])
    wait_for(lambda: waiting_for_lock(db, waiter.pid), what="LOCK TABLE to queue")
    time.sleep(0.2)
    # CREATE INDEX CONCURRENTLY needs ShareUpdateExclusiveLock: the granted
    # AccessShareLock is no conflict, the queued AccessExclusiveLock is.
    doc = plan_json(run, db, write_migrations(CIC))
    by_pid = {b["pid"]: b for b in blockers_of(doc)}
    assert waiter.pid in by_pid, blockers_of(doc)
    assert by_pid[waiter.pid]["granted"] is False
    assert by_pid[waiter.pid]["mode"] == "AccessExclusiveLock"
    assert by_pid[waiter.pid]["state"] == "active"
    assert by_pid[waiter.pid]["wait_event"] == "relation"
    assert holder.pid not in by_pid


def test_row_exclusive_holder_blocks_plain_index_not_concurrent_one(accounts, run,
                                                                    write_migrations, sessions):
    db = accounts
    writer = Session(db, "billing").hold("INSERT INTO accounts VALUES (100, 'x')")
    sessions.append(writer)
    time.sleep(0.2)
    cic = plan_json(run, db, write_migrations(CIC, subdir="cic"))
    assert cic["migrations"][0]["needs"][0]["modes"] == ["ShareUpdateExclusiveLock"]
    assert blockers_of(cic) == []

    plain = plan_json(run, db, write_migrations(PLAIN_INDEX, subdir="plain"))
    assert plain["migrations"][0]["needs"][0]["modes"] == ["ShareLock"]
    assert [(b["pid"], b["mode"], b["granted"]) for b in blockers_of(plain)] == \
        [(writer.pid, "RowExclusiveLock", True)]


def test_young_active_transaction_is_churn(accounts, run, write_migrations, sessions):
    db = accounts
    q = Session(db, "reporting").start("SELECT count(*) FROM accounts, pg_sleep(60)")
    sessions.append(q)
    wait_for(lambda: backend_state(db, q.pid) == "active", what="the query to run")
    mdir = write_migrations(ALTER)
    churn = plan_json(run, db, mdir, "--blocker-min-age", "1h")
    assert blockers_of(churn) == []
    assert churn["migrations"][0]["churn"] == 1
    old_enough = plan_json(run, db, mdir, "--blocker-min-age", "0")
    assert [b["pid"] for b in blockers_of(old_enough)] == [q.pid]
    assert blockers_of(old_enough)[0]["state"] == "active"


def test_explain_only_acts_on_nobody(accounts, run, write_migrations, sessions):
    db = accounts
    idle = Session(db, "billing").hold("SELECT * FROM accounts")
    busy = Session(db, "reporting").start("SELECT count(*) FROM accounts, pg_sleep(60)")
    sessions.extend([idle, busy])
    wait_for(lambda: backend_state(db, busy.pid) == "active", what="the query to run")
    time.sleep(0.2)
    mdir = write_migrations(ALTER)

    doc = plan_json(run, db, mdir, "--on-blockers", "terminate", "--explain-only",
                    "--exclude-app", "reporting")
    actions = {a["pid"]: a for a in doc["migrations"][0]["actions"]}
    assert actions[idle.pid]["action"] == "terminate"
    assert actions[idle.pid]["ok"] is None and actions[idle.pid]["explain_only"] is True
    assert actions[busy.pid]["action"] == "wait"
    assert "--exclude-app" in actions[busy.pid]["reason"]

    doc = plan_json(run, db, mdir, "--on-blockers", "cancel", "--explain-only")
    actions = {a["pid"]: a for a in doc["migrations"][0]["actions"]}
    assert actions[busy.pid]["action"] == "cancel"
    assert "does not end an idle-in-transaction session" in actions[idle.pid]["reason"]

    # nobody was signalled
    assert idle.alive() and backend_state(db, idle.pid) == "idle in transaction"
    assert backend_state(db, busy.pid) == "active" and busy.error is None


def test_partitions_of_a_partitioned_parent(db, run, write_migrations, sessions):
    sql(db, "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at)")
    sql(db, "CREATE TABLE events_2024 PARTITION OF events "
            "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    sql(db, "CREATE TABLE events_2025 PARTITION OF events "
            "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')")
    s = Session(db, "billing").hold("SELECT * FROM events_2025")
    sessions.append(s)
    time.sleep(0.2)
    doc = plan_json(run, db, write_migrations(
        {"0001_drop.sql": "ALTER TABLE events ADD COLUMN note text;\n"}))
    need = doc["migrations"][0]["needs"][0]
    assert need["resolved"] == "public.events" and need["descendants"] == 2
    assert [(b["pid"], b["relation"]) for b in blockers_of(doc)] == \
        [(s.pid, "public.events_2025")]


def test_unqualified_names_follow_the_server_search_path(db, run, write_migrations, sessions):
    dbname = db.rsplit("/", 1)[1]
    sql(db, "CREATE SCHEMA app")
    sql(db, "CREATE TABLE app.accounts (id int)")
    sql(db, f'ALTER DATABASE "{dbname}" SET search_path = app, public')
    s = Session(db, "billing").hold("SELECT * FROM app.accounts")
    sessions.append(s)
    time.sleep(0.2)
    doc = plan_json(run, db, write_migrations(ALTER))
    assert doc["migrations"][0]["needs"][0]["resolved"] == "app.accounts"
    assert [(b["pid"], b["relation"]) for b in blockers_of(doc)] == [(s.pid, "app.accounts")]


def test_tables_the_migration_creates_are_not_looked_up(db, run, write_migrations):
    doc = plan_json(run, db, write_migrations({
        "0001_new.sql": "CREATE TABLE fresh (id int);\nCREATE INDEX fresh_id ON fresh (id);\n"}))
    assert doc["migrations"][0]["needs"] == []
    assert blockers_of(doc) == []


def test_applied_migrations_are_not_planned(accounts, run, write_migrations):
    mdir = write_migrations({**ALTER, "0002_later.sql": "ALTER TABLE accounts ADD COLUMN later int;\n"})
    res = run("apply", "--db", accounts, mdir / "0001_email.sql")
    assert res.returncode == 0, res.stderr
    doc = plan_json(run, accounts, mdir)
    assert [m["version"] for m in doc["migrations"]] == ["0002"]
    assert doc["summary"]["pending"] == 1 and doc["summary"]["applied"] == 1


def test_log_lock_waits_warning(db, run, write_migrations):
    mdir = write_migrations(ALTER)
    sql(db, "CREATE TABLE accounts (id int)")
    doc = plan_json(run, db, mdir)
    assert any("log_lock_waits is off" in w for w in doc["warnings"])
    dbname = db.rsplit("/", 1)[1]
    sql(db, f'ALTER DATABASE "{dbname}" SET log_lock_waits = on')
    doc = plan_json(run, db, mdir)
    assert not any("log_lock_waits" in w for w in doc["warnings"])


@pytest.mark.slow
def test_long_transaction_on_target_table_is_a_warning(db, run, write_migrations, sessions):
    """A reader open for over a minute does not conflict with CIC but is worth a warning."""
    sql(db, "CREATE TABLE accounts (id bigint, name text)")
    s = Session(db, "billing").hold("SELECT * FROM accounts")
    sessions.append(s)
    time.sleep(61)
    doc = plan_json(run, db, write_migrations(CIC))
    assert blockers_of(doc) == []
    warnings = doc["migrations"][0]["warnings"]
    assert any(f"pid {s.pid}" in w and "transaction open" in w for w in warnings), warnings


def test_redact_queries(accounts, run, write_migrations, sessions):
    s = Session(accounts, "billing").hold("SELECT * FROM accounts WHERE name = 'secret-value'")
    sessions.append(s)
    time.sleep(0.2)
    doc = plan_json(run, accounts, write_migrations(ALTER), "--redact-queries")
    q = blockers_of(doc)[0]["query"]
    assert "secret-value" not in q and "$1" in q


def test_thousands_of_locks_stay_fast(accounts, run, write_migrations, sessions):
    """10,000 unrelated locks in pg_locks: the scan is one hash join, not a scan per lock."""
    db = accounts
    many = Session(db, "batch").hold(
        "SELECT count(pg_advisory_xact_lock(g)) FROM generate_series(1, 10000) g")
    s = Session(db, "billing").hold("SELECT * FROM accounts")
    sessions.extend([many, s])
    assert sql(db, "SELECT count(*) FROM pg_locks")[0][0] > 10000
    time.sleep(0.2)
    t0 = time.monotonic()
    doc = plan_json(run, db, write_migrations(ALTER))
    elapsed = time.monotonic() - t0
    assert [b["pid"] for b in blockers_of(doc)] == [s.pid]
    assert elapsed < 5, elapsed
