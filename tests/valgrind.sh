#!/usr/bin/env bash
# tests/valgrind.sh — `make test-valgrind`: a subset of commands under
# valgrind (memcheck, --leak-check=full): every command, the main report
# formats, stdin, error paths (bad SQL, binary file, bad config, wrong
# password), and apply / dry-run / plan / status / blockers on the server
# of ci/pg-temp ($PGTEMP_URL). Fails when valgrind reports an error or a
# definite/possible leak, or a command does not end with its expected code.
#
# valgrind's own failure code is VG_RC (97), not 1: migsafe's exit codes
# 1-4 mean something (findings, input, gave up, database) and are checked.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${MIGSAFE_BIN:-$PWD/build/migsafe}
: "${PGTEMP_URL:?run through make test-valgrind (ci/pg-temp run)}"
VG_RC=97
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=../shared/corpus
failed=0
count=0

# vg EXPECTED_RC ARGS... runs migsafe ARGS under valgrind.
vg() {
  local want=$1 rc log
  shift
  count=$((count + 1))
  log="$work/vg.$count.log"
  set +e
  valgrind --quiet --soname-synonyms='somalloc=libmimalloc.so*' --error-exitcode=$VG_RC --leak-check=full --show-leak-kinds=definite,possible \
    --errors-for-leak-kinds=definite,possible --track-origins=yes --log-file="$log" \
    "$BIN" "$@" >"$work/out.$count" 2>"$work/err.$count" <"${VG_STDIN:-/dev/null}"
  rc=$?
  set -e
  if [ $rc -eq $VG_RC ] || [ -s "$log" ]; then
    echo "valgrind: FAIL (memory errors) migsafe $*"
    sed 's/^/  /' "$log" | head -60
    failed=1
  elif [ "$rc" -ne "$want" ]; then
    echo "valgrind: FAIL (exit $rc, expected $want) migsafe $*"
    sed 's/^/  /' "$work/err.$count" | head -20
    failed=1
  else
    echo "valgrind: ok   (exit $rc) migsafe $*"
  fi
}

db_url() {   # the server URL with another database name
  echo "${PGTEMP_URL%/*}/$1"
}

psql -X -q "$PGTEMP_URL" -c "DROP DATABASE IF EXISTS valgrind_db" -c "CREATE DATABASE valgrind_db"
psql -X -q "$PGTEMP_URL" -c "DROP ROLE IF EXISTS valgrind_app" \
  -c "CREATE ROLE valgrind_app LOGIN PASSWORD 'vg-right-1'"
DB=$(db_url valgrind_db)
WRONG=$(echo "$DB" | sed 's|//[^@]*@|//valgrind_app:vg-wrong-2@|')

mkdir -p "$work/bad" "$work/bin"
printf 'CREATE TABLE t (id int;\n' >"$work/bad/0001_bad.sql"
printf 'SELECT 1;\0\1' >"$work/bin/0001_bin.sql"
printf '{"lock_timeot": "1s"}' >"$work/bad.json"
printf '{"lock_timeout": "200ms", "rules": {"create-index-non-concurrently": "warning"}}' >"$work/good.json"

vg 0 --version
vg 0 --help
vg 2 frobnicate
for f in text json sarif github gitlab markdown; do
  vg 1 check --format "$f" migrations-example
done
vg 0 check --config "$work/good.json" --fail-on never --report "$work/r.json" migrations-example
vg 2 check --config "$work/bad.json" migrations-example
vg 2 check "$work/bad"
vg 2 check "$work/bin"
VG_STDIN=migrations-example/0004_index_users_email_unsafe.sql vg 1 check --stdin-filename x.sql -
if [ -d "$corpus" ]; then
  # One file of each section-marker layout, the CRLF ones, and the largest.
  mapfile -t sample < <(cd "$corpus" && {
    grep -rl --include='*.sql' -e '-- +goose Up' . | sort | head -3
    grep -rl --include='*.sql' -e '-- migrate:up' . | sort | head -3
    grep -rlU --include='*.sql' -e $'\r' . | sort | head -2
    find . -name '*.sql' -path './[a-z]*' -size +200k | sort | head -2; } | sed "s|^\./||; s|^|$corpus/|")
  vg 2 check --fail-on never "${sample[@]}" "$corpus/PostgREST__postgrest/test/io/fixtures/big_schema.sql"
fi
vg 0 plan --db "$DB" migrations-example
vg 0 dry-run --db "$DB" --fail-on never migrations-example
vg 0 apply --db "$DB" --fail-on never --report "$work/apply.json" migrations-example
vg 0 status --db "$DB" --format json migrations-example
vg 0 blockers --db "$DB"
vg 0 apply --db "$DB" --fail-on never migrations-example
vg 4 apply --db "$WRONG" migrations-example
vg 4 status --db "postgresql://127.0.0.1:1/x" migrations-example

psql -X -q "$PGTEMP_URL" -c "DROP DATABASE IF EXISTS valgrind_db" -c "DROP ROLE IF EXISTS valgrind_app"
echo "valgrind: $count commands, $([ $failed -eq 0 ] && echo 'all clean' || echo 'FAILURES above')"
exit $failed
