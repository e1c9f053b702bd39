"""The pipeline templates in ci/ and .pre-commit-hooks.yaml.

Each file must parse as YAML and have the shape its platform expects; then
the commands it runs are run as written (the same shell lines, with the
variables the platform would set) in a throwaway git repository holding the
example migrations: a target branch with 0001-0010 and a pull request adding
0011-0014. Database steps run against the throwaway PostgreSQL of the suite.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, REPO, connect

GITHUB = REPO / "ci" / "github-actions.yml"
GITLAB = REPO / "ci" / "gitlab-ci.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
DEPLOY = REPO / "ci" / "deploy-migrate.sh"

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.sql"))
BASE_FILES = EXAMPLE_FILES[:10]       # already on the target branch
PR_FILES = EXAMPLE_FILES[10:]         # what the pull request adds
UNSAFE_PR_FILE = "0011_users_display_name_not_null_unsafe.sql"


def load(path):
    return yaml.safe_load(path.read_text())


def github_on(doc):
    # YAML 1.1 reads the bare key `on` as true
    return doc["on"] if "on" in doc else doc[True]


def git_env(home):
    env = dict(os.environ)
    env.update({
        "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "CI", "GIT_AUTHOR_EMAIL": "ci@example.com",
        "GIT_COMMITTER_NAME": "CI", "GIT_COMMITTER_EMAIL": "ci@example.com",
    })
    return env


def git(cwd, *args):
    res = subprocess.run(["git", *args], cwd=cwd, env=git_env(cwd.parent), capture_output=True,
                         text=True)
    assert res.returncode == 0, f"git {' '.join(args)}: {res.stderr}"
    return res.stdout


@pytest.fixture
def pr_repo(tmp_path):
    """A clone whose origin has main (0001-0010); branch `feature` adds 0011-0014."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "remote", "add", "origin", f"file://{origin}")
    (work / "migrations").mkdir()
    for name in BASE_FILES:
        shutil.copy(EXAMPLES / name, work / "migrations" / name)
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "schema so far")
    git(work, "push", "-q", "origin", "main")
    git(work, "fetch", "-q", "origin")
    git(work, "checkout", "-q", "-b", "feature")
    for name in PR_FILES:
        shutil.copy(EXAMPLES / name, work / "migrations" / name)
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "pull request: more migrations")
    return work


@pytest.fixture
def bindir(migsafe_bin, tmp_path):
    """A directory holding `migsafe`, to put first on PATH as `make install` would."""
    d = tmp_path / "bin"
    d.mkdir()
    (d / "migsafe").symlink_to(migsafe_bin)
    return d


def shell_env(bindir, *layers):
    """The environment of a CI shell: ours, then the template's variables, then the platform's."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["NO_COLOR"] = "1"
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    for layer in layers:
        for k, v in (layer or {}).items():
            if isinstance(v, str) and "${{" in v:
                continue              # GitHub expressions (secrets): the test supplies them
            env[k] = str(v)
    return env


def run_shell(script, cwd, env, timeout=300):
    """Runs one step the way GitHub's `shell: bash` does (-e, pipefail)."""
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def migsafe_args(line):
    """The argument list of a `migsafe ...` command line (before any redirection)."""
    words = shlex.split(line.split(">>")[0])
    assert words[0] == "migsafe", line
    return words[1:]


def option_value(args, name):
    return args[args.index(name) + 1]


# ---------------------------------------------------------------- shapes --

def test_templates_are_valid_yaml():
    for path in (GITHUB, GITLAB, HOOKS):
        assert load(path), path
    assert subprocess.run(["sh", "-n", str(DEPLOY)]).returncode == 0
    assert os.access(DEPLOY, os.X_OK)


def github_steps(job):
    return load(GITHUB)["jobs"][job]["steps"]


def github_step(job, name):
    return next(s for s in github_steps(job) if s.get("name") == name)


