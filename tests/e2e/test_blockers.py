"""The pre-check's policies during apply, and the `blockers` lock tree, with real sessions.

Blockers are psycopg2 sessions holding or queueing for real locks; the
runner is the real migsafe binary. The runner's backends are recognised by
their application_name ("migsafe", "migsafe-watcher").
"""
import json
import signal
import time
import uuid

import psycopg2
import pytest

from applyutil import Reader, wait_for
from blockerutil import Session, backend_state, load_json, popen_migsafe, sql, waiting_for_lock
from conftest import url_for_db

ALTER = {"0001_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"}


def has_email(db):
    return sql(db, "SELECT count(*) FROM information_schema.columns "
                   "WHERE table_name = 'accounts' AND column_name = 'email'")[0][0] == 1


def migsafe_waiting_locks(db):
    """Ungranted locks of migsafe's own backends: the runner queueing for a lock."""
    return sql(db, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                   "WHERE NOT l.granted AND a.application_name LIKE 'migsafe%%'")[0][0]


def runner_connected(db):
    return sql(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'migsafe' "
                   "AND datname = current_database()")[0][0] > 0


# ---- apply: the pre-check policies ----

@pytest.mark.slow
def test_wait_policy_never_enters_the_lock_queue(accounts, write_migrations, tmp_path,
                                                 migsafe_bin, sessions):
    db = accounts
    report = tmp_path / "r.json"
    holder = Session(db, "billing").hold("SELECT * FROM accounts")
    sessions.append(holder)
    reader = Reader(db, "SELECT count(*) FROM accounts")
    reader.start()
    p = popen_migsafe(migsafe_bin, "apply", "--db", db, write_migrations(ALTER),
                      "--on-blockers", "wait", "--report", report)
    try:
        wait_for(lambda: runner_connected(db), what="the runner to connect")
        # While the blocker lives, the runner's backend never queues for a lock.
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            assert migsafe_waiting_locks(db) == 0, "the runner entered the lock queue"
            time.sleep(0.02)
        assert p.poll() is None, "apply finished while the blocker still held its lock"
        assert not has_email(db)
        holder.close()
        out, err = p.communicate(timeout=60)
    finally:
        holder.close()
        worst = reader.finish()
    assert p.returncode == 0, err
    assert has_email(db)
    assert f"pid {holder.pid} (idle in transaction" in err
    m = load_json(report)["migrations"][0]
    assert m["status"] == "applied"
    named = [b for b in m["blockers"] if b["pid"] == holder.pid]
    assert named and named[0]["state"] == "idle in transaction"
    assert named[0]["mode"] == "AccessShareLock" and named[0]["granted"] is True
    assert m["precheck"]["waited_ms"] >= 2500
    assert len(m["attempts"]) == 1 and m["attempts"][0]["outcome"] == "applied"
    assert m["actions"] == []
    # the reader never stalled behind the runner
    assert not reader.errors
    assert worst < 1.0, f"a reader waited {worst:.2f}s"


def test_fail_policy_exits_3_at_once(accounts, run, write_migrations, tmp_path, sessions):
    holder = Session(accounts, "billing").hold("SELECT * FROM accounts")
    sessions.append(holder)
    time.sleep(0.2)
    report = tmp_path / "r.json"
    t0 = time.monotonic()
    res = run("apply", "--db", accounts, write_migrations(ALTER), "--on-blockers", "fail",
              "--report", report)
    assert res.returncode == 3, res.stderr
    assert time.monotonic() - t0 < 10
    assert not has_email(accounts)
    m = load_json(report)["migrations"][0]
    assert m["status"] == "gave-up"
    assert m["attempts"] == []
    assert [b["pid"] for b in m["blockers"]] == [holder.pid]
    assert m["precheck"]["outcome"] == "gave-up"
    assert "--on-blockers fail" in res.stderr


