#!/usr/bin/env bash
# bench/run.sh — `make bench`: installs the peers (squawk, dbmate) into the
# ignored bench/.peers, starts a throwaway server, runs the four benchmarks
# and writes bench/RESULTS.md.
#
#   BENCH_ONLY="lint apply"   run only these (the others keep their last results)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
only=${BENCH_ONLY:-stall lint apply plan}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# Tools the benchmarks need beyond `make deps`: GNU time for peak RSS, npm
# for the peers, pgbench (in the PostgreSQL client packages).
need=()
[ -x /usr/bin/time ] || need+=(time)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v pgbench >/dev/null 2>&1 || need+=(postgresql-client)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

peers=bench/.peers
if [ ! -x $peers/node_modules/@squawk-cli/linux-x64/bin/squawk ] ||
   [ ! -x $peers/node_modules/@dbmate/linux-x64/bin/dbmate ]; then
  echo "bench: installing squawk-cli and dbmate into $peers"
  mkdir -p $peers
  npm install --prefix $peers --no-audit --no-fund squawk-cli dbmate >/dev/null
fi

mkdir -p bench/out
dir=$(ci/pg-temp start)
trap 'ci/pg-temp stop "$dir"' EXIT
export PGTEMP_URL
PGTEMP_URL=$(ci/pg-temp url "$dir")
export MIGSAFE_BIN=${MIGSAFE_BIN:-$PWD/build/migsafe}

for b in $only; do
  echo "bench: === $b"
  $PY "bench/$b.py"
done
$PY bench/report.py >bench/RESULTS.md.tmp
mv bench/RESULTS.md.tmp bench/RESULTS.md
echo "bench: wrote bench/RESULTS.md"
