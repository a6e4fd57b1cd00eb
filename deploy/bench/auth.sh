#!/usr/bin/env bash
# Benchmark of gRPC Authenticate against real PostgreSQL (make bench-auth).
#
# Builds auth in release mode, starts two instances on one fresh database —
# one with the in-process key cache (default 10 s TTL), one with it disabled
# (AUTH__KEY_CACHE_TTL_MS=0, so every call is one indexed PostgreSQL query) —
# and runs bench-auth against each: calls/s and latency percentiles.
#
# Environment: DATABASE_URL (server; default postgres://postgres@127.0.0.1:5432/postgres),
# REDIS_URL, BENCH_SECONDS (default 10), BENCH_CONCURRENCY (default 32), BENCH_KEYS (default 100).
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_SERVER="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_SERVER="${PG_SERVER%/*}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
CONCURRENCY="${BENCH_CONCURRENCY:-32}"
KEYS="${BENCH_KEYS:-100}"
DB="bench_auth_$(date +%s)_$$"
TOKEN="bench-operator-token"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "building auth-service and bench-auth (release)…"
cargo build --release -q -p auth-service --bin auth-service --bin bench-auth
BIN=target/release

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if command -v psql >/dev/null; then
    psql "$PG_SERVER/postgres" -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

start_auth() { # name http grpc cache_ttl_ms
  AUTH__DATABASE__URL="$PG_SERVER/$DB" AUTH__REDIS__URL="$REDIS_URL" \
  AUTH__LISTEN="127.0.0.1:$2" AUTH__GRPC_LISTEN="127.0.0.1:$3" \
  AUTH__OPERATOR_TOKEN="$TOKEN" AUTH__KEY_CACHE_TTL_MS="$4" \
  AUTH__REVOCATION_CHANNEL="bench:auth:revocations:$$" AUTH__WORKERS=1 \
  RUST_LOG=warn "$BIN/auth-service" serve >"/tmp/$DB-$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 150); do
    if curl -fs "http://127.0.0.1:$2/readyz" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "auth ($1) did not become ready; log:" >&2; cat "/tmp/$DB-$1.log" >&2; exit 1
}

CACHED_HTTP=$(free_port); CACHED_GRPC=$(free_port)
start_auth cached "$CACHED_HTTP" "$CACHED_GRPC" 10000
UNCACHED_HTTP=$(free_port); UNCACHED_GRPC=$(free_port)
start_auth uncached "$UNCACHED_HTTP" "$UNCACHED_GRPC" 0

echo "database $DB; ${SECONDS_PER_RUN}s per run, concurrency $CONCURRENCY, $KEYS keys; $(nproc) cores shared by client and server"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# CPU time (clock ticks) of a process, to report the server's CPU per call.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_HZ=$(getconf CLK_TCK)

run() { # label http grpc pid
  local before after out total
  before=$(cpu_ticks "$4")
  out=$("$BIN/bench-auth" --label "$1" --http "http://127.0.0.1:$2" --grpc "http://127.0.0.1:$3" \
    --token "$TOKEN" --seconds "$SECONDS_PER_RUN" --concurrency "$CONCURRENCY" --keys "$KEYS")
  after=$(cpu_ticks "$4")
  total=$(grep -o 'total_calls=[0-9]*' <<<"$out" | cut -d= -f2)
  echo "$out"
  awk -v t="$((after - before))" -v hz="$TICK_HZ" -v n="$total" -v l="$1" \
    'BEGIN { printf "%-10s server CPU %.1f µs per Authenticate (incl. key minting and warm-up)\n", l, t / hz * 1e6 / n }'
}

run cached "$CACHED_HTTP" "$CACHED_GRPC" "${PIDS[0]}"
run uncached "$UNCACHED_HTTP" "$UNCACHED_GRPC" "${PIDS[1]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
