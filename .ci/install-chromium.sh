#!/usr/bin/env bash
# Installs Debian's Chromium for the headless status-page test (test/ops/status-browser.test.ts),
# which drives /usr/bin/chromium with playwright-core. Idempotent: does nothing when it is there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y chromium
/usr/bin/chromium --version
