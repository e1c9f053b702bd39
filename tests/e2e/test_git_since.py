"""--since REF (libgit2): only what this change adds or edits is reported.

Every test builds a throwaway git repository with the git command line in a
temporary directory: a base commit with two migrations, then a branch that
adds a third and edits the first. migsafe must reach the same answers as
git itself, through libgit2, never through the git command.
"""
import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

MIGRATIONS = "db/migrations"
M1 = f"{MIGRATIONS}/0001_create_users.sql"
M2 = f"{MIGRATIONS}/0002_create_orders.sql"
M3 = f"{MIGRATIONS}/0003_orders_user_index.sql"

M1_TEXT = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n"
M2_TEXT = ("CREATE TABLE orders (id bigint PRIMARY KEY,\n"
           "    user_id bigint NOT NULL REFERENCES users (id),\n"
           "    total numeric NOT NULL);\n")
M3_TEXT = "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);\n"
M1_EDIT = "ALTER TABLE users ADD COLUMN name text;\n"
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "report.schema.json").read_text())


def git_env(home):
    """An environment where no user or system git configuration leaks in."""
    env = dict(os.environ)
    env.update({
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    })
    return env


def git(cwd, *args, check=True):
    res = subprocess.run(["git", *args], cwd=cwd, env=git_env(cwd.parent), capture_output=True,
                         text=True)
    if check:
        assert res.returncode == 0, f"git {' '.join(args)}: {res.stderr}"
    return res


def write(repo, rel, text):
    p = repo / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


@pytest.fixture
def repo(tmp_path):
    """base (branch): 0001 and 0002; feature (checked out): adds 0003, edits 0001."""
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "base")
    write(r, M1, M1_TEXT)
    write(r, M2, M2_TEXT)
    write(r, "README.md", "app\n")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "base: users and orders")
    git(r, "checkout", "-q", "-b", "feature")
    write(r, M3, M3_TEXT)
    write(r, M1, M1_TEXT + M1_EDIT)
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "feature: index, and an edit of a merged migration")
    return r


def check_json(run, repo, *args):
    """Runs check --format json; the document must follow docs/report.schema.json."""
    res = run("check", "--format", "json", *args, cwd=repo)
    assert res.stdout.strip(), res.stderr
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, SCHEMA)
    return res, doc


def by_path(doc):
    return {m["path"]: m for m in doc["migrations"]}


def rules(migration):
    return [f["rule"] for f in migration["findings"]]


def test_reports_only_added_and_flags_edited_merged_migration(run, repo):
    res, doc = check_json(run, repo, "--since", "base", MIGRATIONS)
    migs = by_path(doc)
    assert set(migs) == {M1, M3}, res.stderr
    assert doc["summary"]["migrations"] == 2
    assert "edited-merged-migration" not in rules(migs[M3])
    edits = [f for f in migs[M1]["findings"] if f["rule"] == "edited-merged-migration"]
    assert len(edits) == 1
    assert edits[0]["severity"] == "error"
    assert "+1 -0 lines" in edits[0]["message"]     # one line appended, none removed
    assert res.returncode == 1                       # the edit is an error


def test_context_migrations_still_inform_the_analysis(run, repo):
    """0003 is analysed exactly as in a full run, where 0001 and 0002 came before it."""
    _, full = check_json(run, repo, MIGRATIONS)
    _, since = check_json(run, repo, "--since", "base", MIGRATIONS)
    assert len(full["migrations"]) == 3
    assert by_path(since)[M3] == by_path(full)[M3]


def test_uncommitted_and_untracked_files_are_included(run, repo):
    staged = f"{MIGRATIONS}/0004_orders_status.sql"
    untracked = f"{MIGRATIONS}/0005_users_plan.sql"
    write(repo, staged, "ALTER TABLE orders ADD COLUMN status text;\n")
    git(repo, "add", staged)
    write(repo, untracked, "ALTER TABLE users ADD COLUMN plan text;\n")
    # an unstaged edit of a merged migration is an edit all the same
    write(repo, M2, M2_TEXT.replace("total numeric", "total numeric(12,2)"))
    res, doc = check_json(run, repo, "--since", "base", MIGRATIONS)
    migs = by_path(doc)
    assert set(migs) == {M1, M2, M3, staged, untracked}, res.stderr
    assert "edited-merged-migration" in rules(migs[M2])
    assert "+1 -1 lines" in migs[M2]["findings"][rules(migs[M2]).index(
        "edited-merged-migration")]["message"]
    assert "edited-merged-migration" not in rules(migs[staged])
    assert "edited-merged-migration" not in rules(migs[untracked])


