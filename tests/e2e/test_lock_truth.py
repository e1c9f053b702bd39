"""Lock truth: migsafe's static lock analysis held against a real PostgreSQL.

Every case of lock_truth/statements.sql runs against a fresh copy of
lock_truth/fixture.sql. The test reads the relation locks the statement's own
backend holds in pg_locks (tables, partitioned tables, views, materialized
views, sequences, foreign tables that existed before it; indexes and catalogs
are left out), keeps the strongest mode per relation, and asserts it equals
what `migsafe check --format json` predicts for the statement. It also
compares migsafe's "rewrites" with the relations whose relfilenode changed,
and its "transactional" flag with whether PostgreSQL accepts the statement
inside a transaction block.

Transactional cases run inside BEGIN ... ROLLBACK in one shared copy of the
fixture. Cases that cannot run in a transaction block get a database of
their own; a second session holds a conflicting lock so the statement waits,
and its locks are read from pg_locks while it waits.
"""
import json
import os
import re
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest

from conftest import connect, url_for_db

HERE = Path(__file__).resolve().parent / "lock_truth"
FIXTURE = (HERE / "fixture.sql").read_text()

# pg_locks names, weakest to strongest (PostgreSQL's lock mode numbering).
MODES = ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
         "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]
# Relation kinds whose locks are compared: table, partitioned table, view,
# materialized view, sequence, foreign table.
LOCKED_KINDS = ("r", "p", "v", "m", "S", "f")
# Relation kinds with storage of their own, compared for rewrites.
STORAGE_KINDS = ("r", "m")
# How long a blocked statement may take to show up as waiting.
WAIT_SECONDS = 20


def parse_cases():
    """The cases of statements.sql: family, SQL and options, in file order."""
    cases = []
    current = None
    for line in (HERE / "statements.sql").read_text().splitlines():
        m = re.match(r"^-- case: (\S+)\s*$", line)
        if m:
            current = {"family": m.group(1), "sql": [], "maybe": set(), "block": None,
                       "copy": None, "storage_swap": False, "needs": set(), "setup": []}
            cases.append(current)
            continue
        if current is None:
            continue
        if not current["sql"]:
            opt = re.match(r"^-- (maybe|block|copy|storage-swap|needs|setup)\b:?\s*(.*)$", line)
            if opt:
                key, value = opt.group(1), opt.group(2)
                if key == "setup":
                    current["setup"].append(value)
                elif key == "needs":
                    current["needs"].update(value.split())
                elif key == "maybe":
                    current["maybe"].update(value.split())
                elif key == "block":
                    only = value.startswith("ONLY ")
                    rel, mode = value[5:].split(None, 1) if only else value.split(None, 1)
                    current["block"] = (rel, mode, only)
                elif key == "copy":
                    current["copy"] = value.replace("\\t", "\t").replace("\\n", "\n")
                else:
                    current["storage_swap"] = True
                continue
        current["sql"].append(line)
    for i, c in enumerate(cases):
        c["sql"] = "\n".join(c["sql"]).strip() + "\n"
        c["setup"] = "\n".join(c["setup"]).strip()
        c["id"] = f"{i:03d}-{c['family']}"
    return cases


CASES = parse_cases()


def strongest(a, b):
    return a if b is None or MODES.index(a) >= MODES.index(b) else b


@pytest.fixture(scope="module")
def lock_roles(server_url):
    """Roles the GRANT and OWNER TO cases name (cluster-wide, created once)."""
    admin = connect(server_url)
    with admin.cursor() as cur:
        for role in ("lt_owner", "lt_reader"):
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if cur.fetchone() is None:
                cur.execute(f"CREATE ROLE {role}")
    admin.close()


@pytest.fixture(scope="module")
def tablespace(server_url):
    """
    The tablespace lt_space in the throwaway cluster's directory (SET
    TABLESPACE cases move data into it); None when the cluster's directory
    is not known ($PGTEMP_DIR, set by ci/pg-temp run).
    """
    base = os.environ.get("PGTEMP_DIR")
    if not base or not os.path.isdir(os.path.join(base, "data")):
        return None
    admin = connect(server_url)
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_tablespace WHERE spcname = 'lt_space'")
        if cur.fetchone() is None:
            path = os.path.join(base, "lt_space")
            os.makedirs(path, exist_ok=True)
            owner = os.stat(os.path.join(base, "data"))
            if os.geteuid() == 0:
                os.chown(path, owner.st_uid, owner.st_gid)
            cur.execute(f"CREATE TABLESPACE lt_space LOCATION '{path}'")
    admin.close()
    return "lt_space"


