#!/usr/bin/env bash
# Benchmark of the edge gateway (release build) with wrk, in one run:
#   (a) the upstream directly,
#   (b) the gateway with authentication (cached) and rate limiting (ratelimit + Redis),
#   (c) nginx's plain proxy_pass to the same upstream (keepalive upstream pool),
#   (d) nginx adding the same headers the gateway adds (the internal JWT it sent,
#       request id, traceparent, forwarding, five rate-limit headers) but without
#       authenticating or rate limiting — what the specification's bytes cost,
# printing requests/s and p99 of each, the ratios, and CPU per request of each process.
#
#   deploy/bench/gateway.sh                      # DATABASE_URL / REDIS_URL or local defaults
#   BENCH_SECS=15 BENCH_CONNECTIONS=128 deploy/bench/gateway.sh
#
# The upstream is `bench-upstream` (a tiny actix server answering a 150-byte JSON
# body). The key used for (b) has tier `bench`, which this script configures in
# ratelimit with a limit so high that no request is refused: every request still
# makes a real decision in Redis. nginx gets as many worker processes as the
# gateway has workers. Bounded: 4 × (2 s warm-up + BENCH_SECS) of load.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECS="${BENCH_SECS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
WORKERS="${BENCH_WORKERS:-2}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

need() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq >/dev/null; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
need wrk || apt_install wrk
need nginx || [ -x /usr/sbin/nginx ] || apt_install nginx-light || apt_install nginx
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
need curl || apt_install curl

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "not ready: $1" >&2; return 1; }

cargo build --release --quiet -p gateway -p auth-service -p ratelimit-service \
  --bin gateway --bin bench-upstream --bin auth-service --bin ratelimit-service
BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

UP=$(free_port); GW=$(free_port); GW_INT=$(free_port); NGX=$(free_port); NGX_SPEC=$(free_port)
AUTH_HTTP=$(free_port); AUTH_GRPC=$(free_port); RL_GRPC=$(free_port); RL_HTTP=$(free_port)
SUFFIX="$(date +%s)_$$"
AUTH_DB="${DATABASE_URL%/*}/gw_bench_auth_${SUFFIX}"
OPERATOR="bench-operator-token"

"$BIN/bench-upstream" "127.0.0.1:$UP" 1 >"$WORK/upstream.log" 2>&1 & PIDS+=($!); UP_PID=$!

AUTH__LISTEN="127.0.0.1:$AUTH_HTTP" AUTH__GRPC_LISTEN="127.0.0.1:$AUTH_GRPC" \
AUTH__DATABASE__URL="$AUTH_DB" AUTH__REDIS__URL="$REDIS_URL" AUTH__OPERATOR_TOKEN="$OPERATOR" \
AUTH__WORKERS=1 RUST_LOG=warn \
  "$BIN/auth-service" serve >"$WORK/auth.log" 2>&1 & PIDS+=($!); AUTH_PID=$!

RATELIMIT__GRPC_LISTEN="127.0.0.1:$RL_GRPC" RATELIMIT__LISTEN="127.0.0.1:$RL_HTTP" \
RATELIMIT__REDIS__URL="$REDIS_URL" RATELIMIT__PREFIX="gwbench$SUFFIX" \
RATELIMIT__TIERS__BENCH__LIMIT=1000000 RATELIMIT__TIERS__BENCH__WINDOW_SECONDS=1 RATELIMIT__TIERS__BENCH__BURST=1000000 \
RUST_LOG=warn \
  "$BIN/ratelimit-service" serve >"$WORK/ratelimit.log" 2>&1 & PIDS+=($!); RL_PID=$!

wait_http "http://127.0.0.1:$UP/"
wait_http "http://127.0.0.1:$AUTH_HTTP/readyz" || { cat "$WORK/auth.log"; exit 1; }
wait_http "http://127.0.0.1:$RL_HTTP/readyz" || { cat "$WORK/ratelimit.log"; exit 1; }

