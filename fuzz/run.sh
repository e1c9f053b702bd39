#!/usr/bin/env bash
# fuzz/run.sh BUILD_DIR — runs every libFuzzer target built in BUILD_DIR/fuzzers
# for FUZZ_SECONDS each (default 60), one after the other (the machine is
# small), on seeds rebuilt by fuzz/seeds.py plus the corpus kept from earlier
# runs in BUILD_DIR/corpus. Appends one line per target to BUILD_DIR/runs.tsv
# (date, target, seconds, executions, corpus size, crashes) and exits 1 when
# any target found a crash; the crashing inputs are in BUILD_DIR/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:?usage: fuzz/run.sh BUILD_DIR}
seconds=${FUZZ_SECONDS:-60}
only=${FUZZ_TARGETS:-}
seeds="$build/seeds"
rm -rf "$seeds"
/usr/bin/python3 fuzz/seeds.py "$seeds"
[ -f "$build/runs.tsv" ] || printf 'date\ttarget\tseconds\texecutions\tcorpus\tcrashes\n' >"$build/runs.tsv"

# Inputs larger than this are cut: big enough for real migrations, small
# enough to keep executions per second high.
max_len=65536
failed=0
for bin in "$build"/fuzzers/fuzz_*; do
  case $bin in *.d) continue ;; esac
  t=$(basename "$bin")
  if [ -n "$only" ] && [[ " $only " != *" $t "* ]]; then continue; fi
  corpus="$build/corpus/$t" artifacts="$build/artifacts/$t/" log="$build/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")" "$seeds/$t"
  dict=()
  case $t in
    fuzz_duration) dict=(-dict=fuzz/duration.dict) ;;
    fuzz_config|fuzz_jsondoc) dict=(-dict=fuzz/config.dict) ;;
    fuzz_sqlparse|fuzz_loader_*) dict=(-dict=fuzz/sql.dict) ;;
  esac
  stamp="$build/logs/$t.start"
  touch "$stamp"
  echo "fuzz: $t for ${seconds}s"
  set +e
  TMPDIR=${TMPDIR:-/tmp} "$bin" -max_total_time="$seconds" -max_len=$max_len -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" \
    "$corpus" "$seeds/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(find "$artifacts" -type f -newer "$stamp" | wc -l)
  units=$(find "$corpus" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$seconds" "${execs:-0}" \
    "$units" "$crashes" >>"$build/runs.tsv"
  echo "fuzz: $t: ${execs:-0} executions, $units corpus units, exit $rc"
  if [ $rc -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    echo "fuzz: $t FAILED (see $log and $artifacts)" >&2
    grep -m5 -E 'ERROR|runtime error|SUMMARY' "$log" >&2 || true
  fi
done
exit $failed