@pytest.fixture(scope="module")
def template(server_url, lock_roles, tablespace):
    """A database holding the fixture, used as the template of every copy."""
    name = "lt_tpl_" + uuid.uuid4().hex[:8]
    admin = connect(server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn = connect(url_for_db(server_url, name))
    with conn.cursor() as cur:
        cur.execute(FIXTURE)
    conn.close()
    created = [name]

    def copy():
        copy_name = "lt_" + uuid.uuid4().hex[:10]
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{copy_name}" TEMPLATE "{name}"')
        created.append(copy_name)
        return url_for_db(server_url, copy_name)

    yield copy
    with admin.cursor() as cur:
        for db in reversed(created):
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (db,))
            cur.execute(f'DROP DATABASE IF EXISTS "{db}"')
    admin.close()


@pytest.fixture(scope="module")
def shared_copy(template):
    """One copy of the fixture for the transactional cases (each rolls back)."""
    return template()


def relation_map(cur):
    """oid -> (schema.name, relkind, relfilenode) of every user relation."""
    cur.execute("""
        SELECT c.oid, n.nspname || '.' || c.relname, c.relkind, c.relfilenode
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'""")
    return {oid: (name, kind, node) for oid, name, kind, node in cur.fetchall()}


@pytest.fixture(scope="module")
def predictions(migsafe_bin, tmp_path_factory):
    """migsafe's analysis of every case, keyed by case id (fixture is migration 0001)."""
    root = tmp_path_factory.mktemp("lock_truth")

    def predict(case):
        d = root / case["id"]
        d.mkdir()
        (d / "0001_fixture.sql").write_text(FIXTURE)
        if case["setup"]:
            (d / "0002_setup.sql").write_text(case["setup"] + "\n")
        (d / "0003_stmt.sql").write_text(case["sql"])
        proc = subprocess.run([migsafe_bin, "check", "--format", "json", str(d)],
                              capture_output=True, text=True, timeout=60)
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            return {"error": f"exit {proc.returncode}, no JSON on stdout; stderr:\n{proc.stderr}"}
        stmts = [s for m in report["migrations"] if m["path"].endswith("0003_stmt.sql")
                 for s in m["statements"]]
        if not stmts:
            return {"error": f"no statements of 0003_stmt.sql in the report:\n{proc.stdout}"}
        locks, rewrites = {}, set()
        for s in stmts:
            for lock in s["locks"]:
                locks[lock["relation"]] = strongest(lock["mode"], locks.get(lock["relation"]))
            rewrites.update(s["rewrites"])
        return {"locks": locks, "rewrites": rewrites,
                "transactional": all(s["transactional"] for s in stmts),
                "known": all(s.get("known", True) for s in stmts),
                "kinds": [s["kind"] for s in stmts]}

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(predict, CASES))
    return {c["id"]: r for c, r in zip(CASES, results)}


def observed_locks(cur, pid, before):
    """Strongest mode per pre-existing user relation in pid's relation locks."""
    cur.execute("SELECT relation, mode FROM pg_locks WHERE pid = %s AND locktype = 'relation' "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                (pid,))
    seen = {}
    for oid, mode in cur.fetchall():
        if oid in before and before[oid][1] in LOCKED_KINDS:
            name = before[oid][0]
            seen[name] = strongest(mode, seen.get(name))
    return seen


def rewritten(before, after):
    """Pre-existing relations with storage whose relfilenode changed."""
    return {name for oid, (name, kind, node) in before.items()
            if kind in STORAGE_KINDS and oid in after and after[oid][2] != node}


def run_in_transaction(url, case):
    """
    Runs a case inside BEGIN ... ROLLBACK on a new connection; returns (locks,
    rewritten relations). A fresh session matters: a warm relation cache skips
    some locks (a partition's constraint, once cached, no longer opens its parent).
    """
    conn = connect(url, autocommit=False, application_name="lock-truth")
    try:
        with conn.cursor() as cur:
            before = relation_map(cur)
            if case["copy"] is not None:
                import io
                cur.copy_expert(case["sql"], io.StringIO(case["copy"]))
            elif re.search(r"\bTO STDOUT\b", case["sql"]):
                import io
                cur.copy_expert(case["sql"], io.StringIO())
            else:
                cur.execute(case["sql"])
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
            locks = observed_locks(cur, pid, before)
            after = relation_map(cur)
        return locks, rewritten(before, after)
    finally:
        conn.rollback()
        conn.close()


