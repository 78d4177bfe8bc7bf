"""One feature API over every registered layer: OGC API - Features Parts 1 to 4.

Readers: anonymous users see public layers with their public fields; users holding the
model's ``view`` permission see every layer with the staff fields. Writers need the
model's add/change/delete permission; status changes pass the layer's state machine.
What ``/conformance`` declares is exactly what ``tests/ogc/test_conformance.py`` walks,
requirement by requirement.
"""

import hashlib
import json
from contextlib import contextmanager

from django.conf import settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services, versions
from ..crs import CRS84, OFFERED, STORAGE, crs_lookup, geometry_to_storage
from ..queryables import layer_queryables
from ..registry import registry
from ..tiles.conformance import TILES_CONFORMANCE, TILESETS_VECTOR_REL, TILING_SCHEMES_REL
from . import openapi, params
from .idempotency import idempotent
from .openapi import GEOJSON, MERGE_PATCH, SCHEMA_JSON, ref
from .serializers import feature_serializer_class, writable_fields

QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
CONFORMANCE = [
    # Part 1
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    # Part 2
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 3 and CQL2
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    # Part 4
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    # OGC API - Tiles (geo_cm.tiles)
    *TILES_CONFORMANCE,
]
TAGS = ["OGC API Features"]


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The asset changed since you read it."
    default_code = "PreconditionFailed"


def _abs(request, name, **kwargs):
    return request.build_absolute_uri(reverse(name, kwargs=kwargs))


def _link(href, rel, type_, title=""):
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def feature_body(data, *, partial=False) -> dict:
    """The request body as a GeoJSON Feature, or a 400 saying what is wrong with it."""
    if not isinstance(data, dict):
        raise ValidationError({"body": [_("Send one GeoJSON Feature (a JSON object).")]})
    # A PATCH may leave "type" out; a body that says it is something else is refused.
    if data.get("type", None if partial else "") not in ("Feature", None):
        raise ValidationError({"type": [_("The body must be a GeoJSON Feature.")]})
    if not isinstance(data.get("properties", {}), dict):
        raise ValidationError({"properties": [_("properties must be a JSON object.")]})
    geometry = data.get("geometry")
    if geometry is not None and not isinstance(geometry, dict):
        raise ValidationError({"geom": [_("geometry must be a GeoJSON geometry object.")]})
    return dict(data)


def _django_errors(exc: DjangoValidationError):
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


@contextmanager
def _service_errors():
    """The write services' refusals as API errors: 412 for a stale version, else 400."""
    try:
        yield
    except services.VersionConflict as exc:
        raise PreconditionFailed(str(exc)) from exc
    except DjangoValidationError as exc:
        raise ValidationError(_django_errors(exc)) from exc


class LayerPermission(permissions.BasePermission):
    """Read: layer visible to the user. Write: the model's add/change/delete permission."""

    actions = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}

    def has_permission(self, request, view):
        layer = view.layer
        if not hasattr(view, request.method.lower()):
            return True  # not an operation of this resource: 405, whoever asks
        if request.method in permissions.SAFE_METHODS:
            if not layer.visible_to(request.user):
                raise NotFound(_("No collection '%(id)s'.") % {"id": layer.slug})
            return True
        action = self.actions.get(request.method)
        return bool(
            request.user
            and request.user.is_authenticated
            and action
            and request.user.has_perm(layer.perm(action))
        )


class GeoJSONRenderer(JSONRenderer):
    """Lets clients that ask for application/geo+json (GDAL, Leaflet pages) be served."""

    media_type = GEOJSON


class SchemaJSONRenderer(JSONRenderer):
    media_type = SCHEMA_JSON


class GeoJSONParser(JSONParser):
    """Part 4 bodies: QGIS and the standard's examples send application/geo+json."""

    media_type = GEOJSON


class MergePatchParser(JSONParser):
    """PATCH bodies as JSON merge patches (RFC 7396), Part 4's update media type."""

    media_type = MERGE_PATCH


