"""migsafe dry-run: real locks observed in a rolled-back transaction.

Against a database (--db): nothing changes (schema and history identical),
every traced statement's observed locks equal the prediction, a rewrite is
seen from the relfilenode with the table's real size, and a conflicting
session makes the dry-run stop within its lock_timeout naming the blocker.
Without --db: a throwaway cluster is started and removed again.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import jsonschema
import pytest

from conftest import CORPUS, EXAMPLES, REPO, connect

# Relation kinds the dry-run compares even when the analysis predicts nothing there.
TABLE_LIKE = {"table", "partitioned table", "foreign table", "materialized view", "view"}
# PostgreSQL's lock modes, weakest first.
MODES = ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
         "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]


def validate_contract(doc):
    """The dry-run document is the check contract with fields added: it validates against it."""
    schema = json.loads((REPO / "docs" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["command"] == "dry-run"
    for m in doc["migrations"]:
        for st in m["statements"]:
            assert set(st["observed"]) >= {"locks", "rewrites", "duration_ms", "traced"}
            assert isinstance(st["mismatch"], bool)


def schema_dump(url):
    out = subprocess.run(["pg_dump", "--schema-only", "--no-owner", "--no-privileges", url],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    # comments, and the random \\restrict key of recent pg_dump, vary from one dump to the next
    return [line for line in out.splitlines()
            if not line.startswith("--") and not line.startswith("\\")]


def history_rows(url):
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('migsafe.migrations') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT * FROM migsafe.migrations ORDER BY version")
            return cur.fetchall()
    finally:
        conn.close()


def strongest(modes):
    return max(modes, key=MODES.index)


def observed_per_table(stmt):
    """(predicted, observed): the strongest lock per existing table on each side. Relations the
    statement created (nobody else sees them yet), and predictions the trace explains as
    absent (no such relation) or unexercised (a per-row lock with no row), are left out."""
    obs = stmt["observed"]
    created = {lk["relation"] for lk in obs["locks"] if lk["created"]}
    skip = created | set(obs["absent"]) | set(obs["unexercised"])
    predicted = {lk["relation"]: lk["mode"] for lk in stmt["locks"] if lk["relation"] not in skip}
    per = {}
    for lk in obs["locks"]:
        rel = lk["relation"]
        if rel in skip or (rel not in predicted and lk["relkind"] not in TABLE_LIKE):
            continue
        per.setdefault(rel, []).append(lk["mode"])
    result = {rel: strongest(modes) for rel, modes in per.items()}
    for rel in obs["already_held"]:
        # held since an earlier statement of the same transaction: pg_locks cannot show it again
        if rel not in result or MODES.index(result[rel]) < MODES.index(predicted[rel]):
            result[rel] = predicted[rel]
    return predicted, result


def traced_statements(doc):
    for m in doc["migrations"]:
        for st in m["statements"]:
            if st["observed"]["traced"]:
                yield m, st


def apply_first(run, url, tmp_path, names):
    """Applies some example migrations for real with migsafe apply, so that a history exists."""
    part = tmp_path / "applied"
    part.mkdir()
    for name in names:
        shutil.copy(EXAMPLES / name, part / name)
    res = run("apply", "--db", url, part)
    assert res.returncode == 0, res.stderr


def test_example_on_a_database_changes_nothing_and_locks_match_prediction(run, db, tmp_path):
    apply_first(run, db, tmp_path, ["0001_create_users.sql", "0002_create_orders.sql",
                                    "0003_create_payments.sql"])
    schema_before, history_before = schema_dump(db), history_rows(db)
    assert len(history_before) == 3

    res = run("dry-run", "--db", db, "--format", "json", EXAMPLES)
    assert res.returncode in (0, 1), res.stderr        # 1: the example's unsafe migrations
    doc = json.loads(res.stdout)
    validate_contract(doc)

    assert schema_dump(db) == schema_before
    assert history_rows(db) == history_before
    statuses = {m["path"].split("/")[-1]: m["dry_run"]["status"] for m in doc["migrations"]}
    assert "0001_create_users.sql" not in statuses       # already applied: not traced again
    assert statuses["0004_index_users_email_unsafe.sql"] == "traced"
    assert statuses["0005_index_orders_user_safe.sql"] == "not-traced"

    traced = list(traced_statements(doc))
    assert len(traced) >= 10
    for m, st in traced:
        predicted, observed = observed_per_table(st)
        assert observed == predicted, (m["path"], st["sql"], st["observed"])
        assert st["mismatch"] is False
    # the ALTER TABLE ... ADD FOREIGN KEY really takes ShareRowExclusiveLock on both tables
    fk = next(st for m, st in traced if m["path"].endswith("0006_fk_payments_orders_unsafe.sql"))
    modes = {(lk["relation"], lk["mode"]) for lk in fk["observed"]["locks"]}
    assert ("public.payments", "ShareRowExclusiveLock") in modes
    assert ("public.orders", "ShareRowExclusiveLock") in modes
    # CREATE INDEX CONCURRENTLY cannot be traced: predicted locks, marked and explained
    cic = next(m for m in doc["migrations"] if m["path"].endswith("0005_index_orders_user_safe.sql"))
    obs = cic["statements"][0]["observed"]
    assert obs["traced"] is False and "transaction block" in obs["reason"]
    assert [(lk["relation"], lk["mode"]) for lk in obs["locks"]] == \
        [("public.orders", "ShareUpdateExclusiveLock")]
    assert doc["target"]["throwaway"] is False


def test_a_wrong_prediction_is_reported_as_a_mismatch(run, db, write_migrations):
    """Locking a view also locks the table behind it. The view was made outside the
    migrations, so the static analysis (which sees only the files) cannot know that
    table: the trace must show the extra lock and call it a mismatch."""
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE base (id int); CREATE VIEW v AS SELECT * FROM base")
    conn.close()
    d = write_migrations({"0001_lock.sql": "LOCK TABLE v IN ACCESS EXCLUSIVE MODE;\n"})
    res = run("dry-run", "--db", db, "--format", "json", d)
    doc = json.loads(res.stdout)
    st = doc["migrations"][0]["statements"][0]
    observed = {(lk["relation"], lk["mode"]) for lk in st["observed"]["locks"]}
    assert ("public.base", "AccessExclusiveLock") in observed
    assert ("public.v", "AccessExclusiveLock") in observed
    assert "public.base" not in {lk["relation"] for lk in st["locks"]}
    assert st["mismatch"] is True
    assert st["mismatches"] == [{"relation": "public.base", "predicted": None,
                                 "observed": "AccessExclusiveLock"}]
    assert doc["summary"]["mismatches"] == 1 and doc["summary"]["mismatches_unknown"] == 0
    text = run("dry-run", "--db", db, d)
    assert "MISMATCH on public.base: predicted no lock, observed AccessExclusiveLock" in text.stdout
    assert "bug in migsafe" in text.stdout


def pretty_bytes(n):
    units = ["bytes", "kB", "MB", "GB", "TB"]
    v, u = float(n), 0
    while v >= 1024 and u + 1 < len(units):
        v /= 1024
        u += 1
    if u == 0:
        return f"{n} bytes"
    return f"{v:.1f} {units[u]}" if v < 10 else f"{v:.0f} {units[u]}"


def test_a_rewrite_is_observed_with_the_table_size(run, db, write_migrations):
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE big (id int PRIMARY KEY, v int, name varchar(10))")
        cur.execute("INSERT INTO big SELECT g, g, 'x' FROM generate_series(1, 100000) g")
        cur.execute("ANALYZE big")
        cur.execute("SELECT pg_total_relation_size('big'), reltuples, relfilenode "
                    "FROM pg_class WHERE oid = 'big'::regclass")
        size, rows, filenode = cur.fetchone()
    d = write_migrations({
        "0001_widen.sql": "ALTER TABLE big ALTER COLUMN v TYPE bigint;\n",
        "0002_longer_name.sql": "ALTER TABLE big ALTER COLUMN name TYPE varchar(20);\n",
    })
    res = run("dry-run", "--db", db, "--format", "json", d)
    assert res.returncode in (0, 1), res.stderr
    doc = json.loads(res.stdout)
    widen, longer = (m["statements"][0]["observed"] for m in doc["migrations"])

    assert {"relation": "public.big", "relkind": "table"} in widen["rewrites"]
    assert {"relation": "public.big_pkey", "relkind": "index"} in widen["rewrites"]
    table = next(t for t in widen["tables"] if t["relation"] == "public.big")
    assert table["rewritten"] is True
    assert table["bytes"] == size
    assert table["rows"] == rows
    assert table["mode"] == "AccessExclusiveLock"
    # varchar(10) -> varchar(20) is binary-coercible: no rewrite
    assert longer["rewrites"] == []
    assert doc["impact"][0]["relation"] == "public.big"
    assert doc["impact"][0]["action"] == "rewrites"
    # the finding about the rewrite carries the real size from the trace
    finding = next(f for f in doc["migrations"][0]["findings"] if f["statement"] == 0
                   and f["severity"] == "error")
    assert f"(dry-run: public.big {pretty_bytes(size)}, 100 k rows, rewritten)" in finding["message"]

    text = run("dry-run", "--db", db, d).stdout
    assert (f"rewrites public.big, {pretty_bytes(size)}, 100 k rows, under AccessExclusiveLock: "
            "blocks reads, writes and DDL for the whole rewrite") in text
    md = run("dry-run", "--db", db, "--format", "markdown", d).stdout
    assert md.startswith("## migsafe dry-run on the target database")
    assert f"1. rewrites `public.big`, {pretty_bytes(size)}, 100 k rows, under AccessExclusiveLock" in md

    with conn.cursor() as cur:   # rolled back: same file, same type
        cur.execute("SELECT relfilenode FROM pg_class WHERE oid = 'big'::regclass")
        assert cur.fetchone()[0] == filenode
        cur.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = 'big'::regclass AND attname = 'v'")
        assert cur.fetchone()[0] == "integer"
    conn.close()


@pytest.mark.parametrize("blocking_sql, mode", [
    ("SELECT * FROM accounts", "AccessShareLock"),
    # also blocks the size query the trace makes before the statement
    ("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE", "AccessExclusiveLock"),
])
def test_a_conflicting_session_stops_the_dry_run_within_lock_timeout(run, db, write_migrations,
                                                                     blocking_sql, mode):
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE accounts (id int)")
    blocker = connect(db, autocommit=False, application_name="billing")
    with blocker.cursor() as cur:
        cur.execute(blocking_sql)                      # then idle in transaction, holding the lock
    blocker_pid = blocker.get_backend_pid()
    d = write_migrations({"0001_add.sql": "ALTER TABLE accounts ADD COLUMN note text;\n"})
    try:
        start = time.monotonic()
        res = run("dry-run", "--db", db, "--lock-timeout", "1s", "--format", "json", d, timeout=60)
        elapsed = time.monotonic() - start
    finally:
        blocker.rollback()
        blocker.close()
    assert res.returncode == 3, res.stderr
    assert elapsed < 15
    doc = json.loads(res.stdout)
    validate_contract(doc)
    obs = doc["migrations"][0]["statements"][0]["observed"]
    assert obs["state"] == "failed"
    assert obs["error"]["sqlstate"] == "55P03"
    pids = {b["pid"]: b for b in obs["blockers"]}
    assert blocker_pid in pids
    assert pids[blocker_pid]["state"] == "idle in transaction"
    assert pids[blocker_pid]["application_name"] == "billing"
    assert pids[blocker_pid]["mode"] == mode
    assert f"pid {blocker_pid}" in res.stderr
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = 'accounts'::regclass "
                    "AND attname = 'note'")
        assert cur.fetchone()[0] == 0
        deadline = time.monotonic() + 10    # the dry-run's sessions end with the process
        while True:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name IN ('migsafe dry-run', 'migsafe-watcher')")
            if cur.fetchone()[0] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name IN ('migsafe dry-run', 'migsafe-watcher')")
        assert cur.fetchone()[0] == 0
    conn.close()


def cluster_dir_from(stderr):
    m = re.search(r"starting a throwaway PostgreSQL in (\S+)", stderr)
    assert m, stderr
    return m.group(1)


def processes_mentioning(text):
    out = subprocess.run(["pgrep", "-f", text], capture_output=True, text=True).stdout
    return [p for p in out.split() if p]


@pytest.mark.slow
def test_embedded_default_traces_the_example_and_leaves_nothing(run):
    res = run("dry-run", "--format", "json", EXAMPLES, timeout=180)
    assert res.returncode in (0, 1), res.stderr
    directory = cluster_dir_from(res.stderr)
    assert not os.path.exists(directory)
    assert processes_mentioning(directory) == []
    doc = json.loads(res.stdout)
    assert doc["target"]["throwaway"] is True
    statuses = [m["dry_run"]["status"] for m in doc["migrations"]]
    assert len(statuses) == 14
    assert statuses.count("traced") == 13            # all but the CONCURRENTLY one
    for m, st in traced_statements(doc):
        predicted, observed = observed_per_table(st)
        assert observed == predicted, (m["path"], st["sql"], st["observed"])


@pytest.mark.slow
def test_embedded_commit_runs_non_transactional_statements_for_real(run):
    res = run("dry-run", "--commit", "--format", "json", EXAMPLES, timeout=180)
    assert res.returncode in (0, 1), res.stderr
    assert not os.path.exists(cluster_dir_from(res.stderr))
    doc = json.loads(res.stdout)
    cic = next(m for m in doc["migrations"] if m["path"].endswith("0005_index_orders_user_safe.sql"))
    obs = cic["statements"][0]["observed"]
    assert obs["state"] == "ran-for-real" and obs["traced"] is False
    assert any(t["relation"] == "public.orders_user_id_idx" for t in obs["tables"])


def test_commit_is_refused_against_a_database(run, db):
    res = run("dry-run", "--db", db, "--commit", EXAMPLES)
    assert res.returncode == 2
    assert "throwaway" in res.stderr


@pytest.mark.slow
def test_embedded_default_is_removed_on_sigint(migsafe_bin, write_migrations):
    d = write_migrations({"0001_slow.sql": "SELECT pg_sleep(60);\n"})
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([migsafe_bin, "dry-run", str(d)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines = []

    def read_stderr():
        for line in proc.stderr:
            lines.append(line)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while not any("0001_slow.sql: tracing" in ln for ln in lines):
        assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
        time.sleep(0.1)
    directory = cluster_dir_from("".join(lines))
    assert processes_mentioning(directory)            # the server runs now
    time.sleep(0.5)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=60)
    reader.join(timeout=10)
    assert rc == 130, "".join(lines)
    assert time.monotonic() - start < 30
    assert not os.path.exists(directory)
    assert processes_mentioning(directory) == []


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)


def test_since_applies_unchanged_migrations_first_and_traces_the_changed_ones(run, db, tmp_path):
    repo = tmp_path / "repo"
    (repo / "m").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    (repo / "m" / "0001_a.sql").write_text("CREATE TABLE a (id int);\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    (repo / "m" / "0002_a_x.sql").write_text("ALTER TABLE a ADD COLUMN x int;\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "feature")

    res = run("dry-run", "--db", db, "--since", "main", "--format", "json", repo / "m")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [m["path"].split("/")[-1] for m in doc["migrations"]] == ["0002_a_x.sql"]
    st = doc["migrations"][0]["statements"][0]
    assert st["observed"]["traced"] is True
    # 0001 ran first, untraced, in the same rolled-back transaction: its CREATE TABLE
    # already holds AccessExclusiveLock on public.a, which 0002 therefore cannot show anew
    assert st["observed"]["locks"] == []
    assert st["observed"]["already_held"] == ["public.a"]
    assert st["mismatch"] is False
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.a')")
        assert cur.fetchone()[0] is None          # nothing committed on --db
    conn.close()


def test_transaction_control_in_a_file_never_commits_the_dry_run(run, db, write_migrations):
    d = write_migrations({"0001_tx.sql": "BEGIN;\nCREATE TABLE x (id int);\nCOMMIT;\n"
                                         "CREATE TABLE y (id int);\nROLLBACK;\n"
                                         "CREATE TABLE z (id int);\n"})
    res = run("dry-run", "--db", db, "--format", "json", d)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    states = [(st["sql"].split()[0], st["observed"]["state"])
              for st in doc["migrations"][0]["statements"]]
    assert states == [("BEGIN", "not-run"), ("CREATE", "traced"), ("COMMIT", "not-run"),
                      ("CREATE", "traced"), ("ROLLBACK", "not-run"), ("CREATE", "traced")]
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('x'), to_regclass('y'), to_regclass('z')")
        assert cur.fetchone() == (None, None, None)
    conn.close()


def test_applied_migrations_are_skipped_and_a_changed_one_is_reported(run, db, write_migrations):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n",
                          "0002_b.sql": "CREATE TABLE b (id int);\n"})
    res = run("apply", "--db", db, d)
    assert res.returncode == 0, res.stderr
    (d / "0001_a.sql").write_text("CREATE TABLE a (id bigint);\n")    # edited after it was applied
    (d / "0003_c.sql").write_text("ALTER TABLE b ADD COLUMN x int;\n")
    res = run("dry-run", "--db", db, "--format", "json", d)
    doc = json.loads(res.stdout)
    statuses = {m["path"].split("/")[-1]: m["dry_run"]["status"] for m in doc["migrations"]}
    assert statuses == {"0001_a.sql": "already-applied-changed", "0003_c.sql": "traced"}
    obs = doc["migrations"][0]["statements"][0]["observed"]
    assert obs["state"] == "not-run" and "already applied" in obs["reason"]
    assert "changed since it was applied" in res.stderr


def test_a_call_to_a_function_a_migration_created_is_unknown_and_traced(run, db, write_migrations):
    """migsafe does not analyse function bodies: `check` calls the locks of a call to a function
    an earlier migration created unknown, and the dry-run shows the lock its body really takes."""
    d = write_migrations({
        "0001_fn.sql": "CREATE TABLE counters (id int PRIMARY KEY, n int);\n"
                       "CREATE FUNCTION bump() RETURNS void LANGUAGE plpgsql AS\n"
                       "$$ BEGIN UPDATE counters SET n = n + 1; END $$;\n"})
    res = run("apply", "--db", db, d)
    assert res.returncode == 0, res.stderr
    (d / "0002_call.sql").write_text("SELECT bump();\n")

    res = run("check", "--format", "json", d)
    doc = json.loads(res.stdout)
    call = doc["migrations"][1]
    assert call["statements"][0]["known"] is False
    assert call["statements"][0]["locks"] == []
    warnings = [f for f in call["findings"] if f["rule"] == "unknown-lock"]
    assert len(warnings) == 1 and "calls public.bump()" in warnings[0]["message"], call["findings"]

    res = run("dry-run", "--db", db, "--format", "json", d)
    doc = json.loads(res.stdout)
    traced = [m for m in doc["migrations"] if m["path"].endswith("0002_call.sql")]
    st = traced[0]["statements"][0]
    observed = {(lk["relation"], lk["mode"]) for lk in st["observed"]["locks"]}
    assert ("public.counters", "RowExclusiveLock") in observed, st["observed"]
    assert doc["summary"]["mismatches"] == doc["summary"]["mismatches_unknown"] == 1, doc["summary"]
    res = run("dry-run", "--db", db, d)
    assert ("MISMATCH on public.counters: predicted no lock, observed RowExclusiveLock — check "
            "reported this statement's locks as unknown (unknown-lock)") in res.stdout, res.stdout
    assert "1 statement(s) whose locks check reported as unknown" in res.stderr, res.stderr
    assert "bug in migsafe" not in res.stdout + res.stderr


@pytest.mark.slow
def test_renames_and_per_row_foreign_key_locks_are_compared_fairly(run, write_migrations):
    d = write_migrations({
        "0001_tables.sql": "CREATE TABLE parent (id int PRIMARY KEY);\n"
                           "CREATE TABLE child (id int, parent_id int REFERENCES parent (id));\n"
                           "CREATE TABLE src (parent_id int);\n",
        "0002_rename.sql": "ALTER TABLE src RENAME TO src2;\n",
        "0003_copy_nothing.sql": "INSERT INTO child (parent_id) SELECT parent_id FROM src2;\n",
        "0004_copy_a_row.sql": "INSERT INTO parent VALUES (1);\nINSERT INTO src2 VALUES (1);\n"
                               "INSERT INTO child (parent_id) SELECT parent_id FROM src2;\n",
    })
    res = run("dry-run", "--format", "json", d, timeout=180)     # throwaway server
    assert res.returncode == 0, res.stderr
    rename, nothing, a_row = (doc_m["statements"][-1] for doc_m in json.loads(res.stdout)["migrations"][1:])
    # a table is known by its name before the statement
    assert ("public.src", "AccessExclusiveLock") in \
        {(lk["relation"], lk["mode"]) for lk in rename["observed"]["locks"]}
    assert rename["mismatch"] is False
    # the foreign key check's RowShareLock on parent is taken per inserted row
    assert ("public.parent", "RowShareLock") in {(lk["relation"], lk["mode"]) for lk in nothing["locks"]}
    assert "public.parent" not in {lk["relation"] for lk in nothing["observed"]["locks"]}
    assert nothing["observed"]["unexercised"] == ["public.parent"]
    assert nothing["mismatch"] is False
    assert ("public.parent", "RowShareLock") in \
        {(lk["relation"], lk["mode"]) for lk in a_row["observed"]["locks"]}
    assert a_row["observed"]["unexercised"] == []
    assert a_row["mismatch"] is False


def test_a_prediction_on_a_relation_that_does_not_exist_is_not_a_mismatch(run, db, write_migrations):
    d = write_migrations({"0001_drop.sql": "DROP TABLE IF EXISTS nothing_here;\n"})
    res = run("dry-run", "--db", db, "--format", "json", d)
    assert res.returncode == 0, res.stderr
    st = json.loads(res.stdout)["migrations"][0]["statements"][0]
    assert ("public.nothing_here", "AccessExclusiveLock") in \
        {(lk["relation"], lk["mode"]) for lk in st["locks"]}
    assert st["observed"]["locks"] == []
    assert st["observed"]["absent"] == ["public.nothing_here"]
    assert st["mismatch"] is False


@pytest.mark.slow
def test_embedded_default_is_removed_when_stdout_is_closed_early(migsafe_bin):
    """A pager quit early: writing the report hits a closed pipe (SIGPIPE)."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    read_end, write_end = os.pipe()
    os.close(read_end)                                  # nobody will ever read the report
    proc = subprocess.Popen([migsafe_bin, "dry-run", str(EXAMPLES)], stdout=write_end,
                            stderr=subprocess.PIPE, text=True, env=env)
    os.close(write_end)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode not in (0, -signal.SIGPIPE), err
    directory = cluster_dir_from(err)
    assert not os.path.exists(directory)
    assert processes_mentioning(directory) == []


