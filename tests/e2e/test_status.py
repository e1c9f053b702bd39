"""migsafe status: the files compared with the history table."""
import json

from applyutil import query

NO_GATE = ("--fail-on", "never")


def test_status_without_history_lists_everything_pending(db, run, write_migrations):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n"})
    r = run("status", "--db", db, d, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["command"] == "status"
    assert [(m["version"], m["state"]) for m in doc["migrations"]] == [("0001", "pending")]
    # status never creates the history table
    assert query(db, "SELECT to_regclass('migsafe.migrations')")[0][0] is None


def test_status_shows_applied_pending_changed_and_missing(db, run, write_migrations):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n",
                          "0002_b.sql": "CREATE TABLE b (id int);\n",
                          "0003_c.sql": "CREATE TABLE c (id int);\n"})
    assert run("apply", "--db", db, d, *NO_GATE).returncode == 0
    (d / "0002_b.sql").write_text("CREATE TABLE b (id bigint);\n")
    (d / "0003_c.sql").unlink()
    (d / "0004_d.sql").write_text("CREATE TABLE d (id int);\n")

    r = run("status", "--db", db, d, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    states = {m["version"]: m["state"] for m in doc["migrations"]}
    assert states == {"0001": "applied", "0002": "changed", "0003": "missing", "0004": "pending"}
    assert doc["summary"] == {"applied": 1, "pending": 1, "changed": 1, "missing": 1, "partial": 0}
    changed = [m for m in doc["migrations"] if m["version"] == "0002"][0]
    assert changed["checksum"] != changed["applied_checksum"]
    assert doc["target"]["database"] == db.rsplit("/", 1)[1]

    r = run("status", "--db", db, d)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(l.startswith("changed") and "0002_b.sql" in l for l in lines)
    assert any(l.startswith("missing") and "0003" in l for l in lines)
    assert any(l.startswith("pending") and "0004_d.sql" in l for l in lines)
    assert "1 applied, 1 pending, 1 changed, 1 missing, 0 partial" in r.stdout

    # --allow-changed applies the pending one; status still shows the change
    assert run("apply", "--db", db, d, *NO_GATE).returncode == 2
    assert run("apply", "--db", db, d, "--allow-changed", *NO_GATE).returncode == 0
    doc = json.loads(run("status", "--db", db, d, "--format", "json").stdout)
    states = {m["version"]: m["state"] for m in doc["migrations"]}
    assert states == {"0001": "applied", "0002": "changed", "0003": "missing", "0004": "applied"}


def test_status_custom_history_table(db, run, write_migrations):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n"})
    assert run("apply", "--db", db, d, "--history-table", "ops.schema_history", *NO_GATE).returncode == 0
    assert query(db, "SELECT count(*) FROM ops.schema_history")[0][0] == 1
    doc = json.loads(run("status", "--db", db, d, "--history-table", "ops.schema_history",
                         "--format", "json").stdout)
    assert doc["migrations"][0]["state"] == "applied"
    doc = json.loads(run("status", "--db", db, d, "--format", "json").stdout)
    assert doc["migrations"][0]["state"] == "pending"


def test_status_connection_error_exits_4(run, write_migrations):
    d = write_migrations({"0001_a.sql": "CREATE TABLE a (id int);\n"})
    r = run("status", "--db", "postgresql://nobody:pw@127.0.0.1:1/nodb", d)
    assert r.returncode == 4
    assert "pw@" not in r.stderr
