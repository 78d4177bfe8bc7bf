"""The locust user of benchmarks/load_bench.py: one GET path, asked again and again.

load_bench.py runs locust headless once per row of its table, with GEOCM_LOAD_PATH naming
the path (a list separated by "|" is asked round-robin, e.g. the tiles of one view).
Every request sends the headers the TLS proxy would add, so the production profile's
HTTPS redirect does not answer instead of the page. Think time: GEOCM_LOAD_WAIT seconds
(0 by default: the harshest case, every user asks again as soon as it has its answer).
"""

import itertools
import os
import random

from locust import FastHttpUser, constant, task

PATHS = [p for p in os.environ.get("GEOCM_LOAD_PATH", "/api/parking/open").split("|") if p]
HEADERS = {
    "Host": os.environ.get("GEOCM_LOAD_HOST_HEADER", "127.0.0.1"),
    "X-Forwarded-Proto": "https",
    "Accept-Encoding": "gzip",
}


class PublicVisitor(FastHttpUser):
    wait_time = constant(float(os.environ.get("GEOCM_LOAD_WAIT", "0")))

    def on_start(self):
        # Each user walks the list from a different place, so tiles are not asked in step.
        start = random.randrange(len(PATHS))
        self._paths = itertools.islice(itertools.cycle(PATHS), start, None)
        # A client address of its own, as the TLS proxy would pass it on (documentation
        # range 198.51.100.0/24): throttles count each user apart.
        self._headers = {**HEADERS, "X-Forwarded-For": f"198.51.100.{random.randrange(1, 255)}"}

    @task
    def ask(self):
        path = next(self._paths)
        with self.client.get(path, headers=self._headers, name="row", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} on {path}")