# A tenant and a key of tier `bench`.
TENANT=$(curl -fsS -H "Authorization: Bearer $OPERATOR" -H 'Content-Type: application/json' \
  -d '{"product":"admin","name":"bench shop","tier":"bench"}' "http://127.0.0.1:$AUTH_HTTP/v1/tenants" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
KEY=$(curl -fsS -H "Authorization: Bearer $OPERATOR" -H 'Content-Type: application/json' \
  -d "{\"tenant_id\":\"$TENANT\",\"name\":\"bench\",\"scopes\":[\"customers:read\"],\"tier\":\"bench\"}" \
  "http://127.0.0.1:$AUTH_HTTP/v1/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

GATEWAY__LISTEN="127.0.0.1:$GW" GATEWAY__INTERNAL_LISTEN="127.0.0.1:$GW_INT" GATEWAY__WORKERS="$WORKERS" \
GATEWAY__AUTH_GRPC_URL="http://127.0.0.1:$AUTH_GRPC" GATEWAY__RATELIMIT_GRPC_URL="http://127.0.0.1:$RL_GRPC" \
GATEWAY__REDIS__URL="$REDIS_URL" GATEWAY__UPSTREAMS__ADMIN_API="http://127.0.0.1:$UP" GATEWAY__ACCESS_LOG=false \
RUST_LOG=warn \
  "$BIN/gateway" serve >"$WORK/gateway.log" 2>&1 & PIDS+=($!); GW_PID=$!
wait_http "http://127.0.0.1:$GW_INT/readyz" || { cat "$WORK/gateway.log"; exit 1; }

# What the upstream receives from the gateway (for (d)): the internal JWT above all.
JWT=$(curl -fsS -H 'Host: admin.localhost' -H "Authorization: Bearer $KEY" \
  "http://127.0.0.1:$GW/api/v1/__headers" | awk -F': ' '$1 == "authorization" {print $2}')
[ -n "$JWT" ] || { echo "the gateway sent no authorization upstream"; exit 1; }

mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes $WORKERS;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream api { server 127.0.0.1:$UP; keepalive 128; }
  server {
    listen 127.0.0.1:$NGX reuseport backlog=4096;
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
  server {
    listen 127.0.0.1:$NGX_SPEC reuseport backlog=4096;
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header Authorization "$JWT";
      proxy_set_header X-Request-Id req_\$request_id;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$host;
      proxy_set_header traceparent 00-\$request_id-00f067aa0ba902b7-01;
      add_header X-RateLimit-Limit 1000000 always;
      add_header X-RateLimit-Remaining 999999 always;
      add_header X-RateLimit-Reset 1795628800 always;
      add_header RateLimit-Policy '"bench-read";q=1000000;w=1' always;
      add_header RateLimit '"bench-read";r=999999;t=1' always;
      add_header X-Request-Id req_\$request_id always;
    }
  }
}
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' >"$WORK/nginx.log" 2>&1 & PIDS+=($!); NGINX_PID=$!
wait_http "http://127.0.0.1:$NGX/" || { cat "$WORK/nginx.log" "$WORK/nginx/logs/error.log"; exit 1; }

# Sanity: the gateway authenticates and forwards.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: admin.localhost' -H "Authorization: Bearer $KEY" \
  "http://127.0.0.1:$GW/api/v1/customers")
[ "$code" = 200 ] || { echo "gateway answered $code"; cat "$WORK/gateway.log"; exit 1; }

# CPU time (user + system, clock ticks) of the processes given.
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }

