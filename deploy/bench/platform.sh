# shellcheck shell=bash
# Shared helper of the benchmarks that measure THROUGH THE GATEWAY
# (sourced by deploy/bench/admin.sh and deploy/bench/partner.sh; not run alone).
#
#   source deploy/bench/platform.sh
#   platform_build                    # release build of every service and bench binary
#   platform_start admin|partner      # auth + ratelimit + that API + gateway, on free ports
#   platform_authctl --json tenant create …   # operator CLI against the bench auth
#
# After platform_start: PLATFORM_GATEWAY_URL (public listener), PLATFORM_GATEWAY_INTERNAL_URL,
# PLATFORM_AUTH_URL, PLATFORM_API_URL, PLATFORM_BIN (target/release). Everything is
# stopped on exit (trap), and the run's rate-limit keys are removed from Redis.
#
# Databases (on the server of DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres):
# platform_auth_bench, platform_admin_bench, platform_partner_bench — kept between runs
# (the services create and migrate them). Redis: REDIS_URL (default redis://127.0.0.1:6379),
# with a rate-limit key prefix and a revocation channel unique to the run, so a bench
# never touches the keys or events of a running platform or of another bench.
#
# Rate limits: the benchmarks measure throughput, so ratelimit runs with two overlays
# (every request still gets a real decision in Redis; none is refused):
#   tier `enterprise` (keys minted by the benches): 1 000 000 requests/s, burst 1 000 000
#     (the built-in 12 000/min = 200/s would refuse a load generator after ~2 000 requests);
#   route class `ingest`, tier `anonymous` (SDK ingest by client IP): same
#     (built-in: 600 requests/min, burst 200).
# PLATFORM_RATELIMIT_ENV (extra VAR=value words) is appended to ratelimit's environment.

