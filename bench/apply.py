#!/usr/bin/python3
"""Benchmark 3, apply overhead: COUNT small migrations applied to an empty
database by migsafe, by dbmate, and by one `psql -f` of their concatenation
(the floor: no bookkeeping at all). Each run gets a fresh database; the
runners alternate; ROUNDS rounds, medians in bench/report.py.

The files use dbmate's format (`-- migrate:up` / `-- migrate:down`), which
both runners read, so both apply exactly the same files.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

COUNT = 500
ROUNDS = int(os.environ.get("BENCH_APPLY_ROUNDS", "5"))
WORK = common.OUT / "apply"

MIGRATION = """-- migrate:up
CREATE TABLE t{i:05d} (id bigint PRIMARY KEY, v text NOT NULL);
INSERT INTO t{i:05d} (id, v) VALUES (1, 'x');

-- migrate:down
DROP TABLE t{i:05d};
"""
UP = """CREATE TABLE t{i:05d} (id bigint PRIMARY KEY, v text NOT NULL);
INSERT INTO t{i:05d} (id, v) VALUES (1, 'x');
"""


def write_migrations():
    migdir = WORK / "migrations"
    migdir.mkdir(parents=True, exist_ok=True)
    for old in migdir.glob("*.sql"):
        old.unlink()
    for i in range(1, COUNT + 1):
        (migdir / f"{i:05d}_create_t{i:05d}.sql").write_text(MIGRATION.format(i=i))
    (WORK / "all.sql").write_text("".join(UP.format(i=i) for i in range(1, COUNT + 1)))
    return migdir


def argv_for(runner, url, migdir):
    host, port, user = common.url_parts(url)
    dbname = url.rsplit("/", 1)[1]
    if runner == "psql":
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(port), "-U", user,
                "-d", dbname, "-f", WORK / "all.sql"], {}
    if runner == "dbmate":
        return [common.DBMATE, "--migrations-dir", migdir, "--no-dump-schema", "migrate"], \
            {"DATABASE_URL": f"postgres://{user}@{host}:{port}/{dbname}?sslmode=disable"}
    return [common.MIGSAFE, "apply", "--quiet", "--db", url, migdir], {"NO_COLOR": "1"}


def applied_tables(url):
    conn = common.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename ~ '^t[0-9]{5}$'")
        n = cur.fetchone()[0]
    conn.close()
    return n


def main():
    url = common.server_url()
    migdir = write_migrations()
    runs = []
    for r in range(1, ROUNDS + 1):
        for runner in ("migsafe", "dbmate", "psql"):
            name = common.create_database(url, "apply")
            dburl = common.url_for_db(url, name)
            try:
                argv, env = argv_for(runner, dburl, migdir)
                status, wall, err = common.timed_run(argv, env=env)
                tables = applied_tables(dburl)
            finally:
                common.drop_database(url, name)
            runs.append({"runner": runner, "round": r, "status": status, "wall": wall,
                         "tables": tables, "stderr": err[-1000:] if status else ""})
            print(f"bench: apply {runner} round {r}: {wall:.2f} s, exit {status}, "
                  f"{tables}/{COUNT} tables")
    common.save("apply", {"count": COUNT, "rounds": ROUNDS, "runs": runs})


if __name__ == "__main__":
    main()