def test_untracked_directory_layout_is_included(run, repo):
    """A new migration inside a new, untracked directory (Prisma layout) is found."""
    prisma = repo / "prisma" / "migrations"
    (prisma / "20240101000000_init").mkdir(parents=True)
    (prisma / "20240101000000_init" / "migration.sql").write_text("CREATE TABLE a (id int);\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "prisma init")
    git(repo, "branch", "-f", "base")          # the init is now merged
    new = prisma / "20240202000000_b"
    new.mkdir()
    (new / "migration.sql").write_text("CREATE TABLE b (id int);\n")
    res, doc = check_json(run, repo, "--since", "base", "prisma/migrations")
    assert [m["path"] for m in doc["migrations"]] == \
        ["prisma/migrations/20240202000000_b/migration.sql"], res.stderr


def test_deleted_merged_migration(run, repo):
    git(repo, "rm", "-q", M2)
    res, doc = check_json(run, repo, "--since", "base", MIGRATIONS)
    migs = by_path(doc)
    assert M2 in migs, res.stderr
    deleted = migs[M2]["findings"]
    assert [f["rule"] for f in deleted] == ["deleted-merged-migration"]
    assert deleted[0]["severity"] == "error"
    assert f"-{M2_TEXT.count(chr(10))} lines" in deleted[0]["message"]
    assert migs[M2]["statements"] == []
    assert res.returncode == 1


def test_renamed_merged_migration(run, repo):
    renamed = f"{MIGRATIONS}/0002_orders.sql"
    git(repo, "mv", M2, renamed)
    res, doc = check_json(run, repo, "--since", "base", MIGRATIONS)
    migs = by_path(doc)
    assert renamed in migs and M2 not in migs, res.stderr
    f = migs[renamed]["findings"][rules(migs[renamed]).index("edited-merged-migration")]
    assert M2 in f["message"] and "renamed" in f["message"]
    assert res.returncode == 1


def test_nothing_changed_reports_nothing(run, repo):
    git(repo, "checkout", "-q", "base")
    res, doc = check_json(run, repo, "--since", "base", MIGRATIONS)
    assert doc["migrations"] == []
    assert doc["summary"]["migrations"] == 0
    assert res.returncode == 0
    assert "0 of 2 migrations reported" in res.stderr


def test_merge_base_not_branch_tip(run, repo):
    """Migrations merged into base after the branch forked are not this change's."""
    git(repo, "checkout", "-q", "base")
    later = f"{MIGRATIONS}/0003_payments.sql"
    write(repo, later, "CREATE TABLE payments (id bigint);\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base moves on")
    git(repo, "checkout", "-q", "feature")
    res, doc = check_json(run, repo, "--since", "base", MIGRATIONS)
    assert set(by_path(doc)) == {M1, M3}, res.stderr


def test_paths_given_from_another_directory(run, repo, tmp_path):
    """Paths are shown as given and matched after resolving them in the work tree."""
    git(repo, "rm", "-q", M2)
    res = run("check", "--format", "json", "--since", "base", "repo/" + MIGRATIONS,
              cwd=tmp_path)
    doc = json.loads(res.stdout)
    paths = {m["path"] for m in doc["migrations"]}
    assert paths == {"repo/" + MIGRATIONS + "/" + Path(p).name for p in (M1, M2, M3)}, res.stderr


def test_shallow_clone_without_the_base(run, repo, tmp_path):
    # base moves on after the fork, so its tip is not the merge base
    git(repo, "checkout", "-q", "base")
    write(repo, "README.md", "app, later\n")
    git(repo, "commit", "-q", "-am", "base moves on")
    git(repo, "checkout", "-q", "feature")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature",
        f"file://{repo}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"

    res = run("check", "--since", "base", MIGRATIONS, cwd=clone)
    assert res.returncode == 2
    assert "shallow clone" in res.stderr and "fetch" in res.stderr

    # the base branch itself fetched shallowly: the ref exists, the merge base does not
    git(clone, "fetch", "-q", "--depth", "1", "origin", "base:refs/remotes/origin/base")
    res = run("check", "--since", "origin/base", MIGRATIONS, cwd=clone)
    assert res.returncode == 2
    assert "merge base" in res.stderr and "shallow clone" in res.stderr
    assert "fetch" in res.stderr

    # once the history is there, the same command works
    git(clone, "fetch", "-q", "--unshallow", "origin")
    res, doc = check_json(run, clone, "--since", "origin/base", MIGRATIONS)
    assert set(by_path(doc)) == {M1, M3}, res.stderr


def test_unknown_ref(run, repo):
    res = run("check", "--since", "no-such-branch", MIGRATIONS, cwd=repo)
    assert res.returncode == 2
    assert "unknown revision 'no-such-branch'" in res.stderr


def test_outside_a_git_repository(run, tmp_path):
    plain = tmp_path / "plain"
    write(plain, "0001_a.sql", M1_TEXT)
    assert git(plain, "rev-parse", "--git-dir", check=False).returncode != 0
    res = run("check", "--since", "main", ".", cwd=plain)
    assert res.returncode == 2
    assert "not inside a git repository" in res.stderr
    assert "git repository" in res.stderr and "--since" in res.stderr


def test_checksum_is_the_git_blob_id(run, tmp_path):
    files = {
        "0001_lf.sql": b"CREATE TABLE a (id int);\n",
        "0002_crlf.sql": b"CREATE TABLE b (id int);\r\nCREATE TABLE c (id int);\r\n",
        "0003_utf8.sql": "CREATE TABLE caf\u00e9 (nom text DEFAULT '\u65e5\u672c');\n".encode(),
        "0004_no_newline.sql": b"CREATE TABLE d (id int)",
    }
    d = tmp_path / "sums"
    d.mkdir()
    for name, data in files.items():
        (d / name).write_bytes(data)
    res = run("check", "--format", "json", d)
    doc = json.loads(res.stdout)
    got = {Path(m["path"]).name: m["checksum"] for m in doc["migrations"]}
    assert set(got) == set(files)
    for name in files:
        want = git(d, "-c", "core.autocrlf=false", "hash-object", name).stdout.strip()
        assert got[name] == want, name


def test_report_carries_commit_branch_and_dirty(run, repo):
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    _, doc = check_json(run, repo, MIGRATIONS)
    assert doc["git"] == {"commit": head, "branch": "feature", "dirty": False}

    write(repo, "notes.txt", "untracked\n")
    _, doc = check_json(run, repo, MIGRATIONS)
    assert doc["git"]["dirty"] is True

    (repo / "notes.txt").unlink()
    git(repo, "checkout", "-q", "--detach")
    _, doc = check_json(run, repo, MIGRATIONS)
    assert doc["git"] == {"commit": head, "branch": None, "dirty": False}


def test_report_git_is_null_outside_a_repository(run, tmp_path):
    plain = tmp_path / "plain"
    write(plain, "0001_a.sql", M1_TEXT)
    res = run("check", "--format", "json", plain / "0001_a.sql")
    assert json.loads(res.stdout)["git"] is None


def test_plan_reports_only_the_change(run, repo, db):
    res = run("plan", "--db", db, "--since", "base", "--format", "json", MIGRATIONS, cwd=repo)
    doc = json.loads(res.stdout)
    assert set(by_path(doc)) == {M1, M3}, res.stderr
    assert doc["summary"]["pending"] == 2
    assert res.returncode == 1                       # the edit of a merged migration


def test_dry_run_applies_context_first_and_reports_only_the_change(run, repo, db):
    res = run("dry-run", "--db", db, "--since", "base", "--fail-on", "never", "--format", "json",
              MIGRATIONS, cwd=repo)
    doc = json.loads(res.stdout)
    assert set(by_path(doc)) == {M1, M3}, res.stderr
    assert M2 in res.stderr                          # applied first, as context
    assert res.returncode == 0, res.stderr


@pytest.fixture
def unsafe_base_repo(tmp_path):
    """base holds an unsafe migration; branch `safe` adds only a safe one."""
    r = tmp_path / "unsafe"
    r.mkdir()
    git(r, "init", "-q", "-b", "base")
    write(r, f"{MIGRATIONS}/0001_t.sql", "CREATE TABLE t (id bigint);\n")
    write(r, f"{MIGRATIONS}/0002_t_idx.sql", "CREATE INDEX t_id_idx ON t (id);\n")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "base")
    git(r, "checkout", "-q", "-b", "safe")
    write(r, f"{MIGRATIONS}/0003_t_note.sql", "ALTER TABLE t ADD COLUMN note text;\n")
    return r


