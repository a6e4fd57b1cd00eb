#!/usr/bin/env bash
# sdks/e2e/run-tests.sh: every SDK suite — Node's test runner (@sumeru/sdk, @sumidata/sdk incl. the
# headless-Chromium test) and pytest (sumeru_es). Run inside sdks/e2e/platform.sh for the platform
# tests; without a platform those are skipped and the rest runs.
set -uo pipefail
sdks="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$sdks"
echo "==> docs: generate and check links"
(cd ../docs && ./build.sh)
docs_rc=$?
echo "==> node --test (@sumeru/sdk, @sumidata/sdk, the reference pages through the gateway)"
node --test --test-concurrency=1 node/test/*.test.mjs ingest/test/*.test.mjs e2e/*.test.mjs
node_rc=$?
echo "==> pytest (sumeru_es)"
(cd python && .venv/bin/python -m pytest -q -p no:cacheprovider tests)
py_rc=$?
echo "==> SDK suites: docs exit $docs_rc, node exit $node_rc, pytest exit $py_rc"
[ "$docs_rc" = 0 ] && [ "$node_rc" = 0 ] && [ "$py_rc" = 0 ]