def run_blocked(url, case):
    """
    Runs a case that cannot be in a transaction block in its own database,
    while a second session holds case["block"]; reads its locks while it waits.
    """
    rel, mode, only = case["block"]
    holder = connect(url, autocommit=False, application_name="lock-truth-holder")
    runner = connect(url, application_name="lock-truth-runner")
    watcher = connect(url, application_name="lock-truth-watcher")
    outcome = {}
    try:
        with watcher.cursor() as cur:
            before = relation_map(cur)
        with runner.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        with holder.cursor() as cur:
            schema, name = rel.split(".", 1)
            if mode == "SELECT":
                # LOCK TABLE refuses materialized views: a read holds ACCESS SHARE
                cur.execute(f'SELECT 1 FROM "{schema}"."{name}" LIMIT 0')
            else:
                cur.execute(f'LOCK TABLE {"ONLY " if only else ""}"{schema}"."{name}" IN {mode} MODE')

        def run():
            try:
                with runner.cursor() as cur:
                    cur.execute(case["sql"])
            except Exception as exc:  # reported by the test below
                outcome["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + WAIT_SECONDS
        locks = None
        with watcher.cursor() as cur:
            while time.monotonic() < deadline and thread.is_alive():
                cur.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", (pid,))
                if cur.fetchone()[0] > 0:
                    locks = observed_locks(cur, pid, before)
                    break
                time.sleep(0.01)
        holder.rollback()
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive(), "statement still running after the blocker let go"
        assert "error" not in outcome, f"statement failed: {outcome.get('error')}"
        assert locks is not None, (f"statement never waited behind {mode} on {rel}: "
                                   "its locks could not be observed")
        with watcher.cursor() as cur:
            after = relation_map(cur)
        return locks, rewritten(before, after)
    finally:
        for c in (holder, runner, watcher):
            c.close()


def refuses_transaction_block(url, sql):
    """True when PostgreSQL rejects sql inside a transaction block."""
    conn = connect(url, autocommit=False, application_name="lock-truth")
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
        return False
    except psycopg2.errors.ActiveSqlTransaction:
        return True
    finally:
        conn.rollback()
        conn.close()


def comparable_prediction(pred, before_names):
    """Predicted locks on relations that existed before (new ones cannot be compared)."""
    return {rel: mode for rel, mode in pred.items() if rel in before_names}


@pytest.fixture(scope="module")
def fixture_relations(shared_copy):
    conn = connect(shared_copy)
    with conn.cursor() as cur:
        names = {name: kind for name, kind, _ in relation_map(cur).values()}
    conn.close()
    return names


def test_suite_size_and_families():
    """At least 150 statements, every family of the issue represented."""
    assert len(CASES) >= 150
    families = {c["family"] for c in CASES}
    for family in ("alter-table", "drop", "create-index", "drop-index", "triggers", "reindex",
                   "cluster", "vacuum", "analyze", "truncate", "lock-table", "views",
                   "materialized-views", "sequences", "partitions", "row-level-security",
                   "comment", "grant", "select", "select-for", "insert", "update", "delete",
                   "copy", "search-path", "domain", "publication", "merge", "cte", "temp-table", "do", "catalog"):
        assert family in families, family


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_lock_truth(case, predictions, shared_copy, template, fixture_relations, tablespace):
    if "tablespace" in case["needs"] and tablespace is None:
        pytest.skip("needs a tablespace: run under ci/pg-temp run (PGTEMP_DIR)")
    pred = predictions[case["id"]]
    assert "error" not in pred, pred.get("error")
    if case["block"]:
        assert refuses_transaction_block(shared_copy, case["sql"]), \
            "case marked non-transactional but PostgreSQL runs it in a transaction block"
        locks, changed = run_blocked(template(), case)
        expect_transactional = False
    elif case["setup"]:
        url = template()
        conn = connect(url)
        with conn.cursor() as cur:
            cur.execute(case["setup"])
        conn.close()
        locks, changed = run_in_transaction(url, case)
        expect_transactional = True
    else:
        locks, changed = run_in_transaction(shared_copy, case)
        expect_transactional = True

    predicted = comparable_prediction(pred["locks"], fixture_relations)
    predicted = {rel: mode for rel, mode in predicted.items()
                 if fixture_relations[rel] in LOCKED_KINDS}
    missing_ok = {rel for rel in case["maybe"] if rel not in locks}
    predicted_cmp = {rel: mode for rel, mode in predicted.items() if rel not in missing_ok}
    assert predicted_cmp == locks, (
        f"\n{case['sql']}"
        f"migsafe predicts: {json.dumps(dict(sorted(predicted.items())), indent=1)}\n"
        f"PostgreSQL took:  {json.dumps(dict(sorted(locks.items())), indent=1)}")

    assert pred["known"], f"\n{case['sql']}migsafe reports an unknown lock for a statement it should know"
    assert pred["transactional"] == expect_transactional, (
        f"\n{case['sql']}migsafe says transactional={pred['transactional']}")

    if not case["storage_swap"]:
        predicted_rewrites = {r for r in pred["rewrites"]
                              if fixture_relations.get(r) in STORAGE_KINDS}
        assert predicted_rewrites == changed, (
            f"\n{case['sql']}migsafe predicts rewrites of {sorted(predicted_rewrites)}, "
            f"relfilenode changed for {sorted(changed)}")