class OGCView(APIView):
    """Base: JSON responses (also when GeoJSON is asked for), the f= parameter tolerated."""

    renderer_classes = [JSONRenderer, GeoJSONRenderer]
    parser_classes = [JSONParser, GeoJSONParser, MergePatchParser]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Answers differ by who asks (session cookie, Basic or Token credentials).
        response["Vary"] = "Accept, Accept-Language, Cookie, Authorization"
        if request.user and request.user.is_authenticated:
            # Staff answers carry internal fields: kept out of shared and disk caches
            # (QGIS's cache ignores Vary and would replay them to the next reader).
            response["Cache-Control"] = "private, no-store"
        return response


class LayerView(OGCView):
    permission_classes = [LayerPermission]

    def initial(self, request, *args, **kwargs):
        layer = registry.get(kwargs.get("collection_id", ""))
        if layer is None:
            raise NotFound(_("No collection '%(id)s'.") % {"id": kwargs.get("collection_id")})
        self.layer = layer
        super().initial(request, *args, **kwargs)


class LandingView(OGCView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Landing page",
        operation_id="getLandingPage",
        responses={200: OpenApiTypes.OBJECT, 400: openapi.ERROR},
    )
    def get(self, request):
        params.reject_unknown(request.query_params, params.ITEM_PARAMS)
        return Response(
            {
                "title": _("GeoCM Pukou city-management assets"),
                "description": _(
                    "Parking, public toilets, roads, back alleys, street lights and "
                    "greenways of Pukou District, Nanjing (WGS84)."
                ),
                "links": [
                    _link(_abs(request, "ogc-landing"), "self", "application/json"),
                    _link(
                        _abs(request, "openapi-schema") + "?format=json",
                        "service-desc",
                        "application/vnd.oai.openapi+json;version=3.0",
                        "OpenAPI 3.0",
                    ),
                    _link(_abs(request, "swagger-ui"), "service-doc", "text/html", "Swagger UI"),
                    _link(_abs(request, "ogc-conformance"), "conformance", "application/json"),
                    _link(_abs(request, "ogc-collections"), "data", "application/json"),
                    _link(
                        _abs(request, "ogc-tilematrixsets"),
                        TILING_SCHEMES_REL,
                        "application/json",
                    ),
                ],
            }
        )


class ConformanceView(OGCView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Conformance classes",
        operation_id="getConformance",
        responses={200: OpenApiTypes.OBJECT, 400: openapi.ERROR},
    )
    def get(self, request):
        params.reject_unknown(request.query_params, params.ITEM_PARAMS)
        return Response({"conformsTo": CONFORMANCE})


def collection_document(request, layer, item_query: str = ""):
    extent = selectors.layer_extent(layer=layer)
    items = _abs(request, "ogc-items", collection_id=layer.slug)
    if item_query:
        items = f"{items}?{item_query}"
    doc = {
        "id": layer.slug,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "crs": [c.uri for c in OFFERED],
        "storageCrs": STORAGE.uri,
        "links": [
            _link(
                _abs(request, "ogc-collection", collection_id=layer.slug),
                "self",
                "application/json",
            ),
            _link(items, "items", GEOJSON, layer.title),
            _link(
                _abs(request, "ogc-queryables", collection_id=layer.slug),
                QUERYABLES_REL,
                SCHEMA_JSON,
                _("Queryables"),
            ),
            _link(
                _abs(request, "ogc-tilesets", collection_id=layer.slug),
                TILESETS_VECTOR_REL,
                "application/json",
                _("Vector tiles"),
            ),
        ],
    }
    if extent:
        doc["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84.uri}}
    return doc


class CollectionsView(OGCView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Collections visible to the caller",
        operation_id="getCollections",
        responses={200: OpenApiTypes.OBJECT, 400: openapi.ERROR},
    )
    def get(self, request):
        params.reject_unknown(request.query_params, params.ITEM_PARAMS)
        return Response(
            {
                "links": [_link(_abs(request, "ogc-collections"), "self", "application/json")],
                "crs": [c.uri for c in OFFERED],
                "collections": [
                    collection_document(request, layer)
                    for layer in registry.visible_to(request.user)
                ],
            }
        )


class CollectionView(LayerView):
    @extend_schema(
        tags=TAGS,
        summary="One collection",
        operation_id="describeCollection",
        responses={200: OpenApiTypes.OBJECT, 404: openapi.ERROR},
    )
    def get(self, request, collection_id):
        """The collection; item parameters in its URL carry over to its ``items`` link.

        So ``/collections/toilets?crs=…&filter=…`` describes that view of the layer, which
        is how GDAL before 3.7 (Debian 12) opens a filtered, re-projected layer: it sends
        the connection URL's query with every request and follows the ``items`` link.
        """
        query = request.query_params
        params.reject_unknown(query, params.ITEM_PARAMS)
        item_query = ""
        if set(query) - {"f", "lang"}:
            params.parse_feature_page(
                query,
                layer=self.layer,
                user=request.user,
                subdistrict_codes=selectors.subdistrict_codes(),
            )
            item_query = request.META.get("QUERY_STRING", "")
        return Response(collection_document(request, self.layer, item_query))


def queryables_schema(request, layer, user) -> dict:
    """The layer's queryables for ``user`` as JSON Schema 2020-12 (Part 3)."""
    types = {
        "string": {"type": "string"},
        "integer": {"type": "integer"},
        "number": {"type": "number"},
        "boolean": {"type": "boolean"},
        "date": {"type": "string", "format": "date"},
        "timestamp": {"type": "string", "format": "date-time"},
    }
    properties = {}
    for name, q in layer_queryables(layer=layer, user=user).items():
        if q.kind == "geometry":
            entry = {"title": q.title, "format": q.geometry_format or "geometry-any"}
        else:
            entry = {"title": q.title, **types[q.kind]}
            if q.enum:
                entry["enum"] = list(q.enum)
            elif q.kind == "string" and q.max_length:
                entry["maxLength"] = q.max_length
        properties[name] = entry
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _abs(request, "ogc-queryables", collection_id=layer.slug),
        "type": "object",
        "title": layer.title,
        "properties": properties,
        "additionalProperties": False,
    }


