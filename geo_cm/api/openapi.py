"""OpenAPI pieces of the feature API: GeoJSON and error schemas, shared parameters.

The schemas are added as components by ``add_components`` (a drf-spectacular
post-processing hook named in settings) and referenced from the views' ``extend_schema``.
Part 4 clients read from this document which operations a collection offers: POST on
``items``, PUT/PATCH/DELETE on ``items/{featureId}``, their media types and headers.
"""

from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from drf_spectacular.views import SpectacularAPIView

from ..crs import OFFERED

GEOJSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"
SCHEMA_JSON = "application/schema+json"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


COMPONENTS = {
    "Exception": {
        "type": "object",
        "description": "An error: OGC exception code, a sentence, and the offending fields.",
        "required": ["code"],
        "properties": {
            "code": {"type": "string", "example": "InvalidParameterValue"},
            "description": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": True},
        },
    },
    "Link": {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string", "format": "uri"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    },
    "Geometry": {
        "type": "object",
        "description": "A GeoJSON geometry, in the CRS named by Content-Crs (CRS84 by default).",
        "required": ["type"],
        "properties": {
            "type": {
                "type": "string",
                "enum": [
                    "Point",
                    "MultiPoint",
                    "LineString",
                    "MultiLineString",
                    "Polygon",
                    "MultiPolygon",
                    "GeometryCollection",
                ],
            },
            "coordinates": {"type": "array", "items": {}},
            "geometries": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Feature": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": ref("Geometry"),
            "properties": {"type": "object", "additionalProperties": True},
            "links": {"type": "array", "items": ref("Link")},
        },
    },
    "FeaturePatch": {
        "type": "object",
        "description": "A JSON merge patch (RFC 7396) of a Feature: the members to change.",
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": ref("Geometry"),
            "properties": {"type": "object", "additionalProperties": True},
        },
    },
    "FeatureCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "numberMatched": {
                "type": "integer",
                "minimum": 0,
                "description": "exact; left out when counting would be slow",
            },
            "numberMatchedEstimate": {
                "type": "integer",
                "minimum": 0,
                "description": "the planner's estimate, given when numberMatched is left out",
            },
            "numberReturned": {"type": "integer", "minimum": 0},
            "links": {"type": "array", "items": ref("Link")},
            "features": {"type": "array", "items": ref("Feature")},
        },
    },
}


def add_components(result, generator, request, public):
    """drf-spectacular post-processing hook: register the schemas above."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        schemas.setdefault(name, schema)
    return result


ERROR = OpenApiResponse(ref("Exception"), description="{code, description, errors?}")
CRS_URIS = [c.uri for c in OFFERED]
CRS_PARAM = OpenApiParameter(
    "crs",
    str,
    enum=CRS_URIS,
    description="CRS of the geometries returned (Part 2); EPSG axis order. Default CRS84.",
)
CONTENT_CRS_REQUEST = OpenApiParameter(
    "Content-Crs",
    str,
    location=OpenApiParameter.HEADER,
    description="CRS of the body's geometry as <URI> (one of the offered CRSs); default CRS84.",
)
CONTENT_CRS_RESPONSE = OpenApiParameter(
    "Content-Crs",
    str,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description="CRS of the geometries in the body, as <URI>.",
)
ETAG_RESPONSE = OpenApiParameter(
    "ETag",
    str,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description="The feature's version; send it back in If-Match.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    description="The ETag read; a stale one is refused with 412 (optimistic locking).",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    description="Retrying with the same key returns the first answer, changing nothing twice.",
)
CHANGE_NOTE = OpenApiParameter(
    "X-Change-Note",
    str,
    location=OpenApiParameter.HEADER,
    description="Why the change is made; kept in the feature's history.",
)
LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.URI,
    location=OpenApiParameter.HEADER,
    response=[201],
    description="URL of the created feature.",
)
PROPERTIES_PARAM = OpenApiParameter(
    "properties",
    str,
    description="comma-separated properties to return (default: all you may read)",
)
WRITE_HEADERS = [IF_MATCH, IDEMPOTENCY_KEY, CHANGE_NOTE, CONTENT_CRS_REQUEST]
# Parameters of a write answered with the feature (POST adds LOCATION).
WRITE_PARAMS = [CRS_PARAM, *WRITE_HEADERS, ETAG_RESPONSE, CONTENT_CRS_RESPONSE]
FEATURE_BODY = {GEOJSON: ref("Feature"), "application/json": ref("Feature")}


def feature_responses(status: int, *errors: int) -> dict:
    """A GeoJSON Feature answered with ``status``, and the error codes listed."""
    return {(status, GEOJSON): ref("Feature"), **{code: ERROR for code in errors}}


OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"


class OpenApiView(SpectacularAPIView):
    """The OpenAPI document; as JSON it is labelled with the media type the landing page's
    service-desc link names, version included.

    GDAL's OAPIF driver checks every token of that type; without ``version=3.0`` it
    refuses the document and cannot learn the items parameters. (A renderer whose type
    carried the parameter would never match ``Accept: */*`` in DRF's negotiation.)
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(getattr(response, "accepted_renderer", None), OpenApiJsonRenderer) and (
            response.accepted_renderer.media_type == OpenApiJsonRenderer.media_type
        ):
            response.content_type = OPENAPI_JSON
        return response
