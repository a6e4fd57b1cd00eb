#!/usr/bin/env bash
# Every benchmark once in smoke mode (make bench-smoke; part of make test): the
# debug build, about a second of load and a tiny data set each, one after the
# other, each bounded in time. Fails (and prints the log's end) when any
# benchmark cannot run. Logs: .local/bench-smoke/<name>.log.
set -uo pipefail
cd "$(dirname "$0")/../.."
export BENCH_SMOKE=1
LIMIT="${BENCH_SMOKE_TIMEOUT:-300}"
LOGS=.local/bench-smoke
mkdir -p "$LOGS"
failed=()
for name in ratelimit auth gateway admin partner generation; do
  started=$(date +%s)
  if timeout --kill-after=10 "$LIMIT" "deploy/bench/$name.sh" >"$LOGS/$name.log" 2>&1; then
    echo "bench-smoke: $name ok ($(( $(date +%s) - started )) s)"
  else
    rc=$?
    echo "bench-smoke: $name FAILED (exit $rc after $(( $(date +%s) - started )) s; $([ "$rc" = 124 ] && echo "timed out after $LIMIT s"))"
    tail -n 40 "$LOGS/$name.log" | sed "s/^/  $name| /"
    failed+=("$name")
  fi
done
[ "${#failed[@]}" -eq 0 ] || { echo "bench-smoke: failed: ${failed[*]}"; exit 1; }
