"""The migration loader: every layout, ordering, sections, and bad inputs.

Runs `migsafe check --format json` on directories written by each test and
asserts what was loaded (paths, versions, layouts, statements, positions).
"""
import json


def check_json(run, *args):
    res = run("check", "--format", "json", "--fail-on", "never", *args)
    doc = json.loads(res.stdout) if res.stdout.strip() else None
    return res, doc


def loaded(doc):
    return [(m["path"].rsplit("/", 1)[-1] if "/" not in m["path"].split("migrations/")[-1]
             else m["path"].split("migrations/")[-1], m["version"], m["layout"])
            for m in doc["migrations"]]


def test_plain_layout_sorted_numerically(run, write_migrations):
    d = write_migrations({
        "10_ten.sql": "SELECT 10;",
        "9_nine.sql": "SELECT 9;",
        "0001_one.sql": "SELECT 1;",
        "README.md": "not a migration",
    })
    res, doc = check_json(run, d)
    assert res.returncode == 0, res.stderr
    assert [m["version"] for m in doc["migrations"]] == ["0001", "9", "10"]
    assert [m["name"] for m in doc["migrations"]] == ["one", "nine", "ten"]
    assert {m["layout"] for m in doc["migrations"]} == {"plain"}


def test_flyway_versions_and_segments(run, write_migrations):
    d = write_migrations({
        "V1_10__later.sql": "SELECT 110;",
        "V1_9__earlier.sql": "SELECT 19;",
        "V1__first.sql": "SELECT 1;",
        "V2.1__dotted.sql": "SELECT 21;",
        "U1__undo_first.sql": "SELECT 'undo';",
    })
    res, doc = check_json(run, d)
    assert res.returncode == 0, res.stderr
    assert [m["version"] for m in doc["migrations"]] == ["1", "1.9", "1.10", "2.1"]
    assert [m["name"] for m in doc["migrations"]] == ["first", "earlier", "later", "dotted"]
    assert {m["layout"] for m in doc["migrations"]} == {"flyway"}


def test_flyway_repeatable_is_reported_unsupported(run, write_migrations):
    d = write_migrations({"V1__a.sql": "SELECT 1;", "R__views.sql": "SELECT 2;"})
    res, _ = check_json(run, d)
    assert res.returncode == 2
    assert "R__views.sql" in res.stderr and "not supported" in res.stderr


def test_golang_migrate_up_applied_down_recognised(run, write_migrations):
    d = write_migrations({
        "000001_init.up.sql": "CREATE TABLE a (id int);",
        "000001_init.down.sql": "DROP TABLE a;",
        "000002_more.up.sql": "CREATE TABLE b (id int);",
        "000002_more.down.sql": "DROP TABLE b;",
    })
    res, doc = check_json(run, d)
    assert res.returncode == 0, res.stderr
    assert [(m["version"], m["name"], m["layout"]) for m in doc["migrations"]] == [
        ("000001", "init", "golang-migrate"), ("000002", "more", "golang-migrate")]
    assert doc["migrations"][0]["statements"][0]["sql"] == "CREATE TABLE a (id int)"


def test_dbmate_sections_and_transaction_false(run, write_migrations):
    d = write_migrations({
        "20240101000000_users.sql":
            "-- migrate:up\nCREATE TABLE users (id int);\n\n-- migrate:down\nDROP TABLE users;\n",
        "20240102000000_idx.sql":
            "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON users (id);\n"
            "-- migrate:down\nDROP INDEX i;\n",
    })
    res, doc = check_json(run, d)
    assert res.returncode == 0, res.stderr
    first, second = doc["migrations"]
    assert first["layout"] == "dbmate" and first["transactional"] is True
    assert [s["sql"] for s in first["statements"]] == ["CREATE TABLE users (id int)"]
    assert first["statements"][0]["line"] == 2
    assert second["transactional"] is False
    assert [s["line"] for s in second["statements"]] == [2]