def test_the_password_is_never_printed(run, db, write_migrations):
    url = db.replace("postgres@", "postgres:s3cret-pw@", 1)     # trust auth ignores it
    assert "s3cret-pw" in url
    d = write_migrations({"0001_t.sql": "CREATE TABLE t (id int);\n"})
    for fmt in ("json", "text", "markdown"):
        res = run("dry-run", "--db", url, "--format", fmt, d)
        assert res.returncode == 0, res.stderr
        assert "s3cret-pw" not in res.stdout + res.stderr
    doc = json.loads(run("dry-run", "--db", url, "--format", "json", d).stdout)
    assert "password=********" in doc["target"]["conninfo"]


@pytest.mark.slow
def test_a_real_project_is_traced_end_to_end(run):
    """fider's 95 migrations (read in place from the corpus) on the throwaway server."""
    migrations = CORPUS / "getfider__fider" / "migrations"
    if not migrations.is_dir():
        pytest.skip("corpus not available")
    res = run("dry-run", "--format", "json", migrations, timeout=300)
    assert res.returncode in (0, 1), res.stderr
    doc = json.loads(res.stdout)
    summary = doc["summary"]
    assert summary["failed"] == 0
    assert summary["traced"] == summary["statements"] > 300
    assert summary["rewrites"] > 0
    for m in doc["migrations"]:
        assert m["dry_run"]["status"] == "traced"
        for st in m["statements"]:
            for lk in st["observed"]["locks"]:
                assert not lk["relation"].startswith(("pg_", "information_schema.")), lk
            for mm in st["mismatches"]:          # every difference names both sides
                assert mm["predicted"] != mm["observed"]
    assert not os.path.exists(cluster_dir_from(res.stderr))


