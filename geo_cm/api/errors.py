"""Error bodies: every API error is JSON ``{code, description, errors?}``, never a 500 page.

``code`` is an OGC exception code (OGC API - Features Part 1's exception schema): the
OWS Common code where one exists (InvalidParameterValue, OperationNotSupported,
NoApplicableCode), otherwise the HTTP status name in the same style. The same codes serve
every endpoint, the feature API and the domain APIs alike:

| status | code |
|---|---|
| 400 | InvalidParameterValue (a query parameter, header or body field; ``errors`` names it) |
| 401 | NotAuthenticated |
| 403 | Forbidden |
| 404 | NotFound |
| 405 | OperationNotSupported |
| 406 | NotAcceptable |
| 412 | PreconditionFailed |
| 415 | UnsupportedMediaType |
| 422 | IdempotencyKeyReused |
| 428 | PreconditionRequired |
| 429 | Throttled |
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from rest_framework.views import exception_handler as drf_exception_handler

# URL prefixes whose clients read JSON: a URL there that matches no view is a JSON 404.
API_PREFIXES = ("/api/", "/ogc/", "/open311/")

# DRF's default codes -> OGC exception codes; our own exceptions carry theirs.
OGC_CODES = {
    "invalid": "InvalidParameterValue",
    "parse_error": "InvalidParameterValue",
    "not_authenticated": "NotAuthenticated",
    "authentication_failed": "NotAuthenticated",
    "permission_denied": "Forbidden",
    "not_found": "NotFound",
    "method_not_allowed": "OperationNotSupported",
    "not_acceptable": "NotAcceptable",
    "unsupported_media_type": "UnsupportedMediaType",
    "throttled": "Throttled",
}
BY_STATUS = {
    400: "InvalidParameterValue",
    401: "NotAuthenticated",
    403: "Forbidden",
    404: "NotFound",
    405: "OperationNotSupported",
    412: "PreconditionFailed",
    500: "NoApplicableCode",
}


def ogc_code(exc, status: int) -> str:
    code = str(getattr(exc, "default_code", "") or "")
    code = OGC_CODES.get(code, code)
    return code if code and code[0].isupper() else BY_STATUS.get(status, "NoApplicableCode")


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    code = ogc_code(exc, response.status_code)
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        body = {"code": code, "description": str(data["detail"])}
    else:
        body = {"code": code, "description": _summarise(data), "errors": data}
    response.data = body
    return response


def error_body(code: str, description: str) -> dict:
    """An error body outside DRF's exception handling (plain Django views)."""
    return {"code": code, "description": description}


def _summarise(errors) -> str:
    """One readable sentence naming the first offending field."""
    if isinstance(errors, dict):
        for field, problems in errors.items():
            inner = _summarise(problems)
            return inner if field == "non_field_errors" else f"{field}: {inner}"
    if isinstance(errors, list) and errors:
        return _summarise(errors[0])
    return str(errors) or _("The request is invalid.")


def not_found(request, exception):
    """``handler404``: under the APIs a JSON error (GeoReport's list under /open311/), as
    every other API answer; Django's page elsewhere."""
    if not request.path.startswith(API_PREFIXES):
        return page_not_found(request, exception)
    description = _("Nothing at %(path)s.") % {"path": request.path[:200]}
    if request.path.startswith("/open311/"):
        return JsonResponse([{"code": 404, "description": description}], status=404, safe=False)
    return JsonResponse(error_body("NotFound", description), status=404)
