import signal

from django.core.management.base import BaseCommand

from geo_cm.jobs.queue import jobs_drain
from geo_cm.jobs.worker import JobWorker


def _stop(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Run background jobs (imports, coverage refreshes) until stopped, riding out database "
        "restarts; --once drains the queue and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--poll",
            type=float,
            default=None,
            help="seconds between checks when no notification arrives "
            "(default: GEOCM_JOB_POLL_SECONDS, 10)",
        )

    def handle(self, *args, **options):
        if options["once"]:
            self.stdout.write(f"ran {jobs_drain()} job(s)")
            return
        # SIGTERM (docker stop, systemd) ends the worker like Ctrl-C. A job cut short is
        # taken up at once by another worker, which sees this one signed off.
        signal.signal(signal.SIGTERM, _stop)
        worker = JobWorker(poll_s=options["poll"], say=lambda line: self._say(line))
        try:
            worker.run()
        except KeyboardInterrupt:
            pass

    def _say(self, line):
        self.stdout.write(line)
        self.stdout.flush()
