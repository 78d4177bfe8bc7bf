"""``Idempotency-Key`` for writes: a retried request gets the first answer, not a second change.

A phone that loses its signal after sending an update retries it; with the same key the
retry is answered from the stored record. The record is created in the same transaction
as the write, so two racing copies of one request serialise on its unique index and
exactly one change happens.
"""

import functools
import hashlib

from django.db import transaction
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer

from ..models import IdempotencyRecord

REPLAYED_HEADERS = ("ETag", "Location")


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "IdempotencyKeyReused"
    default_detail = "This Idempotency-Key was used for a different request."


def _digest(request) -> str:
    """A fingerprint of the request: method, path and body (or its parsed parts).

    A multipart upload's raw body has been consumed by the time we run (the CSRF check
    reads the form), so there the parsed fields and the files' bytes are hashed instead.
    """
    h = hashlib.sha256()
    h.update(f"{request.method}\0{request.path}\0".encode())
    try:
        h.update(request.body)
    except RawPostDataException:
        for name in sorted(request.data.keys()):
            for value in request.data.getlist(name):
                h.update(name.encode() + b"\0")
                if hasattr(value, "read"):
                    h.update(value.read())
                    value.seek(0)
                else:
                    h.update(str(value).encode())
                h.update(b"\0")
    return h.hexdigest()


def idempotent(handler):
    """Decorate a write method of an APIView (after DRF's authentication and permissions)."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return handler(self, request, *args, **kwargs)
        if len(key) > 200 or not key.isprintable():
            raise ValidationError(
                {"Idempotency-Key": [_("The key must be at most 200 printable characters.")]}
            )
        digest = _digest(request)
        with transaction.atomic():
            record, created = IdempotencyRecord.objects.select_for_update().get_or_create(
                user=request.user,
                key=key,
                defaults={"method": request.method, "path": request.path, "request_hash": digest},
            )
            if not created:
                if record.request_hash != digest:
                    raise IdempotencyKeyReused()
                replay = HttpResponse(
                    record.body, status=record.status_code, content_type=record.content_type or None
                )
                for name, value in record.headers.items():
                    replay[name] = value
                replay["Idempotent-Replayed"] = "true"
                return replay
            response = handler(self, request, *args, **kwargs)
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            if getattr(response, "data", None) is not None:  # a DRF Response, not rendered yet
                record.body = JSONRenderer().render(response.data).decode()
                record.content_type = "application/json"
            elif not hasattr(response, "data"):  # a plain HttpResponse (GeoJSON built in SQL)
                record.body = response.content.decode()
            record.headers = {h: response[h] for h in REPLAYED_HEADERS if h in response}
            record.save()
            return response

    return wrapper
