"""gunicorn settings for GeoCM's production profile (`make serve`, docker-compose.yml).

Every value comes from the environment (docs/operations.md); the defaults suit a
two-core server behind a TLS proxy on the same machine.
"""

import multiprocessing
import os

bind = os.environ.get("GEOCM_BIND", "127.0.0.1:8000")
# Processes x threads: requests spend most of their time waiting for PostgreSQL (which
# builds the GeoJSON), so threads serve others meanwhile and a slow export does not block
# a whole process. cores + 1 processes keep every core busy with Python; 4 threads each
# gives (cores + 1) x 4 database connections (CONN_MAX_AGE keeps them open): 12 on 2
# cores, well under the private cluster's max_connections (scripts/pg.sh).
workers = int(os.environ.get("GEOCM_WEB_WORKERS", str(multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("GEOCM_WEB_THREADS", "4"))
worker_class = "gthread"
# Long enough for an export of a large layer; analyses run in the job worker instead
# (coverage answers 202 with a job), so no request waits minutes.
timeout = int(os.environ.get("GEOCM_WEB_TIMEOUT", "120"))
# PostgreSQL stops a web request's statement 5 s before gunicorn would kill the process,
# so no query runs on after its request is gone (the settings read this variable; the
# job workers, started without gunicorn, keep no limit).
raw_env = [f"GEOCM_DB_STATEMENT_TIMEOUT_MS={max(timeout - 5, 1) * 1000}"]
graceful_timeout = 30
keepalive = 5
# Heartbeat files in memory: a busy disk must not make gunicorn think a worker hung.
# gunicorn makes its own files there with mkstemp (private, unpredictable names).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Recycle processes now and then, so a slow leak never grows for months.
max_requests = 2000
max_requests_jitter = 200
# The TLS proxy's address(es), whose X-Forwarded-* headers are believed.
forwarded_allow_ips = os.environ.get("GEOCM_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GEOCM_ACCESS_LOG", "-")
errorlog = os.environ.get("GEOCM_ERROR_LOG", "-")
loglevel = os.environ.get("GEOCM_LOG_LEVEL", "info").lower()
proc_name = "geocm-web"