class QueryablesView(LayerView):
    renderer_classes = [JSONRenderer, SchemaJSONRenderer]

    @extend_schema(
        tags=TAGS,
        summary="Properties a filter or sortby may use (JSON Schema)",
        operation_id="getQueryables",
        responses={(200, SCHEMA_JSON): OpenApiTypes.OBJECT, 404: openapi.ERROR},
    )
    def get(self, request, collection_id):
        params.reject_unknown(request.query_params, params.ITEM_PARAMS)
        schema = queryables_schema(request, self.layer, request.user)
        return Response(schema, content_type=SCHEMA_JSON)


ITEM_QUERY = [
    OpenApiParameter("bbox", str, description="minLon,minLat,maxLon,maxLat (in bbox-crs)"),
    OpenApiParameter(
        "bbox-crs", str, enum=openapi.CRS_URIS, description="CRS of bbox; default CRS84"
    ),
    openapi.CRS_PARAM,
    OpenApiParameter("limit", int, description="page size, 1..API_MAX_LIMIT"),
    OpenApiParameter(
        "offset", int, description="features to skip, up to API_MAX_OFFSET unless sorted"
    ),
    OpenApiParameter(
        "cursor", int, description="the last feature id of the previous page (next links set it)"
    ),
    OpenApiParameter("datetime", str, description="RFC 3339 date or interval on the layer date"),
    OpenApiParameter("status", str, description="comma-separated status values"),
    OpenApiParameter("subdistrict", str, description="subdistrict code (current or former)"),
    OpenApiParameter("year", int, description="year of the layer's date field"),
    OpenApiParameter("filter", str, description="CQL2 filter on the queryables (see …/queryables)"),
    OpenApiParameter(
        "filter-lang", str, enum=list(params.FILTER_LANGS), description="default cql2-text"
    ),
    OpenApiParameter(
        "filter-crs",
        str,
        enum=openapi.CRS_URIS,
        description="CRS of the filter's geometries (their axis order); default CRS84",
    ),
    OpenApiParameter(
        "sortby", str, description="comma-separated queryables, '-' before one for descending"
    ),
    openapi.PROPERTIES_PARAM,
    openapi.CONTENT_CRS_RESPONSE,
]


def _geojson_response(text, status_code=200, headers=None):
    response = HttpResponse(text, content_type=GEOJSON, status=status_code)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _etag(asset):
    return f'"{asset.version}"'