def test_findings_of_context_migrations_do_not_fail_the_run(run, unsafe_base_repo, db):
    full = run("check", MIGRATIONS, cwd=unsafe_base_repo)
    assert full.returncode == 1, full.stdout          # the base's index build is an error
    res = run("check", "--since", "base", MIGRATIONS, cwd=unsafe_base_repo)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0002_t_idx.sql" not in res.stdout
    res = run("plan", "--db", db, "--since", "base", MIGRATIONS, cwd=unsafe_base_repo)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0002_t_idx.sql" not in res.stdout


def test_directory_names_are_literal_not_globs(run, tmp_path):
    """'db[1]' names a directory; read as a glob it would match nothing and report nothing."""
    r = tmp_path / "globby"
    r.mkdir()
    git(r, "init", "-q", "-b", "base")
    write(r, "db[1]/0001_a.sql", M1_TEXT)
    write(r, "db1/0001_x.sql", M2_TEXT)       # what the glob would match instead
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "base")
    write(r, "db[1]/0002_b.sql", M3_TEXT)
    git(r, "rm", "-q", "db1/0001_x.sql")
    res, doc = check_json(run, r, "--since", "base", "db[1]")
    assert set(by_path(doc)) == {"db[1]/0002_b.sql"}, res.stderr


def test_repository_without_commits(run, tmp_path):
    r = tmp_path / "fresh"
    r.mkdir()
    git(r, "init", "-q", "-b", "trunk")
    write(r, M1, M1_TEXT)
    _, doc = check_json(run, r, MIGRATIONS)
    assert doc["git"] == {"commit": None, "branch": "trunk", "dirty": True}
    res = run("check", "--since", "trunk", MIGRATIONS, cwd=r)
    assert res.returncode == 2
    assert "HEAD has no commit yet" in res.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="giving the repository to another user needs root")
