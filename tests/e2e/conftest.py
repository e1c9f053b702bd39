"""Shared fixtures for the end-to-end tests.

Every test runs the real migsafe binary ($MIGSAFE_BIN) against the real
throwaway PostgreSQL started by ci/pg-temp ($PGTEMP_URL). Tests that need a
database get a fresh one of their own, dropped afterwards.
"""
import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
EXAMPLES = REPO / "migrations-example"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.fixture(scope="session")
def migsafe_bin():
    path = os.environ.get("MIGSAFE_BIN") or str(REPO / "build" / "migsafe")
    assert os.access(path, os.X_OK), f"migsafe binary not built: {path}"
    return path


@pytest.fixture(scope="session")
def server_url():
    url = os.environ.get("PGTEMP_URL")
    assert url, "PGTEMP_URL is not set: run the tests through `make test-e2e` (ci/pg-temp run)"
    return url


def url_for_db(server_url, dbname):
    """The server URL with another database name."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def connect(url, autocommit=True, application_name="migsafe-test"):
    conn = psycopg2.connect(url, application_name=application_name)
    conn.autocommit = autocommit
    return conn


@pytest.fixture
def db(server_url):
    """A fresh, empty database for one test; yields its URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = connect(server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = url_for_db(server_url, name)
    try:
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture
def run(migsafe_bin):
    """run(*args, input=None, env=None, timeout=120) -> CompletedProcess (text)."""
    def _run(*args, input=None, env=None, timeout=120, cwd=None):
        full_env = dict(os.environ)
        full_env.pop("DATABASE_URL", None)
        full_env["NO_COLOR"] = "1"
        if env:
            full_env.update(env)
        return subprocess.run([migsafe_bin, *map(str, args)], input=input, env=full_env,
                              capture_output=True, text=True, timeout=timeout, cwd=cwd)
    return _run


@pytest.fixture
def write_migrations(tmp_path):
    """write_migrations({"0001_a.sql": "SQL", ...}, subdir="m") -> Path of the directory."""
    def _write(files, subdir="migrations"):
        d = tmp_path / subdir
        d.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            p = d / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content)
        return d
    return _write


@pytest.fixture
def accounts(db):
    """The fresh database with a small accounts table (10 rows); yields its URL."""
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, name text)")
        cur.execute("INSERT INTO accounts SELECT g, 'n' || g FROM generate_series(1, 10) g")
    conn.close()
    return db


@pytest.fixture
def sessions():
    """Sessions a test opens (objects with close()), closed afterwards."""
    opened = []
    yield opened
    for s in opened:
        s.close()
