"""The rewrite/scan rules held against a real PostgreSQL.

For each rule: its triggering statement really rewrites (new relfilenode) or
fully scans (pg_stat_xact_user_tables.seq_scan grows) the table while holding
a lock that blocks writes, and the lock the finding's message names is the
one pg_locks shows; its safe alternative does neither, and migsafe does not
report it. Each statement runs inside BEGIN ... ROLLBACK on a table with rows.
"""
import json
import re

import pytest

from conftest import connect

SCHEMA = """\
CREATE TABLE users (id int PRIMARY KEY, name varchar(10), email text, age int);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id int, note text);
"""
ROWS = """\
INSERT INTO users SELECT g, 'n' || g, 'e' || g, g FROM generate_series(1, 2000) g;
INSERT INTO orders SELECT g, 1 + g % 2000, 'x' FROM generate_series(1, 4000) g;
ANALYZE users; ANALYZE orders;
"""

MODES = ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
         "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]
BLOCKS_WRITES = MODES.index("ShareLock")

# rule, table, bad statement, (setup of the safe way, safe statement)
CASES = [
    ("adding-column-volatile-default", "users",
     "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()",
     ([], "ALTER TABLE users ADD COLUMN n int DEFAULT 0")),
    ("changing-column-type", "users",
     "ALTER TABLE users ALTER COLUMN id TYPE bigint",
     ([], "ALTER TABLE users ALTER COLUMN name TYPE varchar(20)")),
    ("setting-not-null", "users",
     "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
     (["ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID",
       "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn"],
      "ALTER TABLE users ALTER COLUMN email SET NOT NULL")),
    ("adding-check-constraint", "users",
     "ALTER TABLE users ADD CONSTRAINT users_age_pos CHECK (age > 0)",
     ([], "ALTER TABLE users ADD CONSTRAINT users_age_pos CHECK (age > 0) NOT VALID")),
    ("adding-foreign-key", "orders",
     "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)",
     ([], "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
          "REFERENCES users (id) NOT VALID")),
    ("adding-unique-constraint", "users",
     "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)",
     (["CREATE UNIQUE INDEX users_email_idx ON users (email)"],
      "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx")),
    ("adding-stored-generated-column", "users",
     "ALTER TABLE users ADD COLUMN name_lower text GENERATED ALWAYS AS (lower(name)) STORED",
     ([], "ALTER TABLE users ADD COLUMN name_lower text")),
    ("adding-serial-column", "users",
     "ALTER TABLE users ADD COLUMN seq bigserial",
     ([], "ALTER TABLE users ADD COLUMN seq bigint")),
    ("set-logged-unlogged", "users",
     "ALTER TABLE users SET UNLOGGED",
     ([], "ALTER TABLE users SET (fillfactor = 90)")),
    ("cluster", "users",
     "CLUSTER users USING users_pkey",
     ([], "ANALYZE users")),
]


@pytest.fixture(scope="module")
def database(server_url):
    """One database with the tables and rows, shared by the cases (each rolls back)."""
    import uuid
    from conftest import url_for_db
    name = "rt_" + uuid.uuid4().hex[:10]
    admin = connect(server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = url_for_db(server_url, name)
    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute(SCHEMA + ROWS)
    conn.close()
    yield url
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def observe(url, table, setup, sql):
    """(seq scans, rewritten, strongest mode on table) of sql after setup, rolled back."""
    conn = connect(url, autocommit=False)
    try:
        with conn.cursor() as cur:
            for s in setup:
                cur.execute(s)
            cur.execute("SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables "
                        "WHERE relname = %s", (table,))
            scans = cur.fetchone()[0]
            cur.execute("SELECT relfilenode FROM pg_class WHERE relname = %s", (table,))
            node = cur.fetchone()[0]
            cur.execute("SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() "
                        "AND relation = %s::regclass", (table,))
            before = {r[0] for r in cur.fetchall()}
            cur.execute(sql)
            cur.execute("SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables "
                        "WHERE relname = %s", (table,))
            scans = cur.fetchone()[0] - scans
            cur.execute("SELECT relfilenode FROM pg_class WHERE relname = %s", (table,))
            rewritten = cur.fetchone()[0] != node
            cur.execute("SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() "
                        "AND relation = %s::regclass", (table,))
            modes = {r[0] for r in cur.fetchall()} - before
        return scans, rewritten, max(modes, key=MODES.index) if modes else None
    finally:
        conn.rollback()
        conn.close()


def findings_for(run, write_migrations, setup, sql, subdir):
    files = {"0001_schema.sql": SCHEMA, "0003_change.sql": sql + ";\n"}
    if setup:
        files["0002_setup.sql"] = ";\n".join(setup) + ";\n"
    d = write_migrations(files, subdir=subdir)
    res = run("check", "--format", "json", d)
    assert res.returncode in (0, 1), res.stderr
    doc = json.loads(res.stdout)
    last = doc["migrations"][-1]
    assert last["path"].endswith("0003_change.sql")
    return last["findings"]


@pytest.mark.parametrize("rule,table,bad,good", CASES, ids=[c[0] for c in CASES])
def test_rule_matches_postgresql(run, write_migrations, database, rule, table, bad, good):
    scans, rewritten, mode = observe(database, table, [], bad)
    assert scans > 0 or rewritten, f"{bad}: PostgreSQL neither scanned nor rewrote {table}"
    assert mode is not None and MODES.index(mode) >= BLOCKS_WRITES, f"{bad}: took {mode}"
    found = [f for f in findings_for(run, write_migrations, [], bad, "bad") if f["rule"] == rule]
    assert found, f"{rule} not reported for {bad}"
    named = re.findall(r"\b(\w+Lock)\b", found[0]["message"])
    assert named and named[0] == mode, f"message names {named}, PostgreSQL took {mode}"

    setup, safe = good
    scans, rewritten, mode = observe(database, table, setup, safe)
    harmless = (scans == 0 and not rewritten) or mode is None or MODES.index(mode) < BLOCKS_WRITES
    assert harmless, f"{safe}: {scans} scans, rewritten={rewritten} under {mode}"
    found = [f for f in findings_for(run, write_migrations, setup, safe, "good")
             if f["rule"] == rule]
    assert not found, f"{rule} reported for the safe alternative {safe}: {found[0]['message']}"
