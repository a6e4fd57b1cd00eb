#!/usr/bin/env bash
# Generation benchmark (bench-generation, see services/generation-worker/examples/bench-generation.rs):
#   1. create→succeeded p50/p99 of local image jobs (generation-api + one worker in-process, real HTTP);
#   2. queue throughput: no-op jobs claimed and completed by 2 workers through crates/jobs, beside
#      pgbench running a bare FOR UPDATE SKIP LOCKED claim-and-complete loop (2 clients) on the same
#      database in the same run; goal ≥ 0.5 of pgbench's rate.
# Environment: DATABASE_URL, BENCH_IMAGES (200), BENCH_QUEUE_JOBS (20000). `--smoke` (or BENCH_SMOKE=1,
# deploy/bench/common.sh: the debug build) runs a few of each.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v pgbench >/dev/null || deploy/local/apt-install.sh postgresql-contrib
command -v ffmpeg >/dev/null || deploy/local/apt-install.sh ffmpeg
source deploy/bench/common.sh
bench_build -p generation-worker --example bench-generation
if [ "$BENCH_SMOKE" = 1 ]; then set -- --smoke "$@"; fi
exec "$BENCH_EXAMPLES/bench-generation" "$@"
