"""The OpenAPI document lists every status and content type an operation can answer.

Views declare their own answers with ``extend_schema``; the errors that the shared
machinery adds everywhere are documented here once, from what the view is made of, so
no view has to repeat them (and none can forget one):

| status | when | added to |
|---|---|---|
| 400 | a parameter, header or body field is invalid | every operation |
| 401 | credentials sent and wrong, or needed and missing | views with authentication |
| 403 | signed in without the permission | writes, and reads needing more than "anyone" |
| 404 | the object in the path does not exist or is hidden | paths with parameters |
| 415 | a body in a media type the view does not parse | operations with a body |
| 429 | throttled, or locked out of password log-ins (``Retry-After``) | every operation |

Errors are ``application/json`` (``Exception``: ``{code, description, errors?}``). A view
that renders its answers itself declares it with class attributes:
``openapi_media_types`` (every answer may come in each of these types, e.g. GeoReport's
JSON and XML) and ``openapi_errors`` (the error statuses its own handler answers, with
``openapi_error_schema`` for their body).
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions
from rest_framework.views import APIView

ERROR_SCHEMA = {"$ref": "#/components/schemas/Exception"}
DESCRIPTIONS = {
    400: "A parameter, header or body field is invalid; `errors` names it.",
    401: "Credentials were sent and are wrong, or are needed and missing.",
    403: "Signed in, without the permission for this.",
    404: "Nothing at this path, or not visible to you.",
    415: "The body's media type is not one this operation reads.",
    429: "Too many requests, or too many failed log-ins: wait Retry-After seconds.",
}
# Permissions that let anyone read: reads behind them answer no 403 of their own.
OPEN_READS = (permissions.AllowAny, permissions.IsAuthenticatedOrReadOnly)


class GeoCMAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        declared = getattr(self.view, "openapi_errors", None)
        statuses = declared if declared is not None else self._shared_errors(operation)
        schema = getattr(self.view, "openapi_error_schema", ERROR_SCHEMA)
        for status in sorted(statuses):
            responses.setdefault(
                str(status),
                {
                    "description": DESCRIPTIONS.get(status, ""),
                    "content": {"application/json": {"schema": schema}},
                },
            )
        for media_type in getattr(self.view, "openapi_media_types", ()):
            for response in responses.values():
                content = response.get("content")
                if content and media_type not in content:
                    content[media_type] = {"schema": {"type": "string"}}
        return operation

    def _shared_errors(self, operation) -> set[int]:
        view, method = self.view, self.method.upper()
        statuses = {400}
        if getattr(view, "authentication_classes", None):
            statuses.add(401)
        unsafe = method not in permissions.SAFE_METHODS
        classes = getattr(view, "permission_classes", ())
        if unsafe or any(not issubclass(c, OPEN_READS) for c in classes if isinstance(c, type)):
            statuses.add(403)
        if "{" in self.path:
            statuses.add(404)
        if "requestBody" in operation:
            statuses.add(415)
        throttled = getattr(view, "throttle_classes", None) or (
            type(view).get_throttles is not APIView.get_throttles
        )
        if throttled:
            statuses.add(429)
        return statuses