def test_github_workflow_shape():
    doc = load(GITHUB)
    on = github_on(doc)
    assert "pull_request" in on and "push" in on
    jobs = doc["jobs"]
    assert set(jobs) >= {"check", "dry-run", "deploy"}
    for job in ("check", "dry-run"):
        assert "pull_request" in jobs[job]["if"]
        checkout = next(s for s in jobs[job]["steps"] if s.get("uses", "").startswith(
            "actions/checkout@"))
        assert checkout["with"]["fetch-depth"] == 0          # --since needs the merge base
    for name, job in jobs.items():
        assert job["container"].startswith("debian:"), name  # the dependencies are Debian's
        steps = job["steps"]
        checkout = next(i for i, s in enumerate(steps) if "uses" in s)
        # git in the container before checkout, or actions/checkout leaves no repository
        assert any("install" in s.get("run", "") and " git" in s.get("run", "")
                   for s in steps[:checkout]), name
        install = github_step(name, "Install migsafe")["run"]
        assert 'safe.directory "$GITHUB_WORKSPACE"' in install, name
    assert jobs["check"]["permissions"]["security-events"] == "write"
    assert jobs["deploy"]["if"] == "github.event_name == 'push'"

    # the commands, as written
    check = {s["name"]: s.get("run", "") for s in jobs["check"]["steps"] if "name" in s}
    since = '--since "origin/$GITHUB_BASE_REF"'
    assert check["Annotations (fails on errors)"] == \
        f'migsafe check {since} --format github "$MIGRATIONS_DIR"'
    assert check["Job summary (Markdown)"] == (
        f'migsafe check {since} --format markdown --fail-on never "$MIGRATIONS_DIR"'
        ' >> "$GITHUB_STEP_SUMMARY"')
    sarif = github_step("check", "Code scanning report (SARIF)")["run"]
    assert "--format sarif" in sarif and since in sarif
    upload = github_step("check", "Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == option_value(migsafe_args(sarif), "--output")

    service = jobs["dry-run"]["services"]["postgres"]
    assert service["image"].startswith("postgres:")
    url = jobs["dry-run"]["env"]["DATABASE_URL"]
    assert url.startswith("postgres://") and "@postgres:5432/" in url   # the service by name
    dry = github_step("dry-run", "Dry run against PostgreSQL")["run"]
    assert dry == f'migsafe dry-run {since} --format github "$MIGRATIONS_DIR"'

    apply = github_step("deploy", "Apply migrations")["run"]
    assert apply == 'migsafe apply --report migsafe-apply-report.json "$MIGRATIONS_DIR"'
    keep = github_step("deploy", "Keep the report")
    assert keep["if"] == "always()" and keep["with"]["path"] == "migsafe-apply-report.json"


def test_every_job_installs_migsafe_before_running_it():
    for name, job in load(GITHUB)["jobs"].items():
        runs = [s.get("run", "") for s in job["steps"]]
        first_use = next(i for i, r in enumerate(runs) if r.startswith("migsafe "))
        install = github_step(name, "Install migsafe")["run"]
        assert runs.index(install) < first_use, name
        assert "install-deps.sh" in install and re.search(r"make .*install PREFIX=", install)
    doc = load(GITLAB)
    setup = " ".join(doc[".migsafe"]["before_script"])
    assert "install-deps.sh" in setup and re.search(r"make .*install PREFIX=", setup)
    for name in ("migsafe-check", "migsafe-dry-run", "migsafe-apply"):
        extends = doc[name]["extends"]
        assert ".migsafe" in ([extends] if isinstance(extends, str) else extends), name


def test_gitlab_ci_shape():
    doc = load(GITLAB)
    assert doc["stages"] == ["check", "dry-run", "deploy"]
    mr = doc[".merge-request"]
    assert mr["variables"]["GIT_DEPTH"] == "0"
    assert "merge_request_event" in mr["rules"][0]["if"]

    check = doc["migsafe-check"]
    assert check["stage"] == "check" and ".merge-request" in check["extends"]
    gl_line = next(line for line in check["script"] if "--format gitlab" in line)
    report = check["artifacts"]["reports"]["codequality"]
    assert option_value(migsafe_args(gl_line), "--output") == report
    assert check["artifacts"]["when"] == "always"

    dry = doc["migsafe-dry-run"]
    assert dry["stage"] == "dry-run"
    assert dry["services"][0]["name"].startswith("postgres:")
    assert "@postgres:5432/" in dry["variables"]["DATABASE_URL"]
    assert any(line.startswith("migsafe dry-run --since") for line in dry["script"])

    apply = doc["migsafe-apply"]
    assert apply["stage"] == "deploy"
    assert "$CI_DEFAULT_BRANCH" in apply["rules"][0]["if"]
    assert apply["script"] == ['migsafe apply --report migsafe-apply-report.json "$MIGRATIONS_DIR"']


def test_pre_commit_hook_shape():
    hooks = load(HOOKS)
    assert isinstance(hooks, list)
    hook = next(h for h in hooks if h["id"] == "migsafe-check")
    assert hook["entry"] == "migsafe check"
    assert hook["language"] == "system"
    assert hook["pass_filenames"] is True
    assert re.search(hook["files"], "migrations/0001_a.sql")
    assert not re.search(hook["files"], "README.md")


def test_deploy_script_is_clean_shell():
    assert shutil.which("shellcheck"), "shellcheck missing: run ci/install-deps.sh"
    res = subprocess.run(["shellcheck", str(DEPLOY)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout


# ------------------------------------------------ GitHub pull request --

def github_check_env(bindir, tmp_path):
    doc = load(GITHUB)
    summary = tmp_path / "step-summary.md"
    summary.write_text("")
    platform = {"GITHUB_BASE_REF": "main", "GITHUB_STEP_SUMMARY": str(summary),
                "RUNNER_TEMP": str(tmp_path)}
    return shell_env(bindir, doc["env"], doc["jobs"]["check"].get("env"), platform), summary


def mentions(text, names):
    return {n for n in names if n in text}


def test_github_summary_step(pr_repo, bindir, tmp_path):
    env, summary = github_check_env(bindir, tmp_path)
    res = run_shell(github_step("check", "Job summary (Markdown)")["run"], pr_repo, env)
    assert res.returncode == 0, res.stderr
    text = summary.read_text()
    assert mentions(text, PR_FILES) == set(PR_FILES)
    assert mentions(text, BASE_FILES) == set()          # context, not this change


def test_github_sarif_step_and_upload(pr_repo, bindir, tmp_path):
    env, _ = github_check_env(bindir, tmp_path)
    step = github_step("check", "Code scanning report (SARIF)")
    res = run_shell(step["run"], pr_repo, env)
    assert res.returncode == 0, res.stderr
    sarif = json.loads((pr_repo / github_step("check", "Upload SARIF")["with"]["sarif_file"])
                       .read_text())
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["name"] == "migsafe"
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"] for loc in r["locations"]}
    assert any(u.endswith(UNSAFE_PR_FILE) for u in uris)
    assert mentions(" ".join(uris), BASE_FILES) == set()


def test_github_annotations_step(pr_repo, bindir, tmp_path):
    env, _ = github_check_env(bindir, tmp_path)
    res = run_shell(github_step("check", "Annotations (fails on errors)")["run"], pr_repo, env)
    assert res.returncode == 1, res.stderr                 # the unsafe PR migration fails the job
    errors = [line for line in res.stdout.splitlines() if line.startswith("::error ")]
    assert any(f"file=migrations/{UNSAFE_PR_FILE}" in line for line in errors), res.stdout
    assert mentions(res.stdout, BASE_FILES) == set()


def test_github_check_job_flags_an_edited_merged_migration(pr_repo, bindir, tmp_path):
    env, _ = github_check_env(bindir, tmp_path)
    edited = pr_repo / "migrations" / BASE_FILES[0]
    edited.write_text(edited.read_text() + "-- an edit after merge\n")
    res = run_shell(github_step("check", "Annotations (fails on errors)")["run"], pr_repo, env)
    assert res.returncode == 1
    assert any(f"file=migrations/{BASE_FILES[0]}" in line and line.startswith("::error ") and
               ("edited-merged-migration" in line or "merged migration edited" in line)
               for line in res.stdout.splitlines()), res.stdout


def test_github_check_job_in_a_shallow_checkout_explains(pr_repo, bindir, tmp_path):
    """Without fetch-depth: 0 the job fails loudly instead of reporting nothing."""
    env, _ = github_check_env(bindir, tmp_path)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature",
        f"file://{pr_repo}", str(shallow))
    res = run_shell(github_step("check", "Annotations (fails on errors)")["run"], shallow, env)
    assert res.returncode == 2
    assert "shallow clone" in res.stderr and "fetch-depth: 0" in res.stderr


def public_tables(url):
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' ORDER BY 1")
        return [r[0] for r in cur.fetchall()]


def test_github_dry_run_job(pr_repo, bindir, tmp_path, db):
    doc = load(GITHUB)
    job = doc["jobs"]["dry-run"]
    env = shell_env(bindir, doc["env"], job["env"], {"GITHUB_BASE_REF": "main",
                                                      "DATABASE_URL": db})
    res = run_shell(github_step("dry-run", "Dry run against PostgreSQL")["run"], pr_repo, env)
    assert res.returncode in (0, 1), res.stderr
    annotations = [line for line in res.stdout.splitlines() if line.startswith("::")]
    assert mentions("\n".join(annotations), BASE_FILES) == set()
    assert public_tables(db) == []                     # everything was rolled back


# ------------------------------------------------------ GitHub deploy --

def history_checksums(url):
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT version, checksum FROM migsafe.migrations ORDER BY version")
        return dict(cur.fetchall())


def test_github_deploy_job(pr_repo, bindir, tmp_path, db):
    git(pr_repo, "checkout", "-q", "main")
    git(pr_repo, "merge", "-q", "--ff-only", "feature")
    doc = load(GITHUB)
    env = shell_env(bindir, doc["env"], doc["jobs"]["deploy"].get("env"), {"DATABASE_URL": db})
    res = run_shell(github_step("deploy", "Apply migrations")["run"], pr_repo, env)
    assert res.returncode == 0, res.stderr

    report = json.loads((pr_repo / "migsafe-apply-report.json").read_text())
    assert report["command"] == "apply"
    head = git(pr_repo, "rev-parse", "HEAD").strip()
    assert report["git"]["commit"] == head and report["git"]["branch"] == "main"

    # the history ties every migration to the commit it was applied from
    with connect(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT git_commit FROM migsafe.migrations")
        assert cur.fetchall() == [(head,)]

    # the history's checksum of every file is its git blob id
    sums = history_checksums(db)
    assert len(sums) == len(EXAMPLE_FILES)
    for name in EXAMPLE_FILES:
        version = name.split("_")[0]
        blob = git(pr_repo, "hash-object", f"migrations/{name}").strip()
        assert sums[version] == blob, name


# ------------------------------------------------------------- GitLab --

def gitlab_env(bindir, job_name, extra):
    doc = load(GITLAB)
    job = doc[job_name]
    layers = [doc["variables"]]
    extends = job.get("extends", [])
    for parent in [extends] if isinstance(extends, str) else extends:
        layers.append(doc[parent].get("variables"))
    layers.append(job.get("variables"))
    layers.append(extra)
    return shell_env(bindir, *layers), job


def run_gitlab_job(job, cwd, env):
    """GitLab stops a job at the first failing script line; returns every result."""
    results = []
    for line in job["script"]:
        res = run_shell(line, cwd, env)
        results.append((line, res))
        if res.returncode != 0:
            break
    return results


def test_gitlab_check_job(pr_repo, bindir):
    env, job = gitlab_env(bindir, "migsafe-check",
                          {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                           "CI_PIPELINE_SOURCE": "merge_request_event"})
    git(pr_repo, "update-ref", "-d", "refs/remotes/origin/main")   # the job fetches it
    results = run_gitlab_job(job, pr_repo, env)
    assert len(results) == len(job["script"]), results[-1][1].stderr
    *ok, (last_line, last) = results
    for line, res in ok:
        assert res.returncode == 0, f"{line}: {res.stderr}"
    assert last.returncode == 1, last.stderr                # error findings fail the job
    assert mentions(last.stdout, BASE_FILES) == set()

    quality = json.loads((pr_repo / job["artifacts"]["reports"]["codequality"]).read_text())
    assert isinstance(quality, list) and quality
    for issue in quality:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"].startswith("migrations/")
        assert Path(issue["location"]["path"]).name in PR_FILES
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in quality}) == len(quality)
    assert any(Path(i["location"]["path"]).name == UNSAFE_PR_FILE for i in quality)


def test_gitlab_dry_run_job(pr_repo, bindir, db):
    env, job = gitlab_env(bindir, "migsafe-dry-run",
                          {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "DATABASE_URL": db})
    results = run_gitlab_job(job, pr_repo, env)
    assert len(results) == len(job["script"])
    assert results[0][1].returncode == 0, results[0][1].stderr
    line, res = results[-1]
    assert res.returncode in (0, 1), res.stderr
    assert UNSAFE_PR_FILE in res.stdout
    assert mentions(res.stdout, BASE_FILES) == set()
    assert public_tables(db) == []


def test_gitlab_apply_job(pr_repo, bindir, db):
    git(pr_repo, "checkout", "-q", "main")
    git(pr_repo, "merge", "-q", "--ff-only", "feature")
    env, job = gitlab_env(bindir, "migsafe-apply", {"DATABASE_URL": db})
    results = run_gitlab_job(job, pr_repo, env)
    line, res = results[-1]
    assert res.returncode == 0, res.stderr
    report = json.loads((pr_repo / job["artifacts"]["paths"][0]).read_text())
    assert report["command"] == "apply"
    assert len(history_checksums(db)) == len(EXAMPLE_FILES)


# ------------------------------------------------------------ pre-commit --

def run_hook(repo, bindir):
    """What pre-commit does: the staged files matching `files`, appended to `entry`."""
    hook = next(h for h in load(HOOKS) if h["id"] == "migsafe-check")
    staged = git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR").split()
    files = [f for f in staged if re.search(hook["files"], f)]
    env = shell_env(bindir)
    return files, subprocess.run([*shlex.split(hook["entry"]), *files], cwd=repo, env=env,
                                 capture_output=True, text=True)


def test_pre_commit_hook_blocks_an_unsafe_staged_migration(pr_repo, bindir):
    git(pr_repo, "checkout", "-q", "main")
    (pr_repo / "README.md").write_text("notes\n")
    shutil.copy(EXAMPLES / UNSAFE_PR_FILE, pr_repo / "migrations" / UNSAFE_PR_FILE)
    git(pr_repo, "add", "README.md", f"migrations/{UNSAFE_PR_FILE}")
    files, res = run_hook(pr_repo, bindir)
    assert files == [f"migrations/{UNSAFE_PR_FILE}"]
    assert res.returncode == 1, res.stderr
    assert UNSAFE_PR_FILE in res.stdout


def test_pre_commit_hook_passes_a_safe_staged_migration(pr_repo, bindir):
    git(pr_repo, "checkout", "-q", "main")
    safe = "0012_payments_status_check_safe.sql"
    shutil.copy(EXAMPLES / safe, pr_repo / "migrations" / safe)
    git(pr_repo, "add", f"migrations/{safe}")
    files, res = run_hook(pr_repo, bindir)
    assert files == [f"migrations/{safe}"]
    assert res.returncode == 0, res.stdout + res.stderr


def pre_commit_try_repo(repo, bindir, tmp_path):
    """The real pre-commit, with this repository's hook file published as a hook repository."""
    hooks = tmp_path / "hooks-repo"
    if not hooks.exists():
        hooks.mkdir()
        git(hooks, "init", "-q", "-b", "main")
        shutil.copy(HOOKS, hooks / ".pre-commit-hooks.yaml")
        git(hooks, "add", ".")
        git(hooks, "commit", "-q", "-m", "hooks")
    env = shell_env(bindir, {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
                             **{k: v for k, v in git_env(tmp_path).items() if k.startswith("GIT_")}})
    return subprocess.run(["pre-commit", "try-repo", str(hooks), "migsafe-check"], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=300)


def test_pre_commit_runs_the_hook(pr_repo, bindir, tmp_path):
    assert shutil.which("pre-commit"), "pre-commit missing: run ci/install-deps.sh"
    git(pr_repo, "checkout", "-q", "main")
    shutil.copy(EXAMPLES / UNSAFE_PR_FILE, pr_repo / "migrations" / UNSAFE_PR_FILE)
    git(pr_repo, "add", f"migrations/{UNSAFE_PR_FILE}")
    res = pre_commit_try_repo(pr_repo, bindir, tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Failed" in res.stdout and "setting-not-null" in res.stdout
    assert mentions(res.stdout, BASE_FILES) == set()     # only the staged file was checked

    git(pr_repo, "reset", "-q")
    (pr_repo / "migrations" / UNSAFE_PR_FILE).unlink()
    safe = "0012_payments_status_check_safe.sql"
    shutil.copy(EXAMPLES / safe, pr_repo / "migrations" / safe)
    git(pr_repo, "add", f"migrations/{safe}")
    res = pre_commit_try_repo(pr_repo, bindir, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Passed" in res.stdout


# ------------------------------------------------------- deploy script --

TABLE_SQL = "CREATE TABLE deploy_t (id int);\n"
ADD_SQL = "ALTER TABLE deploy_t ADD COLUMN note text;\n"


def run_deploy(migsafe_bin, migrations, *args, env=None, **popen):
    full = dict(os.environ)
    full.pop("DATABASE_URL", None)
    full.update({"MIGSAFE": migsafe_bin, "MIGRATIONS_DIR": str(migrations), "NO_COLOR": "1",
                 "MIGSAFE_REPORT": str(migrations.parent / "report.json")})
    full.update(env or {})
    return subprocess.Popen([str(DEPLOY), *args], env=full, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def columns(url, table):
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = %s ORDER BY ordinal_position", (table,))
        return [r[0] for r in cur.fetchall()]


@pytest.fixture
def deploy_dir(run, db, write_migrations):
    """deploy_t applied; a pending migration adding a column to it."""
    d = write_migrations({"0001_deploy_t.sql": TABLE_SQL})
    res = run("apply", "--db", db, d)
    assert res.returncode == 0, res.stderr
    (d / "0002_deploy_t_note.sql").write_text(ADD_SQL)
    return d


@pytest.fixture
def table_reader(db):
    """An open transaction reading deploy_t: a blocker for the ALTER TABLE."""
    conn = connect(db, autocommit=False, application_name="app-reader")
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM deploy_t")
    time.sleep(0.5)                   # older than --blocker-min-age: a blocker, not churn
    yield conn
    conn.close()


def test_deploy_script_retries_on_3_then_succeeds(migsafe_bin, deploy_dir, db, table_reader):
    proc = run_deploy(migsafe_bin, deploy_dir, "--db", db, "--on-blockers", "fail",
                      env={"RETRIES": "3", "RETRY_DELAY": "2"})
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "retrying in" in line:
            table_reader.rollback()    # the application finishes its transaction
    proc.wait(timeout=120)
    stderr = "".join(seen)
    assert proc.returncode == 0, stderr
    assert "gave up waiting for locks (exit 3)" in stderr
    assert "attempt 2" in stderr
    assert columns(db, "deploy_t") == ["id", "note"]


def test_deploy_script_gives_up_with_3_when_still_busy(migsafe_bin, deploy_dir, db, table_reader):
    proc = run_deploy(migsafe_bin, deploy_dir, "--db", db, "--on-blockers", "fail",
                      env={"RETRIES": "1", "RETRY_DELAY": "1"})
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3, stderr
    assert "attempt 2" in stderr and "attempt 3" not in stderr
    assert "schedule the deploy again later" in stderr
    assert columns(db, "deploy_t") == ["id"]


def test_deploy_script_fails_at_once_on_2(migsafe_bin, tmp_path):
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "0001_a.sql").write_text(TABLE_SQL)
    proc = run_deploy(migsafe_bin, d, "--no-such-option", env={"RETRY_DELAY": "60"})
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    assert "attempt 1" in stderr and "attempt 2" not in stderr


def test_deploy_script_fails_at_once_on_4(migsafe_bin, tmp_path):
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "0001_a.sql").write_text(TABLE_SQL)
    proc = run_deploy(migsafe_bin, d, env={
        "DATABASE_URL": "postgresql://migsafe@127.0.0.1:1/nowhere?connect_timeout=5",
        "RETRY_DELAY": "60"})
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 4, stderr
    assert "attempt 2" not in stderr


def test_deploy_script_fails_at_once_on_1(migsafe_bin, deploy_dir, db):
    (deploy_dir / "0002_deploy_t_note.sql").unlink()
    (deploy_dir / "0002_fails.sql").write_text(
        "ALTER TABLE deploy_t ADD COLUMN note text;\nSELECT 1 / (SELECT count(*) FROM deploy_t);\n")
    proc = run_deploy(migsafe_bin, deploy_dir, "--db", db, env={"RETRY_DELAY": "60"})
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    assert "attempt 2" not in stderr
    assert columns(db, "deploy_t") == ["id"]              # rolled back
