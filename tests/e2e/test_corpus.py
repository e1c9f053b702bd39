"""Robustness: `migsafe check` over every migration file of the real-world corpus.

The corpus (../shared/corpus, about 6,300 files from public projects) is read
in place. Each file is named explicitly, in batches, so every one is loaded,
parsed and analysed. A crash (signal), a sanitizer report (when the binary is
built with ASan/UBSan) or an unlocated error fails the test; a file with a
syntax error must be reported as one, with its file:line:column.
"""
import json
import re
import subprocess

import pytest

from conftest import CORPUS

BATCH = 400
SUFFIXES = (".sql", ".sql.postgres")
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                     "runtime error:")
LOCATED_ERROR = re.compile(r"^migsafe: error: (.+):(\d+):(\d+): (.+)$")


def corpus_files():
    if not CORPUS.is_dir():
        return []
    return sorted(str(p) for p in CORPUS.rglob("*")
                  if p.is_file() and p.name.endswith(SUFFIXES)
                  and "_tools" not in p.relative_to(CORPUS).parts)


def test_check_survives_the_whole_corpus(migsafe_bin):
    files = corpus_files()
    if not files:
        pytest.skip(f"corpus not found at {CORPUS}")
    assert len(files) > 6000
    reported, syntax_errors = set(), set()
    for start in range(0, len(files), BATCH):
        batch = files[start:start + BATCH]
        proc = subprocess.run([migsafe_bin, "check", "--format", "json", "--fail-on", "never",
                               *batch], capture_output=True, text=True, timeout=600)
        where = f"batch starting at {batch[0]}"
        assert proc.returncode >= 0, f"{where}: killed by signal {-proc.returncode}\n{proc.stderr[-3000:]}"
        for marker in SANITIZER_MARKERS:
            assert marker not in proc.stderr, f"{where}: sanitizer report\n{proc.stderr[-5000:]}"
        # 0: analysed; 2: an input error (a syntax error), reported with its location
        assert proc.returncode in (0, 2), f"{where}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
        report = json.loads(proc.stdout)
        reported.update(m["path"] for m in report["migrations"])
        for m in report["migrations"]:
            for s in m["statements"]:
                assert s["kind"], f"{m['path']}: statement {s['index']} has no kind"
                for lock in s["locks"]:
                    assert re.fullmatch(r"[^.]+\..+", lock["relation"]), lock
        for line in proc.stderr.splitlines():
            if not line.startswith("migsafe: error:"):
                continue
            m = LOCATED_ERROR.match(line)
            assert m, f"{where}: error without a location: {line}"
            syntax_errors.add(m.group(1))
        if proc.returncode == 2:
            assert any(path in batch for path in syntax_errors), \
                f"{where}: exit 2 without a located error\n{proc.stderr[-3000:]}"
    missing = [f for f in files if f not in reported and f not in syntax_errors]
    assert not missing, f"{len(missing)} files neither analysed nor reported, e.g. {missing[:5]}"
    # the corpus does contain files PostgreSQL's parser rejects (other dialects, templates)
    assert 0 < len(syntax_errors) < len(files) // 10
