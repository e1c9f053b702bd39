"""Shared helpers of the benchmarks: paths, the throwaway server, peers,
timing of child processes and the result files.

Every benchmark talks to the server started by bench/run.sh through
ci/pg-temp (PGTEMP_URL, loopback only) and writes one JSON file into
bench/out/, from which bench/report.py writes bench/RESULTS.md.
"""
import json
import os
import statistics
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
PEERS = REPO / "bench" / ".peers" / "node_modules"
# The native binaries the npm packages ship (their Node wrappers only spawn them).
SQUAWK = PEERS / "@squawk-cli" / "linux-x64" / "bin" / "squawk"
DBMATE = PEERS / "@dbmate" / "linux-x64" / "bin" / "dbmate"
MIGSAFE = Path(os.environ.get("MIGSAFE_BIN") or REPO / "build" / "migsafe")
CORPUS = REPO.parent / "shared" / "corpus"
TIME = "/usr/bin/time"


def server_url():
    url = os.environ.get("PGTEMP_URL")
    if not url:
        raise SystemExit("PGTEMP_URL is not set: run the benchmarks through bench/run.sh")
    return url


def url_for_db(url, dbname):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def url_parts(url):
    """host, port, user of a postgresql:// URL."""
    parts = urlsplit(url)
    return parts.hostname, parts.port or 5432, parts.username or "postgres"


def connect(url, autocommit=True, application_name="migsafe-bench"):
    conn = psycopg2.connect(url, application_name=application_name)
    conn.autocommit = autocommit
    return conn


def create_database(url, prefix, template=None):
    """Creates a fresh database (optionally from a template); returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = connect(url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    admin.close()
    return name


def drop_database(url, name):
    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()


def timed_run(argv, env=None, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=None,
              timeout=600):
    """Runs argv; returns (exit status, wall seconds, stderr text)."""
    full_env = dict(os.environ)
    full_env.pop("DATABASE_URL", None)
    if env:
        full_env.update(env)
    t0 = time.monotonic()
    res = subprocess.run([str(a) for a in argv], env=full_env, stdout=stdout, stderr=stderr,
                         cwd=cwd, timeout=timeout)
    wall = time.monotonic() - t0
    err = res.stderr.decode(errors="replace") if isinstance(res.stderr, bytes) else ""
    return res.returncode, wall, err


def gnu_time(argv, stdout_path, timeout=600):
    """Runs argv under /usr/bin/time; returns dict(status, wall, user, sys, rss_kb, stderr)."""
    tfile = OUT / f"time.{uuid.uuid4().hex[:8]}"
    with open(stdout_path, "wb") as out:
        res = subprocess.run([TIME, "-o", str(tfile), "-f", "%e %U %S %M", *map(str, argv)],
                             stdout=out, stderr=subprocess.PIPE, timeout=timeout)
    fields = tfile.read_text().strip().splitlines()[-1].split()
    tfile.unlink()
    return {"status": res.returncode, "wall": float(fields[0]), "user": float(fields[1]),
            "sys": float(fields[2]), "rss_kb": int(fields[3]),
            "stderr": res.stderr.decode(errors="replace")}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def versions():
    """Versions of everything measured, for the report."""
    def first_line(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True,
                                  timeout=30).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "unavailable"
    return {
        "migsafe": first_line([str(MIGSAFE), "--version"]),
        "squawk": first_line([str(SQUAWK), "--version"]),
        "dbmate": first_line([str(DBMATE), "--version"]),
        "psql": first_line(["psql", "--version"]),
        "pgbench": first_line(["pgbench", "--version"]),
    }


def save(name, data):
    OUT.mkdir(parents=True, exist_ok=True)
    data["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=1))
    print(f"bench: wrote {OUT / (name + '.json')}")


def load(name):
    p = OUT / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else None
