#!/usr/bin/env bash
# Makes PostgreSQL and Redis available and writes their URLs to .local/env.
#
# Order of preference, for each of the two:
#   1. the URL given in the environment (DATABASE_URL / REDIS_URL);
#   2. a server already listening on the standard local port (5432 / 6379);
#   3. (or when PLATFORM_PRIVATE_SERVICES=1) a private instance under .local/ (ports 55432 / 56379), started from the
#      OS binaries, installing the Debian packages `postgresql` / `redis-server`
#      with apt-get when they are missing.
# Idempotent: a private instance that already runs is reused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
local_dir="$root/.local"
mkdir -p "$local_dir"

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
apt_install() { "$root/deploy/local/apt-install.sh" "$@" >&2; }

# ---- PostgreSQL --------------------------------------------------------------
if [ -n "${DATABASE_URL:-}" ]; then
  database_url="$DATABASE_URL"
elif [ "${PLATFORM_PRIVATE_SERVICES:-0}" != 1 ] && port_open 127.0.0.1 5432; then
  database_url="postgres://postgres@127.0.0.1:5432/postgres"
else
  pg_port=55432
  if ! port_open 127.0.0.1 "$pg_port"; then
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
      apt_install postgresql
      bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
    fi
    data="$local_dir/pg/data"
    run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    mkdir -p "$local_dir/pg"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$local_dir/pg"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      echo "initialising a private PostgreSQL in $data" >&2
      run_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    run_pg "$bindir/pg_ctl" -D "$data" -l "$local_dir/pg/postgres.log" -w \
      -o "-p $pg_port -k $local_dir/pg -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >&2
  fi
  database_url="postgres://postgres@127.0.0.1:$pg_port/postgres"
fi

# The db crate's TLS test starts a private PostgreSQL of its own (initdb, pg_ctl):
# make sure the server binaries exist even when the database above is a remote one.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

# ---- Redis -------------------------------------------------------------------
if [ -n "${REDIS_URL:-}" ]; then
  redis_url="$REDIS_URL"
elif [ "${PLATFORM_PRIVATE_SERVICES:-0}" != 1 ] && port_open 127.0.0.1 6379; then
  redis_url="redis://127.0.0.1:6379"
else
  redis_port=56379
  if ! port_open 127.0.0.1 "$redis_port"; then
    command -v redis-server >/dev/null || apt_install redis-server
    mkdir -p "$local_dir/redis"
    echo "starting a private Redis on port $redis_port" >&2
    redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
      --dir "$local_dir/redis" --pidfile "$local_dir/redis/redis.pid" --logfile "$local_dir/redis/redis.log"
    for _ in $(seq 1 50); do port_open 127.0.0.1 "$redis_port" && break; sleep 0.1; done
  fi
  redis_url="redis://127.0.0.1:$redis_port"
fi

cat > "$local_dir/env" <<ENV
DATABASE_URL=$database_url
REDIS_URL=$redis_url
ENV
echo "PostgreSQL: $database_url" >&2
echo "Redis:      $redis_url" >&2
