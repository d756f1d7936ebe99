#!/usr/bin/env bash
# Install the Debian packages whose programs the tests run, when they are missing:
#   postgresql  - initdb and pg_ctl; the tests start their own throwaway server
#   prometheus  - promtool, which checks the /metrics output
# Servers are started (and stopped) by the tests themselves, on loopback.
set -euo pipefail

missing=()
have_pg=no
for dir in /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then have_pg=yes; fi
done
[ "$have_pg" = yes ] || missing+=(postgresql)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)

if [ ${#missing[@]} -eq 0 ]; then
  echo "servers: postgresql and promtool present"
  exit 0
fi
echo "servers: installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts packaged services on install; the tests run their own, so stop these.
$SUDO service postgresql stop >/dev/null 2>&1 || true
$SUDO service prometheus stop >/dev/null 2>&1 || true
echo "servers: installed ${missing[*]}"
