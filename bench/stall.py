#!/usr/bin/python3
"""Benchmark 1, application stall: what the application feels while a
migration waits behind an idle-in-transaction session.

For each run: a fresh database holding a table of ROWS rows; pgbench runs a
SELECT + UPDATE script on it at a fixed rate with per-transaction latency
logs; after WARMUP seconds a session reads the table and stays idle in its
transaction for BLOCK seconds; MIGRATION_DELAY seconds after the blocker
starts, a runner applies `ALTER TABLE accounts ADD COLUMN added int`:
plain psql, dbmate, migsafe with its defaults, or nothing (control). A
fifth runner, psql-after-blocker, is the harness itself sending the same
ALTER with psql the moment it has committed the blocker: a runner that
knows when the blocker ends, so what the DDL alone costs the application
when it lands there — the floor under any runner's landing. A
monitor connection polls pg_attribute to see when the column appears.
Three runs of each runner, interleaved; bench/report.py takes the medians.
"""
import glob
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

ROWS = 100_000
RATE = 200                 # pgbench transactions per second (-R)
CLIENTS = 8
THREADS = 2
WARMUP = 3.0               # seconds of pgbench before the blocker starts
BLOCK = 5.0                # seconds the blocker stays idle in transaction
MIGRATION_DELAY = 1.0      # the runner starts this long after the blocker
DURATION = 15              # pgbench -T
WINDOW_AFTER = 1.0         # the migration window ends this long after the blocker
RUNS = int(os.environ.get("BENCH_STALL_RUNS", "3"))
RUNNERS = os.environ.get("BENCH_STALL_RUNNERS",
                         "control psql dbmate migsafe psql-after-blocker").split()
AFTER_BLOCKER = "psql-after-blocker"
SLOW_MS = 500
POLL = 0.005               # landing monitor interval, seconds

WORK = common.OUT / "stall"
TEMPLATE = "stall_tpl"

APP_SCRIPT = """\\set id random(1, {rows})
SELECT balance FROM accounts WHERE id = :id;
UPDATE accounts SET balance = balance + 1 WHERE id = :id;
""".format(rows=ROWS)

MIGRATION = """-- migrate:up
ALTER TABLE accounts ADD COLUMN added int;

-- migrate:down
ALTER TABLE accounts DROP COLUMN added;
"""


def make_template(url):
    """The database every run is copied from: accounts with ROWS rows."""
    common.drop_database(url, TEMPLATE)
    admin = common.connect(url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{TEMPLATE}"')
    admin.close()
    conn = common.connect(common.url_for_db(url, TEMPLATE))
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL DEFAULT 0, "
                    "filler text NOT NULL)")
        cur.execute("INSERT INTO accounts SELECT g, 0, repeat('x', 80) "
                    "FROM generate_series(1, %s) g", (ROWS,))
        cur.execute("VACUUM ANALYZE accounts")
    conn.close()


def latencies(prefix):
    """Latencies (ms) and end times (epoch s) of every logged pgbench transaction."""
    lat, ends = [], []
    for path in glob.glob(str(prefix) + ".*"):
        with open(path) as f:
            for line in f:
                fields = line.split()
                # client_id transaction_no time script_no time_epoch time_us [schedule_lag]
                if len(fields) < 6 or fields[2] == "skipped":
                    continue
                lat.append(int(fields[2]) / 1000.0)
                ends.append(int(fields[4]) + int(fields[5]) / 1e6)
    return lat, ends


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def runner_argv(runner, url, migdir):
    host, port, user = common.url_parts(url)
    dbname = url.rsplit("/", 1)[1]
    if runner in ("psql", AFTER_BLOCKER):
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(port),
                "-U", user, "-d", dbname, "-c", "ALTER TABLE accounts ADD COLUMN added int"], {}
    if runner == "dbmate":
        return [common.DBMATE, "--migrations-dir", migdir, "--no-dump-schema", "migrate"], \
            {"DATABASE_URL": f"postgres://{user}@{host}:{port}/{dbname}?sslmode=disable"}
    if runner == "migsafe":
        return [common.MIGSAFE, "apply", "--db", url, migdir], {"NO_COLOR": "1"}
    raise ValueError(runner)