def _public_etag(request, version: int) -> str:
    """A weak ETag for a public answer: the layer's data version and what was asked.

    Weak because the same data may go out gzipped or not (GZipMiddleware would weaken a
    strong one anyway). The query, language and media type are in it, so two different
    answers never share a tag.
    """
    asked = "|".join(
        [
            request.path,
            request.META.get("QUERY_STRING", ""),
            getattr(request, "LANGUAGE_CODE", ""),
            getattr(getattr(request, "accepted_renderer", None), "media_type", ""),
        ]
    )
    digest = hashlib.sha256(asked.encode()).hexdigest()[:16]
    return f'W/"{version}-{digest}"'


def _etag_matches(request, etag: str) -> bool:
    """If-None-Match holds ``etag`` (weak comparison, RFC 9110 13.1.2) or ``*``."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def _public_cache(response, etag: str) -> None:
    """Headers that let browsers, proxies and a CDN keep a public answer and revalidate."""
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={settings.GEOCM['API_PUBLIC_MAX_AGE']}"


def _not_modified(etag: str) -> HttpResponse:
    response = HttpResponse(status=304)
    _public_cache(response, etag)
    return response


def _next_query(query, page, result):
    """The next page's query, or None on the last page.

    In the default order (by id) the next link carries a cursor: the last id of this page.
    Sorted pages (``sortby``) go on by offset. Without an exact count, a full page is
    taken to have a successor, so the last page may come back empty (the standard allows).
    """
    full = result.returned >= page.limit
    if page.sort:
        more = (
            page.offset + result.returned < result.matched if result.matched is not None else full
        )
        if not more:
            return None
        nxt = query.copy()
        nxt["offset"] = str(page.offset + page.limit)
    else:
        exact_end = result.matched is not None and page.cursor is None
        more = page.offset + result.returned < result.matched if exact_end else full
        if not more or result.last_id is None:
            return None
        nxt = query.copy()
        nxt.pop("offset", None)
        nxt["cursor"] = str(result.last_id)
    nxt["limit"] = str(page.limit)
    return nxt


class ItemsView(LayerView):
    @extend_schema(
        tags=TAGS,
        summary="Features of a collection (GeoJSON)",
        operation_id="getFeatures",
        parameters=ITEM_QUERY,
        responses={
            (200, GEOJSON): ref("FeatureCollection"),
            400: openapi.ERROR,
            404: openapi.ERROR,
        },
    )
    def get(self, request, collection_id):
        layer = self.layer
        query = request.query_params
        page = params.parse_feature_page(
            query, layer=layer, user=request.user, subdistrict_codes=selectors.subdistrict_codes()
        )
        etag = None
        if not request.user.is_authenticated:
            # Read before the data: a write committed in between yields a newer ETag next
            # time, never an old ETag on new data (geo_cm.versions).
            etag = _public_etag(request, versions.layer_data_version(layer=layer))
            if _etag_matches(request, etag):
                return _not_modified(etag)
        result = selectors.layer_features_json(layer=layer, user=request.user, page=page)
        base = _abs(request, "ogc-items", collection_id=layer.slug)
        links = [
            _link(request.build_absolute_uri(), "self", GEOJSON),
            _link(
                _abs(request, "ogc-collection", collection_id=layer.slug),
                "collection",
                "application/json",
            ),
        ]
        nxt = _next_query(query, page, result)
        if nxt is not None:
            links.append(_link(f"{base}?{nxt.urlencode()}", "next", GEOJSON))
        head = {"type": "FeatureCollection"}
        if result.matched is not None:
            head["numberMatched"] = result.matched
        else:
            # Counting would be slow: OGC API Features lets numberMatched be left out (it
            # must be exact when present). The planner's estimate is given beside it.
            head["numberMatchedEstimate"] = result.estimate
        head["numberReturned"] = result.returned
        head["links"] = links
        head = json.dumps(head, ensure_ascii=False)
        response = _geojson_response(
            head[:-1] + ', "features": ' + result.features + "}",
            headers={"Content-Crs": page.crs.header},
        )
        if etag is not None:
            _public_cache(response, etag)
        return response

    @extend_schema(
        tags=TAGS,
        summary="Create a feature (Part 4)",
        operation_id="createFeature",
        parameters=[*openapi.WRITE_PARAMS, openapi.LOCATION],
        request=openapi.FEATURE_BODY,
        responses=openapi.feature_responses(201, 400, 401, 403),
    )
    @idempotent
    def post(self, request, collection_id):
        layer = self.layer
        params.reject_unknown(request.query_params, {"crs"})
        out_crs = params.parse_crs(request.query_params.get("crs"), "crs")
        data = _with_storage_geometry(request, feature_body(request.data))
        serializer = feature_serializer_class(layer)(data=data)
        serializer.is_valid(raise_exception=True)
        with _service_errors():
            asset = services.asset_create(
                model=layer.model,
                values=serializer.validated_data,
                by=request.user,
                source=f"api:{request.user}",
                note=_change_note(request),
            )
        return _feature_response(request, layer, asset, out_crs, status_code=201)


def _change_note(request) -> str:
    """X-Change-Note as the client wrote it.

    HTTP header values reach Django decoded as Latin-1 (WSGI), so a Chinese note sent as
    UTF-8 bytes (curl, QGIS, requests) arrives garbled: it is recovered here. A value
    that is not valid UTF-8 that way is kept as received.
    """
    note = str(request.headers.get("X-Change-Note", ""))
    try:
        note = note.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return note[:1000]


def _with_storage_geometry(request, data: dict) -> dict:
    """The body with its geometry in EPSG:4326, read in the CRS its Content-Crs names.

    Without the header (or with CRS84) the body is GeoJSON as RFC 7946 says, lon/lat.
    """
    header = request.headers.get("Content-Crs")
    if header is None:
        return data
    crs = crs_lookup(header.strip().removeprefix("<").removesuffix(">"))
    if crs is None:
        raise ValidationError(
            {
                "Content-Crs": [
                    _("Unsupported CRS '%(value)s'. Offered: %(offered)s.")
                    % {"value": header[:200], "offered": ", ".join(c.uri for c in OFFERED)}
                ]
            }
        )
    geometry = data.get("geometry")
    if crs is CRS84 or not isinstance(geometry, dict):
        return data
    try:
        geom = GEOSGeometry(json.dumps(geometry))
        data["geometry"] = geometry_to_storage(geom=geom, crs=crs)
    except (GEOSException, ValueError, TypeError):
        raise ValidationError(
            {
                "geom": [
                    _(
                        "The geometry is not valid GeoJSON in %(crs)s (axis order and range "
                        "as EPSG defines them)."
                    )
                    % {"crs": crs.curie}
                ]
            }
        ) from None
    return data


def _feature_response(request, layer, asset, crs, status_code=200):
    """A single feature with its self and collection links, ETag and Content-Crs."""
    properties = params.parse_properties(
        request.query_params.get("properties"), layer.fields_for(request.user)
    )
    text = selectors.layer_feature_json(
        layer=layer, user=request.user, pk=asset.pk, properties=properties, crs=crs
    )
    url = _abs(request, "ogc-item", collection_id=layer.slug, feature_id=asset.pk)
    links = [
        _link(url, "self", GEOJSON),
        _link(
            _abs(request, "ogc-collection", collection_id=layer.slug),
            "collection",
            "application/json",
        ),
    ]
    text = text[:-1] + ', "links": ' + json.dumps(links) + "}"
    headers = {"ETag": _etag(asset), "Content-Crs": crs.header}
    if status_code == 201:
        headers["Location"] = url
    return _geojson_response(text, status_code, headers)


class ItemView(LayerView):
    def _asset(self, feature_id):
        try:
            return self.layer.model.objects.get(pk=params.parse_id(feature_id))
        except (ValueError, self.layer.model.DoesNotExist):
            raise NotFound(
                _("No feature '%(id)s' in '%(layer)s'.")
                % {"id": feature_id, "layer": self.layer.slug}
            ) from None

    def _expected_version(self, request):
        header = request.headers.get("If-Match")
        if not header or header.strip() == "*":
            return None
        try:
            return int(header.strip().removeprefix("W/").strip('"'))
        except ValueError:
            raise ValidationError({"If-Match": [_("If-Match must be an ETag we sent.")]}) from None

    @extend_schema(
        tags=TAGS,
        summary="One feature (GeoJSON)",
        operation_id="getFeature",
        parameters=[
            openapi.CRS_PARAM,
            openapi.PROPERTIES_PARAM,
            openapi.CONTENT_CRS_RESPONSE,
            openapi.ETAG_RESPONSE,
        ],
        responses={(200, GEOJSON): ref("Feature"), 400: openapi.ERROR, 404: openapi.ERROR},
    )
    def get(self, request, collection_id, feature_id):
        params.reject_unknown(request.query_params, params.FEATURE_PARAMS)
        params.parse_format(request.query_params)
        crs = params.parse_crs(request.query_params.get("crs"), "crs")
        return _feature_response(request, self.layer, self._asset(feature_id), crs)

    def _write(self, request, feature_id, partial):
        layer = self.layer
        params.reject_unknown(request.query_params, {"crs"})
        out_crs = params.parse_crs(request.query_params.get("crs"), "crs")
        asset = self._asset(feature_id)
        data = _with_storage_geometry(request, feature_body(request.data, partial=partial))
        data["properties"] = _complete_properties(layer, data.get("properties") or {}, partial)
        serializer = feature_serializer_class(layer)(asset, data=data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with _service_errors():
            asset = services.asset_update(
                asset=asset,
                values=serializer.validated_data,
                by=request.user,
                note=_change_note(request),
                source=f"api:{request.user}",
                expected_version=self._expected_version(request),
            )
        return _feature_response(request, layer, asset, out_crs)

    @extend_schema(
        tags=TAGS,
        summary="Replace a feature (Part 4)",
        description="Properties left out return to their defaults; the status only changes "
        "when one is given (through the state machine).",
        operation_id="replaceFeature",
        parameters=openapi.WRITE_PARAMS,
        request=openapi.FEATURE_BODY,
        responses=openapi.feature_responses(200, 400, 403, 404, 412),
    )
    @idempotent
    def put(self, request, collection_id, feature_id):
        return self._write(request, feature_id, partial=False)

    @extend_schema(
        tags=TAGS,
        summary="Update some members of a feature (Part 4, JSON merge patch)",
        operation_id="updateFeature",
        parameters=openapi.WRITE_PARAMS,
        request={MERGE_PATCH: ref("FeaturePatch"), "application/json": ref("FeaturePatch")},
        responses=openapi.feature_responses(200, 400, 403, 404, 412),
    )
    @idempotent
    def patch(self, request, collection_id, feature_id):
        return self._write(request, feature_id, partial=True)

    @extend_schema(
        tags=TAGS,
        summary="Delete a feature (Part 4)",
        operation_id="deleteFeature",
        parameters=[openapi.IF_MATCH, openapi.IDEMPOTENCY_KEY, openapi.CHANGE_NOTE],
        responses={
            204: OpenApiResponse(description="Deleted; kept in the history."),
            400: openapi.ERROR,
            403: openapi.ERROR,
            404: openapi.ERROR,
            412: openapi.ERROR,
        },
    )
    @idempotent
    def delete(self, request, collection_id, feature_id):
        asset = self._asset(feature_id)
        with _service_errors():
            services.asset_delete(
                asset=asset,
                by=request.user,
                note=_change_note(request),
                expected_version=self._expected_version(request),
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _complete_properties(layer, properties: dict, partial: bool) -> dict:
    """Part 4 semantics on top of the serializer's partial/complete validation.

    PUT replaces: a writable property left out goes back to its default (a required one
    stays missing, so the serializer names it). The status is the exception: it changes
    only when given, so an omission never trips the state machine.
    PATCH is a JSON merge patch: ``null`` removes a value, which for a field that cannot
    be null means its default (blank text, for instance).
    """
    model = layer.model
    out = dict(properties)
    for name in writable_fields(layer):
        field = model._meta.get_field(name)
        has_default = field.has_default() or field.null or field.blank
        if partial:
            if name in out and out[name] is None and not field.null and has_default:
                out[name] = field.get_default()
        elif name not in out and name != layer.status_field and has_default:
            out[name] = field.get_default()
    return out


class NotFoundView(OGCView):
    """Anything else under /ogc/: the same JSON 404 as the rest of the API."""

    permission_classes = [permissions.AllowAny]
    schema = None  # not an operation of the API

    def _missing(self, request, *args, **kwargs):
        raise NotFound(_("No such resource: %(path)s.") % {"path": request.path[:200]})

    get = post = put = patch = delete = _missing
