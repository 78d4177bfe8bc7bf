#!/usr/bin/env bash
# The production profile on one server (`make serve`): gunicorn with WhiteNoise and a
# supervised job worker, DEBUG off, settings from the environment or an env file.
#
#   cp deploy/production.env.example .env    # then fill in DJANGO_SECRET_KEY and the hosts
#   make serve                                # GEOCM_ENV_FILE=/etc/geocm.env make serve
#
# DATABASE_URL may be left empty to use the private cluster in var/pg (started here).
# For a service manager, deploy/systemd/ has units that run the same two processes.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
say() { printf '==> %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

ENV_FILE=${GEOCM_ENV_FILE:-.env}
if [ -f "$ENV_FILE" ]; then
  say "settings from $ENV_FILE"
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
elif [ -n "${GEOCM_ENV_FILE:-}" ]; then
  die "GEOCM_ENV_FILE=$ENV_FILE does not exist."
fi
export GEOCM_DEBUG=${GEOCM_DEBUG:-0}
[ "$GEOCM_DEBUG" = 0 ] || die "make serve is the production profile: set GEOCM_DEBUG=0 (or use make run for development)."
[ -n "${DJANGO_SECRET_KEY:-}" ] ||
  die "DJANGO_SECRET_KEY is not set: copy deploy/production.env.example to .env and fill it in (python3 -c 'import secrets; print(secrets.token_urlsafe(50))' makes one)."
[ -n "${GEOCM_ALLOWED_HOSTS:-}" ] ||
  die "GEOCM_ALLOWED_HOSTS is not set: name the host names the TLS proxy forwards (in .env)."

# Packages, .venv and, without DATABASE_URL, the private cluster.
if [ -z "${DATABASE_URL:-}" ]; then
  # The set-up finds the private cluster's URL itself, which only development settings
  # allow; from here on DATABASE_URL names it explicitly.
  GEOCM_DEBUG=1 bash scripts/bootstrap.sh db
  DATABASE_URL=$(bash scripts/pg.sh url)
  export DATABASE_URL
else
  # An external database: no PostgreSQL server is installed here.
  bash scripts/bootstrap.sh venv
  say "migrate"
  .venv/bin/python manage.py migrate --noinput
  .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=var -v 0
fi
say "collectstatic into var/static"
.venv/bin/python manage.py collectstatic --noinput -v 0
.venv/bin/python manage.py check --deploy --fail-level WARNING

mkdir -p var/log
# The job worker, restarted if it ever exits (it rides out database restarts itself).
(
  trap 'kill "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    .venv/bin/python manage.py run_jobs >>var/log/worker.log 2>&1 &
    child=$!
    wait "$child" || true
    printf '%s job worker exited; restarting in 5 s\n' "$(date -Is)" >>var/log/worker.log
    sleep 5
  done
) &
supervisor=$!
trap 'kill "$supervisor" 2>/dev/null; wait "$supervisor" 2>/dev/null || true' EXIT INT TERM
say "job worker started (log: var/log/worker.log)"
say "gunicorn on ${GEOCM_BIND:-127.0.0.1:8000} (Ctrl-C stops both)"
.venv/bin/gunicorn --config gunicorn.conf.py geo_cm.wsgi:application
