#!/usr/bin/env bash
# Benchmark of ratelimit-service decisions against real Redis (release build).
#
# Prints decisions/s and p50/p99 for (1) the gRPC API of an in-process server,
# (2) the service's decision engine without gRPC and (3) the same Lua script called
# directly, at the same concurrency, plus the ratios (the service's own overhead).
# Bounded: 3 × (1 s warm-up + BENCH_SECS) of load after the release build.
#
#   deploy/bench/ratelimit.sh                 # REDIS_URL or redis://127.0.0.1:6379
#   BENCH_CONCURRENCY=64 BENCH_SECS=15 deploy/bench/ratelimit.sh
#   BENCH_SMOKE=1 deploy/bench/ratelimit.sh   # smoke run: debug build, 1 s per mode, 100 subjects
#
# If no Redis answers at REDIS_URL, a private redis-server (no persistence) is started
# on a free port for the run (installed from Debian's redis-server package if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/bench/common.sh

CONCURRENCY=$(bench_param BENCH_CONCURRENCY 32 4)
SECS=$(bench_param BENCH_SECS 10 1)
SUBJECTS=$(bench_param BENCH_SUBJECTS 10000 100)
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

command -v redis-cli >/dev/null || deploy/local/apt-install.sh redis-server >/dev/null

private_pid=""
cleanup() { [ -n "$private_pid" ] && kill "$private_pid" 2>/dev/null || true; }
trap cleanup EXIT
if ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
  private_pid=$!
  export REDIS_URL="redis://127.0.0.1:$port"
  for _ in $(seq 50); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "no Redis at the given URL: started a private one at $REDIS_URL"
fi

bench_build -p ratelimit-service --example bench
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (other processes share these cores); redis $(redis-cli -u "$REDIS_URL" info server | awk -F: '/^redis_version/{print $2}' | tr -d '\r')"
RUST_LOG=warn "$BENCH_EXAMPLES/bench" \
  --concurrency "$CONCURRENCY" --secs "$SECS" --subjects "$SUBJECTS" --redis-url "$REDIS_URL"