def one_run(url, runner, index):
    """One scenario; returns its measurements."""
    name = common.create_database(url, "stall", TEMPLATE)
    dburl = common.url_for_db(url, name)
    host, port, user = common.url_parts(url)
    rundir = WORK / f"{runner}_{index}"
    migdir = rundir / "migrations"
    migdir.mkdir(parents=True, exist_ok=True)
    for old in rundir.glob("pgbench.*"):
        old.unlink()
    (migdir / "20240101000000_add_column.sql").write_text(MIGRATION)
    (rundir / "app.sql").write_text(APP_SCRIPT)
    result = {"runner": runner, "run": index}
    landed = {}
    stop = threading.Event()

    def monitor():
        conn = common.connect(dburl, application_name="bench-monitor")
        with conn.cursor() as cur:
            while not stop.is_set():
                cur.execute("SELECT 1 FROM pg_attribute WHERE attrelid = 'accounts'::regclass "
                            "AND attname = 'added' AND NOT attisdropped")
                if cur.fetchone():
                    landed["at"] = time.time()
                    break
                time.sleep(POLL)
        conn.close()

    pgbench = subprocess.Popen(
        ["pgbench", "-n", "-h", host, "-p", str(port), "-U", user, "-c", str(CLIENTS),
         "-j", str(THREADS), "-R", str(RATE), "-T", str(DURATION), "-f", str(rundir / "app.sql"),
         "-l", f"--log-prefix={rundir / 'pgbench'}", name],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    mon = threading.Thread(target=monitor)
    mon.start()
    try:
        time.sleep(WARMUP)
        blocker = common.connect(dburl, autocommit=False, application_name="bench-blocker")
        with blocker.cursor() as cur:
            cur.execute("SELECT count(*) FROM accounts WHERE id <= 10")
            cur.fetchall()
        blocker_start = time.time()
        proc = None
        if runner not in ("control", AFTER_BLOCKER):
            time.sleep(MIGRATION_DELAY)
            argv, env = runner_argv(runner, dburl, migdir)
            full_env = dict(os.environ, **env)
            full_env.pop("PGPASSWORD", None)
            result["runner_started"] = time.time() - blocker_start
            proc = subprocess.Popen([str(a) for a in argv], env=full_env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(max(0.0, blocker_start + BLOCK - time.time()))
        blocker.commit()
        blocker_end = time.time()
        blocker.close()
        if runner == AFTER_BLOCKER:
            argv, env = runner_argv(runner, dburl, migdir)
            result["runner_started"] = time.time() - blocker_start
            full_env = dict(os.environ, **env)
            full_env.pop("PGPASSWORD", None)
            proc = subprocess.Popen([str(a) for a in argv], env=full_env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc is not None:
            out, err = proc.communicate(timeout=300)
            result["exit_status"] = proc.returncode
            result["runner_done"] = time.time() - blocker_end
            result["runner_stderr"] = err.decode(errors="replace")[-3000:]
        pgout = pgbench.communicate(timeout=DURATION + 120)[0].decode(errors="replace")
        result["pgbench_status"] = pgbench.returncode
        if pgbench.returncode != 0:
            result["pgbench_output"] = pgout[-2000:]
    finally:
        stop.set()
        mon.join()
        if pgbench.poll() is None:
            pgbench.kill()
        common.drop_database(url, name)

    lat, ends = latencies(rundir / "pgbench")
    # The window a runner can affect: from its start (the same moment in the
    # control run) to WINDOW_AFTER seconds after the blocker's end.
    window = [v for v, end in zip(lat, ends)
              if blocker_start + MIGRATION_DELAY <= end <= blocker_end + WINDOW_AFTER]
    lat.sort()
    result.update({
        "transactions": len(lat),
        "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
        "p999_ms": percentile(lat, 99.9), "max_ms": lat[-1] if lat else None,
        "mean_ms": statistics.fmean(lat) if lat else None,
        "slow_count": sum(1 for v in lat if v > SLOW_MS),
        "window_max_ms": max(window) if window else None,
        "landed_after_blocker_end_s": (landed["at"] - blocker_end) if "at" in landed else None,
    })
    print(f"bench: stall {runner} run {index}: p50 {result['p50_ms']:.1f} ms, "
          f"p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms, "
          f">{SLOW_MS}ms {result['slow_count']}, landed "
          f"{result['landed_after_blocker_end_s']}, exit {result.get('exit_status')}")
    return result


def main():
    url = common.server_url()
    WORK.mkdir(parents=True, exist_ok=True)
    make_template(url)
    runs = []
    try:
        for i in range(1, RUNS + 1):
            for runner in RUNNERS:
                runs.append(one_run(url, runner, i))
    finally:
        common.drop_database(url, TEMPLATE)
    common.save("stall", {
        "parameters": {"rows": ROWS, "rate": RATE, "clients": CLIENTS, "threads": THREADS,
                       "warmup_s": WARMUP, "block_s": BLOCK,
                       "migration_delay_s": MIGRATION_DELAY, "duration_s": DURATION,
                       "runs": RUNS, "slow_ms": SLOW_MS},
        "runs": runs})


if __name__ == "__main__":
    main()
