#!/usr/bin/env bash
# Make sure PostgreSQL server binaries (initdb, pg_ctl) exist; install Debian's package if not.
# The tests start their own throwaway server from these binaries (tests/conftest.py).
set -euo pipefail
for dir in /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    echo "postgresql: found $dir"
    exit 0
  fi
done
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
  echo "postgresql: found $(command -v initdb)"
  exit 0
fi
echo "postgresql: not found, installing Debian package 'postgresql'"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# Debian starts a cluster on install; the tests use their own, so stop the packaged one.
$SUDO service postgresql stop >/dev/null 2>&1 || true
echo "postgresql: installed"