def test_redact_queries_keeps_row_values_out_of_a_failed_statement(run, db, write_migrations,
                                                                   tmp_path):
    secret = "bob-91c2@example.org"     # only the table holds it: the DETAIL quotes it
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE users (email text PRIMARY KEY); CREATE TABLE imports (email text)")
        cur.execute("INSERT INTO users VALUES (%s); INSERT INTO imports VALUES (%s)",
                    (secret, secret))
    conn.close()
    d = write_migrations({"0001_import.sql": "INSERT INTO users SELECT email FROM imports;\n"})

    plain = run("dry-run", "--db", db, "--format", "json", d)
    assert plain.returncode != 0
    assert secret in plain.stdout and secret in plain.stderr

    report = tmp_path / "r.json"
    red = run("dry-run", "--db", db, "--format", "json", "--redact-queries", "--report", report, d)
    assert red.returncode == plain.returncode, red.stderr
    error = json.loads(red.stdout)["migrations"][0]["statements"][0]["observed"]["error"]
    assert error["sqlstate"] == "23505" and error["detail"] == "<redacted: --redact-queries>"
    text = run("dry-run", "--db", db, "--redact-queries", d)
    for where in (red.stdout, red.stderr, report.read_text(), text.stdout, text.stderr):
        assert secret not in where
