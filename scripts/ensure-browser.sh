#!/usr/bin/env bash
# Install Debian's chromium when it is missing: the report tests open the HTML reports in
# headless Chromium (driven by the Python playwright package, which is told to use this
# browser; `playwright install` is never run, so no download at test time).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "browser: $(command -v chromium) present"
  exit 0
fi
echo "browser: installing Debian package chromium"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "browser: chromium still not on PATH" >&2; exit 1; }
echo "browser: installed $(command -v chromium)"
