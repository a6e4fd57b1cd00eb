# shellcheck shell=bash
# Shared by every deploy/bench/*.sh (sourced, not run alone): the build profile
# and the smoke mode.
#
#   BENCH_SMOKE=1 deploy/bench/<name>.sh   # a smoke run: the debug build (which
#                                          # `make test` has built already), about a
#                                          # second of load, a tiny data set
#
# A smoke run proves that the benchmark still runs end to end; its figures mean
# nothing. `make bench-smoke` (part of `make test`) runs every benchmark so.
# Benchmark programs are examples of their package (`cargo build --example`), so
# service images and `cargo build --bins` never contain them.

BENCH_SMOKE="${BENCH_SMOKE:-0}"
if [ "$BENCH_SMOKE" = 1 ]; then
  BENCH_PROFILE=debug
  BENCH_CARGO_PROFILE=()
else
  BENCH_PROFILE=release
  BENCH_CARGO_PROFILE=(--release)
fi
BENCH_TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
# Binaries of the build profile, and the benchmark examples.
BENCH_BIN="$BENCH_TARGET_DIR/$BENCH_PROFILE"
BENCH_EXAMPLES="$BENCH_BIN/examples"

# bench_build <cargo build arguments…>: in the profile of this run. A smoke run
# builds exactly what `make test` built first (every binary and example of the
# workspace), so inside `make test` it compiles nothing, and cargo's feature
# unification cannot differ from that build's.
bench_build() {
  if [ "$BENCH_SMOKE" = 1 ]; then
    cargo build --quiet --workspace --bins --examples
  else
    cargo build "${BENCH_CARGO_PROFILE[@]}" --quiet "$@"
  fi
}

# bench_param <variable> <full value> <smoke value>: the variable if set, else
# the value for this mode.
bench_param() {
  local value="${!1:-}"
  if [ -n "$value" ]; then echo "$value"
  elif [ "$BENCH_SMOKE" = 1 ]; then echo "$3"
  else echo "$2"
  fi
}
