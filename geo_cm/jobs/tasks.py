"""The queue's own job: a probe that operators (and tests) send through the workers."""

import time

from django.utils.translation import gettext as _

from .queue import job_report, task

PROBE_MAX_SECONDS = 300


@task("jobs.probe")
def jobs_probe(job, *, seconds: float = 0, token: str = ""):
    """Wait ``seconds`` (at most 300), reporting progress, then say which worker ran it.

    ``token`` only makes each probe a distinct job (the queue merges identical ones).
    `manage.py job_probe` queues one to show that workers take work end to end.
    """
    seconds = max(0.0, min(float(seconds), PROBE_MAX_SECONDS))
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        job_report(job, progress=elapsed / seconds, message=_("probing…"))
        time.sleep(min(0.2, seconds - elapsed))
    return {"worker": job.worker, "attempt": job.attempts, "seconds": seconds}
