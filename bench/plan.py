#!/usr/bin/python3
"""Benchmark 4, pre-check cost: `migsafe plan` latency (process start to
exit, so it includes connecting and reading the lock table) while SESSIONS
sessions hold LOCKS relation locks between them, against the same command
with no other session; side by side, what a user would run by hand: one
`psql` query of pg_locks joined to pg_stat_activity for the table.

TABLES tables; session i takes ACCESS SHARE on LOCKS / SESSIONS of them
(a sliding window, so every table is held by several sessions) and stays
idle in its transaction. The migration plan looks at alters one of the held
tables, so the pre-check has real blockers to find.
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

SESSIONS = 200
LOCKS = 10_000
TABLES = 2_500
REPEAT = int(os.environ.get("BENCH_PLAN_REPEAT", "15"))
WORK = common.OUT / "plan"

MIGRATION = "ALTER TABLE lt00001 ADD COLUMN added int;\n"
BY_HAND = ("SELECT l.pid, l.mode, l.granted, a.state, a.xact_start, a.query FROM pg_locks l "
           "JOIN pg_stat_activity a USING (pid) WHERE l.relation = 'lt00001'::regclass")


def create_tables(url):
    conn = common.connect(url)
    with conn.cursor() as cur:
        for start in range(1, TABLES + 1, 500):
            cur.execute("DO $$ BEGIN FOR i IN %s..%s LOOP "
                        "EXECUTE format('CREATE TABLE lt%%s (id int)', lpad(i::text, 5, '0')); "
                        "END LOOP; END $$", (start, min(TABLES, start + 499)))
    conn.close()


def hold_locks(url):
    """Opens SESSIONS sessions, each idle in a transaction holding its share of LOCKS."""
    per = LOCKS // SESSIONS
    sessions = []
    for s in range(SESSIONS):
        conn = common.connect(url, autocommit=False, application_name="bench-holder")
        first = (s * (TABLES // SESSIONS)) % TABLES
        names = ", ".join(f"lt{(first + k) % TABLES + 1:05d}" for k in range(per))
        with conn.cursor() as cur:
            cur.execute(f"LOCK TABLE {names} IN ACCESS SHARE MODE")
        sessions.append(conn)
    return sessions


def count_locks(url):
    conn = common.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FILTER (WHERE locktype = 'relation'), count(*) FROM pg_locks")
        rel, total = cur.fetchone()
    conn.close()
    return rel, total


def time_command(argv, label):
    samples, statuses = [], set()
    for _ in range(REPEAT):
        status, wall, err = common.timed_run(argv, env={"NO_COLOR": "1"})
        samples.append(wall * 1000.0)
        statuses.add(status)
    samples.sort()
    print(f"bench: plan {label}: median {common.median(samples):.1f} ms, max {samples[-1]:.1f} ms, "
          f"exit {sorted(statuses)}")
    return {"samples_ms": samples, "median_ms": common.median(samples), "max_ms": samples[-1],
            "statuses": sorted(statuses), "stderr": err[-1000:]}


def time_both(dburl, migdir, label):
    """migsafe plan, then the psql query by hand, in the same server state."""
    plan = time_command([common.MIGSAFE, "plan", "--quiet", "--db", dburl, migdir], label)
    psql = time_command(["psql", "-X", "-q", "-A", "-t", "-d", dburl, "-c", BY_HAND],
                        f"{label} (psql by hand)")
    plan["psql"] = psql
    return plan


def main():
    url = common.server_url()
    migdir = WORK / "migrations"
    migdir.mkdir(parents=True, exist_ok=True)
    (migdir / "0001_add_column.sql").write_text(MIGRATION)
    name = common.create_database(url, "plan")
    dburl = common.url_for_db(url, name)
    sessions = []
    try:
        create_tables(dburl)
        idle = time_both(dburl, migdir, "no other session")
        sessions = hold_locks(dburl)
        time.sleep(0.5)   # every holder older than the default blocker age
        rel, total = count_locks(dburl)
        loaded = time_both(dburl, migdir, f"{SESSIONS} sessions, {rel} relation locks")
    finally:
        for c in sessions:
            c.close()
        common.drop_database(url, name)
    common.save("plan", {"sessions": SESSIONS, "tables": TABLES, "relation_locks": rel,
                         "pg_locks_rows": total, "repeat": REPEAT, "idle": idle,
                         "loaded": loaded})


if __name__ == "__main__":
    main()
