#!/usr/bin/env bash
# docs/build.sh (`make docs`): installs the docs' npm packages (package-lock.json), generates the
# reference and narrative pages into docs/site (`npm run gen:api`) and checks every local link.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent gen:api
npm run --silent check:links