PLATFORM_PG="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PLATFORM_REDIS="${REDIS_URL:-redis://127.0.0.1:6379}"
PLATFORM_OPERATOR_TOKEN="bench-operator-$$-$RANDOM$RANDOM"
PLATFORM_SUFFIX="$(date +%s)_$$"
PLATFORM_RL_PREFIX="bench_rl_${PLATFORM_SUFFIX}"
PLATFORM_REVOCATIONS="bench:revocations:${PLATFORM_SUFFIX}"
PLATFORM_WORK="$(mktemp -d)"
PLATFORM_PIDS=()
PLATFORM_GATEWAY_WORKERS="${PLATFORM_GATEWAY_WORKERS:-2}"
PLATFORM_API_WORKERS="${PLATFORM_API_WORKERS:-2}"

platform_db_url() { echo "${PLATFORM_PG%/*}/$1"; }

platform_need() {
  # platform_need <command> <debian package>
  command -v "$1" >/dev/null 2>&1 && return 0
  deploy/local/apt-install.sh "$2" >/dev/null
}

platform_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

platform_wait() {
  # platform_wait <url> <log file>: up to 60 s for a 2xx.
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "not ready after 60 s: $1 — last lines of $2:" >&2
  tail -n 30 "$2" >&2
  return 1
}

platform_stop() {
  local pid
  for pid in "${PLATFORM_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PLATFORM_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PLATFORM_PIDS=()
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -u "$PLATFORM_REDIS" --scan --pattern "${PLATFORM_RL_PREFIX}:*" 2>/dev/null |
      xargs -r -n 500 redis-cli -u "$PLATFORM_REDIS" DEL >/dev/null 2>&1 || true
  fi
  rm -rf "$PLATFORM_WORK"
}
trap platform_stop EXIT
trap 'exit 130' INT TERM

platform_build() {
  echo "building release binaries (auth-service, ratelimit-service, gateway, admin-api, partner-api)…"
  cargo build --release --quiet -p auth-service -p ratelimit-service -p gateway -p admin-api -p partner-api --bins
  PLATFORM_BIN="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release"
}

# platform_spawn <name> <env words…> -- <command…>: start in the background, log to $PLATFORM_WORK/<name>.log.
platform_spawn() {
  local name=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  env RUST_LOG="${PLATFORM_RUST_LOG:-warn}" "${envs[@]}" "$@" >"$PLATFORM_WORK/$name.log" 2>&1 &
  PLATFORM_PIDS+=($!)
}

platform_authctl() {
  AUTH_OPERATOR_TOKEN="$PLATFORM_OPERATOR_TOKEN" "$PLATFORM_BIN/authctl" --url "$PLATFORM_AUTH_URL" "$@"
}

# platform_start admin|partner
platform_start() {
  local api=$1
  platform_need curl curl
  platform_need jq jq
  local auth_http auth_grpc rl_grpc rl_http api_port gw gw_int
  auth_http=$(platform_free_port); auth_grpc=$(platform_free_port)
  rl_grpc=$(platform_free_port); rl_http=$(platform_free_port)
  api_port=$(platform_free_port); gw=$(platform_free_port); gw_int=$(platform_free_port)
  PLATFORM_AUTH_URL="http://127.0.0.1:$auth_http"
  PLATFORM_API_URL="http://127.0.0.1:$api_port"
  PLATFORM_GATEWAY_URL="http://127.0.0.1:$gw"
  PLATFORM_GATEWAY_INTERNAL_URL="http://127.0.0.1:$gw_int"
  local jwks="$PLATFORM_AUTH_URL/.well-known/jwks.json"

  platform_spawn auth \
    AUTH__LISTEN="127.0.0.1:$auth_http" AUTH__GRPC_LISTEN="127.0.0.1:$auth_grpc" \
    AUTH__DATABASE__URL="$(platform_db_url platform_auth_bench)" AUTH__REDIS__URL="$PLATFORM_REDIS" \
    AUTH__OPERATOR_TOKEN="$PLATFORM_OPERATOR_TOKEN" AUTH__REVOCATION_CHANNEL="$PLATFORM_REVOCATIONS" \
    AUTH__WORKERS=1 \
    -- "$PLATFORM_BIN/auth-service" serve

  local rl_env=(
    RATELIMIT__GRPC_LISTEN="127.0.0.1:$rl_grpc" RATELIMIT__LISTEN="127.0.0.1:$rl_http"
    RATELIMIT__REDIS__URL="$PLATFORM_REDIS" RATELIMIT__PREFIX="$PLATFORM_RL_PREFIX"
    RATELIMIT__TIERS__ENTERPRISE__LIMIT=1000000 RATELIMIT__TIERS__ENTERPRISE__WINDOW_SECONDS=1
    RATELIMIT__TIERS__ENTERPRISE__BURST=1000000
    RATELIMIT__ROUTE_CLASSES__INGEST__TIERS__ANONYMOUS__LIMIT=1000000
    RATELIMIT__ROUTE_CLASSES__INGEST__TIERS__ANONYMOUS__WINDOW_SECONDS=1
    RATELIMIT__ROUTE_CLASSES__INGEST__TIERS__ANONYMOUS__BURST=1000000
  )
  # shellcheck disable=SC2206
  rl_env+=(${PLATFORM_RATELIMIT_ENV:-})
  echo "ratelimit policies for the bench: $(env "${rl_env[@]}" "$PLATFORM_BIN/ratelimit-service" policies 2>/dev/null |
    grep -E 'enterprise-read|anonymous-ingest' | tr -s ' ' | paste -sd ';' -)"
  platform_spawn ratelimit "${rl_env[@]}" -- "$PLATFORM_BIN/ratelimit-service" serve

  platform_wait "$PLATFORM_AUTH_URL/readyz" "$PLATFORM_WORK/auth.log"
  platform_wait "http://127.0.0.1:$rl_http/readyz" "$PLATFORM_WORK/ratelimit.log"

  case "$api" in
    admin)
      platform_spawn admin-api \
        ADMIN_API__LISTEN="127.0.0.1:$api_port" \
        ADMIN_API__DATABASE__URL="$(platform_db_url platform_admin_bench)" \
        ADMIN_API__JWKS_URL="$jwks" ADMIN_API__RATELIMIT_URL="http://127.0.0.1:$rl_grpc" \
        ADMIN_API__WORKERS="$PLATFORM_API_WORKERS" ADMIN_API__IDEMPOTENCY_PURGE_INTERVAL_SECONDS=0 \
        -- "$PLATFORM_BIN/admin-api" serve
      ;;
    partner)
      platform_spawn partner-api \
        PARTNER_API__LISTEN="127.0.0.1:$api_port" \
        PARTNER_API__DATABASE__URL="$(platform_db_url platform_partner_bench)" \
        PARTNER_API__JWKS_URL="$jwks" PARTNER_API__AUTH_GRPC_URL="http://127.0.0.1:$auth_grpc" \
        -- "$PLATFORM_BIN/partner-api" serve
      ;;
    *) echo "platform_start: unknown API '$api' (admin|partner)" >&2; return 1 ;;
  esac
  platform_wait "$PLATFORM_API_URL/readyz" "$PLATFORM_WORK/$api-api.log"

  platform_spawn gateway \
    GATEWAY__LISTEN="127.0.0.1:$gw" GATEWAY__INTERNAL_LISTEN="127.0.0.1:$gw_int" \
    GATEWAY__WORKERS="$PLATFORM_GATEWAY_WORKERS" \
    GATEWAY__AUTH_GRPC_URL="http://127.0.0.1:$auth_grpc" GATEWAY__RATELIMIT_GRPC_URL="http://127.0.0.1:$rl_grpc" \
    GATEWAY__REDIS__URL="$PLATFORM_REDIS" GATEWAY__REVOCATION_CHANNEL="$PLATFORM_REVOCATIONS" \
    GATEWAY__UPSTREAMS__ADMIN_API="http://127.0.0.1:$api_port" \
    GATEWAY__UPSTREAMS__PARTNER_API="http://127.0.0.1:$api_port" \
    GATEWAY__ACCESS_LOG=false \
    -- "$PLATFORM_BIN/gateway" serve
  platform_wait "$PLATFORM_GATEWAY_INTERNAL_URL/readyz" "$PLATFORM_WORK/gateway.log"
  echo "platform up: gateway $PLATFORM_GATEWAY_URL ($PLATFORM_GATEWAY_WORKERS workers), auth $PLATFORM_AUTH_URL, $api-api $PLATFORM_API_URL ($( [ "$api" = admin ] && echo "$PLATFORM_API_WORKERS workers" || echo "default workers")), ratelimit prefix $PLATFORM_RL_PREFIX"
}

# platform_gateway_metrics: the gateway's rate-limit and cache counters (for the report).
platform_gateway_metrics() {
  curl -fsS "$PLATFORM_GATEWAY_INTERNAL_URL/metrics" |
    grep -E '^gateway_(requests_total|auth_cache_total|ratelimit_refused_total|ratelimit_failures_total|ratelimit_calls_total|ratelimit_batched_requests_total)' |
    grep -v ' 0$' | sed 's/^/  /'
}
