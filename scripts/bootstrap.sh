#!/usr/bin/env bash
# Brings a checkout to a runnable state; every step is skipped when already done, so a
# second run takes seconds.
#
# usage: scripts/bootstrap.sh MODE
#   venv  system Python venv support and .venv only (make lint)
#   db    + PostgreSQL/PostGIS/pgRouting/GDAL packages, private cluster, migrate, messages
#   test  db + Chromium, chromedriver, docker-compose and python3-qgis for the browser,
#         compose and QGIS tests
#   run   db + demo data and demo accounts
#
# Environment: DATABASE_URL (use that database instead of the private cluster in var/pg),
# GEOCM_PYTHON (the interpreter for .venv, default /usr/bin/python3).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# Debian's interpreter, not a pyenv shim that may come first on PATH.
PYTHON=${GEOCM_PYTHON:-/usr/bin/python3}
MODE=${1:-run}

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Whatever stops the script unforeseen still says where and what to do: never silence.
on_unexpected_error() {
  local status=$1 line=$2 command=$3
  printf 'error: the bootstrap stopped unexpectedly at scripts/bootstrap.sh line %s (exit %s) while running: %s. Run the command again; if it stops at the same place, run "bash -x scripts/bootstrap.sh %s" and report its output.\n' \
    "$line" "$status" "$command" "$MODE" >&2
}

# --- system packages --------------------------------------------------------------------
# A field of /etc/os-release (ID, ID_LIKE), without its quotes.
os_field() { sed -nE "s/^$1=\"?([^\"]*)\"?$/\1/p" /etc/os-release 2>/dev/null; }

debian_like() {
  command -v dpkg-query >/dev/null 2>&1 || return 1
  case " $(os_field ID) $(os_field ID_LIKE) " in
    *" debian "* | *" ubuntu "*) return 0 ;;
    *) return 1 ;;
  esac
}

# Newest PostgreSQL server major installed the Debian way (/usr/lib/postgresql/N).
# GEOCM_SYSROOT (tests only) is a root directory to look in instead of /.
# Prints nothing, and succeeds, when no server is installed.
installed_pg_major() {
  local base=${GEOCM_SYSROOT:-}/usr/lib/postgresql
  [ -d "$base" ] || return 0
  { find "$base" -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null || true; } |
    sed -E 's|.*/postgresql/([^/]+)/bin/postgres$|\1|' | sort -V | tail -n 1
}

# The major apt would install for the `postgresql` metapackage (15 on Debian 12).
candidate_pg_major() {
  apt-cache depends postgresql 2>/dev/null |
    sed -nE 's/^ *Depends: postgresql-([0-9]+)$/\1/p' | sort -V | tail -n 1
}

# The packages among "$@" that are not installed (dpkg's database under GEOCM_SYSROOT).
missing_packages() {
  local installed admindir=()
  [ -n "${GEOCM_SYSROOT:-}" ] && admindir=(--admindir="$GEOCM_SYSROOT/var/lib/dpkg")
  installed=$( { dpkg-query "${admindir[@]}" -W -f='${Package} ${db:Status-Abbrev}\n' "$@" \
    2>/dev/null || true; } | awk '$2 == "ii" { print $1 }')
  local p
  for p in "$@"; do
    grep -qxF "$p" <<<"$installed" || echo "$p"
  done
}

SUDO=()
can_apt() {
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    return 1
  fi
}

APT_UPDATED=0
apt_update() {
  [ "$APT_UPDATED" = 1 ] && return 0
  say "apt-get update"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
    die "apt-get update failed: check the network or the apt sources, then run again."
  APT_UPDATED=1
}

apt_install() {
  can_apt || die "missing system packages: run 'sudo apt-get install -y $*' and then this command again."
  apt_update
  say "installing system packages: $*"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "$@" >/dev/null ||
    die "apt-get install $* failed: see the apt messages above."
}

# Outside Debian/Ubuntu we install nothing: check the tools and name what is missing.
check_other_os() {
  local ok=1 bindir="" sharedir=""
  "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 || ok=0
  if [ "$MODE" != venv ]; then
    if command -v pg_config >/dev/null 2>&1; then
      bindir=$(pg_config --bindir)
      sharedir=$(pg_config --sharedir)
    fi
    [ -n "$bindir" ] && [ -x "$bindir/initdb" ] || ok=0
    [ -n "$sharedir" ] && [ -f "$sharedir/extension/postgis.control" ] || ok=0
    command -v gdalinfo >/dev/null 2>&1 || ok=0
  fi
  [ "$ok" = 1 ] ||
    die "this is not Debian or Ubuntu, so install PostgreSQL 15+ with PostGIS 3 (and pgRouting), GDAL 3.6+ and Python 3.11+ with venv (or set GEOCM_PYTHON), then run again."
}

