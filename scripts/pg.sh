#!/usr/bin/env bash
# The private PostGIS cluster used by `make run` and `make test`, kept under var/pg:
#   var/pg/data          data directory (owned by the `postgres` OS user when run as root)
#   var/pg/run           Unix socket directory
#   var/pg/log           server log (postgres.log)
#   var/pg/port          TCP port on 127.0.0.1, chosen free on first start
#   var/pg/database_url  postgres://geocm:PASSWORD@127.0.0.1:PORT/geocm, read by
#                        geo_cm/settings.py (mode 0600)
#   var/pg/superuser.pass, var/pg/geocm.pass, var/pg/pgpass
#                        generated passwords (0600): the cluster listens on 127.0.0.1 only
#                        and asks every connection for a password (scram-sha-256)
#
# usage: scripts/pg.sh start|stop|status|url|psql [psql args]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PGROOT=$ROOT/var/pg
DATA=$PGROOT/data
RUN=$PGROOT/run
LOG=$PGROOT/log
PORT_FILE=$PGROOT/port
URL_FILE=$PGROOT/database_url
SUPER_PW_FILE=$PGROOT/superuser.pass
ROLE_PW_FILE=$PGROOT/geocm.pass
PGPASS=$PGROOT/pgpass
DB=geocm
ROLE=geocm
# Ports tried for a new cluster; the first free one wins.
PORT_FIRST=54320
PORT_LAST=54999

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# --- PostgreSQL binaries ------------------------------------------------------------
# Debian/Ubuntu keep each major under /usr/lib/postgresql/N/bin; take the one that made
# the data directory if there is one, else the newest installed.
find_bindir() {
  local made="" d newest=""
  [ -f "$DATA/PG_VERSION" ] && made=$(<"$DATA/PG_VERSION")
  if [ -n "$made" ] && [ -x "/usr/lib/postgresql/$made/bin/pg_ctl" ]; then
    echo "/usr/lib/postgresql/$made/bin"
    return
  fi
  newest=$( { find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null ||
    true; } | sort -V | tail -n 1)
  if [ -n "$newest" ]; then
    d=$(dirname "$newest")
  elif command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/pg_ctl" ]; then
    d=$(pg_config --bindir)
  else
    die "no PostgreSQL server found: install PostgreSQL 15+ with PostGIS 3 (scripts/bootstrap.sh does this on Debian/Ubuntu)."
  fi
  if [ -n "$made" ]; then
    local have
    have=$("$d/pg_ctl" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
    [ "$have" = "$made" ] ||
      die "var/pg/data was made by PostgreSQL $made but only $have is installed: install PostgreSQL $made, or delete var/pg (this drops the local database) and run again."
  fi
  echo "$d"
}

BIN=""
bin() { printf '%s/%s' "$BIN" "$1"; }

# --- who runs the server ------------------------------------------------------------
# initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` OS user
# (created by Debian's postgresql-common) and var/pg belongs to it.
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

as_pg() {
  if [ "$IS_ROOT" = 1 ]; then
    # cd /: the caller's directory may be closed to postgres (e.g. /root).
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

prepare_dirs() {
  mkdir -p "$PGROOT" "$RUN" "$LOG"
  if [ "$IS_ROOT" = 1 ]; then
    getent passwd postgres >/dev/null ||
      die "running as root needs the 'postgres' OS user (it comes with the postgresql package), because initdb and pg_ctl refuse to run as root."
    command -v runuser >/dev/null 2>&1 || die "running as root needs runuser (package util-linux) to start PostgreSQL as the postgres user."
    # Only the top and the two small directories: data/ is created by initdb itself.
    chown postgres:postgres "$PGROOT" "$RUN" "$LOG"
    ensure_traversable
  fi
}

# The clone may sit under a 0700 directory (mktemp -d, /root): give postgres search-only
# permission on each ancestor it cannot traverse, and say which ones.
ensure_traversable() {
  as_pg test -x "$PGROOT" -a -w "$PGROOT" && return 0
  local d="" part changed=() parts
  IFS=/ read -r -a parts <<<"${PGROOT#/}"
  for part in "${parts[@]}"; do
    d="$d/$part"
    as_pg test -x "$d" && continue
    if command -v setfacl >/dev/null 2>&1 && setfacl -m u:postgres:x "$d" 2>/dev/null; then
      :
    else
      chmod o+x "$d"
    fi
    changed+=("$d")
  done
  as_pg test -x "$PGROOT" -a -w "$PGROOT" ||
    die "the postgres OS user still cannot reach $PGROOT: move the checkout somewhere it can read, or set DATABASE_URL to an existing PostGIS database."
  if [ "${#changed[@]}" -gt 0 ]; then
    say "gave the postgres user search-only (x) permission on: ${changed[*]}"
  fi
}

# --- ports ----------------------------------------------------------------------------
python_bin() {
  if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}

# Bind the way the postmaster does (SO_REUSEADDR): succeeds only if nobody listens there.
port_free() {
  "$(python_bin)" - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# --- passwords --------------------------------------------------------------------------
# Generated once, kept 0600 in var/pg. initdb (run as postgres) reads the superuser's.
ensure_passwords() {
  local file
  for file in "$SUPER_PW_FILE" "$ROLE_PW_FILE"; do
    if [ ! -s "$file" ]; then
      (umask 077 && "$(python_bin)" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$file")
    fi
  done
  [ "$IS_ROOT" = 1 ] && chown postgres:postgres "$SUPER_PW_FILE"
  # libpq's password file for this script's own psql calls (any port: it may move).
  (umask 077 && printf '127.0.0.1:*:*:postgres:%s\n' "$(<"$SUPER_PW_FILE")" >"$PGPASS")
  return 0
}

write_hba() {
  cat >"$DATA/pg_hba.conf" <<'EOF'
# Written by scripts/pg.sh: loopback only, and a password (scram-sha-256) for everyone.
local   all   all                 scram-sha-256
host    all   all   127.0.0.1/32  scram-sha-256
host    all   all   ::1/128       scram-sha-256
EOF
  [ "$IS_ROOT" = 1 ] && chown postgres:postgres "$DATA/pg_hba.conf"
  return 0
}

pick_port() {
  "$(python_bin)" - "$PORT_FIRST" "$PORT_LAST" <<'PY'
import socket, sys
for port in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
PY
}

# --- cluster --------------------------------------------------------------------------
is_running() {
  [ -f "$DATA/PG_VERSION" ] && as_pg "$(bin pg_ctl)" -D "$DATA" status >/dev/null 2>&1
}

init_cluster() {
  # A data directory without PG_VERSION is a failed initdb: start over.
  if [ -d "$DATA" ] && [ ! -f "$DATA/PG_VERSION" ]; then
    rm -rf "$DATA"
  fi
  [ -f "$DATA/PG_VERSION" ] && return 0
  say "creating private PostGIS cluster in var/pg/data"
  local locale=(--no-locale)
  if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then locale=(--locale=C.UTF-8); fi
  as_pg "$(bin initdb)" -D "$DATA" -U postgres -E UTF8 "${locale[@]}" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 --pwfile="$SUPER_PW_FILE" \
    >"$LOG/initdb.log" 2>&1 ||
    die "initdb failed; see var/pg/log/initdb.log: $(tail -n 3 "$LOG/initdb.log" | tr '\n' ' ')"
  write_hba
  printf "\n# GeoCM: port, addresses and socket, rewritten by scripts/pg.sh\ninclude_if_exists = 'geocm.conf'\n" \
    >>"$DATA/postgresql.conf"
  [ "$IS_ROOT" = 1 ] && chown postgres:postgres "$DATA/postgresql.conf"
  return 0
}

# A cluster made before passwords (pg_hba.conf still says trust): give the roles their
# passwords while trust still lets us in, then ask for them from now on.
upgrade_trust_cluster() {
  local port=$1
  grep -qE '^[^#]*[[:space:]]trust([[:space:]]|$)' "$DATA/pg_hba.conf" || return 0
  say "the private PostGIS trusted every local connection: it asks for passwords from now on"
  psql_at "$port" postgres -v pw="$(<"$SUPER_PW_FILE")" <<<"ALTER ROLE postgres PASSWORD :'pw';" \
    >/dev/null ||
    die "could not set the postgres role's password; see var/pg/log/postgres.log."
  write_hba
  as_pg "$(bin pg_ctl)" -D "$DATA" reload >/dev/null
}

write_conf() {
  local port=$1 sockdir=$RUN
  # Unix socket paths are limited to 107 bytes; a deep checkout goes TCP-only.
  if [ $((${#RUN} + 16)) -gt 107 ]; then
    sockdir=""
    say "checkout path too long for a Unix socket: the private cluster listens on TCP only"
  fi
  cat >"$DATA/geocm.conf" <<EOF
# Written by scripts/pg.sh on every start: change that script, not this file.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '${sockdir//\'/\'\'}'
# A development cluster: losing the last commits after a crash is fine, waiting is not.
synchronous_commit = off
$(sizing_conf)
EOF
  [ "$IS_ROOT" = 1 ] && chown postgres:postgres "$DATA/geocm.conf"
  return 0
}

# Memory and parallelism sized to this machine (docs/operations.md, "Sizing PostgreSQL").
# The private cluster shares the machine with gunicorn and the job workers, so it takes
# an eighth of the memory for its buffers, where a dedicated database server takes a
# quarter. GEOCM_PG_RAM_MB and GEOCM_PG_CORES override what the machine reports.
clamp() {
  local v=$1 lo=$2 hi=$3
  [ "$v" -lt "$lo" ] && v=$lo
  [ "$v" -gt "$hi" ] && v=$hi
  echo "$v"
}

sizing_conf() {
  local ram_mb cores shared cache work maint conns gather
  ram_mb=${GEOCM_PG_RAM_MB:-$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo 2>/dev/null || echo 4096)}
  cores=${GEOCM_PG_CORES:-$(nproc 2>/dev/null || echo 2)}
  [ "$ram_mb" -gt 0 ] 2>/dev/null || ram_mb=4096
  [ "$cores" -gt 0 ] 2>/dev/null || cores=2
  # Web (gunicorn processes x threads, each keeping one connection), job workers, psql,
  # tests: 50 users on 2 cores needed more than the default 100 under runserver.
  conns=$(clamp $((100 + 50 * cores)) 150 500)
  shared=$(clamp $((ram_mb / 8)) 128 4096)
  cache=$(clamp $((ram_mb / 2)) 512 65536)
  # A query may run several sorts and hashes at once, each up to work_mem, on every
  # connection: a quarter of the memory shared by all connections, twice over.
  work=$(clamp $((ram_mb / 4 / conns / 2)) 4 64)
  maint=$(clamp $((ram_mb / 16)) 64 1024)
  gather=$(clamp $((cores / 2)) 1 4)
  cat <<CONF
# Sized for ${ram_mb} MB of memory and ${cores} cores (scripts/pg.sh sizing_conf).
max_connections = $conns
shared_buffers = ${shared}MB
effective_cache_size = ${cache}MB
work_mem = ${work}MB
maintenance_work_mem = ${maint}MB
max_worker_processes = $((cores + 4))
max_parallel_workers = $cores
max_parallel_workers_per_gather = $gather
max_parallel_maintenance_workers = $gather
# Solid-state storage: random reads cost little more than sequential ones.
random_page_cost = 1.1
effective_io_concurrency = 200
# PostGIS costs its functions so high that JIT compiles short queries for longer than
# they run (benchmarks/ogc_bench.py); GeoCM's queries never gain from it.
jit = off
CONF
}

psql_at() {
  local port=$1 db=$2
  shift 2
  PGPASSFILE=$PGPASS "$(bin psql)" -X -q -w -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"
}

ensure_database() {
  local port=$1
  psql_at "$port" postgres -v rolepw="$(<"$ROLE_PW_FILE")" <<SQL >/dev/null || die "could not create role and database '$DB'; see var/pg/log/postgres.log."
SELECT 'CREATE ROLE $ROLE SUPERUSER LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') \gexec
-- Superuser: the tests CREATE EXTENSION postgis in their own test database.
ALTER ROLE $ROLE SUPERUSER LOGIN PASSWORD :'rolepw';
SELECT 'CREATE DATABASE $DB OWNER $ROLE'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB') \gexec
SQL
  local has_routing
  has_routing=$(psql_at "$port" "$DB" -tA -c \
    "SELECT count(*) FROM pg_available_extensions WHERE name = 'pgrouting'")
  psql_at "$port" "$DB" >/dev/null <<SQL || die "could not create the postgis extension in '$DB': is PostGIS 3 installed for this PostgreSQL?"
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
SQL
  if [ "$has_routing" = 1 ]; then
    psql_at "$port" "$DB" -c 'SET client_min_messages = warning' \
      -c 'CREATE EXTENSION IF NOT EXISTS pgrouting' >/dev/null
  else
    say "warning: pgRouting is not installed for this PostgreSQL; the pgrouting extension was skipped"
  fi
}

write_if_changed() {
  local file=$1 value=$2
  if [ ! -f "$file" ] || [ "$(<"$file")" != "$value" ]; then
    printf '%s\n' "$value" >"$file"
  fi
}

cmd_start() {
  prepare_dirs
  ensure_passwords
  init_cluster
  local port=""
  [ -f "$PORT_FILE" ] && port=$(<"$PORT_FILE")
  if is_running; then
    # Line 4 of postmaster.pid is the port the running server listens on.
    port=$(sed -n 4p "$DATA/postmaster.pid")
    say "private PostGIS already running on 127.0.0.1:$port"
  else
    if [ -z "$port" ] || ! port_free "$port"; then
      local old=$port
      port=$(pick_port) || die "no free TCP port between $PORT_FIRST and $PORT_LAST on 127.0.0.1 for the private PostGIS."
      [ -n "$old" ] && say "port $old is taken by another program: moving the private PostGIS to $port"
    fi
    write_conf "$port"
    say "starting private PostGIS on 127.0.0.1:$port"
    if ! as_pg "$(bin pg_ctl)" -D "$DATA" -l "$LOG/postgres.log" -w -t 60 start >/dev/null; then
      tail -n 5 "$LOG/postgres.log" >&2 || true
      die "the private PostGIS did not start; the lines above are from var/pg/log/postgres.log."
    fi
  fi
  write_if_changed "$PORT_FILE" "$port"
  local i
  for i in $(seq 1 60); do
    "$(bin pg_isready)" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && break
    [ "$i" = 60 ] && die "the private PostGIS on 127.0.0.1:$port did not accept connections within 30 s; see var/pg/log/postgres.log."
    sleep 0.5
  done
  upgrade_trust_cluster "$port"
  ensure_database "$port"
  (umask 077 && write_if_changed "$URL_FILE" "postgres://$ROLE:$(<"$ROLE_PW_FILE")@127.0.0.1:$port/$DB")
  chmod 600 "$URL_FILE"
}

cmd_stop() {
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "no private PostGIS in var/pg"
  elif is_running; then
    say "stopping private PostGIS"
    as_pg "$(bin pg_ctl)" -D "$DATA" -m fast -w -t 60 stop >/dev/null
  else
    say "private PostGIS is not running"
  fi
}

cmd_status() {
  if is_running; then
    say "private PostGIS running on 127.0.0.1:$(sed -n 4p "$DATA/postmaster.pid"): $(<"$URL_FILE")"
  else
    say "private PostGIS is not running"
    return 3
  fi
}

# stop and status need no PostgreSQL at all when there is no cluster.
case "${1:-}" in
  start | psql) BIN=$(find_bindir) ;;
  stop | status) if [ -f "$DATA/PG_VERSION" ]; then BIN=$(find_bindir); fi ;;
esac
case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) [ -f "$URL_FILE" ] || die "no var/pg/database_url yet: run scripts/pg.sh start first."; cat "$URL_FILE" ;;
  psql)
    shift
    [ -f "$URL_FILE" ] || die "no var/pg/database_url yet: run scripts/pg.sh start first."
    exec "$(bin psql)" "$(<"$URL_FILE")" "$@"
    ;;
  *) die "usage: scripts/pg.sh start|stop|status|url|psql [psql args]" ;;
esac