# run NAME URL [headers…] → "rps p99_ms"; writes CPU µs per request of each process to $WORK/cpu.NAME
run() {
  local name=$1 url=$2; shift 2
  local hdr=(-H 'Host: admin.localhost')
  for h in "$@"; do hdr+=(-H "$h"); done
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${hdr[@]}" "$url" >/dev/null
  local workers procs=() before=() i out
  workers=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
  procs=("$GW_PID" "$workers" "$UP_PID" "$AUTH_PID $RL_PID")
  for i in "${!procs[@]}"; do before[i]=$(ticks ${procs[i]}); done
  # wrk's own CPU comes from getrusage of the child.
  out=$(python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.stdout); print("wrk-cpu-seconds", u.ru_utime + u.ru_stime)' \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECS}s" --latency "${hdr[@]}" "$url")
  echo "$out" >>"$WORK/wrk.txt"
  local requests tick
  requests=$(echo "$out" | awk '/requests in/{print $1}')
  tick=$(getconf CLK_TCK)
  {
    for i in "${!procs[@]}"; do
      echo $(( ($(ticks ${procs[i]}) - before[i]) * 1000000 / tick )) "$requests"
    done
    echo "$out" | awk -v n="$requests" '/^wrk-cpu-seconds/{printf "%d %d\n", $2 * 1000000, n}'
  } | awk '$2 > 0 {printf "%.1f ", $1 / $2} END {print ""}' >"$WORK/cpu.$name"
  local non2xx
  non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  [ -z "$non2xx" ] || echo "warning: $non2xx non-2xx responses for $url" >&2
  local rps p99
  rps=$(echo "$out" | awk '/^Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  echo "$rps $(to_ms "$p99")"
}
to_ms() { python3 -c 'import re,sys; v=sys.argv[1]; m=re.match(r"([\d.]+)(us|ms|s)",v); n=float(m[1]); print(round(n/1000 if m[2]=="us" else n*1000 if m[2]=="s" else n,3))' "$1"; }

echo "machine: $(nproc) cores; wrk -t$THREADS -c$CONNECTIONS -d${SECS}s; gateway workers = nginx workers = $WORKERS; upstream 1 worker"
read -r A_RPS A_P99 < <(run a "http://127.0.0.1:$UP/api/v1/customers")
read -r B_RPS B_P99 < <(run b "http://127.0.0.1:$GW/api/v1/customers" "Authorization: Bearer $KEY")
read -r C_RPS C_P99 < <(run c "http://127.0.0.1:$NGX/api/v1/customers")
read -r D_RPS D_P99 < <(run d "http://127.0.0.1:$NGX_SPEC/api/v1/customers" "Authorization: Bearer $KEY")

printf '%-52s %12s %10s\n' "target" "requests/s" "p99 ms"
printf '%-52s %12s %10s\n' "(a) upstream directly" "$A_RPS" "$A_P99"
printf '%-52s %12s %10s\n' "(b) gateway (auth cache + ratelimit decision)" "$B_RPS" "$B_P99"
printf '%-52s %12s %10s\n' "(c) nginx proxy_pass (keepalive pool)" "$C_RPS" "$C_P99"
printf '%-52s %12s %10s\n' "(d) nginx + the gateway's headers (no auth, no RL)" "$D_RPS" "$D_P99"
python3 - "$A_RPS" "$B_RPS" "$C_RPS" "$D_RPS" <<'EOF'
import sys
a, b, c, d = map(float, sys.argv[1:])
print(f"b/a = {b / a:.2f}   b/c = {b / c:.2f}   (goal b/c >= 1)   b/d = {b / d:.2f}")
EOF
echo "CPU per request (user + system µs; all processes share the machine's cores):"
printf '  %-4s %9s %9s %9s %16s %9s\n' run gateway nginx upstream "auth+ratelimit" wrk
for r in a b c d; do
  read -r g n u x w <"$WORK/cpu.$r"
  printf '  %-4s %9s %9s %9s %16s %9s\n' "($r)" "$g" "$n" "$u" "$x" "$w"
done
echo "gateway metrics (rate-limit decisions and cache):"
curl -fsS "http://127.0.0.1:$GW_INT/metrics" | grep -E '^gateway_(auth_cache_total|ratelimit_failures_total|ratelimit_refused_total|ratelimit_calls_total|ratelimit_batched_requests_total|ratelimit_leased_tokens_total|ratelimit_lease_requests_total)' | sed 's/^/  /'
