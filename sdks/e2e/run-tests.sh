#!/usr/bin/env bash
# sdks/e2e/run-tests.sh: every SDK suite — Node's test runner (@sumeru/sdk, @sumidata/sdk incl. the
# headless-Chromium test) and pytest (sumeru_es). Run inside sdks/e2e/platform.sh for the platform
# tests; without a platform those are skipped and the rest runs.
set -uo pipefail
sdks="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$sdks"
echo "==> node --test (@sumeru/sdk, @sumidata/sdk)"
node --test --test-concurrency=1 node/test/*.test.mjs ingest/test/*.test.mjs
node_rc=$?
echo "==> pytest (sumeru_es)"
(cd python && .venv/bin/python -m pytest -q -p no:cacheprovider tests)
py_rc=$?
echo "==> SDK suites: node exit $node_rc, pytest exit $py_rc"
[ "$node_rc" = 0 ] && [ "$py_rc" = 0 ]
