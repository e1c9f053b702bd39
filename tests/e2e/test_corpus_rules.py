"""`migsafe check --format json` over the whole real-world corpus (../shared/corpus):
no crash, a report that validates against docs/report.schema.json for every
project, and the rule counts docs/rules.md summarises.

One invocation per project, with all its SQL files, so that objects created by
a project's earlier migrations are known to its later ones.
"""
import collections
import json
import os
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
REPORT_SCHEMA = REPO / "docs" / "report.schema.json"


def project_files(project):
    files = [p for p in project.rglob("*")
             if p.is_file() and (p.name.endswith(".sql") or p.name.endswith(".sql.postgres"))]
    return sorted(str(p) for p in files)


def projects():
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


@pytest.mark.slow
def test_corpus_check_json(run):
    schema = json.loads(REPORT_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    counts = collections.Counter()
    files_per_rule = collections.defaultdict(set)
    total_files = total_migrations = total_statements = 0
    assert projects(), f"no corpus at {CORPUS}"
    for project in projects():
        files = project_files(project)
        total_files += len(files)
        res = run("check", "--format", "json", "--fail-on", "never", *files, timeout=600)
        # 0: clean; 2: some files are not valid PostgreSQL (templated, psql-only): reported
        assert res.returncode in (0, 2), f"{project.name}: exit {res.returncode}\n{res.stderr[-2000:]}"
        if res.returncode == 2:
            assert "error" in res.stderr
        doc = json.loads(res.stdout)
        errors = sorted(validator.iter_errors(doc), key=str)
        assert not errors, f"{project.name}: {errors[0].message} at {list(errors[0].path)}"
        for m in doc["migrations"]:
            total_migrations += 1
            total_statements += len(m["statements"])
            for f in m["findings"]:
                counts[f["rule"]] += 1
                files_per_rule[f["rule"]].add(m["path"])
                if f["statement"] is not None:
                    assert 0 <= f["statement"] < len(m["statements"])
    # most files parse: the corpus' documented exceptions are about 80 of 6,300
    assert total_migrations > 0.97 * total_files
    summary = os.environ.get("MIGSAFE_CORPUS_SUMMARY")
    if summary:
        Path(summary).write_text(json.dumps({
            "files": total_files, "migrations": total_migrations, "statements": total_statements,
            "rules": {r: [n, len(files_per_rule[r])] for r, n in counts.most_common()},
        }, indent=1))
    assert counts, "no findings at all over 6,000 real migrations: the rules are not running"