def test_prepared_transaction_is_a_blocker_that_is_never_signalled(accounts, run,
                                                                   write_migrations, tmp_path):
    # A prepared transaction holds its locks with no session behind it: only
    # COMMIT/ROLLBACK PREPARED ends it. The pre-check must see it, and even
    # --on-blockers terminate must leave it alone (and give up).
    gid = f"billing-{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(accounts, application_name="billing")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f"BEGIN; SELECT count(*) FROM accounts; PREPARE TRANSACTION '{gid}'")
        mdir = write_migrations(ALTER)
        report = tmp_path / "r.json"
        res = run("apply", "--db", accounts, mdir, "--on-blockers", "fail", "--report", report)
        assert res.returncode == 3, res.stderr
        [b] = load_json(report)["migrations"][0]["blockers"]
        assert (b["pid"], b["state"], b["backend_type"]) == (0, "prepared", "prepared transaction")
        assert (b["mode"], b["granted"], b["relation"]) == ("AccessShareLock", True,
                                                            "public.accounts")
        # no session: who prepared it, how long ago, and the gid that ends it
        owner = sql(accounts, "SELECT owner::text FROM pg_prepared_xacts WHERE gid = %s",
                    (gid,))[0][0]
        assert b["usename"] == owner
        assert b["query"] == f"PREPARE TRANSACTION '{gid}'"
        assert 0 <= b["xact_age_ms"] < 60_000
        assert f"PREPARE TRANSACTION '{gid}'" in res.stderr and f"user={owner}" in res.stderr

        res = run("apply", "--db", accounts, mdir, "--on-blockers", "terminate",
                  "--blocker-wait", "1s")
        assert res.returncode == 3, res.stderr
        assert sql(accounts, "SELECT gid FROM pg_prepared_xacts") == [(gid,)]
        assert not has_email(accounts)
    finally:
        with conn.cursor() as cur:
            cur.execute("SELECT gid FROM pg_prepared_xacts WHERE gid = %s", (gid,))
            if cur.fetchone():
                cur.execute(f"ROLLBACK PREPARED '{gid}'")
        conn.close()
    assert run("apply", "--db", accounts, mdir).returncode == 0
    assert has_email(accounts)


def test_wait_gives_up_after_blocker_wait(accounts, run, write_migrations, sessions):
    holder = Session(accounts, "billing").hold("SELECT * FROM accounts")
    sessions.append(holder)
    t0 = time.monotonic()
    res = run("apply", "--db", accounts, write_migrations(ALTER), "--blocker-wait", "1500ms")
    elapsed = time.monotonic() - t0
    assert res.returncode == 3, res.stderr
    assert 1.4 < elapsed < 10, elapsed
    assert not has_email(accounts)
    assert holder.alive()


def test_cancel_matches_filters_and_leaves_others(accounts, run, write_migrations, tmp_path,
                                                  sessions):
    db = accounts
    report = tmp_path / "r.json"
    target = Session(db, "nightly-report").start("SELECT count(*) FROM accounts, pg_sleep(60)")
    other = Session(db, "billing").start("SELECT count(*) FROM accounts, pg_sleep(60)")
    sessions.extend([target, other])
    wait_for(lambda: backend_state(db, target.pid) == "active" and
             backend_state(db, other.pid) == "active", what="both queries to run")
    res = run("apply", "--db", db, write_migrations(ALTER), "--on-blockers", "cancel",
              "--include-app", "nightly-report", "--blocker-min-age", "0",
              "--blocker-wait", "3s", "--report", report)
    # the other query is left alone, so the migration still cannot go
    assert res.returncode == 3, res.stderr
    assert target.done.wait(10)
    assert isinstance(target.error, psycopg2.errors.QueryCanceled), target.error
    assert backend_state(db, other.pid) == "active" and not other.done.is_set()
    m = load_json(report)["migrations"][0]
    acted = [(a["pid"], a["action"], a["ok"]) for a in m["actions"]]
    assert acted == [(target.pid, "cancel", True)]
    assert "nightly-report" in m["actions"][0]["reason"]
    assert not has_email(db)


