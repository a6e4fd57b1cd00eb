#!/usr/bin/env bash
# Admin API benchmark: list latency at page 1 and at page 10 000 over a million
# customers (keyset pagination: the ratio stays near 1), and GET-by-id requests/s
#   - directly against the service (started in-process by bench-admin on a random
#     port with 2 workers, JWTs signed by the bench, real HTTP on loopback), and
#   - THROUGH THE GATEWAY (Host: admin.localhost) with a real API key minted by
#     `authctl` (tier enterprise), i.e. gateway → auth (cached) → ratelimit decision
#     in Redis → admin-api process (2 workers) — started by deploy/bench/platform.sh,
# with the same ids, concurrency and duration, printed side by side.
#
# The first run seeds a shop with 1 000 000 customers into
# $ADMIN_BENCH_DATABASE_URL (default platform_admin_bench) — a few minutes on
# 2 cores; later runs reuse it. The shop's tenant id is fixed
# (ADMIN_BENCH_TENANT); the bench auth database (platform_auth_bench) gets a
# tenant with that id once (created with authctl, then given the fixed id in the
# bench database, since auth chooses tenant ids itself), and a fresh key per run.
#
# Environment: DATABASE_URL, REDIS_URL, ADMIN_BENCH_CUSTOMERS (1000000),
# ADMIN_BENCH_PAGE (10000), ADMIN_BENCH_SAMPLES (300), ADMIN_BENCH_SECONDS (10, per
# GET-by-id run), ADMIN_BENCH_CONCURRENCY (16), ADMIN_BENCH_GATEWAY (1; 0 = direct only).
# BENCH_SMOKE=1: a smoke run (debug build, 2 000 customers in a database of the run's own,
# page 10, 10 samples, 1 s runs, 4 callers; see common.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/bench/platform.sh

TENANT="${ADMIN_BENCH_TENANT:-0193e7a0-0000-7000-8000-00000000bbbb}"
DB_URL="${ADMIN_BENCH_DATABASE_URL:-$(platform_db_url platform_admin_bench)}"

CUSTOMERS=$(bench_param ADMIN_BENCH_CUSTOMERS 1000000 2000)
PAGE=$(bench_param ADMIN_BENCH_PAGE 10000 10)
SAMPLES=$(bench_param ADMIN_BENCH_SAMPLES 300 10)
SECONDS_PER_RUN=$(bench_param ADMIN_BENCH_SECONDS 10 1)
CONCURRENCY=$(bench_param ADMIN_BENCH_CONCURRENCY 16 4)

platform_build --example bench-admin

GATEWAY_ARGS=()
if [ "${ADMIN_BENCH_GATEWAY:-1}" = 1 ]; then
  platform_need psql postgresql-client
  platform_start admin
  if ! platform_authctl --json tenant get "$TENANT" >/dev/null 2>&1; then
    NEW=$(platform_authctl --json tenant create --product admin --name "bench shop" --tier enterprise | jq -r .id)
    psql "$(platform_db_url platform_auth_bench)" -qAt -v ON_ERROR_STOP=1 \
      -c "UPDATE tenants SET id = '$TENANT' WHERE id = '$NEW'" >/dev/null
    echo "auth bench tenant $TENANT created"
  fi
  BENCH_GATEWAY_KEY=$(platform_authctl --json key mint --tenant "$TENANT" --name "bench $(date -u +%FT%TZ)" \
    --scopes customers:read --tier enterprise | jq -r .key)
  export BENCH_GATEWAY_KEY
  GATEWAY_ARGS=(--gateway-url "$PLATFORM_GATEWAY_URL" --gateway-host admin.localhost)
fi

RUST_LOG="${RUST_LOG:-warn}" "$BENCH_EXAMPLES/bench-admin" \
  --database-url "$DB_URL" \
  --tenant "$TENANT" \
  --customers "$CUSTOMERS" \
  --page "$PAGE" \
  --limit 50 \
  --samples "$SAMPLES" \
  --seconds "$SECONDS_PER_RUN" \
  --concurrency "$CONCURRENCY" \
  "${GATEWAY_ARGS[@]}"

if [ "${ADMIN_BENCH_GATEWAY:-1}" = 1 ]; then
  echo "gateway counters (non-zero):"
  platform_gateway_metrics
fi
