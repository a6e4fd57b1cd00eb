#!/usr/bin/env bash
# Admin API benchmark: list latency at page 1 and at page 10 000 over a million
# customers (keyset pagination: the ratio stays near 1) and GET-by-id requests/s.
# Measured directly against the service (started in-process by bench-admin on a
# random port, real HTTP on loopback), not through the gateway.
#
# The first run seeds a shop with 1 000 000 customers into
# $ADMIN_BENCH_DATABASE_URL (default platform_admin_bench) — a few minutes on
# 2 cores; later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB_URL="${ADMIN_BENCH_DATABASE_URL:-${PG%/*}/platform_admin_bench}"

cargo build --release -p admin-api --bin bench-admin
./target/release/bench-admin \
  --database-url "$DB_URL" \
  --customers "${ADMIN_BENCH_CUSTOMERS:-1000000}" \
  --page "${ADMIN_BENCH_PAGE:-10000}" \
  --limit 50 \
  --samples "${ADMIN_BENCH_SAMPLES:-300}" \
  --seconds "${ADMIN_BENCH_SECONDS:-10}" \
  --concurrency "${ADMIN_BENCH_CONCURRENCY:-16}"
