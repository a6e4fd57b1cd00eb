#!/usr/bin/env bash
# sdks/e2e/setup.sh: what the SDK builds and tests need, on a fresh machine — npm packages
# (package-lock.json), the Python virtualenv with sumeru_es and its dev tools, Debian's chromium
# for the browser tests; the SDK builds and the docs (docs/site). Idempotent and quiet when everything is there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
command -v node >/dev/null || deploy/local/apt-install.sh nodejs npm
command -v chromium >/dev/null || deploy/local/apt-install.sh chromium
if [ ! -d sdks/node_modules ] || [ sdks/package-lock.json -nt sdks/node_modules/.package-lock.json ]; then
  (cd sdks && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -x sdks/python/.venv/bin/python ] || [ sdks/python/pyproject.toml -nt sdks/python/.venv/.installed ]; then
  python3 -m venv sdks/python/.venv
  sdks/python/.venv/bin/pip install -q --disable-pip-version-check -e "sdks/python[dev]"
  touch sdks/python/.venv/.installed
fi
(cd sdks && npm run --silent build >/dev/null)
docs/build.sh >/dev/null
