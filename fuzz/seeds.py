#!/usr/bin/python3
"""Builds the fuzzers' seed corpora in an ignored directory (never committed).

    fuzz/seeds.py OUT_DIR

Seeds come from migrations-example and a sample of ../shared/corpus, read in
place at run time: OUT_DIR/<target>/ gets one file per seed input, in the
input format of fuzz/<target>.c.
"""
import hashlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
EXAMPLES = REPO / "migrations-example"
SAMPLE_EVERY = 8          # one corpus file in 8: ~800 seeds, every project represented
MAX_SEED_BYTES = 64 * 1024
SEPARATOR = b"\n@@\n"

DURATIONS = ["0", "1", "100", "100ms", "2s", "1min", "1h", "250us", "1d", "1.5s",
             "30 s", "0.0001ms", "999999999999", "10min", "5h", "1e3ms"]

CONFIGS = [
    b'{}',
    b'{"lock_timeout": "100ms", "max_attempts": 5}',
    b'{"rules": {"require-concurrent-index": "warning"}}',
    b'{"history_table": "migsafe.migrations", "statement_timeout": "30min"}',
    b'{"unknown_key": 1}',
    b'[1, 2, 3]',
]


# jsondoc: escapes, surrogate pairs, numbers at int limits, nesting; and
# libpg_query's own shape of output (what jsondoc parses in production).
JSON_VALUES = [
    b'"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"',
    b'[2147483647, 2147483648, -2147483649, 1.5e300, -0.0, 1e-5]',
    b'[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]',
    b'{"version":150001,"stmts":[{"stmt":{"AlterTableStmt":{"relation":{"relname":"t",'
    b'"inh":true,"relpersistence":"p","location":12},"cmds":[{"AlterTableCmd":{"subtype":'
    b'"AT_AddColumn","def":{"ColumnDef":{"colname":"c","is_local":true,"location":31}},'
    b'"behavior":"DROP_RESTRICT"}}],"objtype":"OBJECT_TABLE"}},"stmt_len":40}]}',
    b'{"a":null,"b":true,"c":false,"d":"","e":[],"f":{}}',
]


def write(out, target, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def corpus_sample():
    """Every SAMPLE_EVERY-th corpus file (sorted), small enough to mutate."""
    if not CORPUS.is_dir():
        return []
    files = sorted(p for p in CORPUS.rglob("*")
                   if p.is_file() and not p.relative_to(CORPUS).parts[0].startswith("_")
                   and (p.name.endswith(".sql") or p.name.endswith(".sql.postgres")))
    return [p for p in files[::SAMPLE_EVERY] if p.stat().st_size <= MAX_SEED_BYTES]


def record(path, base):
    """A loader_files record: the last two path components, then the contents."""
    rel = path.relative_to(base).parts[-2:]
    return "/".join(rel).encode() + b"\n" + path.read_bytes()


def main():
    out = Path(sys.argv[1])
    examples = sorted(EXAMPLES.glob("*.sql"))
    sample = corpus_sample()

    for p in examples + sample:
        data = p.read_bytes()
        write(out, "fuzz_sqlparse", data)
        write(out, "fuzz_loader_text", data)

    # loader_files: the example directory as a whole (one per layout byte),
    # then neighbouring corpus files three at a time with their own names.
    whole = SEPARATOR.join(e.name.encode() + b"\n" + e.read_bytes() for e in examples[:8])
    for layout in range(9):
        write(out, "fuzz_loader_files", bytes([layout]) + whole)
    for i in range(0, len(sample) - 2, 3):
        group = sample[i:i + 3]
        write(out, "fuzz_loader_files",
              b"\0" + SEPARATOR.join(record(p, CORPUS) for p in group))

    for d in DURATIONS:
        write(out, "fuzz_duration", d.encode())
    for c in CONFIGS:
        write(out, "fuzz_config", c)
        write(out, "fuzz_jsondoc", c)
    for j in JSON_VALUES:
        write(out, "fuzz_jsondoc", j)
    print(f"seeds: {len(examples)} example files, {len(sample)} corpus files -> {out}")


if __name__ == "__main__":
    main()
