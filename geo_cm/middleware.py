"""Chinese first: the language is the user's explicit choice, else Simplified Chinese.

Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-
language browser in a Pukou office would get English. Here only the language cookie (set
by the switcher) or ``?lang=`` choose; everything else gets settings.LANGUAGE_CODE.
"""

import gzip
import secrets
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import JsonResponse
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
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
        if request.GET.get("lang") in self.supported and 300 <= response.status_code < 400:
            # ?lang= is not a cookie: a page that redirects (the import steps, /plans/)
            # passes it on, or the next page would be in Chinese again.
            location = keep_language(response.get("Location", ""), request.GET["lang"])
            if location:
                response["Location"] = location
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


# Machine endpoints refuse unknown query parameters; their language is not the page's.
_NOT_PAGES = ("/api/", "/ogc", "/open311/", "/static/", "/media/")


def keep_language(location: str, lang: str) -> str | None:
    """``location`` with ``lang=`` added, when it is a page of this site without one;
    None otherwise (another site, a machine endpoint, or a language already named)."""
    parts = urlsplit(location)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(_NOT_PAGES):
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "lang" for key, _ in query):
        return None
    return urlunsplit(parts._replace(query=urlencode([*query, ("lang", lang)])))


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


class JSONGZipMiddleware(GZipMiddleware):
    """gzip for JSON answers (the feature API, coverage, jobs), and only for them.

    A 10,000-feature page is 2.2 MB of GeoJSON and about 0.3 MB gzipped.

    BREACH (a secret recovered from the sizes of compressed answers that also reflect
    input the attacker chose) was weighed thus:
    - HTML pages are never compressed: they carry the CSRF token and the CSP nonce.
    - Public JSON (anonymous answers) holds no secret: only public fields of public
      layers, so reflecting the query in its links gives nothing away.
    - Staff JSON holds internal fields, but an attacker's page cannot make a browser ask
      for it: the session cookie is SameSite=Lax (Django's default, kept in settings), so
      a cross-site request arrives anonymous and gets the public answer; tokens and Basic
      credentials are never attached by a browser on its own.
    - As a further guard each answer gets random bytes in its gzip header, as Django's
      GZipMiddleware does (Heal-The-Breach), so sizes do not line up across requests.

    Compression level by size: level 6 costs 95 ms on a 2.3 MB page here, more than the
    query that built it, for 10 % fewer bytes than level 1 (38 ms); large answers use 1.
    """

    TYPES = frozenset(
        {
            "application/json",
            "application/geo+json",
            "application/schema+json",
            "application/problem+json",
            "application/vnd.oai.openapi+json",
        }
    )
    FAST_ABOVE = 256 * 1024  # bytes: from here on, level 1

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type not in self.TYPES or response.streaming:
            return response
        if len(response.content) < 200 or response.has_header("Content-Encoding"):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        level = 1 if len(response.content) > self.FAST_ABOVE else 6
        compressed = _gzip_with_random_name(response.content, level, self.max_random_bytes)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response


def _gzip_with_random_name(data: bytes, level: int, max_random_bytes: int) -> bytes:
    """gzip ``data``, with a random-length file name in the header (as Django's GZip does):
    the compressed length then no longer tells an observer how well a guess compressed."""
    body = memoryview(gzip.compress(data, compresslevel=level, mtime=0))
    header = bytearray(body[:10])
    header[3] = gzip.FNAME
    name = secrets.token_hex(secrets.randbelow(max_random_bytes) // 2 + 1).encode() + b"\x00"
    return bytes(header) + name + body[10:]


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
