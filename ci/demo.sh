#!/usr/bin/env bash
# make demo: check the example migrations, then apply them to a throwaway
# PostgreSQL, and show their status. The server is removed afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=build/migsafe

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

demo() {
  step "migsafe check migrations-example   (static analysis, no database)"
  "$BIN" check migrations-example
  echo "(exit $? — 1 means findings at or above --fail-on error)"

  step "migsafe apply migrations-example   (throwaway server: $PGTEMP_URL, no password)"
  "$BIN" apply --db "$PGTEMP_URL" migrations-example
  echo "(exit $?)"

  step "migsafe status migrations-example"
  "$BIN" status --db "$PGTEMP_URL" migrations-example
  echo "(exit $?)"
}

export -f demo step
export BIN
ci/pg-temp run -- bash -c demo
