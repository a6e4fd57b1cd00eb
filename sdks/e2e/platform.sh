#!/usr/bin/env bash
# sdks/e2e/platform.sh <command…>: runs <command> against a whole platform of its own.
#
# Starts auth, ratelimit, admin-api, partner-api and the gateway (serving docs/site under /developers/) (debug binaries from
# `cargo build --workspace --bins`, or $PLATFORM_BIN) on free loopback ports, with
# databases and a Redis key prefix unique to this run (dropped/removed on exit), mints
# demo keys, loads the demo data (`admin-api seed --example-ids`, `partner-api seed`),
# exports what the SDK tests read, runs the command, and stops everything.
#
# Exported to the command:
#   SUMERU_BASE_URL, ATLANTIS_API_KEY        admin host listener + a key with every admin scope
#   SUMERU_READONLY_API_KEY                  admin key with customers:read only (403 tests)
#   SUMERU_TINY_API_KEY                      admin key of tier `sdktiny`: 2 requests per 2 s, no burst
#   SUMIDATA_BASE_URL, SUMIDATA_API_KEY, SUMIDATA_PROJECT_ID   partner host listener, read key, project
#   SDK_GATEWAY_URL                          the gateway's Host-routed listener
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
[ $# -gt 0 ] || { echo "usage: $0 <command…>" >&2; exit 2; }

PG="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS="${REDIS_URL:-redis://127.0.0.1:6379}"
bin="${PLATFORM_BIN:-$root/target/debug}"
suffix="sdk_$(date +%s)_$$"
work="$(mktemp -d)"
operator="sdk-operator-$RANDOM$RANDOM$RANDOM"
pids=()

db_url() { local base="${PG%%\?*}"; echo "${base%/*}/$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ok() { # wait_ok <url> <log>
  for _ in $(seq 600); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "not ready after 60 s: $1 — last lines of $2:" >&2; tail -n 30 "$2" >&2; return 1
}
spawn() { # spawn <name> <env words…> -- <command…>
  local name=$1; shift; local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  env RUST_LOG="${PLATFORM_RUST_LOG:-warn}" "${envs[@]}" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
}
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$rc" != 0 ] && [ -z "${SDK_E2E_QUIET:-}" ]; then
    for f in "$work"/*.log; do echo "--- $(basename "$f") (last lines)" >&2; tail -n 15 "$f" >&2; done
  fi
  for db in auth admin partner; do psql "$PG" -qAtc "DROP DATABASE IF EXISTS ${suffix}_$db WITH (FORCE)" >/dev/null 2>&1 || true; done
  redis-cli -u "$REDIS" --scan --pattern "${suffix}:*" 2>/dev/null | xargs -r -n 500 redis-cli -u "$REDIS" DEL >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for b in auth-service authctl ratelimit-service admin-api partner-api gateway; do
  [ -x "$bin/$b" ] || { echo "missing $bin/$b: run cargo build --workspace --bins first" >&2; exit 1; }
done

auth_http=$(free_port); auth_grpc=$(free_port); rl_grpc=$(free_port); rl_http=$(free_port)
admin_port=$(free_port); partner_port=$(free_port)
gw=$(free_port); gw_int=$(free_port); gw_admin=$(free_port); gw_partner=$(free_port); gw_gen=$(free_port)
channel="${suffix}:revocations"

spawn auth "AUTH__LISTEN=127.0.0.1:$auth_http" AUTH__GRPC_LISTEN="127.0.0.1:$auth_grpc" \
  "AUTH__DATABASE__URL=$(db_url "${suffix}_auth")" "AUTH__REDIS__URL=$REDIS" \
  AUTH__OPERATOR_TOKEN="$operator" AUTH__REVOCATION_CHANNEL="$channel" "AUTH__WORKERS=1" \
  -- "$bin/auth-service" serve
spawn ratelimit RATELIMIT__GRPC_LISTEN="127.0.0.1:$rl_grpc" "RATELIMIT__LISTEN=127.0.0.1:$rl_http" \
  "RATELIMIT__REDIS__URL=$REDIS" RATELIMIT__PREFIX="$suffix" \
  RATELIMIT__TIERS__SDKTINY__LIMIT=2 RATELIMIT__TIERS__SDKTINY__WINDOW_SECONDS=2 RATELIMIT__TIERS__SDKTINY__BURST=0 \
  -- "$bin/ratelimit-service" serve
wait_ok "http://127.0.0.1:$auth_http/readyz" "$work/auth.log"
wait_ok "http://127.0.0.1:$rl_http/readyz" "$work/ratelimit.log"
jwks="http://127.0.0.1:$auth_http/.well-known/jwks.json"
spawn admin-api ADMIN_API__LISTEN="127.0.0.1:$admin_port" "ADMIN_API__DATABASE__URL=$(db_url "${suffix}_admin")" \
  ADMIN_API__JWKS_URL="$jwks" ADMIN_API__RATELIMIT_URL="http://127.0.0.1:$rl_grpc" ADMIN_API__WORKERS=2 \
  -- "$bin/admin-api" serve
spawn partner-api PARTNER_API__LISTEN="127.0.0.1:$partner_port" "PARTNER_API__DATABASE__URL=$(db_url "${suffix}_partner")" \
  PARTNER_API__JWKS_URL="$jwks" PARTNER_API__AUTH_GRPC_URL="http://127.0.0.1:$auth_grpc" \
  -- "$bin/partner-api" serve
wait_ok "http://127.0.0.1:$admin_port/readyz" "$work/admin-api.log"
wait_ok "http://127.0.0.1:$partner_port/readyz" "$work/partner-api.log"
spawn gateway GATEWAY__LISTEN="127.0.0.1:$gw" GATEWAY__INTERNAL_LISTEN="127.0.0.1:$gw_int" GATEWAY__WORKERS=2 \
  GATEWAY__AUTH_GRPC_URL="http://127.0.0.1:$auth_grpc" GATEWAY__RATELIMIT_GRPC_URL="http://127.0.0.1:$rl_grpc" \
  "GATEWAY__REDIS__URL=$REDIS" GATEWAY__REVOCATION_CHANNEL="$channel" GATEWAY__ACCESS_LOG=false \
  GATEWAY__UPSTREAMS__ADMIN_API="http://127.0.0.1:$admin_port" GATEWAY__UPSTREAMS__PARTNER_API="http://127.0.0.1:$partner_port" \
  GATEWAY__STATIC_SITES="[{hosts=[\"admin.localhost\",\"partner.localhost\",\"gen.localhost\"],path=\"/developers/\",dir=\"$root/docs/site/developers\"}]" \
  GATEWAY__HOST_LISTENERS="[{listen=\"127.0.0.1:$gw_admin\",host=\"admin.localhost\"},{listen=\"127.0.0.1:$gw_partner\",host=\"partner.localhost\"},{listen=\"127.0.0.1:$gw_gen\",host=\"gen.localhost\"}]" \
  -- "$bin/gateway" serve
wait_ok "http://127.0.0.1:$gw_int/readyz" "$work/gateway.log"

authctl() { AUTH_OPERATOR_TOKEN="$operator" "$bin/authctl" --url "http://127.0.0.1:$auth_http" --json "$@"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
all_admin=analytics:read,customers:read,customers:write,orders:read,attribution:read,campaigns:read,campaigns:write,journeys:read,journeys:write,products:read,products:write
shop="$(authctl tenant create --product admin --name "SDK Shop" | field id)"
admin_key="$(authctl key mint --tenant "$shop" --name sdk --tier starter --env live --scopes "$all_admin" | field key)"
readonly_key="$(authctl key mint --tenant "$shop" --name sdk-ro --tier starter --env live --scopes customers:read | field key)"
tiny_key="$(authctl key mint --tenant "$shop" --name sdk-tiny --tier sdktiny --env live --scopes "$all_admin" | field key)"
project_json="$(authctl tenant create --product partner --name "SDK Project")"
project="$(field id <<<"$project_json")"; public_id="$(field public_id <<<"$project_json")"
partner_key="$(authctl key mint --tenant "$project" --name sdk --tier starter --env live --scopes read | field key)"
env "ADMIN_API__DATABASE__URL=$(db_url "${suffix}_admin")" "$bin/admin-api" seed --tenant "$shop" --customers 400 --example-ids >"$work/seed-admin.log" 2>&1
env "PARTNER_API__DATABASE__URL=$(db_url "${suffix}_partner")" "$bin/partner-api" seed --tenant "$project" --project-id "$public_id" >"$work/seed-partner.log" 2>&1

export SUMERU_BASE_URL="http://127.0.0.1:$gw_admin" ATLANTIS_API_KEY="$admin_key"
export SUMERU_READONLY_API_KEY="$readonly_key" SUMERU_TINY_API_KEY="$tiny_key"
export SUMIDATA_BASE_URL="http://127.0.0.1:$gw_partner" SUMIDATA_API_KEY="$partner_key" SUMIDATA_PROJECT_ID="$public_id"
export SDK_GATEWAY_URL="http://127.0.0.1:$gw"
echo "platform up: admin $SUMERU_BASE_URL, partner $SUMIDATA_BASE_URL (gateway $SDK_GATEWAY_URL)"
"$@"
