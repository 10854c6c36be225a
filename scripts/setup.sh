#!/usr/bin/env bash
# Idempotent set-up: a virtual environment in .venv with mechanic-kernel installed editable.
# Re-running it reinstalls only when pyproject.toml changed since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip 2> >(grep -v "is ignored: it is neither" >&2)
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  # The machine's pip.conf names index folders that may not exist; those warnings are noise.
  .venv/bin/python -m pip install --quiet -e '.[test]' 2> >(grep -v "is ignored: it is neither" >&2)
  rm -f .venv/.installed-*
  touch "$stamp"
fi
