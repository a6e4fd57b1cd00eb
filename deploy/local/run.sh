#!/usr/bin/env bash
# `make run`: the whole platform on this machine.
#
# Expects DATABASE_URL / REDIS_URL (make run sources .local/env written by
# ensure-backing-services.sh). Builds the binaries, starts every service in
# dependency order, waits for each to be ready, creates the demo tenants and
# keys (written to .local/demo-tokens.json) and demo data, prints where things
# are, and stops everything gracefully on Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
: "${DATABASE_URL:?run through make run}"
: "${REDIS_URL:?run through make run}"
profile="${PROFILE:-debug}"
bin="$root/target/$profile"
logs="$root/.local/logs"
tokens="$root/.local/demo-tokens.json"
mkdir -p "$logs"

db_url() { # db_url <name>: DATABASE_URL with its database replaced
  local base="${DATABASE_URL%%\?*}" query=""
  [[ "$DATABASE_URL" == *\?* ]] && query="?${DATABASE_URL#*\?}"
  echo "${base%/*}/$1$query"
}

echo "==> building ($profile)"
if [ "$profile" = release ]; then cargo build --workspace --bins --release; else cargo build --workspace --bins; fi

pids=()
names=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "==> stopping"
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped"
}
stopping=""
trap 'stopping=1; stop_all' INT TERM
trap stop_all EXIT

wait_ready() { # wait_ready <name> <url>
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$2" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$1 did not become ready at $2; see $logs/$1.log" >&2
  exit 1
}

start() { # start <name> <ready-url> <command...>  (env is inherited from the caller's assignments)
  local name="$1" ready="$2"; shift 2
  "$@" >"$logs/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
  wait_ready "$name" "$ready"
  printf '  %-16s ready   (log: .local/logs/%s.log)\n' "$name" "$name"
}

echo "==> starting services"
AUTH__DATABASE__URL="$(db_url platform_auth)" AUTH__REDIS__URL="$REDIS_URL" \
  start auth http://127.0.0.1:8181/readyz "$bin/auth-service" serve
RATELIMIT__REDIS__URL="$REDIS_URL" \
  start ratelimit http://127.0.0.1:8182/readyz "$bin/ratelimit-service" serve
ADMIN_API__DATABASE__URL="$(db_url platform_admin)" \
  start admin-api http://127.0.0.1:8101/readyz "$bin/admin-api" serve
PARTNER_API__DATABASE__URL="$(db_url platform_partner)" \
  start partner-api http://127.0.0.1:8102/readyz "$bin/partner-api" serve
GATEWAY__REDIS__URL="$REDIS_URL" \
  start gateway http://127.0.0.1:9080/readyz "$bin/gateway" serve

demo_valid() {
  [ -f "$tokens" ] || return 1
  local admin
  admin="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$tokens")" || return 1
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin" http://admin.localhost:8080/api/v1/usage)" = 200 ]
}

if demo_valid; then
  echo "==> demo tenants and data already present ($tokens)"
else
  echo "==> creating demo tenants, keys and data"
  authctl="$bin/authctl"
  field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
  shop="$("$authctl" --json tenant create --product admin --name "Demo Shop")"
  shop_id="$(field id <<<"$shop")"
  admin_key="$("$authctl" --json key mint --tenant "$shop_id" --name demo --tier starter --env live \
    --scopes analytics:read,customers:read,customers:write,orders:read,attribution:read,campaigns:read,campaigns:write,journeys:read,journeys:write,products:read,products:write | field key)"
  project="$("$authctl" --json tenant create --product partner --name "Demo Project")"
  project_id="$(field id <<<"$project")"
  public_id="$(field public_id <<<"$project")"
  partner_key="$("$authctl" --json key mint --tenant "$project_id" --name demo --tier starter --env live --scopes read | field key)"
  workspace_id="$("$authctl" --json tenant create --product generation --name "Demo Workspace" | field id)"
  user_id="$("$authctl" --json user create --tenant "$workspace_id" --email demo@example.com | field id)"
  generation_key="$("$authctl" --json key mint --tenant "$workspace_id" --user "$user_id" --name demo --tier starter --env live --scopes read,generate | field key)"
  ADMIN_API__DATABASE__URL="$(db_url platform_admin)" "$bin/admin-api" seed --tenant "$shop_id" --example-ids >"$logs/seed-admin.log" 2>&1
  PARTNER_API__DATABASE__URL="$(db_url platform_partner)" "$bin/partner-api" seed --tenant "$project_id" --project-id "$public_id" >"$logs/seed-partner.log" 2>&1
  umask 077
  cat >"$tokens" <<JSON
{
  "admin": "$admin_key",
  "partner": "$partner_key",
  "partner_project_id": "$public_id",
  "generation": "$generation_key"
}
JSON
  echo "  demo keys written to .local/demo-tokens.json"
fi

admin="$(python3 -c 'import json; print(json.load(open(".local/demo-tokens.json"))["admin"])')"
partner="$(python3 -c 'import json; print(json.load(open(".local/demo-tokens.json"))["partner"])')"
project="$(python3 -c 'import json; print(json.load(open(".local/demo-tokens.json"))["partner_project_id"])')"
cat <<TXT

Platform running. Public gateway: http://127.0.0.1:8080 (internal: http://127.0.0.1:9080/metrics)
  auth        http://127.0.0.1:8181 (operator API, JWKS)   gRPC 127.0.0.1:50051
  ratelimit   gRPC 127.0.0.1:50052                          http://127.0.0.1:8182/metrics
  admin-api   http://127.0.0.1:8101    partner-api http://127.0.0.1:8102
Demo keys: .local/demo-tokens.json

Try (curl -g: the seeds' bracketed query parameters are not curl globs):
  curl -g -H "Authorization: Bearer $admin" "http://admin.localhost:8080/api/v1/customers?filter[lifecycle_stage]=loyal&sort=-last_order_at&limit=10"
  curl -g -H "Authorization: Bearer $partner" "http://partner.localhost:8080/api/partner/health"
  curl -X POST -H "Content-Type: application/json" -d '{"projectId":"$project","events":[{"name":"page_view"}]}' http://partner.localhost:8080/sdk/ingest

Ctrl-C stops everything.
TXT
wait -n "${pids[@]}" || true
if [ -z "$stopping" ]; then echo "a service exited; see .local/logs/" >&2; exit 1; fi
