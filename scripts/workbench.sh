#!/usr/bin/env bash
# Sets itself up (idempotently), then opens JupyterLab with the mechanic-kernel extension and the quick-start
# notebook. Webhooks are live at once at http://127.0.0.1:8888/mechanic/webhooks/<id>; events are kept in the
# embedded SQLite store in $MECHANIC_HOME (default ~/.local/share/mechanic-kernel).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
extra=()
# Jupyter refuses to run as root without this flag; containers and CI machines often are root.
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
exec .venv/bin/jupyter lab notebooks/01-create-a-webhook.ipynb "${extra[@]}" "$@"
