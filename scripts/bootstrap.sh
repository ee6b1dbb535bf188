#!/usr/bin/env bash
# Set up a fresh machine for GovProj: a virtualenv with every package the
# platform, its embedded infrastructure and its tests need. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# ClamAV is the archive's virus scanner (四性检测, security). It is optional at run
# time (no scanner → the check is "not run", never "pass"), but the test suite
# should exercise it, so install it from Debian where we may.
if ! command -v clamd >/dev/null 2>&1 && [ ! -x /usr/sbin/clamd ] \
   && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ClamAV (Debian clamav-daemon) for the archive's virus-scan check" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clamav-daemon >/dev/null) \
    || echo "ClamAV could not be installed; its tests will be skipped" >&2
fi
# The console's browser tests (tests/browser) drive Debian's chromium with Playwright
# (Playwright cannot download its own browsers here); a CJK font makes the Chinese
# pages and their screenshots legible.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (Debian) and a CJK font for the console's browser tests" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
    || echo "chromium could not be installed; the browser tests will be skipped" >&2
fi
# The archive typesets official documents (立项批复, 备案确认) as PDF with WeasyPrint,
# which needs Pango from Debian and a CJK font (libs/gongwen).
if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || [ ! -d /usr/share/fonts/opentype/noto ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Pango and fonts-noto-cjk (Debian) for the archive's PDF documents" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk >/dev/null) \
      || echo "Pango could not be installed; the archive cannot typeset official documents" >&2
  fi
fi
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
# tests/browser/test_login.py runs a certified OpenID provider (panva's oidc-provider,
# from the npm registry) with node; installed from its committed package-lock.json.
# Installed again when the lock file is newer than what npm last installed.
OP=tests/oidc_provider
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
   && { [ ! -f $OP/node_modules/.package-lock.json ] || [ $OP/package-lock.json -nt $OP/node_modules/.package-lock.json ]; }; then
  (cd $OP && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || echo "oidc-provider could not be installed: tests/browser/test_login.py will fail (it skips only without node)" >&2
fi
# tests/browser/test_crawl.py injects axe-core (npm) into every page it visits.
AXE=tests/browser/axe
if command -v npm >/dev/null 2>&1 \
   && { [ ! -f $AXE/node_modules/.package-lock.json ] || [ $AXE/package-lock.json -nt $AXE/node_modules/.package-lock.json ]; }; then
  (cd $AXE && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || echo "axe-core could not be installed: tests/browser/test_crawl.py will fail" >&2
fi