def test_goose_sections_statement_blocks_and_no_transaction(run, write_migrations):
    d = write_migrations({
        "20240101000000_fn.sql": (
            "-- +goose Up\n"
            "-- +goose StatementBegin\n"
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
            "BEGIN\n  RETURN 1; -- a semicolon inside the body\nEND;\n$$;\n"
            "-- +goose StatementEnd\n"
            "CREATE TABLE t (id int);\n"
            "-- +goose Down\n"
            "DROP FUNCTION f();\nDROP TABLE t;\n"),
        "20240102000000_idx.sql": (
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (id);\n"
            "-- +goose Down\nDROP INDEX CONCURRENTLY i;\n"),
    })
    res, doc = check_json(run, d)
    assert res.returncode == 0, res.stderr
    fn, idx = doc["migrations"]
    assert fn["layout"] == "goose"
    assert [s["line"] for s in fn["statements"]] == [3, 9]
    assert fn["statements"][0]["sql"].startswith("CREATE FUNCTION f()")
    assert idx["transactional"] is False and len(idx["statements"]) == 1


def test_prisma_and_diesel_directories(run, write_migrations):
    d = write_migrations({
        "20240101120000_init/migration.sql": "CREATE TABLE p (id int);",
        "20240202120000_second/migration.sql": "ALTER TABLE p ADD COLUMN x int;",
        "migration_lock.toml": "provider = \"postgresql\"",
    }, subdir="prisma")
    res, doc = check_json(run, d)
    assert res.returncode == 0, res.stderr
    assert [(m["version"], m["name"], m["layout"]) for m in doc["migrations"]] == [
        ("20240101120000", "init", "prisma"), ("20240202120000", "second", "prisma")]

    d = write_migrations({
        "00000000000000_diesel_initial_setup/up.sql": "SELECT 1;",
        "00000000000000_diesel_initial_setup/down.sql": "SELECT 0;",
        "2019-02-26-002946_create_user/up.sql": "CREATE TABLE u (id int);",
        "2019-02-26-002946_create_user/down.sql": "DROP TABLE u;",
    }, subdir="diesel")
    res, doc = check_json(run, d)
    assert res.returncode == 0, res.stderr
    assert [(m["version"], m["name"], m["layout"]) for m in doc["migrations"]] == [
        ("00000000000000", "diesel_initial_setup", "diesel"),
        ("20190226002946", "create_user", "diesel")]
    assert all(m["path"].endswith("/up.sql") for m in doc["migrations"])


def test_sqlx_simple_and_reversible_mixed(run, write_migrations):
    d = write_migrations({
        "20200101000000_a.up.sql": "CREATE TABLE a (id int);",
        "20200101000000_a.down.sql": "DROP TABLE a;",
        "20210101000000_b.sql": "CREATE TABLE b (id int);",
    })
    res, doc = check_json(run, d, "--layout", "sqlx")
    assert res.returncode == 0, res.stderr
    assert [(m["version"], m["layout"]) for m in doc["migrations"]] == [
        ("20200101000000", "sqlx"), ("20210101000000", "sqlx")]
    # auto-detection reads each file by what its name says
    res, doc = check_json(run, d)
    assert [m["layout"] for m in doc["migrations"]] == ["golang-migrate", "plain"]


def test_markers_win_over_the_file_name(run, write_migrations):
    d = write_migrations({"0001_x.sql": "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n"})
    res, doc = check_json(run, d)
    assert doc["migrations"][0]["layout"] == "dbmate"
    assert [s["sql"] for s in doc["migrations"][0]["statements"]] == ["SELECT 1"]


def test_forced_layout_rejects_other_names(run, write_migrations):
    d = write_migrations({"0001_a.sql": "SELECT 1;"})
    res, _ = check_json(run, d, "--layout", "flyway")
    assert res.returncode == 2
    assert "0001_a.sql" in res.stderr and "flyway" in res.stderr