def test_cancel_then_apply_proceeds(accounts, run, write_migrations, tmp_path, sessions):
    db = accounts
    q = Session(db, "nightly-report").start("SELECT count(*) FROM accounts, pg_sleep(60)")
    sessions.append(q)
    wait_for(lambda: backend_state(db, q.pid) == "active", what="the query to run")
    time.sleep(0.2)
    report = tmp_path / "r.json"
    res = run("apply", "--db", db, write_migrations(ALTER), "--on-blockers", "cancel",
              "--report", report)
    assert res.returncode == 0, res.stderr
    assert has_email(db)
    assert isinstance(q.error, psycopg2.errors.QueryCanceled)
    m = load_json(report)["migrations"][0]
    assert [(a["pid"], a["action"], a["ok"]) for a in m["actions"]] == [(q.pid, "cancel", True)]


def test_terminate_ends_an_idle_in_transaction_session(accounts, run, write_migrations, tmp_path,
                                                      sessions):
    db = accounts
    idle = Session(db, "forgotten").hold("SELECT * FROM accounts")
    sessions.append(idle)
    time.sleep(0.2)
    report = tmp_path / "r.json"
    t0 = time.monotonic()
    res = run("apply", "--db", db, write_migrations(ALTER), "--on-blockers", "terminate",
              "--terminate-grace", "300ms", "--report", report)
    assert res.returncode == 0, res.stderr
    assert time.monotonic() - t0 < 20
    assert has_email(db)
    assert backend_state(db, idle.pid) is None
    assert not idle.alive()
    m = load_json(report)["migrations"][0]
    # a cancel first (it cannot end an idle transaction), then the terminate
    assert [(a["pid"], a["action"], a["ok"]) for a in m["actions"]] == \
        [(idle.pid, "cancel", True), (idle.pid, "terminate", True)]
    assert m["status"] == "applied"


def test_only_idle_in_transaction_filter(accounts, run, write_migrations, tmp_path, sessions):
    db = accounts
    idle = Session(db, "forgotten").hold("SELECT * FROM accounts")
    busy = Session(db, "nightly-report").start("SELECT count(*) FROM accounts, pg_sleep(60)")
    sessions.extend([idle, busy])
    wait_for(lambda: backend_state(db, busy.pid) == "active", what="the query to run")
    time.sleep(0.2)
    report = tmp_path / "r.json"
    res = run("apply", "--db", db, write_migrations(ALTER), "--on-blockers", "terminate",
              "--only-idle-in-transaction", "--terminate-grace", "200ms",
              "--blocker-wait", "3s", "--report", report)
    assert res.returncode == 3, res.stderr
    assert backend_state(db, idle.pid) is None
    assert backend_state(db, busy.pid) == "active"
    acted = {a["pid"] for a in load_json(report)["migrations"][0]["actions"]}
    assert acted == {idle.pid}


