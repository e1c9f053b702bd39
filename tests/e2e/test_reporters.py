"""Reporters, --fail-on, stdin input and migsafe.json, through the real binary.

The JSON report is validated against docs/report.schema.json and the SARIF
report against the official SARIF 2.1.0 schema (../shared/schemas). Expected
lines and columns are computed from the SQL the tests write, never taken
from migsafe's own output.
"""
import json
import re
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
REPORT_SCHEMA = REPO / "docs" / "report.schema.json"
SARIF_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
RULES_DOC = REPO / "docs" / "rules.md"

# An error, warnings and an info, an ignored finding and a comma in a path.
MIGRATION_1 = """\
CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
CREATE INDEX accounts_email_idx ON accounts (email);
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
"""
MIGRATION_2 = """\
-- migsafe:ignore dropping-table replaced by accounts in release 4.2
DROP TABLE legacy_users;
ALTER TABLE orders ALTER COLUMN note DROP NOT NULL;
ALTER TABLE orders RENAME COLUMN note TO remark;
"""
WARNING_ONLY = "ALTER TABLE orders RENAME COLUMN note TO remark;\n"


def line_col(sql, needle):
    """1-based line and column of the first occurrence of needle in sql."""
    off = sql.index(needle)
    line = sql.count("\n", 0, off) + 1
    col = off - (sql.rfind("\n", 0, off) + 1) + 1
    return line, col


@pytest.fixture
def project(write_migrations):
    return write_migrations({"0001_accounts.sql": MIGRATION_1, "0002_cleanup.sql": MIGRATION_2})


def check_json(run, *args, **kw):
    res = run("check", "--format", "json", *args, **kw)
    assert res.returncode in (0, 1), res.stderr
    return res, json.loads(res.stdout)


def findings(doc):
    return [(Path(m["path"]).name, f) for m in doc["migrations"] for f in m["findings"]]


def test_json_validates_against_published_schema(run, project):
    res, doc = check_json(run, project)
    jsonschema.validate(doc, json.loads(REPORT_SCHEMA.read_text()),
                        cls=jsonschema.Draft202012Validator)
    got = {(name, f["rule"]) for name, f in findings(doc)}
    assert ("0001_accounts.sql", "adding-column-volatile-default") in got
    assert ("0002_cleanup.sql", "renaming-column") in got
    assert ("0002_cleanup.sql", "dropping-not-null") in got
    # the index is on a table created two lines above: exempt
    assert ("0001_accounts.sql", "create-index-non-concurrently") not in got
    # suppressed by its directive, which is therefore not reported as unused
    assert ("0002_cleanup.sql", "dropping-table") not in got
    assert ("0002_cleanup.sql", "unused-ignore") not in got
    f = next(f for n, f in findings(doc) if f["rule"] == "adding-column-volatile-default")
    assert f["severity"] == "error"
    assert f["statement"] == 2
    assert (f["line"], f["column"]) == line_col(MIGRATION_1, "token uuid")
    assert "public.users" in f["message"] and "AccessExclusiveLock" in f["message"]
    assert "SET DEFAULT" in f["help"]
    assert doc["summary"]["errors"] == sum(1 for _, f in findings(doc) if f["severity"] == "error")
    assert res.returncode == 1


def test_schema_rejects_a_broken_report(run, project):
    """The schema is not a rubber stamp: a finding without its rule fails it."""
    _, doc = check_json(run, project)
    del doc["migrations"][0]["findings"][0]["rule"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json.loads(REPORT_SCHEMA.read_text()),
                            cls=jsonschema.Draft202012Validator)


