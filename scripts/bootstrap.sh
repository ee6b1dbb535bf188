#!/usr/bin/env bash
# Set up a fresh machine for GovProj: a virtualenv with every package the
# platform, its embedded infrastructure and its tests need. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip uv >/dev/null
# One resolver pass for the whole distribution with its dev extras.
uv pip install -q -e '.[dev]'