def test_positions_count_comments_blank_lines_and_utf8(run, write_migrations):
    d = write_migrations({"0001_pos.sql":
                          "-- héllo wörld\n\n/* block\n comment */\n"
                          "SELECT 'ü';  SELECT 2;\n\n  -- trailing\n  UPDATE t SET a = 1\n  ;\n"})
    res, doc = check_json(run, d)
    assert res.returncode == 0, res.stderr
    got = [(s["line"], s["column"], s["sql"]) for s in doc["migrations"][0]["statements"]]
    assert got == [(5, 1, "SELECT 'ü'"), (5, 14, "SELECT 2"), (8, 3, "UPDATE t SET a = 1")]


def test_syntax_error_names_file_line_and_column(run, write_migrations):
    d = write_migrations({"0001_ok.sql": "SELECT 1;", "0002_bad.sql": "SELECT 1;\n\n  SELEC 2;\n"})
    res, _ = check_json(run, d)
    assert res.returncode == 2
    assert "0002_bad.sql:3:3: syntax error at or near \"SELEC\"" in res.stderr


def test_syntax_error_column_counts_characters(run, write_migrations):
    d = write_migrations({"0001_bad.sql": "SELECT 'äää' FRM t;\n"})
    res, _ = check_json(run, d)
    assert res.returncode == 2
    assert "0001_bad.sql:1:18:" in res.stderr, res.stderr


def test_duplicate_versions_name_both_files(run, write_migrations):
    d = write_migrations({"0001_a.sql": "SELECT 1;", "001_b.sql": "SELECT 2;"})
    res, _ = check_json(run, d)
    assert res.returncode == 2
    assert "0001_a.sql" in res.stderr and "001_b.sql" in res.stderr and "duplicate" in res.stderr


def test_bad_files_are_named(run, write_migrations):
    cases = {
        "0001_empty.sql": ("", "empty"),
        "0002_blank.sql": ("  \n\n\t\n", "empty"),
        "0003_binary.sql": (b"SELECT 1;\x00\x01\x02", "binary"),
        "0004_latin1.sql": (b"SELECT 'caf\xe9';", "invalid UTF-8"),
        "0005_unterminated.sql": ("SELECT 'abc;\n", "unterminated"),
        "0006_comment.sql": ("SELECT 1; /* never closed\n", "unterminated"),
        "hello.sql": ("SELECT 1;", "fits no"),
    }
    for name, (content, expect) in cases.items():
        d = write_migrations({name: content}, subdir="bad_" + name.replace(".", "_"))
        res, _ = check_json(run, d)
        assert res.returncode == 2, (name, res.stderr)
        assert name in res.stderr and expect in res.stderr, (name, res.stderr)


def test_unreadable_file_is_named(run, write_migrations):
    import os
    d = write_migrations({"0001_a.sql": "SELECT 1;"})
    if os.geteuid() == 0:
        # root reads everything: a dangling symlink is the unreadable file here
        os.symlink(d / "missing-target.sql", d / "0002_gone.sql")
        res, _ = check_json(run, d)
        assert res.returncode == 2 and "0002_gone.sql" in res.stderr
    else:
        (d / "0001_a.sql").chmod(0)
        res, _ = check_json(run, d)
        assert res.returncode == 2 and "0001_a.sql" in res.stderr


def test_explicit_files_are_checked_whatever_their_names(run, tmp_path):
    f = tmp_path / "whatever name.txt"
    f.write_text("CREATE TABLE z (id int);")
    res, doc = check_json(run, f)
    assert res.returncode == 0, res.stderr
    assert doc["migrations"][0]["path"] == str(f)
    assert doc["migrations"][0]["statements"][0]["sql"] == "CREATE TABLE z (id int)"


def test_missing_path_is_an_input_error(run, tmp_path):
    res, _ = check_json(run, tmp_path / "nope")
    assert res.returncode == 2 and "nope" in res.stderr


