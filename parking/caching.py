"""A short-lived cache of the public "open at" answer, keyed on the parking data's version.

Everyone asks the same question ("what is open now?") at once, so the answer is built once
per data version and time slice and then served from the cache, with an ETag (a 304 for a
client or proxy that has it) and ``Cache-Control: public`` so a proxy or CDN can share it.

Correctness does not rest on the TTL alone: the key carries the parking data's version, a
PostgreSQL sequence that triggers advance on every write to facilities, sharing windows
and occupancy reports (migration 0003), so any process sees a change on its next request.
The TTL bounds what the version cannot see: time passing (a window opening at 19:00, a
count ageing out of "live") and a reader that builds the answer from a snapshot taken
just before a writer commits. The cache holds copies of a public answer, never the truth,
so a per-process cache (Django's default) and a shared one both work.
"""

import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags

from .models import Facility

VERSION_SEQUENCE = "parking_public_version"


def parking_data_version() -> int:
    """The parking data's version: advances with every write to the public parking data."""
    # Read where the answer's rows are read (the replica, when the router sends them there),
    # so the version never runs ahead of the data it stands for.
    with connections[router.db_for_read(Facility)].cursor() as cursor:
        # A fresh sequence reads 1 before and after its first nextval; is_called tells them apart.
        cursor.execute(
            f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {VERSION_SEQUENCE}"  # noqa: S608 (a constant name)
        )
        return cursor.fetchone()[0]


def public_answer_cached(request, *, key: str, build: Callable[[], bytes]) -> HttpResponse:
    """The JSON answer for ``key`` (the normalised query), built by ``build`` when not cached.

    ``GEOCM["PUBLIC_ANSWER_SECONDS"]`` is the time slice (seconds; 0 turns caching off).
    Answers carry an ETag of their bytes; ``If-None-Match`` with it gives a 304.
    """
    ttl = settings.GEOCM["PUBLIC_ANSWER_SECONDS"]
    if ttl > 0:
        digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        full_key = f"parking-open:{parking_data_version()}:{int(time.time() // ttl)}:{digest}"
        body = cache.get(full_key)
        if body is None:
            body = build()
            cache.set(full_key, body, ttl)
    else:
        body = build()
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={ttl}" if ttl > 0 else "no-cache"
    return response
