"""DRF throttles that count in PostgreSQL, so every web worker and machine counts together.

DRF's own throttles keep their history in Django's cache, which is per process unless a
shared cache is configured; here the counters are rows of ``RateWindow`` (an UNLOGGED
table), each request one ``INSERT … ON CONFLICT DO UPDATE`` on the primary. Windows are
fixed (``hits`` since ``started``): cheaper than DRF's sliding list of timestamps, at the
price of up to twice the rate across a window's edge, which is fine for abuse control.

Rates are DRF's ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``"600/min"``; ``None``
switches a scope off), read at every request, so tests and settings overrides apply.
The client address is DRF's ``get_ident``, which takes ``X-Forwarded-For`` only as far as
``REST_FRAMEWORK["NUM_PROXIES"]`` (``GEOCM["PROXY_COUNT"]``) proxies vouch for it; the
login lockout (``geo_cm.security.lockout``) uses the same rule.
"""

import random

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from rest_framework import throttling
from rest_framework.settings import api_settings

from .models import RateWindow

# One counted request in this many also deletes windows of clients not seen for a day.
PURGE_ONE_IN = 1000
PURGE_AFTER_SECONDS = 86_400


def rate_window_hit(*, key: str, seconds: int) -> tuple[int, float]:
    """Count one request for ``key`` in its window of ``seconds``.

    Returns the requests counted in the current window (this one included) and the
    seconds until that window ends. The window restarts when the previous one is over.
    Runs on the primary database (``router.db_for_write``), never a replica.
    """
    table = RateWindow._meta.db_table
    connection = connections[router.db_for_write(RateWindow)]
    with connection.cursor() as cursor:
        # statement_timestamp(), not now(): correct inside a longer transaction too.
        cursor.execute(
            f"""
            INSERT INTO {table} AS w (key, started, hits)
            VALUES (%s, statement_timestamp(), 1)
            ON CONFLICT (key) DO UPDATE SET
              started = CASE WHEN w.started > statement_timestamp() - make_interval(secs => %s)
                             THEN w.started ELSE statement_timestamp() END,
              hits = CASE WHEN w.started > statement_timestamp() - make_interval(secs => %s)
                          THEN w.hits + 1 ELSE 1 END
            RETURNING hits,
              EXTRACT(EPOCH FROM w.started + make_interval(secs => %s) - statement_timestamp())
            """,  # noqa: S608 - the table name is the model's
            [key, seconds, seconds, seconds],
        )
        hits, remaining = cursor.fetchone()
        if random.randrange(PURGE_ONE_IN) == 0:
            cursor.execute(
                f"DELETE FROM {table} WHERE started < statement_timestamp() - "  # noqa: S608
                "make_interval(secs => %s)",
                [max(PURGE_AFTER_SECONDS, seconds)],
            )
    return hits, max(float(remaining), 0.0)


class DatabaseRateThrottle(throttling.SimpleRateThrottle):
    """A DRF rate throttle whose counters live in ``RateWindow`` (subclasses set ``scope``
    and ``get_cache_key``)."""

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(
                f"No throttle rate for the scope {self.scope!r}: add it to "
                'REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (None switches it off).'
            )
        return rates[self.scope]

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        hits, self.remaining = rate_window_hit(key=self.key, seconds=self.duration)
        return hits <= self.num_requests

    def wait(self):
        return self.remaining


class AnonRateThrottle(DatabaseRateThrottle):
    """Anonymous requests, per client address (``anon`` rate)."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return f"{self.scope}:{self.get_ident(request)}"


class UserRateThrottle(DatabaseRateThrottle):
    """Requests of a signed-in user or API token, per user (``user`` rate)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return f"{self.scope}:{request.user.pk}"


class ScopedRateThrottle(DatabaseRateThrottle):
    """The view's ``throttle_scope``, per user when signed in, else per client address."""

    scope_attr = "throttle_scope"

    def __init__(self):
        # The rate depends on the view, known only in allow_request.
        pass

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return f"{self.scope}:{ident}"
