"""ci/pg-temp: a private cluster that always cleans up after itself."""
import os
import subprocess

import psycopg2

from conftest import REPO

PG_TEMP = str(REPO / "ci" / "pg-temp")


def postmaster_pids_for(directory):
    out = subprocess.run(["pgrep", "-f", directory], capture_output=True, text=True).stdout
    return [p for p in out.split() if p]


def test_run_gives_a_working_server_and_removes_it(tmp_path):
    script = tmp_path / "probe.sh"
    script.write_text('#!/bin/sh\necho "$PGTEMP_DIR"\n'
                      'psql "$PGTEMP_URL" -tAc "select current_setting(\'listen_addresses\')"\n')
    script.chmod(0o755)
    res = subprocess.run([PG_TEMP, "run", "--", str(script)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    directory, listen = res.stdout.split()[:2]
    assert listen == "127.0.0.1"
    assert not os.path.exists(directory)
    assert postmaster_pids_for(directory) == []


def test_run_cleans_up_when_the_command_fails():
    res = subprocess.run([PG_TEMP, "run", "--", "sh", "-c", 'echo "$PGTEMP_DIR"; exit 7'],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 7
    directory = res.stdout.strip()
    assert directory and not os.path.exists(directory)
    assert postmaster_pids_for(directory) == []


def test_start_url_stop():
    directory = subprocess.run([PG_TEMP, "start"], capture_output=True, text=True,
                               check=True, timeout=120).stdout.strip()
    try:
        url = subprocess.run([PG_TEMP, "url", directory], capture_output=True, text=True,
                             check=True).stdout.strip()
        assert url.startswith("postgresql://postgres@127.0.0.1:")
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute("show unix_socket_directories")
            assert cur.fetchone()[0] == directory
        conn.close()
    finally:
        subprocess.run([PG_TEMP, "stop", directory], check=True, timeout=60)
    assert not os.path.exists(directory)
    assert postmaster_pids_for(directory) == []