# The Debian/Ubuntu packages MODE needs, for PostgreSQL major $2 (empty for venv mode).
wanted_packages() {
  local mode=$1 major=${2:-}
  echo python3-venv
  [ "$mode" = venv ] && return 0
  printf '%s\n' "postgresql-$major" "postgresql-$major-postgis-3" "postgresql-$major-pgrouting" \
    gdal-bin libgdal-dev gettext
  [ "$mode" = test ] || return 0
  # Headless browser tests, and docker-compose to validate docker-compose.yml (no engine).
  if [ "$(os_field ID)" = ubuntu ]; then
    printf '%s\n' chromium-browser chromium-chromedriver docker-compose
  else
    printf '%s\n' chromium chromium-driver docker-compose
  fi
  # QGIS's own OGC API client for tests/qgis (import qgis works with /usr/bin/python3 only,
  # so the tests run it in a subprocess). Debian 12: QGIS 3.22, about 170 MB to download
  # and 670 MB installed, once.
  echo python3-qgis
}

ensure_system() {
  if ! debian_like; then
    check_other_os
    return 0
  fi
  local major=""
  if [ "$MODE" != venv ]; then
    major=$(installed_pg_major)
    if [ -z "$major" ]; then
      say "no PostgreSQL server installed yet: asking apt which version it offers"
      # No server yet: ask apt which major it would bring, to name the matching PostGIS.
      if can_apt; then apt_update; fi
      major=$(candidate_pg_major)
      if [ -z "$major" ]; then
        can_apt ||
          die "missing system packages: run 'sudo apt-get update && sudo apt-get install -y postgresql' and then this command again."
        die "apt offers no postgresql package: install PostgreSQL 15+ with PostGIS 3 and pgRouting, then run again."
      fi
    fi
  fi
  local want missing
  mapfile -t want < <(wanted_packages "$MODE" "$major")
  mapfile -t missing < <(missing_packages "${want[@]}")
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
}

# --- .venv ------------------------------------------------------------------------------
ensure_venv() {
  local stamp=.venv/.geocm-pyproject.sha256 want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(<"$stamp")" = "$want" ]; then
    return 0
  fi
  [ -x "$PYTHON" ] || die "$PYTHON not found: install python3-venv (Python 3.11+) or set GEOCM_PYTHON."
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "$PYTHON is older than Python 3.11: install Python 3.11+ with venv and set GEOCM_PYTHON to it."
  # A .venv from another interpreter (pyenv, a removed Python) is rebuilt from scratch.
  local home
  home=$(dirname "$PYTHON")
  if [ -d .venv ] && { [ ! -x .venv/bin/python ] ||
    ! grep -qxF "home = $home" .venv/pyvenv.cfg 2>/dev/null; }; then
    say "rebuilding .venv with $PYTHON"
    rm -rf .venv
  fi
  if [ ! -d .venv ]; then
    say "creating .venv with $PYTHON"
    "$PYTHON" -m venv .venv || die "could not create .venv: install python3-venv and run again."
  fi
  say "installing Python packages into .venv (first run or pyproject.toml changed; log in var/pip.log)"
  mkdir -p var
  if ! .venv/bin/python -m pip install -e '.[dev]' >var/pip.log 2>&1; then
    tail -n 15 var/pip.log >&2
    die "pip install -e '.[dev]' failed: the last lines of var/pip.log are above."
  fi
  printf '%s\n' "$want" >"$stamp"
}

# --- database and Django ----------------------------------------------------------------
ensure_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    say "using DATABASE_URL from the environment (no private cluster)"
  else
    bash scripts/pg.sh start
  fi
}

manage() { .venv/bin/python manage.py "$@"; }

ensure_django() {
  [ -f manage.py ] || die "manage.py not found in $ROOT: is this a GeoCM checkout?"
  say "migrate"
  manage migrate --noinput
  # Compile translations only when a .po is newer than its .mo (or the .mo is missing).
  local po stale=0
  while IFS= read -r -d '' po; do
    if [ "$po" -nt "${po%.po}.mo" ]; then
      stale=1
      break
    fi
  done < <(find . \( -path ./.venv -o -path ./var -o -path ./.git -o -name node_modules \) -prune \
    -o -path '*/locale/*' -name '*.po' -print0)
  if [ "$stale" = 1 ]; then
    say "compilemessages"
    manage compilemessages --ignore=.venv --ignore=var --ignore=node_modules -v 0
  fi
}

ensure_demo() {
  say "demo data and the 2023 plan (each loaded only when missing)"
  manage load_demo --if-empty
  # The demo loads the plan; this keeps it there for databases that already had data.
  manage load_plan_2023 --if-missing --verbosity 0
  say "demo accounts"
  manage create_demo_accounts
}

main() {
  case "$MODE" in
    venv | db | test | run) ;;
    *)
      echo "usage: scripts/bootstrap.sh venv|db|test|run" >&2
      exit 2
      ;;
  esac
  trap 'on_unexpected_error $? $LINENO "$BASH_COMMAND"' ERR
  cd "$ROOT"
  ensure_system
  ensure_venv
  [ "$MODE" = venv ] && return 0
  ensure_database
  ensure_django
  [ "$MODE" = run ] && ensure_demo
  say "bootstrap ($MODE) done"
}

# Sourced (tests/test_bootstrap.py), the script only defines its functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main
fi
