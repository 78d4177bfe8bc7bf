"""Waiting for a page whose answers are computed by the job worker."""

import time

from geo_cm.jobs.queue import jobs_drain


def until_computed(browser, script, *args, timeout=30):
    """Wait for ``script`` (run with ``args``) to be true while the job worker runs here:
    answers not cached come back 202 and the page asks again until the worker has
    computed them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs_drain()
        if browser.execute_script(script, *args):
            return
        time.sleep(0.3)
    raise AssertionError(f"not true after {timeout} s: {script}")
