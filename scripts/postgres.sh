#!/usr/bin/env bash
# A PostgreSQL server for the tests and for a local try of the host on PostgreSQL, from Debian's
# `postgresql` package (installed when missing), in a folder of its own under /tmp, on loopback only.
#   bash scripts/postgres.sh start [DIR]   initdb (first time) and start; prints the URL on the last line
#   bash scripts/postgres.sh stop  [DIR]   stop it (the data stays in DIR)
#   bash scripts/postgres.sh url   [DIR]   the URL of a running server
# DIR defaults to /tmp/customerp-chargebee-pg. initdb refuses to run as root, so the server runs as the
# `postgres` user; the folder is made traversable for it. The server listens on 127.0.0.1 only, on a
# free port, with password authentication for the role `sync` (password in DIR/password, mode 600).
# fsync is off: this server is for tests and trials, not for data that must survive a power cut.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cmd="${1:-start}"
dir="${2:-/tmp/customerp-chargebee-pg}"
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

bin_dir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n $d && -x $d/initdb ]] && { echo "$d"; return; }
  echo "installing postgresql (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq >&2
  as_root apt-get install -y -qq postgresql >/dev/null
  d="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [[ -x $d/initdb ]] || die "postgresql installed, but no initdb under /usr/lib/postgresql"
  echo "$d"
}

# Runs a command as the server's owner: postgres when we are root, else ourselves.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url_of() {
  local port password
  port="$(cat "$dir/port")"
  password="$(cat "$dir/password")"
  echo "postgres://sync:${password}@127.0.0.1:${port}/sync"
}

case "$cmd" in
  start)
    bin="$(bin_dir)"
    mkdir -p "$dir"
    chmod 755 "$dir"
    data="$dir/data"
    if [[ -f $dir/postmaster.ready ]] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      url_of
      exit 0
    fi
    if [[ ! -f $data/PG_VERSION ]]; then
      [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
      password="$(node -e 'console.log(require("crypto").randomBytes(18).toString("hex"))')"
      umask 077
      printf '%s' "$password" > "$dir/pwfile"
      [[ $(id -u) -eq 0 ]] && chown postgres "$dir/pwfile"
      as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
      umask 022
      rm -f "$dir/pwfile"
      printf '%s' "$password" > "$dir/password"
      chmod 600 "$dir/password"
    fi
    port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
    echo "$port" > "$dir/port"
    # The socket directory is the data folder's parent (writable by postgres), never /var/run.
    as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    password="$(cat "$dir/password")"
    PGPASSWORD="$password" psql -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sync') THEN
    CREATE ROLE sync LOGIN CREATEDB PASSWORD '$password';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE sync OWNER sync' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'sync')\gexec
SQL
    touch "$dir/postmaster.ready"
    url_of
    ;;
  stop)
    bin="$(bin_dir)"
    rm -f "$dir/postmaster.ready"
    [[ -d $dir/data ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    echo "stopped"
    ;;
  url)
    [[ -f $dir/postmaster.ready ]] || die "no server started in $dir (bash scripts/postgres.sh start)"
    url_of
    ;;
  *) die "usage: scripts/postgres.sh start|stop|url [DIR]" ;;
esac
