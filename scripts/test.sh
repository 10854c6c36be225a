#!/usr/bin/env bash
# Sets itself up (idempotently), then runs the whole test suite: unit, HTTP, CLI, Jupyter and notebook tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  # Browser checks drive Debian's Chromium through Playwright (Playwright's own browser download is not used).
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; browser checks will be skipped" >&2
  else
    echo "warning: chromium is not installed; browser checks will be skipped (apt-get install chromium)" >&2
  fi
fi
exec .venv/bin/python -m pytest tests notebooks --nbval --nbval-sanitize-with notebooks/sanitize.cfg "$@"