def test_repository_of_another_user_names_safe_directory(run, repo, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run(["chown", "-R", "nobody", str(repo)], check=True)
    res = run("check", "--since", "base", MIGRATIONS, cwd=repo, env={"HOME": str(home)})
    assert res.returncode == 2
    assert "belongs to another user" in res.stderr
    assert f"safe.directory {repo}" in res.stderr

    # once marked safe (git's own configuration), libgit2 opens it
    subprocess.run(["git", "config", "--global", "--add", "safe.directory", str(repo)],
                   env=dict(os.environ, HOME=str(home)), check=True)
    res = run("check", "--format", "json", "--since", "base", MIGRATIONS, cwd=repo,
              env={"HOME": str(home)})
    assert {m["path"] for m in json.loads(res.stdout)["migrations"]} == {M1, M3}, res.stderr


def test_deleted_down_migrations_are_not_merged_migrations(run, tmp_path):
    """Down files (golang-migrate, diesel) never run forward: deleting one is no error."""
    r = tmp_path / "downs"
    r.mkdir()
    git(r, "init", "-q", "-b", "base")
    write(r, "gm/0001_a.up.sql", M1_TEXT)
    write(r, "gm/0001_a.down.sql", "DROP TABLE users;\n")
    write(r, "gm/0002_b.up.sql", M2_TEXT)
    write(r, "diesel/2024-01-01-000000_a/up.sql", M1_TEXT)
    write(r, "diesel/2024-01-01-000000_a/down.sql", "DROP TABLE users;\n")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "base")
    git(r, "rm", "-q", "gm/0001_a.down.sql", "diesel/2024-01-01-000000_a/down.sql")
    for d in ("gm", "diesel"):
        res, doc = check_json(run, r, "--since", "base", d)
        assert doc["migrations"] == [], res.stderr
        assert "0 of " in res.stderr
        assert res.returncode == 0
    git(r, "rm", "-q", "gm/0001_a.up.sql")
    res, doc = check_json(run, r, "--since", "base", "gm")
    assert [m["path"] for m in doc["migrations"]] == ["gm/0001_a.up.sql"], res.stderr
    assert rules(doc["migrations"][0]) == ["deleted-merged-migration"]


def test_stdin_alone_compares_nothing(run, repo):
    """SQL from stdin is always reported; no directory was named, so no deletion is looked for."""
    git(repo, "rm", "-q", M2)
    res = run("check", "--format", "json", "--since", "base", "-", input=M3_TEXT, cwd=repo)
    doc = json.loads(res.stdout)
    assert [m["path"] for m in doc["migrations"]] == ["<stdin>"], res.stderr
