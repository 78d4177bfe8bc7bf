"""Chinese first: the language is the user's explicit choice, else Simplified Chinese.

Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-
language browser in a Pukou office would get English. Here only the language cookie (set
by the switcher) or ``?lang=`` choose; everything else gets settings.LANGUAGE_CODE.
"""

import time

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from . import db_router
from .jobs.health import health_summary


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        wanted = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = wanted if wanted in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class HealthCheckMiddleware:
    """Answers ``GET /healthz`` before anything else looks at the request.

    First in MIDDLEWARE: load balancers and container probes call it over plain HTTP by IP
    address, so it must not be redirected to HTTPS nor refused for a Host header outside
    ALLOWED_HOSTS. No login, and no data: only reachability, ages and counts.
    200 when healthy, 503 otherwise. ``?scope=web`` asks about this web process and its
    database only (for a web container's own probe); the default asks about the workers
    and the queue too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != "/healthz":
            return self.get_response(request)
        summary = health_summary()
        if request.GET.get("scope") == "web":
            healthy = summary["database"]["reachable"]
        else:
            healthy = summary["healthy"]
        summary["healthy"] = healthy
        response = JsonResponse(summary, status=200 if healthy else 503)
        response["Cache-Control"] = "no-store"
        return response


class ReplicaReadsMiddleware:
    """Lets a request's reads go to the read replica, and pins a writer to the primary.

    Only plain reads (GET, HEAD, OPTIONS) of a browser that has not written lately may
    read the replica (geo_cm/db_router.py). A request that wrote sets the
    ``geocm_primary_until`` cookie (a time stamp; a client forging it only sends its own
    reads to the primary), so the same browser reads its own writes on its next requests
    even while the replica is still replaying them. Does nothing without a replica.
    """

    COOKIE = "geocm_primary_until"
    SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not db_router.replica_configured():
            return self.get_response(request)
        now = time.time()
        try:
            pinned = float(request.COOKIES.get(self.COOKIE, "0")) > now
        except ValueError:
            pinned = False
        db_router.replica_reads_begin(allowed=request.method in self.SAFE and not pinned)
        try:
            response = self.get_response(request)
        finally:
            wrote = db_router.replica_reads_end()
        if wrote:
            seconds = settings.GEOCM["REPLICA_PIN_SECONDS"]
            response.set_cookie(
                self.COOKIE,
                f"{now + seconds:.3f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
