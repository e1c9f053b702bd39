#!/usr/bin/python3
"""Benchmark 2, lint throughput: `migsafe check` and squawk over every file
of ../shared/corpus, one process each over the whole file list, alternating
ROUNDS times; wall time, CPU, peak RSS (/usr/bin/time) and the files each
could not parse.

squawk panics on one corpus file (SQUAWK_BASELINE.md) and a panic loses the
output of its whole invocation, so both tools are timed on the same list
without that file, and each is then run on that file alone.
"""
import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_LINT_ROUNDS", "9"))
CRASHER = "PostgREST__postgrest/test/io/fixtures/big_schema.sql"
# Statements in the corpus, counted by the corpus's own splitter (SOURCES.md);
# the same numerator for both tools, so statements/s compare like files/s.
CORPUS_STATEMENTS = 26361
WORK = common.OUT / "lint"


def corpus_files():
    files = sorted(str(p.relative_to(common.CORPUS)) for p in common.CORPUS.rglob("*")
                   if p.is_file() and not p.relative_to(common.CORPUS).parts[0].startswith("_")
                   and (p.name.endswith(".sql") or p.name.endswith(".sql.postgres")))
    return files


def migsafe_argv(files):
    return [common.MIGSAFE, "check", "--format", "json", "--fail-on", "never", *files]


def squawk_argv(files):
    return [common.SQUAWK, "--reporter", "json", *files]


def migsafe_unparsable(stderr, files):
    """Files migsafe could not load: its errors name them first on their line."""
    names = set(files)
    bad = set()
    for line in stderr.splitlines():
        m = re.search(r"(?:^|\s)(\S+?\.sql(?:\.postgres)?)(?::\d+:\d+)?:", line)
        if m and m.group(1) in names:
            bad.add(m.group(1))
    return bad


def squawk_unparsable(stdout_path):
    try:
        findings = json.loads(Path(stdout_path).read_text() or "[]")
    except json.JSONDecodeError:
        return None
    return {f["file"] for f in findings if f.get("rule_name") == "syntax-error"}


def measure(tool, argv, files):
    out = WORK / f"{tool}.out"
    r = common.gnu_time(argv, out)
    r["files"] = len(files)
    if tool == "migsafe":
        bad = migsafe_unparsable(r["stderr"], files)
    else:
        bad = squawk_unparsable(out)
    r["unparsable"] = sorted(bad) if bad is not None else None
    r["stderr"] = r["stderr"][-1000:]
    return r


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    files = corpus_files()
    batch = [f for f in files if f != CRASHER]
    os.chdir(common.CORPUS)
    rounds = []
    for i in range(ROUNDS):
        for tool, argv_of in (("migsafe", migsafe_argv), ("squawk", squawk_argv)):
            r = measure(tool, argv_of(batch), batch)
            r["tool"], r["round"] = tool, i + 1
            rounds.append(r)
            print(f"bench: lint {tool} round {i + 1}: {r['wall']:.2f} s, "
                  f"{r['rss_kb'] / 1024:.1f} MiB, exit {r['status']}, "
                  f"{len(r['unparsable']) if r['unparsable'] is not None else '?'} unparsable")
    crasher = {}
    if CRASHER in files:
        for tool, argv_of in (("migsafe", migsafe_argv), ("squawk", squawk_argv)):
            r = measure(tool, argv_of([CRASHER]), [CRASHER])
            crasher[tool] = {"status": r["status"], "wall": r["wall"], "rss_kb": r["rss_kb"],
                             "panicked": "panicked" in r["stderr"], "stderr": r["stderr"][-300:]}
            print(f"bench: lint {tool} on {CRASHER}: {r['wall']:.2f} s, exit {r['status']}")
    common.save("lint", {"files_total": len(files), "files_batch": len(batch),
                         "statements": CORPUS_STATEMENTS, "crasher": CRASHER,
                         "rounds": rounds, "crasher_runs": crasher})


if __name__ == "__main__":
    main()
