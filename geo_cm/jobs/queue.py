"""Enqueue, claim and run jobs. Job functions register with ``@task("name")``."""

import datetime as dt
import json
import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Job, PeriodicRun, Worker

logger = logging.getLogger(__name__)
CHANNEL = "geocm_jobs"
TASKS: dict[str, Callable] = {}
# Task name -> the settings.GEOCM key holding its period in seconds.
PERIODIC: dict[str, str] = {}


def task(name: str):
    """Register ``fn(job, **args)`` as the function that runs jobs called ``name``."""

    def decorate(fn):
        if name in TASKS and TASKS[name] is not fn:
            raise ValueError(f"Task '{name}' is registered twice.")
        TASKS[name] = fn
        return fn

    return decorate


def periodic(name: str, *, every: str = "JOB_PERIODIC_SECONDS"):
    """Queue the task ``name`` (registered with ``@task``, taking no arguments) every
    ``settings.GEOCM[every]`` seconds; idle workers queue what is due (``periodic_due``)."""

    def decorate(fn):
        PERIODIC[name] = every
        return fn

    return decorate


def periodic_due(*, now=None) -> list[str]:
    """Queue the periodic tasks whose period has passed since they were last queued; returns
    their names. Each task's row is locked while it is decided (SKIP LOCKED), so several
    workers checking at once queue it once."""
    now = now or timezone.now()
    queued = []
    for name, every in sorted(PERIODIC.items()):
        period = dt.timedelta(seconds=float(settings.GEOCM[every]))
        with transaction.atomic():
            PeriodicRun.objects.get_or_create(
                name=name, defaults={"queued_at": now - period - dt.timedelta(seconds=1)}
            )
            run = (
                PeriodicRun.objects.select_for_update(skip_locked=True)
                .filter(name=name, queued_at__lte=now - period)
                .first()
            )
            if run is None:
                continue
            job_enqueue(name=name)
            run.queued_at = now
            run.save(update_fields=["queued_at"])
            queued.append(name)
    return queued


def job_enqueue(*, name: str, args: dict | None = None, by=None) -> Job | None:
    """Queue a job (after the surrounding transaction commits). Returns the queued job, or
    None when the same job is queued already (it will see the newest data anyway)."""
    if name not in TASKS:
        raise KeyError(f"No task '{name}'.")
    args = json.loads(json.dumps(args or {}))
    try:
        with transaction.atomic():
            job = Job.objects.create(
                name=name, args=args, requested_by=by if getattr(by, "pk", None) else None
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _notify())
    return job


def _notify():
    with connection.cursor() as cursor:
        cursor.execute(f"NOTIFY {CHANNEL}")


def job_report(job: Job, *, progress: float, message: str = "") -> None:
    """Record progress (0..1) where pages and the CLI can read it, outside the job's work.

    Called inside the job's transaction, the update would show only when that commits (a
    progress bar stuck until the end) and would lock the job's row: it is written on a
    connection of its own instead, by a short-lived thread (Django gives each thread one).
    """

    def write():
        Job.objects.filter(pk=job.pk).update(
            progress=max(0.0, min(1.0, progress)), message=message[:2000]
        )

    if not connection.in_atomic_block:
        write()
        return

    def write_apart():
        try:
            write()
        except DatabaseError:
            logger.warning("job %s: progress not recorded", job.pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's connection only

    reporter = threading.Thread(target=write_apart, name=f"job-{job.pk}-progress")
    reporter.start()
    reporter.join(timeout=10)  # a blocked report must not hold the job up


def _worker_alive(since):
    """Workers that gave a heartbeat since ``since`` and have not stopped."""
    return Worker.objects.filter(
        name=OuterRef("worker"), heartbeat_at__gte=since, stopped_at__isnull=True
    )


def _claim(worker: str) -> Job | None:
    # A job "running" on a worker that stopped heartbeating lost its worker (killed, its
    # machine gone): another worker takes it up, once. Its transaction died with the
    # worker, so nothing of the first run is left to undo.
    gone_before = timezone.now() - dt.timedelta(seconds=settings.GEOCM["JOB_WORKER_STALE_SECONDS"])
    orphaned = Q(status=Job.Status.RUNNING) & ~Exists(_worker_alive(gone_before))
    while True:
        with transaction.atomic():
            job = (
                Job.objects.select_for_update(skip_locked=True)
                .filter(Q(status=Job.Status.QUEUED) | orphaned)
                .order_by("created_at", "pk")
                .first()
            )
            if job is None:
                return None
            exhausted = job.attempts >= settings.GEOCM["JOB_MAX_ATTEMPTS"]
            if job.status == Job.Status.RUNNING and exhausted:
                job.status, job.finished_at = Job.Status.FAILED, timezone.now()
                job.message = _(
                    "Its worker stopped before the job finished, %(n)s times; "
                    "it is not run again. Look at the worker's log, then queue it anew."
                ) % {"n": job.attempts}
                job.save(update_fields=["status", "finished_at", "message"])
                continue
            job.status, job.worker, job.started_at = Job.Status.RUNNING, worker, timezone.now()
            job.attempts += 1
            job.save(update_fields=["status", "worker", "started_at", "attempts"])
            return job


def worker_name() -> str:
    """This process's name as a worker: host:pid (what Job.worker and Worker.name hold)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def job_run_next(*, worker: str | None = None) -> Job | None:
    """Claim the oldest queued job and run it; returns it (finished) or None when idle.

    A database error while recording the outcome (the server went away) propagates: the
    job is still "running" and the worker loop gives it back (geo_cm.jobs.worker).
    """
    worker = worker or worker_name()
    job = _claim(worker)
    if job is None:
        return None
    fn = TASKS.get(job.name)
    try:
        if fn is None:
            raise LookupError(f"No task '{job.name}' in this worker.")
        result = fn(job, **job.args)
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the worker
        logger.exception("job %s failed", job.pk)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            message=f"{exc}"[:2000],
            result={"traceback": traceback.format_exc()[-4000:]},
        )
    else:
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.DONE,
            finished_at=timezone.now(),
            progress=1.0,
            result=json.loads(json.dumps(result, default=str)),
        )
    job.refresh_from_db()
    return job


def jobs_drain(*, worker: str | None = None, limit: int | None = None) -> int:
    """Run queued jobs until none is left (or ``limit``); returns how many ran."""
    done = 0
    while limit is None or done < limit:
        if job_run_next(worker=worker) is None:
            break
        done += 1
    return done
