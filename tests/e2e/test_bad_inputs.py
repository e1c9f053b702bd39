"""Malformed inputs: each gives one clear message naming the input, the exit
code of docs/exit-codes.md, and nothing is applied.

Every case is run through `apply` against a fresh database (the command
that could do harm), next to a valid migration 0001_ok.sql that creates the
table `marker`: when the run stops on the bad input, `marker` must not exist
and the history table (if any) must be empty.
"""
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import connect, url_for_db

USAGE, DATABASE = 2, 4
OK_SQL = "CREATE TABLE marker (id int);\n"
HUGE_LINES = 100_000


def assert_nothing_applied(url):
    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.marker') IS NULL")
        assert cur.fetchone()[0], "the valid migration next to the bad input was applied"
        cur.execute("SELECT to_regclass('migsafe.migrations') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("SELECT count(*) FROM migsafe.migrations")
            assert cur.fetchone()[0] == 0, "a history row was written"
    conn.close()


def one_clear_message(stderr, needles):
    """The diagnostics name the input, and stay short (no dumped file)."""
    for n in needles:
        assert n in stderr, f"{n!r} not in stderr:\n{stderr[:2000]}"
    assert len(stderr) < 4000, f"diagnostics are {len(stderr)} bytes long"
    assert "Traceback" not in stderr and "AddressSanitizer" not in stderr


# Each case: files of the migrations directory (name -> text or bytes), the
# extra arguments, the expected exit code and the texts stderr must contain.
# "{dir}" in a needle or argument is the migrations directory.
CASES = {
    "syntax_error": ({"0002_bad.sql": "CREATE TABLE t (id int;\n"}, [], USAGE,
                     ["0002_bad.sql:1:23", "syntax error"]),
    "syntax_error_later_line": ({"0002_bad.sql": "SELECT 1;\nSELECT 2;\nSELEC 3;\n"}, [], USAGE,
                                ["0002_bad.sql:3:1", "syntax error"]),
    "unterminated_string": ({"0002_bad.sql": "SELECT 'abc;\n"}, [], USAGE,
                            ["0002_bad.sql:1:8", "unterminated quoted string"]),
    "unterminated_comment": ({"0002_bad.sql": "SELECT 1;\n/* never closed\n"}, [], USAGE,
                             ["0002_bad.sql:2:1", "unterminated /* comment"]),
    "unterminated_dollar_quote": ({"0002_bad.sql": "DO $$ BEGIN PERFORM 1; END;\n"}, [], USAGE,
                                  ["0002_bad.sql:1:4", "unterminated dollar-quoted string"]),
    "unterminated_identifier": ({"0002_bad.sql": 'SELECT "abc;\n'}, [], USAGE,
                                ["0002_bad.sql:1:8", "unterminated quoted identifier"]),
    "mysql_backticks": ({"0002_bad.sql": "ALTER TABLE `t` ADD COLUMN `c` int;\n"}, [], USAGE,
                        ["0002_bad.sql:1:13", "syntax error"]),
    "psql_meta_command": ({"0002_bad.sql": "\\set ON_ERROR_STOP 1\nSELECT 1;\n"}, [], USAGE,
                          ["0002_bad.sql:1:1", "syntax error"]),
    "duplicate_versions": ({"0002_a.sql": "SELECT 1;\n", "0002_b.sql": "SELECT 2;\n"}, [], USAGE,
                           ["0002_a.sql", "0002_b.sql", "duplicate migration version 0002"]),
    "name_fits_no_layout": ({"notes.sql": "SELECT 1;\n"}, [], USAGE,
                            ["notes.sql", "fits no migration layout"]),
    "directory_fits_no_layout": ({"weird/migration.sql": "SELECT 1;\n"}, [], USAGE,
                                 ["weird", "directory fits no migration layout"]),
    "flyway_repeatable_unsupported": ({"R__refresh.sql": "SELECT 1;\n"}, [], USAGE,
                                      ["R__refresh.sql", "not supported"]),
    "unknown_layout_option": ({}, ["--layout", "rails"], USAGE, ["--layout", "rails"]),
    "forced_layout_mismatch": ({}, ["--layout", "flyway"], USAGE,
                               ["0001_ok.sql", "fits no flyway layout"]),
    "empty_file": ({"0002_empty.sql": ""}, [], USAGE, ["0002_empty.sql", "empty migration file"]),
    "blank_file": ({"0002_blank.sql": "\n   \n\t\n"}, [], USAGE,
                   ["0002_blank.sql", "empty migration file"]),
    "binary_file": ({"0002_bin.sql": b"SELECT 1;\x00\x01\x02\xff"}, [], USAGE,
                    ["0002_bin.sql:1:10", "binary file"]),
    "invalid_utf8": ({"0002_latin1.sql": "SELECT 'café';\n".encode("latin-1")}, [], USAGE,
                     ["0002_latin1.sql:1:12", "invalid UTF-8"]),
    # found past the loader's eight-bytes-at-a-time ASCII scan, at an odd offset
    "nul_deep_in_ascii": ({"0002_nul.sql": b"SELECT 1;\n" * 5 +
                           b"SELECT 'abcdefghijk\x00'; -- and a long tail\n"}, [],
                          USAGE, ["0002_nul.sql:6:20", "binary file"]),
    "bad_byte_deep_in_ascii": ({"0002_ff.sql": b"SELECT 1; -- " + b"a" * 21 + b"\xff tail\n"}, [],
                               USAGE, ["0002_ff.sql:1:35", "invalid UTF-8 (byte 0xff)"]),
    "truncated_utf8_at_end": ({"0002_cut.sql": "SELECT 1; -- é".encode()[:-1]}, [], USAGE,
                              ["0002_cut.sql:1:14", "invalid UTF-8"]),
    "huge_file_error_at_end": ({"0002_huge.sql": "".join(
        f"INSERT INTO t VALUES ({i}, 'row {i}');\n" for i in range(HUGE_LINES)) + "SELEC oops;\n"},
        [], USAGE, [f"0002_huge.sql:{HUGE_LINES + 1}:1", "syntax error"]),
    "huge_unterminated_comment": ({"0002_huge.sql": "SELECT 1;\n/* " + "x" * 16_000_000}, [],
                                  USAGE, ["0002_huge.sql:2:1", "unterminated /* comment"]),
    "missing_directory": ({}, ["{dir}/no/such/dir"], USAGE, ["no/such/dir"]),
    "bad_duration": ({}, ["--lock-timeout", "5 parsecs"], USAGE, ["--lock-timeout", "5 parsecs"]),
    "duration_out_of_range": ({}, ["--max-wait", "999999999999d"], USAGE,
                              ["--max-wait", "999999999999d"]),
    "negative_count": ({}, ["--max-attempts", "-1"], USAGE, ["--max-attempts"]),
    "config_unknown_key": ({}, ["--config", "{dir}/../bad.json"], USAGE,
                           ["bad.json", "lock_timeot"]),
    "config_bad_duration": ({}, ["--config", "{dir}/../baddur.json"], USAGE,
                            ["baddur.json", "lock_timeout"]),
    "config_not_json": ({}, ["--config", "{dir}/../broken.json"], USAGE,
                        ["broken.json", "not valid JSON"]),
    "config_wrong_type": ({}, ["--config", "{dir}/../type.json"], USAGE,
                          ["type.json", "max_attempts"]),
    "config_unknown_rule": ({}, ["--config", "{dir}/../rule.json"], USAGE,
                            ["rule.json", "no-such-rule"]),
    "config_missing_file": ({}, ["--config", "{dir}/../absent.json"], USAGE, ["absent.json"]),
}

CONFIGS = {
    "bad.json": '{"lock_timeot": "1s"}',
    "baddur.json": '{"lock_timeout": "soon"}',
    "broken.json": '{"lock_timeout": ',
    "type.json": '{"max_attempts": "ten"}',
    "rule.json": '{"rules": {"no-such-rule": "off"}}',
}


def write_case(root, files):
    d = root / "migrations"
    d.mkdir(parents=True)
    (d / "0001_ok.sql").write_text(OK_SQL)
    for name, content in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    for name, text in CONFIGS.items():
        (root / name).write_text(text)
    return d


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(run, db, tmp_path, case):
    files, args, code, needles = CASES[case]
    d = write_case(tmp_path, files)
    args = [a.replace("{dir}", str(d)) for a in args]
    res = run("apply", "--db", db, *args, d, timeout=300)
    assert res.returncode == code, res.stderr[:2000]
    one_clear_message(res.stderr, [n.replace("{dir}", str(d)) for n in needles])
    assert_nothing_applied(db)


def as_unprivileged(argv):
    """argv run as nobody when we are root (root reads anything)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--", *argv]
    return argv


@pytest.fixture
def public_tmp():
    """A temporary directory every user can traverse (tmp_path is root's only)."""
    d = tempfile.mkdtemp(prefix="migsafe-bad-")
    os.chmod(d, 0o755)
    yield Path(d)
    for root, dirs, _ in os.walk(d):
        for x in dirs:
            os.chmod(os.path.join(root, x), 0o755)
    shutil.rmtree(d)


@pytest.mark.parametrize("what", ["directory", "file"])
def test_unreadable_input(migsafe_bin, db, public_tmp, what):
    d = public_tmp / "migrations"
    d.mkdir()
    (d / "0001_ok.sql").write_text(OK_SQL)
    (d / "0002_secret.sql").write_text("SELECT 1;\n")
    target = d if what == "directory" else d / "0002_secret.sql"
    os.chmod(target, 0)
    res = subprocess.run(as_unprivileged([migsafe_bin, "apply", "--db", db, str(d)]),
                         capture_output=True, text=True, timeout=120)
    os.chmod(target, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    assert res.returncode == USAGE, res.stderr
    one_clear_message(res.stderr, [str(target), "Permission denied"])
    assert_nothing_applied(db)


# Found by this suite (issue 9); apply now checks the report paths before
# applying anything (runner/cli_apply.c).
@pytest.mark.parametrize("option", ["--report", "--output"])
def test_report_path_not_writable(run, db, tmp_path, option):
    d = write_case(tmp_path, {})
    bad = tmp_path / "no" / "such" / "dir" / "report.json"
    res = run("apply", "--db", db, option, bad, d)
    assert res.returncode == USAGE, res.stderr
    one_clear_message(res.stderr, [str(bad)])
    assert_nothing_applied(db)


@pytest.fixture
def app_role(server_url, db):
    """A login role with a password (the server asks non-postgres roles for scram)."""
    name = "bad_inputs_app"
    admin = connect(server_url)
    with admin.cursor() as cur:
        cur.execute(f"DROP ROLE IF EXISTS {name}")
        cur.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'right-pass-123'")
        cur.execute(f'GRANT ALL ON DATABASE "{db.rsplit("/", 1)[1]}" TO {name}')
    yield name
    with admin.cursor() as cur:
        cur.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'")
    admin.close()


def url_with(db, user=None, password=None, port=None, dbname=None):
    from urllib.parse import urlsplit
    p = urlsplit(db)
    auth = user + (f":{password}" if password else "") + "@" if user else (
        p.username + "@" if p.username else "")
    return f"postgresql://{auth}{p.hostname}:{port or p.port}/{dbname or p.path[1:]}"


def test_wrong_password(run, db, tmp_path, app_role):
    d = write_case(tmp_path, {})
    res = run("apply", "--db", url_with(db, app_role, "wrong-pass-456"), d)
    assert res.returncode == DATABASE, res.stderr
    one_clear_message(res.stderr, ["password authentication failed", app_role])
    assert "wrong-pass-456" not in res.stderr + res.stdout
    assert_nothing_applied(db)


def test_unreachable_host(run, db, tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()   # nothing listens there now
    d = write_case(tmp_path, {})
    res = run("apply", "--db", url_with(db, port=port), d, timeout=60)
    assert res.returncode == DATABASE, res.stderr
    one_clear_message(res.stderr, ["127.0.0.1", str(port), "Connection refused"])
    assert_nothing_applied(db)


def test_missing_database(run, db, tmp_path):
    d = write_case(tmp_path, {})
    res = run("apply", "--db", url_with(db, dbname="no_such_db_xyz"), d)
    assert res.returncode == DATABASE, res.stderr
    one_clear_message(res.stderr, ["no_such_db_xyz", "does not exist"])
    assert_nothing_applied(db)


def test_malformed_url(run, db, tmp_path):
    d = write_case(tmp_path, {})
    res = run("apply", "--db", "postgresql://127.0.0.1:notaport/x", d)
    assert res.returncode in (USAGE, DATABASE), res.stderr
    one_clear_message(res.stderr, ["notaport"])
    assert_nothing_applied(db)


def test_failing_statement_rolls_back_its_migration(run, db, tmp_path):
    """Not an input error but the neighbouring case: the statement fails on the
    server (exit 1), located in the file, and its migration leaves nothing."""
    d = write_case(tmp_path, {"0002_fails.sql":
                              "CREATE TABLE half (id int);\nINSERT INTO missing_table VALUES (1);\n"})
    res = run("apply", "--db", db, d)
    assert res.returncode == 1, res.stderr
    one_clear_message(res.stderr, ["0002_fails.sql:2:", "missing_table", "42P01"])
    conn = connect(db)
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.half') IS NULL, to_regclass('public.marker') IS NOT NULL")
        assert cur.fetchone() == (True, True)
    conn.close()
