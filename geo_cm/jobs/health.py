"""What /healthz and `manage.py worker_health` report: database, workers and queue."""

import datetime as dt
import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from .models import Job, Worker


def health_summary() -> dict:
    """The platform's health as numbers (no data, no names): safe to show anyone.

    ``healthy`` is false when the database does not answer, when no worker has given a
    heartbeat within GEOCM["JOB_WORKER_STALE_SECONDS"], or when the oldest queued job has
    waited longer than GEOCM["JOB_QUEUE_MAX_AGE_SECONDS"]. Ages are in seconds.
    """
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        now = timezone.now()
        workers = Worker.objects.filter(stopped_at__isnull=True).aggregate(
            newest=Max("heartbeat_at")
        )
        queue = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).aggregate(
            queued=Count("pk", filter=Q(status=Job.Status.QUEUED)),
            running=Count("pk", filter=Q(status=Job.Status.RUNNING)),
            oldest=Min("created_at", filter=Q(status=Job.Status.QUEUED)),
        )
    except DatabaseError:
        # Let the next request open a fresh connection rather than reuse a broken one.
        connection.close()
        return {
            "healthy": False,
            "database": {"reachable": False},
            "workers": None,
            "queue": None,
        }
    db_ms = round((time.monotonic() - started) * 1000, 1)
    heartbeat_age = (now - workers["newest"]).total_seconds() if workers["newest"] else None
    alive = Worker.objects.filter(
        stopped_at__isnull=True,
        heartbeat_at__gte=now - dt.timedelta(seconds=settings.GEOCM["JOB_WORKER_STALE_SECONDS"]),
    ).count()
    oldest_age = (now - queue["oldest"]).total_seconds() if queue["oldest"] else None
    problems = []
    if not alive:
        problems.append("no job worker has given a heartbeat recently")
    if oldest_age is not None and oldest_age > settings.GEOCM["JOB_QUEUE_MAX_AGE_SECONDS"]:
        problems.append("the oldest queued job has waited too long")
    return {
        "healthy": not problems,
        "problems": problems,
        "database": {"reachable": True, "latency_ms": db_ms},
        "workers": {
            "alive": alive,
            "newest_heartbeat_age_s": None if heartbeat_age is None else round(heartbeat_age, 1),
        },
        "queue": {
            "queued": queue["queued"],
            "running": queue["running"],
            "oldest_queued_age_s": round(oldest_age, 1) if oldest_age is not None else None,
        },
    }
