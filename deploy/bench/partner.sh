#!/usr/bin/env bash
# Benchmark of partner-api (make bench-partner).
#
# Builds the release binaries (deploy/bench/platform.sh) and runs bench-partner,
# which runs partner-api in-process (JWTs signed by the bench) and prints
#   - SDK ingest events/s (batches of 100 through POST /sdk/ingest, 8 concurrent clients)
#       * directly against the in-process service, and
#       * THROUGH THE GATEWAY (Host: partner.localhost, no bearer; rate limited by
#         client IP, tier anonymous, class ingest — raised for the bench by
#         platform.sh) to a partner-api process whose project comes from auth's
#         ResolveProject (a project created with authctl per run),
#   - a raw PostgreSQL COPY of the same rows in the same run, for comparison,
#   - GET /api/partner/events p50/p99 with filters over a large event table,
#     with the totalCount each returns and whether it was exact.
#
# The event table lives in platform_partner_bench and is KEPT between runs: it is
# seeded (generate_series + VACUUM ANALYZE) only when it does not hold
# PARTNER_BENCH_ROWS events yet (changing PARTNER_BENCH_ROWS reseeds). The gateway's
# partner-api uses the same database.
#
# Environment: DATABASE_URL, REDIS_URL, PARTNER_BENCH_ROWS (large table, default 2000000;
# 10000000 takes several minutes to seed on 2 cores, once), PARTNER_BENCH_INGEST (events
# per ingest run, default 200000), PARTNER_BENCH_QUERIES (requests per list case, default 100)
# and PARTNER_BENCH_CASE_SECONDS (time budget per list case, default 10: at 10 M rows the
# unfiltered cases take ~0.6 s per request, so they stop after ~16 requests),
# PARTNER_BENCH_COUNT_MS (exact-count budget, default 1000), PARTNER_BENCH_GATEWAY
# (1; 0 = direct only), PARTNER_BENCH_DATABASE (platform_partner_bench; empty = a fresh
# database per run, dropped afterwards).
# BENCH_SMOKE=1: a smoke run (debug build, 5 000 events in a fresh database, 1 000 ingested,
# 3 queries or 1 s per list case; see common.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/bench/platform.sh

platform_build --example bench-partner

ARGS=()
if [ "$BENCH_SMOKE" = 1 ]; then DATABASE="${PARTNER_BENCH_DATABASE-}"; else DATABASE="${PARTNER_BENCH_DATABASE-platform_partner_bench}"; fi
[ -z "$DATABASE" ] || ARGS+=(--keep-database "$DATABASE")
if [ "${PARTNER_BENCH_GATEWAY:-1}" = 1 ]; then
  platform_start partner
  PROJECT=$(platform_authctl --json tenant create --product partner --name "bench ingest $(date -u +%FT%TZ)" |
    jq -r .public_id)
  ARGS+=(--gateway-url "$PLATFORM_GATEWAY_URL" --gateway-host partner.localhost --gateway-project "$PROJECT")
fi

RUST_LOG="${RUST_LOG:-warn}" "$BENCH_EXAMPLES/bench-partner" \
  --pg "$PLATFORM_PG" \
  --large-rows "$(bench_param PARTNER_BENCH_ROWS 2000000 5000)" \
  --ingest-events "$(bench_param PARTNER_BENCH_INGEST 200000 1000)" \
  --queries "$(bench_param PARTNER_BENCH_QUERIES 100 3)" \
  --case-seconds "$(bench_param PARTNER_BENCH_CASE_SECONDS 10 1)" \
  --count-timeout-ms "${PARTNER_BENCH_COUNT_MS:-1000}" \
  --batch 100 --concurrency 8 \
  "${ARGS[@]}"

if [ "${PARTNER_BENCH_GATEWAY:-1}" = 1 ]; then
  echo "gateway counters (non-zero):"
  platform_gateway_metrics
fi
