"""Error bodies: every API error is JSON with a code and a sentence, never a 500 page."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        body = {"code": getattr(exc, "default_code", "error"), "description": str(data["detail"])}
    else:
        body = {
            "code": getattr(exc, "default_code", "invalid"),
            "description": _summarise(data),
            "errors": data,
        }
    response.data = body
    return response


def _summarise(errors) -> str:
    """One readable sentence naming the first offending field."""
    if isinstance(errors, dict):
        for field, problems in errors.items():
            inner = _summarise(problems)
            return inner if field == "non_field_errors" else f"{field}: {inner}"
    if isinstance(errors, list) and errors:
        return _summarise(errors[0])
    return str(errors)
