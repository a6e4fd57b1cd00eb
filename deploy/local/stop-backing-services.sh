#!/usr/bin/env bash
# Stops the private PostgreSQL and Redis under .local/ (never the machine's own).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="$root/.local/pg/data"
if [ -f "$data/postmaster.pid" ]; then
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bindir/pg_ctl" -D "$data" -m fast stop; else "$bindir/pg_ctl" -D "$data" -m fast stop; fi
fi
if [ -f "$root/.local/redis/redis.pid" ]; then
  kill "$(cat "$root/.local/redis/redis.pid")" 2>/dev/null || true
  rm -f "$root/.local/redis/redis.pid"
fi
