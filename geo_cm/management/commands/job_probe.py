import time
import uuid

from django.core.management.base import BaseCommand, CommandError

from geo_cm.jobs.models import Job
from geo_cm.jobs.queue import job_enqueue


class Command(BaseCommand):
    help = (
        "Queue a probe job and wait for a worker to finish it: shows end to end that the "
        "job workers take work (exit 1 when none does within --timeout)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=0, help="how long the probe runs")
        parser.add_argument("--timeout", type=float, default=60, help="how long to wait, in s")

    def handle(self, *args, **options):
        args = {"seconds": options["seconds"], "token": uuid.uuid4().hex}
        job = job_enqueue(name="jobs.probe", args=args)
        started = time.monotonic()
        while time.monotonic() - started < options["timeout"]:
            job.refresh_from_db()
            if job.status == Job.Status.DONE:
                waited = (job.started_at - job.created_at).total_seconds()
                self.stdout.write(
                    f"probe job {job.pk} done by {job.result['worker']} "
                    f"(attempt {job.attempts}, waited {waited:.1f} s in the queue)"
                )
                return
            if job.status == Job.Status.FAILED:
                raise CommandError(f"probe job {job.pk} failed: {job.message}")
            time.sleep(0.2)
        raise CommandError(
            f"No worker finished probe job {job.pk} within {options['timeout']:.0f} s (it is "
            f"{job.status}): is `manage.py run_jobs` running, and can it reach the database?"
        )