def test_role_without_pg_signal_backend_gets_a_clear_message(accounts, run, write_migrations,
                                                             tmp_path, sessions):
    db = accounts
    dbname = db.rsplit("/", 1)[1]
    role = "deployer_" + uuid.uuid4().hex[:8]
    sql(db, f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
    try:
        sql(db, f'GRANT CREATE ON DATABASE "{dbname}" TO {role}')
        sql(db, f"ALTER TABLE accounts OWNER TO {role}")
        # the blocker is a superuser's session: only a superuser may signal it
        idle = Session(db, "billing").hold("SELECT * FROM accounts")
        sessions.append(idle)
        time.sleep(0.2)
        url = db.replace("postgres@", f"{role}:pw@", 1)
        report = tmp_path / "r.json"
        res = run("apply", "--db", url, write_migrations(ALTER), "--on-blockers", "terminate",
                  "--terminate-grace", "200ms", "--blocker-wait", "2s", "--report", report)
        assert res.returncode == 3, res.stderr
        assert "pg_signal_backend" in res.stderr
        assert "pg_read_all_stats" in res.stderr
        assert idle.alive()
        actions = load_json(report)["migrations"][0]["actions"]
        assert actions and all(a["ok"] is False for a in actions)
        assert "permission denied" in actions[0]["reason"]
        assert "pg_signal_backend" in actions[0]["reason"]
    finally:
        for s in sessions:
            s.close()
        sql(db, f"REASSIGN OWNED BY {role} TO postgres")
        sql(db, f"DROP OWNED BY {role}")
        sql(db, f"DROP ROLE {role}")


def test_statement_by_statement_checks_only_the_next_statement(db, run, write_migrations,
                                                              tmp_path, sessions):
    """A non-transactional file: the first index is built although the second one's table
    is held; the pre-check of statement 2 then stops the run."""
    sql(db, "CREATE TABLE t1 (id int)")
    sql(db, "CREATE TABLE t2 (id int)")
    holder = Session(db, "maintenance").hold("LOCK TABLE t2 IN SHARE MODE")
    sessions.append(holder)
    time.sleep(0.2)
    report = tmp_path / "r.json"
    res = run("apply", "--db", db, write_migrations({"0001_idx.sql":
              "-- migsafe:no-transaction\n"
              "CREATE INDEX CONCURRENTLY t1_id ON t1 (id);\n"
              "CREATE INDEX CONCURRENTLY t2_id ON t2 (id);\n"}),
              "--on-blockers", "fail", "--report", report)
    assert res.returncode == 3, res.stderr
    assert sql(db, "SELECT to_regclass('t1_id') IS NOT NULL, to_regclass('t2_id') IS NULL")[0] == \
        (True, True)
    m = load_json(report)["migrations"][0]
    assert [(b["pid"], b["mode"]) for b in m["blockers"]] == [(holder.pid, "ShareLock")]


def test_ignore_policy_skips_the_precheck(accounts, run, write_migrations, tmp_path, sessions):
    holder = Session(accounts, "billing").hold("SELECT * FROM accounts")
    sessions.append(holder)
    report = tmp_path / "r.json"
    res = run("apply", "--db", accounts, write_migrations(ALTER), "--on-blockers", "ignore",
              "--max-attempts", "2", "--report", report)
    assert res.returncode == 3, res.stderr
    m = load_json(report)["migrations"][0]
    assert "precheck" not in m
    assert [a["outcome"] for a in m["attempts"]] == ["lock-timeout", "lock-timeout"]


# ---- blockers: the lock tree ----

def make_chain(db, sessions, table="accounts"):
    """holder (idle in transaction) -> waiting ALTER TABLE -> two queued readers."""
    holder = Session(db, "holder").hold(f"SELECT * FROM {table}")
    ddl = Session(db, "deploy").start(f"ALTER TABLE {table} ADD COLUMN c int")
    sessions.extend([ddl, holder])
    wait_for(lambda: waiting_for_lock(db, ddl.pid), what="the DDL to queue")
    readers = []
    for i in range(2):
        r = Session(db, f"web-{i}").start(f"SELECT count(*) FROM {table}")
        readers.append(r)
        sessions.insert(0, r)
        wait_for(lambda: waiting_for_lock(db, r.pid), what="a reader to queue")
    return holder, ddl, readers


def blockers_json(run, db, *args):
    res = run("blockers", "--db", db, "--format", "json", *args)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_three_level_chain(accounts, run, sessions):
    db = accounts
    holder, ddl, readers = make_chain(db, sessions)
    doc = blockers_json(run, db)
    rows = doc["sessions"]
    assert [r["pid"] for r in rows[:2]] == [holder.pid, ddl.pid]
    assert sorted(r["pid"] for r in rows[2:]) == sorted(r.pid for r in readers)
    by_pid = {r["pid"]: r for r in rows}
    h, d = by_pid[holder.pid], by_pid[ddl.pid]
    assert (h["level"], h["parent"], h["blocked_by"], h["holds_up"]) == (0, None, [], 3)
    assert h["state"] == "idle in transaction" and h["granted"] is True
    assert h["mode"] == "AccessShareLock" and h["relation"] == "public.accounts"
    assert (d["level"], d["parent"], d["blocked_by"], d["holds_up"]) == (1, holder.pid,
                                                                         [holder.pid], 2)
    assert d["granted"] is False and d["mode"] == "AccessExclusiveLock"
    assert d["wait_event_type"] == "Lock" and d["wait_event"] == "relation"
    for r in readers:
        x = by_pid[r.pid]
        assert (x["level"], x["parent"], x["blocked_by"], x["holds_up"]) == (2, ddl.pid,
                                                                             [ddl.pid], 0)
        assert x["mode"] == "AccessShareLock" and x["granted"] is False
    assert doc["summary"] == {"sessions": 4, "roots": 1, "waiting": 3, "hidden": 0}

    text = run("blockers", "--db", db)
    assert text.returncode == 0, text.stderr
    lines = [l for l in text.stdout.splitlines() if l[:1].isdigit()]
    assert lines[0].split()[:2] == ["0", str(holder.pid)]
    assert lines[1].split()[:2] == ["1", str(ddl.pid)]
    assert {tuple(l.split()[:2]) for l in lines[2:]} == {("2", str(r.pid)) for r in readers}


def test_table_and_mode_narrow_the_tree(db, run, sessions):
    sql(db, "CREATE TABLE t1 (id int)")
    sql(db, "CREATE TABLE t2 (id int)")
    sql(db, "CREATE TABLE t3 (id int)")
    holder1, ddl1, readers1 = make_chain(db, sessions, "t1")
    holder2, ddl2, readers2 = make_chain(db, sessions, "t2")
    lone = Session(db, "lone").hold("SELECT * FROM t3")
    sessions.append(lone)

    everything = {r["pid"] for r in blockers_json(run, db)["sessions"]}
    assert {holder1.pid, ddl1.pid, holder2.pid, ddl2.pid} <= everything
    assert lone.pid not in everything   # nobody waits for it

    only_t1 = blockers_json(run, db, "--table", "t1", "--mode", "ShareLock")
    assert {r["pid"] for r in only_t1["sessions"]} == \
        {holder1.pid, ddl1.pid} | {r.pid for r in readers1}
    assert only_t1["filter"] == {"table": "t1", "mode": "ShareLock", "blocker_min_age_ms": None}

    # nothing conflicts with AccessShareLock on t3, everything does with AccessExclusiveLock
    assert blockers_json(run, db, "--table", "t3", "--mode", "AccessShareLock")["sessions"] == []
    t3 = blockers_json(run, db, "--table", "public.t3")["sessions"]
    assert [(r["pid"], r["level"], r["conflicts"]) for r in t3] == [(lone.pid, 0, True)]

    missing = run("blockers", "--db", db, "--table", "no_such_table")
    assert missing.returncode != 0 and "no_such_table" in missing.stderr


def test_no_waits(db, run):
    res = run("blockers", "--db", db)
    assert res.returncode == 0, res.stderr
    assert "no session waits for a lock" in res.stdout
    assert blockers_json(run, db)["sessions"] == []


def test_watch_refreshes_a_bounded_number_of_times(accounts, run, sessions):
    holder, ddl, _ = make_chain(accounts, sessions)
    t0 = time.monotonic()
    res = run("blockers", "--db", accounts, "--format", "json", "--watch", "1", "--count", "3")
    assert res.returncode == 0, res.stderr
    assert time.monotonic() - t0 >= 2
    docs = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert len(docs) == 3
    assert all(d["sessions"][0]["pid"] == holder.pid for d in docs)


def test_watch_stops_on_ctrl_c(db, migsafe_bin):
    p = popen_migsafe(migsafe_bin, "blockers", "--db", db, "--watch", "1", "--count", "1000")
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 0, err
    assert 1 <= out.count("lock tree of database") <= 3


def test_blockers_redacts_queries(accounts, run, sessions):
    holder = Session(accounts, "holder").hold("SELECT * FROM accounts WHERE name = 'secret-value'")
    ddl = Session(accounts, "deploy").start("ALTER TABLE accounts ADD COLUMN c int")
    sessions.extend([ddl, holder])
    wait_for(lambda: waiting_for_lock(accounts, ddl.pid), what="the DDL to queue")
    doc = blockers_json(run, accounts, "--redact-queries")
    q = {r["pid"]: r["query"] for r in doc["sessions"]}[holder.pid]
    assert "secret-value" not in q and "$1" in q


def test_other_databases_are_not_shown(accounts, server_url, run, sessions):
    holder, ddl, _ = make_chain(accounts, sessions)
    other = run("blockers", "--db", url_for_db(server_url, "postgres"), "--format", "json")
    assert other.returncode == 0, other.stderr
    pids = {r["pid"] for r in json.loads(other.stdout)["sessions"]}
    assert holder.pid not in pids and ddl.pid not in pids


def test_blocker_min_age_leaves_out_churn_roots(db, run, sessions):
    """--blocker-min-age: a young active holder and what waits only on it are
    left out; an old holder stays, and so does a young idle-in-transaction one
    (the pre-check's rule: it will not end by itself)."""
    for t in ("t_old", "t_new", "t_idle"):
        sql(db, f"CREATE TABLE {t} (id int)")
    old_holder, old_ddl, _ = make_chain(db, sessions, "t_old")
    time.sleep(3.5)                                   # older than --blocker-min-age 3s
    fresh = Session(db, "fresh").start("SELECT count(*) FROM t_new, pg_sleep(60)")
    sessions.append(fresh)
    wait_for(lambda: backend_state(db, fresh.pid) == "active", what="the query to run")
    fresh_ddl = Session(db, "deploy-new").start("ALTER TABLE t_new ADD COLUMN c int")
    sessions.insert(0, fresh_ddl)
    wait_for(lambda: waiting_for_lock(db, fresh_ddl.pid), what="the DDL to queue")
    idle_holder = Session(db, "idle").hold("SELECT * FROM t_idle")
    idle_ddl = Session(db, "deploy-idle").start("ALTER TABLE t_idle ADD COLUMN c int")
    sessions.extend([idle_ddl, idle_holder])
    wait_for(lambda: waiting_for_lock(db, idle_ddl.pid), what="the DDL to queue")

    everything = blockers_json(run, db)
    assert {fresh.pid, fresh_ddl.pid} <= {r["pid"] for r in everything["sessions"]}
    assert everything["filter"]["blocker_min_age_ms"] is None
    assert everything["summary"]["hidden"] == 0

    doc = blockers_json(run, db, "--blocker-min-age", "3s")
    pids = {r["pid"] for r in doc["sessions"]}
    assert {old_holder.pid, old_ddl.pid, idle_holder.pid, idle_ddl.pid} <= pids
    assert fresh.pid not in pids and fresh_ddl.pid not in pids
    assert doc["filter"]["blocker_min_age_ms"] == 3000
    assert doc["summary"]["hidden"] == 2
    roots = [r["pid"] for r in doc["sessions"] if r["level"] == 0]
    assert roots == [old_holder.pid, idle_holder.pid]   # oldest first

    text = run("blockers", "--db", db, "--blocker-min-age", "3s")
    assert text.returncode == 0, text.stderr
    assert "without churn (--blocker-min-age 3s): 2 sessions left out" in text.stdout
    assert str(fresh.pid) not in text.stdout.split("\n", 1)[1]

    # only churn left: the tree says so instead of "no session waits"
    for s in (old_holder, idle_holder):
        s.close()
    wait_for(lambda: not waiting_for_lock(db, old_ddl.pid) and
             not waiting_for_lock(db, idle_ddl.pid), what="the old chains to clear")
    only_churn = run("blockers", "--db", db, "--blocker-min-age", "1h")
    assert only_churn.returncode == 0, only_churn.stderr
    assert "only churn: no session older than --blocker-min-age" in only_churn.stdout
