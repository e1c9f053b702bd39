"""Passwords never leak: every command, run with a password in its
connection string (URL, key=value conninfo or DATABASE_URL), in every
report format, succeeding or failing, leaves the password out of stdout,
stderr, the --output and --report files and the history table.
"""
import pytest

from conftest import connect

PASSWORD = "Sekr3t-9f2c71d4"
WRONG = "Wr0ng-5e8a33b7"
ROLE = "secrets_app"
FORMATS = ["text", "json", "sarif", "github", "gitlab", "markdown"]
DB_COMMANDS = ["plan", "dry-run", "apply", "status", "blockers"]
# status and blockers report no findings: they offer text and json only.
COMMAND_FORMATS = [(c, f) for c in DB_COMMANDS for f in FORMATS
                   if c not in ("status", "blockers") or f in ("text", "json")]
MIGRATIONS = {
    "0001_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    "0002_users_email.sql": "-- migsafe:no-transaction\n"
                            "CREATE INDEX CONCURRENTLY users_email ON users (email);\n",
}


@pytest.fixture
def secret_db(server_url, db):
    """The test database, owned by a role that logs in with PASSWORD over scram."""
    dbname = db.rsplit("/", 1)[1]
    admin = connect(server_url)
    with admin.cursor() as cur:
        cur.execute(f"DROP ROLE IF EXISTS {ROLE}")
        cur.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")
        cur.execute(f'ALTER DATABASE "{dbname}" OWNER TO {ROLE}')
    host_port = db.split("@", 1)[1].rsplit("/", 1)[0]
    host, port = host_port.split(":")
    yield {"url": f"postgresql://{ROLE}:{PASSWORD}@{host_port}/{dbname}",
           "wrong_url": f"postgresql://{ROLE}:{WRONG}@{host_port}/{dbname}",
           "conninfo": f"host={host} port={port} dbname={dbname} user={ROLE} password={PASSWORD}",
           "admin_url": db}
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                    (ROLE,))
    admin.close()


def command_args(command, migdir):
    return [] if command == "blockers" else [migdir]


def assert_no_secret(res, files, *secrets):
    texts = {"stdout": res.stdout, "stderr": res.stderr}
    for f in files:
        if f.exists():
            texts[f.name] = f.read_text(errors="replace")
    for where, text in texts.items():
        for s in secrets:
            assert s not in text, f"password found in {where}:\n{text[:3000]}"


def assert_history_clean(admin_url, *secrets):
    conn = connect(admin_url)
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('migsafe.migrations') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("SELECT coalesce(string_agg(row_to_json(h)::text, E'\\n'), '') "
                        "FROM migsafe.migrations h")
            text = cur.fetchone()[0]
            for s in secrets:
                assert s not in text, "password stored in the history table"
    conn.close()


@pytest.mark.parametrize("command,fmt", COMMAND_FORMATS)
def test_password_in_url(run, write_migrations, tmp_path, secret_db, command, fmt):
    d = write_migrations(MIGRATIONS)
    out, rep = tmp_path / "out.txt", tmp_path / "report.json"
    res = run(command, "--db", secret_db["url"], "--format", fmt, "--output", out,
              "--report", rep, "--verbose", *command_args(command, d))
    assert res.returncode in (0, 1), res.stderr[:2000]
    assert out.exists() and rep.exists(), "the reports were not written"
    assert_no_secret(res, [out, rep], PASSWORD)
    assert_history_clean(secret_db["admin_url"], PASSWORD)


@pytest.mark.parametrize("command", DB_COMMANDS)
def test_wrong_password_in_url(run, write_migrations, tmp_path, secret_db, command):
    d = write_migrations(MIGRATIONS)
    out, rep = tmp_path / "out.txt", tmp_path / "report.json"
    res = run(command, "--db", secret_db["wrong_url"], "--format", "json", "--output", out,
              "--report", rep, "--verbose", *command_args(command, d))
    assert res.returncode == 4, res.stderr[:2000]
    assert "password authentication failed" in res.stderr
    assert_no_secret(res, [out, rep], WRONG, PASSWORD)


@pytest.mark.parametrize("command", DB_COMMANDS)
def test_password_in_conninfo_and_environment(run, write_migrations, tmp_path, secret_db,
                                              command):
    d = write_migrations(MIGRATIONS)
    rep = tmp_path / "report.json"
    res = run(command, "--db", secret_db["conninfo"], "--report", rep, "--verbose",
              *command_args(command, d))
    assert res.returncode in (0, 1), res.stderr[:2000]
    assert_no_secret(res, [rep], PASSWORD)
    rep.unlink()
    res = run(command, "--report", rep, "--verbose", *command_args(command, d),
              env={"DATABASE_URL": secret_db["url"]})
    assert res.returncode in (0, 1), res.stderr[:2000]
    assert_no_secret(res, [rep], PASSWORD)


def test_check_ignores_and_hides_database_url(run, write_migrations, tmp_path, secret_db):
    d = write_migrations(MIGRATIONS)
    rep = tmp_path / "report.json"
    for fmt in FORMATS:
        res = run("check", "--format", fmt, "--report", rep, "--verbose", d,
                  env={"DATABASE_URL": secret_db["url"]})
        assert res.returncode in (0, 1), res.stderr[:2000]
        assert_no_secret(res, [rep], PASSWORD)


def test_failing_migration_does_not_leak(run, write_migrations, tmp_path, secret_db):
    d = write_migrations({**MIGRATIONS, "0003_broken.sql": "INSERT INTO nowhere VALUES (1);\n"})
    rep = tmp_path / "report.json"
    res = run("apply", "--db", secret_db["url"], "--report", rep, "--verbose", d)
    assert res.returncode == 1, res.stderr[:2000]
    assert "nowhere" in res.stderr
    assert_no_secret(res, [rep], PASSWORD)
    assert_history_clean(secret_db["admin_url"], PASSWORD)


def test_unreachable_server_does_not_leak(run, write_migrations, tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    d = write_migrations(MIGRATIONS)
    rep = tmp_path / "report.json"
    for command in DB_COMMANDS:
        res = run(command, "--db", f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{port}/x",
                  "--report", rep, "--verbose", *command_args(command, d), timeout=60)
        assert res.returncode == 4, res.stderr[:2000]
        assert str(port) in res.stderr
        assert_no_secret(res, [rep], PASSWORD)
