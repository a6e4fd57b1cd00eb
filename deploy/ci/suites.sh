#!/usr/bin/env bash
# Runs the test suites of `make test` in parallel lanes and reports them together.
#
#   deploy/ci/suites.sh 'lane-name: target target …' 'other-lane: target …'
#
# Each lane runs its make targets one after the other (a lane keeps heavy suites
# from competing for the two cores at once); lanes run side by side. Every
# target's output goes to .local/test-logs/<target>.log, printed in full once
# all lanes have finished: first one summary line per target and the failing
# suites' logs (CI keeps the start of a long log), then the passing ones, then a
# closing `suites: N passed, N failed` line. Exits non-zero when any suite failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
logs="$root/.local/test-logs"
rm -rf "$logs"; mkdir -p "$logs"

run_lane() { # run_lane <targets…>: each target's exit code into <target>.rc
  local t start
  for t in "$@"; do
    start=$(date +%s)
    make --no-print-directory "$t" >"$logs/$t.log" 2>&1
    echo "$? $(( $(date +%s) - start ))" >"$logs/$t.rc"
  done
}

pids=()
targets=()
for lane in "$@"; do
  name="${lane%%:*}"; read -r -a lane_targets <<<"${lane#*:}"
  targets+=("${lane_targets[@]}")
  echo "==> lane $name: ${lane_targets[*]}"
  run_lane "${lane_targets[@]}" & pids+=("$!")
done
for pid in "${pids[@]}"; do wait "$pid"; done

passed=0; failed=0; summary=()
for t in "${targets[@]}"; do
  read -r rc secs <"$logs/$t.rc" 2>/dev/null || { rc=1; secs=0; }
  if [ "$rc" = 0 ]; then passed=$((passed + 1)); summary+=("  ok     $t (${secs}s)")
  else failed=$((failed + 1)); summary+=("  FAILED $t (${secs}s, exit $rc; log: .local/test-logs/$t.log)"); fi
done
# CI keeps the start of a long log: the summary and the failing suites' logs come first,
# then the passing suites' logs, then the closing count.
echo "==> suites"
printf '%s\n' "${summary[@]}"
for t in "${targets[@]}"; do { read -r rc _ <"$logs/$t.rc"; } 2>/dev/null || rc=1; [ "$rc" != 0 ] && { echo "==> $t (FAILED)"; cat "$logs/$t.log"; }; done
for t in "${targets[@]}"; do { read -r rc _ <"$logs/$t.rc"; } 2>/dev/null || rc=1; [ "$rc" = 0 ] && { echo "==> $t"; cat "$logs/$t.log"; }; done
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
