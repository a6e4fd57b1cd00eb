#!/usr/bin/env bash
# Benchmark of partner-api (make bench-partner).
#
# Builds bench-partner in release mode and runs it: the service runs in-process
# on a fresh database (directly, not through the gateway; JWTs signed by the
# bench), then it prints
#   - SDK ingest events/s (batches of 100 through POST /sdk/ingest, 8 concurrent clients),
#   - a raw PostgreSQL COPY of the same rows in the same run, for comparison,
#   - GET /api/partner/events p50/p99 with filters over a large event table,
#     with the totalCount each returns and whether it was exact.
#
# Environment: DATABASE_URL (server; default postgres://postgres@127.0.0.1:5432/postgres),
# PARTNER_BENCH_ROWS (large table, default 2000000; the 10 M goal takes ~7 min to seed on
# 2 cores), PARTNER_BENCH_INGEST (default 50000), PARTNER_BENCH_QUERIES (default 100),
# PARTNER_BENCH_COUNT_MS (exact-count budget, default 1000).
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "building bench-partner (release)…"
cargo build --release -q -p partner-api --bin bench-partner

RUST_LOG="${RUST_LOG:-warn}" target/release/bench-partner \
  --pg "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
  --large-rows "${PARTNER_BENCH_ROWS:-2000000}" \
  --ingest-events "${PARTNER_BENCH_INGEST:-50000}" \
  --queries "${PARTNER_BENCH_QUERIES:-100}" \
  --count-timeout-ms "${PARTNER_BENCH_COUNT_MS:-1000}" \
  --batch 100 --concurrency 8
