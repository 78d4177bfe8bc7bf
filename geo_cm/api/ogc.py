"""One feature API over every registered layer, shaped like OGC API - Features Part 1.

Readers: anonymous users see public layers with their public fields; users holding the
model's ``view`` permission see every layer with the staff fields. Writers need the
model's add/change/delete permission; status changes pass the layer's state machine.
"""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..registry import registry
from . import params
from .idempotency import idempotent
from .serializers import feature_serializer_class

GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
ERROR = OpenApiResponse(OpenApiTypes.OBJECT, description="{code, description, errors?}")


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
    return data


def _django_errors(exc: DjangoValidationError):
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


class LayerPermission(permissions.BasePermission):
    """Read: layer visible to the user. Write: the model's add/change/delete permission."""

    actions = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}

    def has_permission(self, request, view):
        layer = view.layer
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


class OGCView(APIView):
    """Base: JSON responses (also when GeoJSON is asked for), the f= parameter tolerated."""

    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Vary"] = "Accept, Accept-Language, Cookie"
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
        tags=["OGC API Features"],
        summary="Landing page",
        operation_id="getLandingPage",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params.reject_unknown(request.query_params, {"f"})
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
                ],
            }
        )


class ConformanceView(OGCView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["OGC API Features"],
        summary="Conformance classes",
        operation_id="getConformance",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params.reject_unknown(request.query_params, {"f"})
        return Response({"conformsTo": CONFORMANCE})


def collection_document(request, layer):
    extent = selectors.layer_extent(layer=layer)
    items = _abs(request, "ogc-items", collection_id=layer.slug)
    doc = {
        "id": layer.slug,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "crs": [params.CRS84],
        "links": [
            _link(
                _abs(request, "ogc-collection", collection_id=layer.slug),
                "self",
                "application/json",
            ),
            _link(items, "items", GEOJSON, layer.title),
        ],
    }
    if extent:
        doc["extent"] = {"spatial": {"bbox": [list(extent)], "crs": params.CRS84}}
    return doc


class CollectionsView(OGCView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["OGC API Features"],
        summary="Collections visible to the caller",
        operation_id="getCollections",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params.reject_unknown(request.query_params, {"f"})
        return Response(
            {
                "links": [_link(_abs(request, "ogc-collections"), "self", "application/json")],
                "collections": [
                    collection_document(request, layer)
                    for layer in registry.visible_to(request.user)
                ],
            }
        )


class CollectionView(LayerView):
    @extend_schema(
        tags=["OGC API Features"],
        summary="One collection",
        operation_id="describeCollection",
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    )
    def get(self, request, collection_id):
        params.reject_unknown(request.query_params, {"f"})
        return Response(collection_document(request, self.layer))


ITEM_QUERY = [
    OpenApiParameter("bbox", str, description="minLon,minLat,maxLon,maxLat (CRS84)"),
    OpenApiParameter("limit", int, description="page size, 1..API_MAX_LIMIT"),
    OpenApiParameter("offset", int, description="features to skip (the next link sets it)"),
    OpenApiParameter("datetime", str, description="RFC 3339 date or interval on the layer date"),
    OpenApiParameter("status", str, description="comma-separated status values"),
    OpenApiParameter("subdistrict", str, description="subdistrict code (current or former)"),
    OpenApiParameter("year", int, description="year of the layer's date field"),
]


def _geojson_response(text, status_code=200, headers=None):
    response = HttpResponse(text, content_type=GEOJSON, status=status_code)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _etag(asset):
    return f'"{asset.version}"'


class ItemsView(LayerView):
    @extend_schema(
        tags=["OGC API Features"],
        summary="Features of a collection (GeoJSON)",
        operation_id="getFeatures",
        parameters=ITEM_QUERY,
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR},
    )
    def get(self, request, collection_id):
        layer = self.layer
        query = request.query_params
        filters = params.parse_item_filters(query, layer, selectors.subdistrict_codes())
        limit = params.parse_limit(query.get("limit"))
        offset = params.parse_offset(query.get("offset"))
        features, matched = selectors.layer_features_json(
            layer=layer, user=request.user, filters=filters, limit=limit, offset=offset
        )
        returned = max(0, min(limit, matched - offset))
        base = _abs(request, "ogc-items", collection_id=layer.slug)
        links = [_link(request.build_absolute_uri(), "self", GEOJSON)]
        if offset + returned < matched:
            nxt = query.copy()
            nxt["offset"] = str(offset + limit)
            nxt["limit"] = str(limit)
            links.append(_link(f"{base}?{nxt.urlencode()}", "next", GEOJSON))
        head = json.dumps(
            {
                "type": "FeatureCollection",
                "numberMatched": matched,
                "numberReturned": returned,
                "links": links,
            },
            ensure_ascii=False,
        )
        return _geojson_response(head[:-1] + ', "features": ' + features + "}")

    @extend_schema(
        tags=["OGC API Features"],
        summary="Create a feature (GeoJSON Feature)",
        operation_id="createFeature",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 403: ERROR},
    )
    @idempotent
    def post(self, request, collection_id):
        layer = self.layer
        serializer = feature_serializer_class(layer)(data=feature_body(request.data))
        serializer.is_valid(raise_exception=True)
        try:
            asset = services.asset_create(
                model=layer.model,
                values=serializer.validated_data,
                by=request.user,
                source=f"api:{request.user}",
            )
        except DjangoValidationError as exc:
            raise ValidationError(_django_errors(exc)) from exc
        text = selectors.layer_feature_json(layer=layer, user=request.user, pk=asset.pk)
        location = _abs(request, "ogc-item", collection_id=layer.slug, feature_id=asset.pk)
        return _geojson_response(text, 201, {"Location": location, "ETag": _etag(asset)})


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
        if not header:
            return None
        try:
            return int(header.strip().removeprefix("W/").strip('"'))
        except ValueError:
            raise ValidationError({"If-Match": [_("If-Match must be an ETag we sent.")]}) from None

    @extend_schema(
        tags=["OGC API Features"],
        summary="One feature (GeoJSON)",
        operation_id="getFeature",
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    )
    def get(self, request, collection_id, feature_id):
        params.reject_unknown(request.query_params, {"f"})
        asset = self._asset(feature_id)
        text = selectors.layer_feature_json(layer=self.layer, user=request.user, pk=asset.pk)
        return _geojson_response(text, headers={"ETag": _etag(asset)})

    def _write(self, request, feature_id, partial):
        layer = self.layer
        asset = self._asset(feature_id)
        data = feature_body(request.data, partial=partial)
        serializer = feature_serializer_class(layer)(asset, data=data, partial=partial)
        serializer.is_valid(raise_exception=True)
        try:
            asset = services.asset_update(
                asset=asset,
                values=serializer.validated_data,
                by=request.user,
                note=str(request.headers.get("X-Change-Note", ""))[:1000],
                source=f"api:{request.user}",
                expected_version=self._expected_version(request),
            )
        except services.VersionConflict as exc:
            raise PreconditionFailed(str(exc)) from exc
        except DjangoValidationError as exc:
            raise ValidationError(_django_errors(exc)) from exc
        text = selectors.layer_feature_json(layer=layer, user=request.user, pk=asset.pk)
        return _geojson_response(text, headers={"ETag": _etag(asset)})

    @extend_schema(
        tags=["OGC API Features"],
        summary="Replace a feature",
        operation_id="replaceFeature",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 403: ERROR, 412: ERROR},
    )
    @idempotent
    def put(self, request, collection_id, feature_id):
        return self._write(request, feature_id, partial=False)

    @extend_schema(
        tags=["OGC API Features"],
        summary="Change some properties of a feature",
        operation_id="updateFeature",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 403: ERROR, 412: ERROR},
    )
    @idempotent
    def patch(self, request, collection_id, feature_id):
        return self._write(request, feature_id, partial=True)

    @extend_schema(
        tags=["OGC API Features"],
        summary="Delete a feature",
        operation_id="deleteFeature",
        responses={204: None, 400: ERROR, 403: ERROR, 412: ERROR},
    )
    @idempotent
    def delete(self, request, collection_id, feature_id):
        asset = self._asset(feature_id)
        try:
            services.asset_delete(
                asset=asset, by=request.user, expected_version=self._expected_version(request)
            )
        except services.VersionConflict as exc:
            raise PreconditionFailed(str(exc)) from exc
        except DjangoValidationError as exc:
            raise ValidationError(_django_errors(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
