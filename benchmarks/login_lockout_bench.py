"""What a password guess costs the server, before and after the lockout.

One request through the whole Django stack (middleware, DRF, axes) with the production
password hasher (Django's PBKDF2), in-process, against the development database inside a
transaction that is rolled back. Guesses come from one address; after AXES_FAILURE_LIMIT
failures that address is locked out, and its requests are refused before any hashing.
The public parking API is timed alongside as the reference for a cheap request.

    make bench            (or: .venv/bin/python benchmarks/login_lockout_bench.py)
"""

import base64
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import get_hasher  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

ADDRESS = "192.0.2.77"  # documentation range: never a real client
HOST = settings.ALLOWED_HOSTS[0]


def basic(password):
    token = base64.b64encode(f"bench-officer:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def timed(fn, runs):
    times, statuses = [], set()
    for _ in range(runs):
        start = time.perf_counter()
        statuses.add(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, statuses


def main():
    limit = settings.AXES_FAILURE_LIMIT
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_HOST=HOST)
    other = Client(REMOTE_ADDR="192.0.2.78", HTTP_HOST=HOST)
    rows = []
    with transaction.atomic():
        # A throwaway user in a transaction that is rolled back; the password is never used.
        get_user_model().objects.create_user(
            username="bench-officer", password=secrets.token_urlsafe(16)
        )

        def api_guess():
            return client.get("/ogc/collections", **basic("wrong")).status_code

        def form_guess(c=client):
            data = {"username": "bench-officer", "password": "wrong"}
            return c.post("/accounts/login/", data).status_code

        # Before the lock: every guess hashes (the last failures before the limit).
        rows.append(("HTTP basic, wrong password", *timed(api_guess, limit - 1)))
        api_guess()  # the failure that reaches the limit
        rows.append(("HTTP basic, locked out", *timed(api_guess, 50)))
        rows.append(("log-in form, locked out", *timed(form_guess, 50)))
        rows.append(
            ("log-in form, wrong password (another address)", *timed(lambda: form_guess(other), 3))
        )
        rows.append(
            (
                "public /api/parking/open (reference)",
                *timed(lambda: client.get("/api/parking/open").status_code, 50),
            )
        )
        transaction.set_rollback(True)

    hasher = get_hasher()
    print(
        f"password hasher: {hasher.algorithm}, {hasher.iterations:,} iterations; "
        f"lockout after {limit} failures per address; 1 user, 1 address"
    )
    print()
    print("| request | median ms | status | ratio to a locked-out request |")
    print("|---|---:|---|---:|")
    locked = rows[1][1]
    for name, ms, statuses in rows:
        status = ",".join(str(s) for s in sorted(statuses))
        print(f"| {name} | {ms:.1f} | {status} | {ms / locked:.1f} |")


if __name__ == "__main__":
    main()