def test_sarif_validates_against_sarif_2_1_0(run, project):
    res = run("check", "--format", "sarif", project)
    assert res.returncode == 1, res.stderr
    sarif = json.loads(res.stdout)
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    assert sarif["version"] == "2.1.0"
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    results = sarif["runs"][0]["results"]
    assert results
    for r in results:
        assert ids[r["ruleIndex"]] == r["ruleId"]
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"].endswith(".sql")
        assert loc["region"]["startLine"] >= 1
    vol = next(r for r in results if r["ruleId"] == "adding-column-volatile-default")
    assert vol["level"] == "error"
    region = vol["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == line_col(MIGRATION_1, "token uuid")
    assert next(r for r in results if r["ruleId"] == "dropping-not-null")["level"] == "note"


def test_every_rule_is_documented(run, project):
    """docs/rules.md has a section, a bad and a good example for every rule in the catalogue."""
    sarif = json.loads(run("check", "--format", "sarif", project).stdout)
    doc = RULES_DOC.read_text()
    sections = re.split(r"^### ", doc, flags=re.M)
    by_id = {s.split("\n", 1)[0].strip().strip("`"): s for s in sections[1:]}
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["id"] in by_id, f"{rule['id']} not in docs/rules.md"
        body = by_id[rule["id"]]
        assert "Bad" in body and "Good" in body, rule["id"]


def test_github_annotations(run, project):
    res = run("check", "--format", "github", project)
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    cmds = [l for l in lines if l.startswith("::")]
    _, doc = check_json(run, project)
    assert len(cmds) == len(findings(doc))
    line, col = line_col(MIGRATION_1, "token uuid")
    vol = next(c for c in cmds if "adding-column-volatile-default" in c)
    m = re.match(r"::error file=([^,]+),line=(\d+),col=(\d+),title=migsafe adding-column-"
                 r"volatile-default::(.*)$", vol)
    assert m, vol
    assert m.group(1).endswith("0001_accounts.sql")
    assert (int(m.group(2)), int(m.group(3))) == (line, col)
    # multi-line help travels as %0A inside the one command line
    assert "%0A" in m.group(4) and "\n" not in m.group(4)
    assert any(c.startswith("::notice ") and "dropping-not-null" in c for c in cmds)
    assert lines[-1].startswith("migsafe: 2 migrations")


def test_github_escapes_path_properties(run, write_migrations):
    d = write_migrations({"0001_a,b.sql": WARNING_ONLY})
    res = run("check", "--format", "github", d)
    cmd = next(l for l in res.stdout.splitlines() if l.startswith("::"))
    assert "file=" in cmd and "0001_a%2Cb.sql,line=1," in cmd


def test_gitlab_code_quality(run, project, write_migrations):
    res = run("check", "--format", "gitlab", project)
    assert res.returncode == 1
    issues = json.loads(res.stdout)
    _, doc = check_json(run, project)
    assert len(issues) == len(findings(doc))
    fps = [i["fingerprint"] for i in issues]
    assert len(set(fps)) == len(fps)
    for i in issues:
        assert re.fullmatch(r"[0-9a-f]{32}", i["fingerprint"])
        assert i["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert i["location"]["path"].endswith(".sql")
        assert i["location"]["lines"]["begin"] >= 1
        assert i["description"] and i["check_name"]
    vol = next(i for i in issues if i["check_name"] == "adding-column-volatile-default")
    assert vol["severity"] == "critical"
    assert vol["location"]["lines"]["begin"] == line_col(MIGRATION_1, "token uuid")[0]

    # fingerprints are stable: lines added above move the finding, not its identity
    moved = write_migrations({"0001_accounts.sql": "\n\n-- a note\n" + MIGRATION_1,
                              "0002_cleanup.sql": MIGRATION_2}, subdir=project.name)
    again = json.loads(run("check", "--format", "gitlab", moved).stdout)
    vol2 = next(i for i in again if i["check_name"] == "adding-column-volatile-default")
    assert vol2["fingerprint"] == vol["fingerprint"]
    assert vol2["location"]["lines"]["begin"] == vol["location"]["lines"]["begin"] + 3


def test_markdown_tables_and_details(run, project):
    res = run("check", "--format", "markdown", project)
    assert res.returncode == 1
    md = res.stdout
    assert md.startswith("## migsafe check: ")
    assert "| Line | Statement | Lock | Blocks | Findings |" in md
    assert md.count("<details>") == md.count("</details>") == 2
    assert "AccessExclusiveLock on public.users" in md
    assert "Truncated" not in md


def test_markdown_is_capped_with_a_note(run, write_migrations):
    many = "".join(f"CREATE INDEX idx_{i} ON big_table (col_{i});\n" for i in range(1500))
    d = write_migrations({f"{n:04d}_indexes.sql": many for n in range(1, 4)})
    res = run("check", "--format", "markdown", d)
    assert res.returncode == 1
    assert len(res.stdout) < 65000
    assert "Truncated" in res.stdout
    assert res.stdout.count("<details>") == res.stdout.count("</details>")


def test_markdown_caps_one_huge_migration_by_rows(run, write_migrations):
    """A single schema-dump-sized migration still shows the start of its table."""
    many = "".join(f"CREATE INDEX idx_{i} ON big_table (col_{i});\n" for i in range(3000))
    d = write_migrations({"0001_dump.sql": many})
    md = run("check", "--format", "markdown", d).stdout
    assert len(md) < 65000
    rows = [l for l in md.splitlines() if l.startswith("| ") and "CREATE INDEX" in l]
    assert 100 < len(rows) < 3000
    assert rows[0].startswith("| 1 | `CREATE INDEX idx_0 ON big_table")
    assert re.search(r"1 of 1 migrations shown, the last without \d+ of its statements", md)


def test_text_report(run, project, tmp_path):
    res = run("check", project)
    assert res.returncode == 1
    assert "\x1b[" not in res.stdout       # NO_COLOR is set by the fixture; not a TTY anyway
    assert "error [adding-column-volatile-default]" in res.stdout
    assert "AccessExclusiveLock: blocks reads, writes and DDL" in res.stdout
    assert re.search(r"^2 migrations, 6 statements: 1 errors, \d+ warnings, 1 infos$",
                     res.stdout, flags=re.M), res.stdout


def test_output_file_written_atomically(run, project, tmp_path):
    out = tmp_path / "out" / "report.sarif"
    out.parent.mkdir()
    res = run("check", "--format", "sarif", "--output", out, project)
    assert res.returncode == 1
    assert res.stdout == ""
    json.loads(out.read_text())
    assert [p.name for p in out.parent.iterdir()] == ["report.sarif"]


@pytest.mark.parametrize("content,fail_on,code", [
    (MIGRATION_1, None, 1), (MIGRATION_1, "error", 1), (MIGRATION_1, "warning", 1),
    (MIGRATION_1, "never", 0), (WARNING_ONLY, None, 0), (WARNING_ONLY, "error", 0),
    (WARNING_ONLY, "warning", 1), (WARNING_ONLY, "never", 0),
    ("CREATE TABLE t (id bigint PRIMARY KEY);\n", "warning", 0),
])
def test_fail_on_exit_codes(run, write_migrations, content, fail_on, code):
    d = write_migrations({"0001_x.sql": content})
    args = ["check", d] + (["--fail-on", fail_on] if fail_on else [])
    assert run(*args).returncode == code


def test_stdin_with_filename(run):
    sql = "SELECT 1;\nCREATE INDEX users_email_idx ON users (email);\n"
    res = run("check", "--format", "json", "--stdin-filename", "db/migrate/0042_idx.sql", "-",
              input=sql)
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert doc["migrations"][0]["path"] == "db/migrate/0042_idx.sql"
    f = next(f for _, f in findings(doc) if f["rule"] == "create-index-non-concurrently")
    assert (f["line"], f["column"]) == line_col(sql, "CREATE INDEX")
    gh = run("check", "--format", "github", "--stdin-filename", "db/migrate/0042_idx.sql", "-",
             input=sql).stdout
    assert "::error file=db/migrate/0042_idx.sql,line=2,col=1," in gh


def test_applied_by_other_asks_for_lock_timeout(run, write_migrations):
    d = write_migrations({"0001_x.sql": "ALTER TABLE users ADD COLUMN a int;\n"})
    _, doc = check_json(run, d)
    assert "missing-lock-timeout" not in {f["rule"] for _, f in findings(doc)}
    _, doc = check_json(run, "--applied-by", "other", d)
    assert "missing-lock-timeout" in {f["rule"] for _, f in findings(doc)}
    d2 = write_migrations({"0001_x.sql": "SET lock_timeout = '2s';\n"
                           "ALTER TABLE users ADD COLUMN a int;\n"}, subdir="m2")
    _, doc = check_json(run, "--applied-by", "other", d2)
    assert "missing-lock-timeout" not in {f["rule"] for _, f in findings(doc)}


# ---- migsafe.json ----

def test_config_in_current_directory(run, project, tmp_path):
    (tmp_path / "migsafe.json").write_text(json.dumps({
        "rules": {"renaming-column": "off", "dropping-not-null": "error"},
        "fail_on": "never",
    }))
    res, doc = check_json(run, project, cwd=tmp_path)
    rules = {f["rule"]: f["severity"] for _, f in findings(doc)}
    assert "renaming-column" not in rules
    assert rules["dropping-not-null"] == "error"
    assert res.returncode == 0                      # fail_on from the file
    # the command line overrides the file
    assert run("check", "--fail-on", "error", project, cwd=tmp_path).returncode == 1


def test_config_option_and_exclude(run, project, tmp_path):
    cfg = tmp_path / "conf" / "ms.json"
    cfg.parent.mkdir()
    cfg.write_text(json.dumps({"exclude": ["*/0002_*"], "applied_by": "other",
                               "pg_version": 10}))
    _, doc = check_json(run, "--config", cfg, project)
    assert [Path(m["path"]).name for m in doc["migrations"]] == ["0001_accounts.sql"]
    assert "missing-lock-timeout" in {f["rule"] for _, f in findings(doc)}


def test_config_pg_version_changes_facts(run, write_migrations, tmp_path):
    d = write_migrations({"0001_x.sql": "ALTER TABLE users ADD COLUMN n int DEFAULT 0;\n"})
    _, doc = check_json(run, d)
    assert "adding-column-volatile-default" not in {f["rule"] for _, f in findings(doc)}
    (tmp_path / "migsafe.json").write_text('{"pg_version": 10}')
    _, doc = check_json(run, d, cwd=tmp_path)
    assert "adding-column-volatile-default" in {f["rule"] for _, f in findings(doc)}
    _, doc = check_json(run, "--pg-version", "15", d, cwd=tmp_path)
    assert "adding-column-volatile-default" not in {f["rule"] for _, f in findings(doc)}


@pytest.mark.parametrize("content,needle", [
    ('{"colour": "always"}', '"colour"'),
    ('{"rules": {"no-such-rule": "off"}}', '"no-such-rule"'),
    ('{"rules": {"dropping-table": "loud"}}', '"dropping-table"'),
    ('{"rules": ["dropping-table"]}', '"rules"'),
    ('{"lock_timeout": "soon"}', '"lock_timeout"'),
    ('{"pg_version": "fifteen"}', '"pg_version"'),
    ('{"exclude": "old/*"}', '"exclude"'),
    ('{"fail_on": "sometimes"}', '"fail_on"'),
    ('{"rules": {}', "not valid JSON"),
    ('[1, 2]', "JSON object"),
])
def test_config_errors_exit_2(run, project, tmp_path, content, needle):
    (tmp_path / "migsafe.json").write_text(content)
    res = run("check", project, cwd=tmp_path)
    assert res.returncode == 2
    assert "migsafe.json" in res.stderr and needle in res.stderr
    assert res.stdout == ""


def test_config_missing_file_given_explicitly(run, project, tmp_path):
    res = run("check", "--config", tmp_path / "nope.json", project)
    assert res.returncode == 2
    assert "nope.json" in res.stderr


def run_on_tty(migsafe_bin, args, env_extra):
    """Runs migsafe with stdout on a pseudo-terminal; returns (exit code, what it printed)."""
    import os
    import pty
    import subprocess
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(env_extra)
    master, slave = pty.openpty()
    proc = subprocess.Popen([migsafe_bin, *map(str, args)], stdout=slave,
                            stderr=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:              # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode()


def test_text_colours_only_on_a_terminal(migsafe_bin, project, tmp_path):
    code, out = run_on_tty(migsafe_bin, ["check", project], {})
    assert code == 1
    assert "\x1b[31merror\x1b[0m [adding-column-volatile-default]" in out
    code, out = run_on_tty(migsafe_bin, ["check", project], {"NO_COLOR": "1"})
    assert code == 1 and "\x1b[" not in out and "error [adding-column-volatile-default]" in out
    # a report written to a file never carries escape codes, even from a terminal
    report = tmp_path / "report.txt"
    code, out = run_on_tty(migsafe_bin, ["check", "--output", report, project], {})
    assert code == 1 and out == ""
    assert "\x1b[" not in report.read_text()
    assert "error [adding-column-volatile-default]" in report.read_text()


def test_example_migrations_safe_and_unsafe(run):
    """migrations-example names its files *_unsafe / *_safe: errors exactly on the unsafe ones."""
    examples = REPO / "migrations-example"
    res, doc = check_json(run, examples)
    assert res.returncode == 1
    for m in doc["migrations"]:
        severities = {f["severity"] for f in m["findings"]}
        if m["path"].endswith("_unsafe.sql"):
            assert "error" in severities, m["path"]
        else:
            assert severities <= {"info"}, (m["path"], m["findings"])


def test_ci_formats_use_paths_relative_to_the_working_directory(run, project):
    """An absolute path below the working directory is shown relative to it (the repository
    root in CI), and the fingerprint does not depend on how the path was written."""
    base = project.parent
    absolute = json.loads(run("check", "--format", "gitlab", project.resolve(), cwd=base).stdout)
    relative = json.loads(run("check", "--format", "gitlab", project.name, cwd=base).stdout)
    assert {i["location"]["path"] for i in absolute} == {
        f"{project.name}/0001_accounts.sql", f"{project.name}/0002_cleanup.sql"}
    assert [i["fingerprint"] for i in absolute] == [i["fingerprint"] for i in relative]
    gh = run("check", "--format", "github", project.resolve(), cwd=base).stdout
    assert f"file={project.name}/0001_accounts.sql," in gh
    sarif = json.loads(run("check", "--format", "sarif", project.resolve(), cwd=base).stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]}
    assert uris == {f"{project.name}/0001_accounts.sql", f"{project.name}/0002_cleanup.sql"}


def test_interrupted_check_leaves_no_report_file(migsafe_bin, write_migrations, tmp_path):
    # check writes --output and --report through temp files as it goes; a
    # Ctrl-C while it analyses must stop it (130) and leave neither the
    # reports nor their temp files behind.
    import signal
    import subprocess
    import time
    body = "".join(f"CREATE TABLE t{i} (id bigint PRIMARY KEY, v text);\n"
                   f"CREATE INDEX t{i}_v ON t{i} (v);\n" for i in range(150))
    d = write_migrations({f"{i:05d}_m.sql": body for i in range(1, 2001)})
    out, rep = tmp_path / "out.txt", tmp_path / "report.json"
    proc = subprocess.Popen([migsafe_bin, "check", "--format", "text", "-o", str(out),
                             "--report", str(rep), str(d)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("report.json.tmp.*")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    assert list(tmp_path.glob("out.txt.tmp.*")), "the reports are written as the analysis goes"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["migrations"]


def peak_rss_kb(argv):
    """Peak RSS of argv, run by a fresh Python so that no other child counts.
    ASan's quarantine would hold freed memory back: it is turned off here."""
    import os
    import subprocess
    import sys
    code = ("import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "quarantine_size_mb=0"]))
    out = subprocess.run([sys.executable, "-c", code, *map(str, argv)], env=env,
                         capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_streamed_formats_do_not_keep_the_migrations(migsafe_bin, write_migrations):
    # check writes every format but markdown as it goes and frees each
    # migration: five times the files must not take much more memory.
    # Markdown (whose totals come first) shows what keeping them costs.
    body = "".join(f"ALTER TABLE users ADD COLUMN c{i} uuid DEFAULT gen_random_uuid();\n"
                   for i in range(40))
    small = write_migrations({f"{i:05d}_m.sql": body for i in range(1, 201)}, subdir="small")
    big = write_migrations({f"{i:05d}_m.sql": body for i in range(1, 1001)}, subdir="big")

    def growth(fmt):
        # the least of three runs: how far the parse-ahead threads get adds noise, upwards only
        def least(d):
            return min(peak_rss_kb([migsafe_bin, "check", "--format", fmt, d]) for _ in range(3))
        return least(big) - least(small)

    kept = growth("markdown")
    assert kept > 20_000, f"markdown keeps 800 more migrations in {kept} KiB"
    for fmt in ("json", "text", "github", "gitlab", "sarif"):
        assert growth(fmt) < kept / 4, fmt
