import select
import signal

from django.core.management.base import BaseCommand
from django.db import connection

from geo_cm.jobs.queue import CHANNEL, jobs_drain


def _stop(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run background jobs (imports, coverage refreshes) until stopped; --once drains."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--poll",
            type=float,
            default=30.0,
            help="seconds between checks when no notification arrives",
        )

    def handle(self, *args, **options):
        if options["once"]:
            self.stdout.write(f"ran {jobs_drain()} job(s)")
            return
        # SIGTERM (docker stop, systemd) ends the worker like Ctrl-C. A job cut short stays
        # "running" and is taken up again by a worker once JOB_TIMEOUT_MINUTES have passed.
        signal.signal(signal.SIGTERM, _stop)
        connection.ensure_connection()
        raw = connection.connection
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
        self.stdout.write("job worker waiting for work (Ctrl-C stops)")
        try:
            while True:
                jobs_drain()
                # Sleep until NOTIFY or the poll interval (a missed notification is harmless).
                if select.select([raw], [], [], options["poll"]) != ([], [], []):
                    raw.poll()
                    raw.notifies.clear()
        except KeyboardInterrupt:
            pass