def test_directives_attach_to_the_next_statement(run, write_migrations):
    d = write_migrations({"0001_d.sql":
                          "-- migsafe:no-transaction\nSELECT 1;\n"
                          "-- migsafe:ignore some-rule because we know\nSELECT 2;\n"})
    res, doc = check_json(run, d)
    m = doc["migrations"][0]
    assert m["transactional"] is False
    assert len(m["statements"]) == 2


def test_example_migrations_are_listed_in_version_order(run):
    from conftest import EXAMPLES
    res, doc = check_json(run, EXAMPLES)
    assert res.returncode == 0, res.stderr
    files = sorted(p.name for p in EXAMPLES.glob("*.sql"))
    assert [m["path"].rsplit("/", 1)[-1] for m in doc["migrations"]] == files
    for m in doc["migrations"]:
        assert m["statements"], m["path"]
        for s in m["statements"]:
            assert s["line"] >= 1 and s["column"] >= 1
    res = run("check", "--fail-on", "never", EXAMPLES)
    for f in files:
        assert f in res.stdout


def test_many_files_reported_in_order_with_their_own_statements(run, write_migrations):
    # check parses ahead on worker threads (more files than its look-ahead
    # window here); the report and the syntax errors must still come in file
    # order, each migration with its own statements.
    files = {}
    for i in range(1, 101):
        sql = f"CREATE TABLE broken{i:03d} (;" if i % 7 == 0 else \
            f"CREATE TABLE t{i} (id int);\nALTER TABLE t{i} ADD COLUMN c{i} text;"
        files[f"{i:04d}_m.sql"] = sql
    d = write_migrations(files)
    res, doc = check_json(run, d)
    assert res.returncode == 2, res.stderr
    errors = [line for line in res.stderr.splitlines() if "syntax error" in line]
    assert [int(e.split("/")[-1][:4]) for e in errors] == [i for i in range(1, 101) if i % 7 == 0]
    assert all(":1:25: syntax error" in e for e in errors), errors
    versions = [int(m["version"]) for m in doc["migrations"]]
    assert versions == [i for i in range(1, 101) if i % 7 != 0]
    for m in doc["migrations"]:
        i = int(m["version"])
        assert [s["sql"] for s in m["statements"]] == [
            f"CREATE TABLE t{i} (id int)", f"ALTER TABLE t{i} ADD COLUMN c{i} text"]
    assert doc["summary"]["migrations"] == 86


def test_finding_positions_deep_in_a_long_file(run, write_migrations):
    # Findings inside a statement are located from the statement's own start
    # (not by counting from the top of the file for each): thousands of
    # statements into a file, they still point at the column they are about,
    # counting characters, across the statement's own line breaks.
    lines = [f"ALTER TABLE users ADD COLUMN c{i} uuid DEFAULT gen_random_uuid(); -- é ü\n"
             for i in range(2500)]
    lines.append('ALTER TABLE "tä" ADD COLUMN x uuid DEFAULT gen_random_uuid();\n')
    lines.append("ALTER TABLE users ADD COLUMN\n  y uuid DEFAULT gen_random_uuid();\n")
    d = write_migrations({"0001_many.sql": "".join(lines)})
    res, doc = check_json(run, d)
    assert res.returncode == 0, res.stderr
    found = [f for f in doc["migrations"][0]["findings"]
             if f["rule"] == "adding-column-volatile-default"]
    assert len(found) == 2502
    for f in found[:2500]:
        assert (f["line"], f["column"]) == (f["statement"] + 1, len("ALTER TABLE users ADD COLUMN ") + 1)
    assert (found[2500]["line"], found[2500]["column"]) == (2501, len('ALTER TABLE "tä" ADD COLUMN ') + 1)
    assert (found[2501]["line"], found[2501]["column"]) == (2503, 3)
