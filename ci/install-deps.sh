#!/usr/bin/env bash
# Installs every Debian/Ubuntu package migsafe needs to build, test and demo,
# skipping the ones already present. Uses sudo only when not root.
set -euo pipefail

packages=(
  build-essential pkg-config git
  libpq-dev libpg-query-dev libprotobuf-c-dev libcjson-dev libgit2-dev libmimalloc-dev libcmocka-dev
  postgresql postgresql-contrib
  python3 python3-pytest python3-psycopg2 python3-jsonschema python3-yaml
  clang libclang-rt-14-dev valgrind man-db shellcheck pre-commit
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
