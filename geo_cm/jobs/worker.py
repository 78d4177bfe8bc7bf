"""The job worker loop behind `manage.py run_jobs`: heartbeats, and riding out the database.

A worker must never silently die. It
- writes a heartbeat (its ``Worker`` row) every GEOCM["JOB_HEARTBEAT_SECONDS"] from a thread
  of its own, so a long job does not look like a dead worker;
- sleeps on LISTEN/NOTIFY with a poll of GEOCM["JOB_POLL_SECONDS"], at which it also takes
  up jobs whose worker went silent (geo_cm.jobs.queue._claim) and queues the periodic
  tasks that are due (geo_cm.jobs.queue.periodic_due: a due-time table, one row a task);
- when the database goes away (a restart, a failover, a network cut) closes its
  connections, waits with back-off (1 s doubling to 30 s), reconnects, LISTENs again and
  gives back the job it was running, so that it is run again rather than left "running".
"""

import datetime as dt
import logging
import select
import threading
import time

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections
from django.utils import timezone

from .models import Job, Worker
from .queue import CHANNEL, jobs_drain, periodic_due, worker_name

logger = logging.getLogger("geo_cm.jobs.worker")

# Errors that mean "the database connection is gone", not "the job is wrong".
CONNECTION_ERRORS = (InterfaceError, OperationalError)
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0


class JobWorker:
    """One worker process. ``run()`` returns only when ``stop()`` is called or on Ctrl-C."""

    def __init__(self, *, poll_s: float | None = None, say=print):
        self.name = worker_name()
        self.poll_s = poll_s if poll_s is not None else settings.GEOCM["JOB_POLL_SECONDS"]
        self.say = say
        self._stop = threading.Event()

    # --- heartbeat -----------------------------------------------------------------
    def _beat(self) -> None:
        Worker.objects.update_or_create(
            name=self.name,
            defaults={
                "hostname": self.name.rsplit(":", 1)[0],
                "pid": int(self.name.rsplit(":", 1)[1]),
                "heartbeat_at": timezone.now(),
                "stopped_at": None,
            },
        )

    def _heartbeat_loop(self) -> None:
        period = settings.GEOCM["JOB_HEARTBEAT_SECONDS"]
        while not self._stop.wait(period):
            try:
                self._beat()
            except DatabaseError:
                # The main loop reports the outage; the next beat reconnects.
                connections.close_all()  # this thread's connection only

    # --- connection ----------------------------------------------------------------
    def _connect(self):
        """Connect, say we are alive, give back what we held, LISTEN; returns the raw
        psycopg2 connection to wait on."""
        connection.close()
        connection.ensure_connection()
        self._beat()
        # A job this worker was running when the connection broke was rolled back with it:
        # queue it again (it keeps its attempt count).
        given_back = Job.objects.filter(worker=self.name, status=Job.Status.RUNNING).update(
            status=Job.Status.QUEUED
        )
        if given_back:
            logger.warning("worker %s: %s interrupted job(s) queued again", self.name, given_back)
        raw = connection.connection
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
        return raw

    def _serve(self, raw) -> None:
        while not self._stop.is_set():
            periodic_due()  # queues what is due (the upload purge); the drain runs it
            jobs_drain(worker=self.name)
            # Sleep until NOTIFY or the poll interval (a missed notification is harmless).
            if select.select([raw], [], [], self.poll_s) != ([], [], []):
                raw.poll()  # raises OperationalError when the server closed the socket
                raw.notifies.clear()

    def run(self) -> None:
        beater = threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True)
        beater.start()
        backoff = BACKOFF_FIRST_S
        down_since = None
        try:
            while not self._stop.is_set():
                try:
                    raw = self._connect()
                    if down_since is not None:
                        self.say(
                            f"database reachable again after {time.monotonic() - down_since:.0f} s"
                        )
                        down_since = None
                    else:
                        self.say(f"job worker {self.name} waiting for work (Ctrl-C stops)")
                    backoff = BACKOFF_FIRST_S
                    self._serve(raw)
                except CONNECTION_ERRORS as exc:
                    if down_since is None:
                        down_since = time.monotonic()
                    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc
                    logger.warning(
                        "worker %s: database unreachable (%s); retrying in %.0f s",
                        self.name,
                        first_line,
                        backoff,
                    )
                    self.say(f"database unreachable ({first_line}); retrying in {backoff:.0f} s")
                    connection.close()
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX_S)
        finally:
            self._stop.set()
            beater.join(timeout=5)
            self._sign_off()

    def _sign_off(self) -> None:
        """Say we stopped, so that our job (if any) is taken up at once, not after the
        stale window."""
        try:
            connection.close()
            Worker.objects.filter(name=self.name).update(stopped_at=timezone.now())
            # Rows of workers gone for a week are of no more use to anyone.
            Worker.objects.filter(heartbeat_at__lt=timezone.now() - dt.timedelta(days=7)).delete()
        except DatabaseError:
            logger.warning("worker %s: could not record its stop", self.name)

    def stop(self) -> None:
        self._stop.set()
