#!/usr/bin/python3
"""Writes bench/RESULTS.md from the JSON results in bench/out/ and the
hand-written analysis in bench/NOTES.md: the machine, versions and date,
the four tables with ratios, and each target marked met or missed (by how
much)."""
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NOTES = common.REPO / "bench" / "NOTES.md"


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}×"


def slow_ratio(n, control):
    """Ratio of slow-transaction counts; the control usually has none."""
    if n is None or control is None:
        return "–"
    if control == 0:
        return "same (0)" if n == 0 else f"{n:g} vs 0"
    return fmt_ratio(n / control)


def verdict(ok, detail):
    return ("met" if ok else "**missed**") + f" ({detail})"


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return f"{os.cpu_count()} vCPU {cpu}, {mem} RAM, {platform.system()} {platform.release()}"


def server_version():
    url = os.environ.get("PGTEMP_URL")
    if not url:
        return "unknown"
    conn = common.connect(url)
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        v = cur.fetchone()[0]
    conn.close()
    return v


def landed_text(landed):
    """The landing column: seconds after the blocker's end."""
    return "–" if landed is None else f"{landed:+.3f} s"


def stall_section(d, lines):
    p = d["parameters"]
    lines += ["## 1. Application stall (the headline)", "",
              f"pgbench `-R {p['rate']} -c {p['clients']} -j {p['threads']} -T {p['duration_s']}` "
              f"running `SELECT` + `UPDATE` by primary key on a {p['rows']:,}-row table; after "
              f"{p['warmup_s']:g} s a session reads the table and stays idle in transaction for "
              f"{p['block_s']:g} s; {p['migration_delay_s']:g} s into that, the runner applies "
              "`ALTER TABLE accounts ADD COLUMN added int`. Latency is pgbench's per-transaction "
              "latency from its scheduled start (so queueing counts). Medians of "
              f"{p['runs']} runs per runner; ratios are to the control run's median. The "
              "migration window runs from the runner's start to 1 s after the blocker's end "
              "(the same moments in the control run): the transactions a runner can delay. "
              "psql-after-blocker is the harness sending the same `ALTER` with psql the moment "
              "it has committed the blocker: a runner that knows when the blocker ends, so what "
              "the DDL alone costs the application when it lands there.", "",
              "| runner | p50 ms | p99 ms | p99.9 ms | max ms | > 500 ms | p99 ratio | max ratio "
              "| > 500 ms ratio | max ms in the migration window | its ratio "
              "| landed after blocker end | exit status |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    med = {}
    for runner in ("control", "psql", "dbmate", "migsafe", "psql-after-blocker"):
        runs = [r for r in d["runs"] if r["runner"] == runner]
        if not runs:
            continue
        m = {k: common.median([r.get(k) for r in runs])
             for k in ("p50_ms", "p99_ms", "p999_ms", "max_ms", "slow_count",
                       "landed_after_blocker_end_s", "window_max_ms")}
        m["exit"] = sorted({r.get("exit_status") for r in runs if "exit_status" in r})
        med[runner] = m
    ctl = med.get("control", {})
    for runner, m in med.items():
        landed = m["landed_after_blocker_end_s"]
        lines.append(
            f"| {runner} | {fmt(m['p50_ms'])} | {fmt(m['p99_ms'])} | {fmt(m['p999_ms'])} "
            f"| {fmt(m['max_ms'])} | {fmt(m['slow_count'], 0)} "
            f"| {fmt_ratio(ratio(m['p99_ms'], ctl.get('p99_ms')))} "
            f"| {fmt_ratio(ratio(m['max_ms'], ctl.get('max_ms')))} "
            f"| {slow_ratio(m['slow_count'], ctl.get('slow_count'))} "
            f"| {fmt(m['window_max_ms'])} "
            f"| {fmt_ratio(ratio(m['window_max_ms'], ctl.get('window_max_ms')))} "
            f"| {landed_text(landed)} "
            f"| {', '.join(map(str, m['exit'])) if m['exit'] else '–'} |")
    lines.append("")
    lines.append("Every run:")
    lines.append("")
    lines.append("| runner | run | transactions | p50 | p99 | p99.9 | max | > 500 ms | landed | exit |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in d["runs"]:
        landed = r.get("landed_after_blocker_end_s")
        lines.append(f"| {r['runner']} | {r['run']} | {r['transactions']} | {fmt(r['p50_ms'])} "
                     f"| {fmt(r['p99_ms'])} | {fmt(r['p999_ms'])} | {fmt(r['max_ms'])} "
                     f"| {r['slow_count']} | {landed_text(landed)} "
                     f"| {r.get('exit_status', '–')} |")
    lines.append("")
    targets = []
    if "migsafe" in med and ctl:
        m = med["migsafe"]
        r99 = ratio(m["p99_ms"], ctl["p99_ms"])
        rmax = ratio(m["max_ms"], ctl["max_ms"])
        landed = m["landed_after_blocker_end_s"]
        targets.append(f"- p99 within 1.1× of control: "
                       f"{verdict(r99 is not None and r99 <= 1.1, fmt_ratio(r99))}")
        targets.append(f"- max within 1.5× of control: "
                       f"{verdict(rmax is not None and rmax <= 1.5, fmt_ratio(rmax))}")
        landed_note = "never landed" if landed is None else f"{landed:+.3f} s"
        targets.append(f"- landed within 0.5 s of the blocker's end: "
                       f"{verdict(landed is not None and landed <= 0.5, landed_note)}")
    if "psql-after-blocker" in med and ctl:
        m = med["psql-after-blocker"]
        lines.append("For comparison, not a target: the `ALTER` sent the moment the blocker "
                     "ends (psql-after-blocker) gives p99 "
                     f"{fmt_ratio(ratio(m['p99_ms'], ctl['p99_ms']))} and max "
                     f"{fmt_ratio(ratio(m['max_ms'], ctl['max_ms']))} of the control's, and its "
                     "worst in the migration window "
                     f"{fmt_ratio(ratio(m['window_max_ms'], ctl['window_max_ms']))}.")
        lines.append("")
    return med, targets


def lint_section(d, lines):
    lines += ["## 2. Lint throughput", "",
              f"Every corpus file but one ({d['files_batch']} of {d['files_total']} files, "
              f"{d['statements']:,} statements by the corpus's splitter) in one process per tool, "
              f"`migsafe check --format json` and `squawk --reporter json` (native binary), "
              f"alternating, {len(d['rounds']) // 2} rounds, medians. Peak RSS from "
              "`/usr/bin/time -f %M`. The left-out file makes squawk panic and lose the output "
              "of the whole invocation; it is run alone below.", "",
              "| tool | wall s | user+sys s | files/s | statements/s | peak RSS MiB | unparsable files "
              "| exit status |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    med = {}
    for tool in ("migsafe", "squawk"):
        rs = [r for r in d["rounds"] if r["tool"] == tool]
        wall = common.median([r["wall"] for r in rs])
        cpu = common.median([r["user"] + r["sys"] for r in rs])
        rss = max(r["rss_kb"] for r in rs) / 1024
        unp = common.median([len(r["unparsable"]) for r in rs if r["unparsable"] is not None])
        med[tool] = {"wall": wall, "rss": rss, "fps": d["files_batch"] / wall if wall else None,
                     "status": sorted({r["status"] for r in rs})}
        lines.append(f"| {tool} | {fmt(wall, 2)} | {fmt(cpu, 2)} | {fmt(med[tool]['fps'], 0)} "
                     f"| {fmt(d['statements'] / wall if wall else None, 0)} | {fmt(rss)} "
                     f"| {fmt(unp, 0)} | {', '.join(map(str, med[tool]['status']))} |")
    lines.append("")
    c = d.get("crasher_runs") or {}
    if c:
        lines.append(f"Alone on `{d['crasher']}`: " + "; ".join(
            f"{t} {fmt(r['wall'], 2)} s, exit {r['status']}"
            + (" (panic)" if r["status"] == 101 else "") for t, r in c.items()) + ".")
        lines.append("")
    m, s = med.get("migsafe"), med.get("squawk")
    targets = []
    if m and s:
        r = ratio(m["fps"], s["fps"])
        targets.append(f"- files/s at least 3× squawk's: {verdict(r is not None and r >= 3, fmt_ratio(r))}")
        rss_note = f"{m['rss']:.1f} MiB"
        targets.append(f"- peak RSS under 50 MB: {verdict(m['rss'] * 1.048576 < 50, rss_note)}")
        crashed = any(st not in (0, 1, 2) for st in m["status"])
        targets.append(f"- no crash: {verdict(not crashed, 'exit ' + ', '.join(map(str, m['status'])))}")
    return med, targets


def apply_section(d, lines):
    lines += ["## 3. Apply overhead", "",
              f"{d['count']} small migrations (each `CREATE TABLE` + one `INSERT`, dbmate format) "
              "applied to a fresh empty database; `psql -f` of the concatenated up sections is the "
              f"floor. Runners alternate; medians of {d['rounds']} rounds.", "",
              "| runner | wall s (median) | runs | ratio to psql | ratio to dbmate | tables created "
              "| exit status |", "|---|---:|---|---:|---:|---:|---|"]
    med = {}
    for runner in ("migsafe", "dbmate", "psql"):
        rs = [r for r in d["runs"] if r["runner"] == runner]
        med[runner] = common.median([r["wall"] for r in rs])
        med[runner + "_rs"] = rs
    for runner in ("migsafe", "dbmate", "psql"):
        rs = med[runner + "_rs"]
        lines.append(f"| {runner} | {fmt(med[runner], 2)} | "
                     f"{', '.join(fmt(r['wall'], 2) for r in rs)} "
                     f"| {fmt_ratio(ratio(med[runner], med['psql']))} "
                     f"| {fmt_ratio(ratio(med[runner], med['dbmate']))} "
                     f"| {common.median([r['tables'] for r in rs])} "
                     f"| {', '.join(str(s) for s in sorted({r['status'] for r in rs}))} |")
    lines.append("")
    r_db = ratio(med["migsafe"], med["dbmate"])
    r_ps = ratio(med["migsafe"], med["psql"])
    targets = [f"- no slower than dbmate: {verdict(r_db is not None and r_db <= 1.0, fmt_ratio(r_db))}",
               f"- within 1.5× of the psql floor: {verdict(r_ps is not None and r_ps <= 1.5, fmt_ratio(r_ps))}"]
    return med, targets


def plan_section(d, lines):
    lines += ["## 4. Pre-check cost", "",
              f"`migsafe plan` on one `ALTER TABLE` migration (process start to exit: connect, "
              f"load, analyse, read the lock table, report), {d['repeat']} runs each, with no other "
              f"session and with {d['sessions']} sessions idle in transaction holding "
              f"{d['relation_locks']:,} relation locks between them ({d['pg_locks_rows']:,} rows "
              f"in pg_locks) on {d['tables']:,} tables.", "",
              "Beside it, what a user would run by hand: `psql -c` with one query of pg_locks "
              "joined to pg_stat_activity for the table (no conflict matrix, no children, no "
              "lock queue). Both pay the same process start and connection.", "",
              "| server state | plan median ms | plan max ms | psql by hand median ms "
              "| plan / psql | exit status |", "|---|---:|---:|---:|---:|---|"]
    for label, k in (("no other session", "idle"),
                     (f"{d['sessions']} sessions, {d['relation_locks']:,} locks", "loaded")):
        r = d[k]
        by_hand = r.get("psql", {}).get("median_ms")
        lines.append(f"| {label} | {fmt(r['median_ms'])} | {fmt(r['max_ms'])} | {fmt(by_hand)} "
                     f"| {fmt_ratio(ratio(r['median_ms'], by_hand))} "
                     f"| {', '.join(map(str, r['statuses']))} |")
    lines.append("")
    m = d["loaded"]["median_ms"]
    extra = m - d["idle"]["median_ms"]
    lines.append(f"The locks add {extra:.1f} ms to `plan` (loaded minus idle median): the pre-check's "
                 "own cost at this size; the rest is process start, connection and analysis.")
    lines.append("")
    note = f"median {m:.1f} ms, of which {extra:.1f} ms is the locks' cost"
    return None, [f"- under 100 ms with 10,000 locks held: {verdict(m < 100, note)}"]


def main():
    lines = ["# migsafe benchmarks", "",
             "Written by `make bench` (bench/run.sh → bench/report.py); do not edit by hand: the "
             "analysis below the tables comes from bench/NOTES.md.", ""]
    v = common.versions()
    lines += [f"- Date: {common.load('lint') and common.load('lint')['measured_at'] or 'n/a'} "
              "(each table's own time is in bench/out/*.json)",
              f"- Machine: {machine()} (shared with other jobs while measuring)",
              f"- PostgreSQL server {server_version()} (ci/pg-temp: fsync off, loopback only)",
              f"- {v['migsafe']}; squawk: {v['squawk']}; dbmate: {v['dbmate']}; {v['psql']}; "
              f"{v['pgbench']}", ""]
    summary = []
    for name, section in (("stall", stall_section), ("lint", lint_section),
                          ("apply", apply_section), ("plan", plan_section)):
        d = common.load(name)
        if d is None:
            lines += [f"## {name}", "", "Not measured in this run.", ""]
            continue
        lines.append(f"<!-- {name}: measured {d['measured_at']} -->")
        _, targets = section(d, lines)
        if targets:
            lines += ["Targets:", ""] + targets + [""]
            summary += [f"{name}: {t[2:]}" for t in targets]
    lines += ["## Targets at a glance", ""] + [f"- {s}" for s in summary] + [""]
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()
