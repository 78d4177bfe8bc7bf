import datetime as dt
import socket

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from geo_cm.jobs.models import Worker


class Command(BaseCommand):
    help = (
        "Exit 0 when a job worker on this host (or on --host) has given a heartbeat within "
        "GEOCM_JOB_WORKER_STALE_SECONDS; for container and systemd health checks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="host name (default: this machine's)")

    def handle(self, *args, **options):
        host = options["host"] or socket.gethostname()
        since = timezone.now() - dt.timedelta(seconds=settings.GEOCM["JOB_WORKER_STALE_SECONDS"])
        try:
            newest = (
                Worker.objects.filter(hostname=host, stopped_at__isnull=True)
                .order_by("-heartbeat_at")
                .values_list("heartbeat_at", flat=True)
                .first()
            )
        except DatabaseError as exc:
            raise CommandError(f"The database does not answer: {exc}".strip()) from exc
        if newest is None or newest < since:
            window = settings.GEOCM["JOB_WORKER_STALE_SECONDS"]
            raise CommandError(
                f"No job worker on {host} has given a heartbeat in the last {window:.0f} s: "
                "is `manage.py run_jobs` running?"
            )
        age = (timezone.now() - newest).total_seconds()
        self.stdout.write(f"job worker on {host} alive (last heartbeat {age:.0f} s ago)")
