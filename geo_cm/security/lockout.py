"""Login lockout with django-axes on every login path, and the client address it counts by.

Paths that check a password: the log-in form (``/accounts/login/``; the admin's login
page sends there), and HTTP basic on the API (DRF's ``BasicAuthentication``). Sessions
and API tokens check no password (a token is looked up, never hashed), so they need no
lockout: DRF's throttles bound how fast anyone can try tokens.

How a locked-out client is refused without hashing a password:
- ``LockoutBackend`` (first in ``AUTHENTICATION_BACKENDS``) asks axes whether the client
  may try; if not, it raises ``PermissionDenied``, which makes ``authenticate()`` stop
  before ``ModelBackend`` hashes anything. ``AxesMiddleware`` then answers with
  ``lockout_response``: 429 and ``Retry-After``.
- DRF's basic authentication hides that answer (axes flags DRF's request object, not the
  one the middleware sees), so ``LockoutBasicAuthentication`` asks axes first and raises
  ``LockedOut`` (429, ``Retry-After``) itself.

Failures are counted per client address (``AXES_LOCKOUT_PARAMETERS``) in the database
(``AccessAttempt``, axes's database handler), so every web worker sees them: a guessing
loop that changes user names is stopped too, and a locked request costs a query, not a
hash. The address is ``client_ip``: DRF's rule, ``X-Forwarded-For`` believed only as far
as ``GEOCM["PROXY_COUNT"]`` proxies vouch for it.
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication
from rest_framework.throttling import BaseThrottle


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or the ``X-Forwarded-For`` entry added by
    the outermost of ``REST_FRAMEWORK["NUM_PROXIES"]`` trusted proxies (the same rule as
    DRF's throttles, so the lockout and the throttles count the same client)."""
    return BaseThrottle().get_ident(request)


def lockout_seconds(request) -> int:
    """Seconds until the locked-out client of ``request`` may try again (at least 1)."""
    cool_off = get_cool_off(request)
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    latest = AccessAttempt.objects.filter(ip_address=ip).aggregate(t=Max("attempt_time"))["t"]
    if cool_off is None or latest is None:
        return 1
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return _("Too many failed log-ins from this address. Try again in %(minutes)d minutes.") % {
        "minutes": minutes
    }


class LockoutBackend(AxesStandaloneBackend):
    """axes's check before any password is hashed; authenticates nobody itself."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            # authenticate() without a request (a shell, a management command): there is
            # no client to count, and nothing reaches it from the network.
            return None
        return super().authenticate(request, username, password, **kwargs)


class LockedOut(exceptions.Throttled):
    """429 for a client locked out of password log-ins, with ``Retry-After``."""

    def __init__(self, seconds: int):
        super().__init__(wait=seconds, detail=lockout_message(seconds))


class LockoutBasicAuthentication(BasicAuthentication):
    """HTTP basic on the API, refused with 429 before hashing while the client is locked
    out; failures count towards the lockout like the log-in form's."""

    def authenticate_credentials(self, userid, password, request=None):
        if request is not None and settings.AXES_ENABLED:
            http_request = getattr(request, "_request", request)
            if not AxesProxyHandler.is_allowed(http_request, get_credentials(username=userid)):
                raise LockedOut(lockout_seconds(http_request))
        return super().authenticate_credentials(userid, password, request)


def lockout_response(request, original_response=None, credentials=None):
    """axes's answer to a locked-out log-in (``AXES_LOCKOUT_CALLABLE``): 429 with
    ``Retry-After``; the log-in page with the reason for a browser, JSON for a client."""
    seconds = lockout_seconds(request)
    message = lockout_message(seconds)
    accept = request.headers.get("Accept", "")
    if "json" in accept and "html" not in accept:
        # The API's error shape (geo_cm.api.errors), written out: importing that module
        # here would import DRF's views while DRF is loading this authentication class.
        response = JsonResponse({"code": "Throttled", "description": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
