"""Chinese first: the language is the user's explicit choice, else Simplified Chinese.

Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-
language browser in a Pukou office would get English. Here only the language cookie (set
by the switcher) or ``?lang=`` choose; everything else gets settings.LANGUAGE_CODE.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

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
