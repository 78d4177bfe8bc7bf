"""gunicorn settings for GeoCM's production profile (`make serve`, docker-compose.yml).

Every value comes from the environment (docs/operations.md); the defaults suit a
two-core server behind a TLS proxy on the same machine.
"""

import multiprocessing
import os

bind = os.environ.get("GEOCM_BIND", "127.0.0.1:8000")
# Processes x threads: threads keep a slow export from blocking a whole process.
workers = int(os.environ.get("GEOCM_WEB_WORKERS", str(multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("GEOCM_WEB_THREADS", "4"))
worker_class = "gthread"
# Long enough for an export of a large layer; analyses run in the job worker instead.
timeout = int(os.environ.get("GEOCM_WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle processes now and then, so a slow leak never grows for months.
max_requests = 2000
max_requests_jitter = 200
# The TLS proxy's address(es), whose X-Forwarded-* headers are believed.
forwarded_allow_ips = os.environ.get("GEOCM_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GEOCM_ACCESS_LOG", "-")
errorlog = os.environ.get("GEOCM_ERROR_LOG", "-")
loglevel = os.environ.get("GEOCM_LOG_LEVEL", "info").lower()
proc_name = "geocm-web"
