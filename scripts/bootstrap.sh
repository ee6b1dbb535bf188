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
# uv resolves the whole distribution in one pass; trust the system's CA store
# (machines behind an inspecting proxy add their CA there). pip is the fallback.
if ! UV_NATIVE_TLS=1 uv pip install -q -e '.[dev]'; then
  echo "uv failed; installing with pip" >&2
  python -m pip install -q -e '.[dev]'
fi
