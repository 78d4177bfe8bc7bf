"""OGC API – Tiles over every registered layer (Part 1: core, tileset, tilesets-list,
geodata-tilesets, mvt), the WebMercatorQuad tile matrix set, and TileJSON 3.0.

Who sees what is the feature API's rule (``LayerView``/``LayerPermission``): anonymous
users get public layers with their public fields; holders of the model's ``view``
permission get every layer with the staff fields; a layer the user may not read is a 404.

Caching: every tile carries an ETag made of the layer's data version (bumped by every
asset write, ``geo_cm.versions``), the audience and the query, so ``If-None-Match``
is answered with a 304 after one primary-key read. Public tiles are ``public`` (a proxy or
CDN may keep them and revalidate); staff tiles are ``private``.
"""

import hashlib

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ..api import openapi, params
from ..api.ogc import LayerView, OGCView
from ..queryables import layer_queryables
from ..selectors import layer_extent, subdistrict_codes
from ..versions import layer_data_token
from . import selectors, tms

MVT = "application/vnd.mapbox-vector-tile"
TILEJSON = "application/vnd.mapbox.tile+json"
TAGS = ["OGC API Tiles"]
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
TILE_PARAMS = {
    "properties",
    "status",
    "subdistrict",
    "year",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "f",
}


def _abs(request, name, **kwargs):
    return request.build_absolute_uri(reverse(name, kwargs=kwargs))


def _link(href, rel, type_, title="", templated=False):
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    if templated:
        link["templated"] = True
    return link


def max_zoom() -> int:
    return int(settings.GEOCM.get("TILE_MAX_ZOOM", 22))


def _check_tms(tms_id: str) -> None:
    if tms_id != tms.ID:
        raise NotFound(
            _("No tile matrix set '%(id)s'. Offered: %(offered)s.")
            % {"id": tms_id[:100], "offered": tms.ID}
        )


def _tile_index(value: str, name: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise params.ParamError(
            name, _("%(name)s must be a whole number, 0 or more.") % {"name": name}
        )
    return int(value)


def parse_tile_address(z: str, row: str, col: str) -> tuple[int, int, int]:
    """(tileMatrix, tileRow, tileCol) as numbers: 400 when not numbers, 404 when off the set."""
    zi = _tile_index(z, "tileMatrix")
    ri = _tile_index(row, "tileRow")
    ci = _tile_index(col, "tileCol")
    top = max_zoom()
    if zi > top:
        raise NotFound(
            _("No tile matrix %(z)s: tiles are served for zoom 0 to %(max)s.")
            % {"z": zi, "max": top}
        )
    size = tms.matrix_size(zi)
    for name, value in (("tileRow", ri), ("tileCol", ci)):
        if value >= size:
            raise NotFound(
                _("%(name)s %(value)s is outside tile matrix %(z)s (0 to %(last)s).")
                % {"name": name, "value": value, "z": zi, "last": size - 1}
            )
    return zi, ri, ci


def _tile_template(request, layer) -> str:
    base = _abs(request, "ogc-tileset", collection_id=layer.slug, tms_id=tms.ID)
    return base + "/{tileMatrix}/{tileRow}/{tileCol}"


def _tileset_summary(request, layer) -> dict:
    return {
        "title": layer.title,
        "dataType": "vector",
        "crs": tms.CRS,
        "tileMatrixSetURI": tms.URI,
        "links": [
            _link(
                _abs(request, "ogc-tileset", collection_id=layer.slug, tms_id=tms.ID),
                "self",
                "application/json",
                layer.title,
            ),
            _link(
                _abs(request, "ogc-tilematrixset", tms_id=tms.ID),
                REL + "tiling-scheme",
                "application/json",
                tms.ID,
            ),
        ],
    }


def _property_schema(layer, user) -> dict:
    kinds = {
        "integer": "integer",
        "number": "number",
        "boolean": "boolean",
        "date": "string",
        "timestamp": "string",
    }
    out = {"id": {"type": "integer", "title": "id"}}
    for name, q in layer_queryables(layer=layer, user=user).items():
        if q.kind != "geometry":
            out[name] = {"type": kinds.get(q.kind, "string"), "title": q.title}
    return out


def _geometry_dimension(layer) -> int:
    geom_type = layer.model._meta.get_field(layer.geometry_field).geom_type
    return 0 if "POINT" in geom_type else 1 if "LINE" in geom_type else 2


class TileMatrixSetsView(OGCView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Tile matrix sets offered",
        operation_id="getTileMatrixSetsList",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params.reject_unknown(request.query_params, {"f"})
        url = _abs(request, "ogc-tilematrixset", tms_id=tms.ID)
        return Response(
            {
                "tileMatrixSets": [
                    {
                        "id": tms.ID,
                        "title": tms.document()["title"],
                        "uri": tms.URI,
                        "crs": tms.CRS,
                        "links": [_link(url, "self", "application/json", tms.ID)],
                    }
                ]
            }
        )


class TileMatrixSetView(OGCView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="A tile matrix set (OGC 2D TMS JSON)",
        operation_id="getTileMatrixSet",
        responses={200: OpenApiTypes.OBJECT, 404: openapi.ERROR},
    )
    def get(self, request, tms_id):
        params.reject_unknown(request.query_params, {"f"})
        _check_tms(tms_id)
        return Response(tms.document())


class TilesetsView(LayerView):
    @extend_schema(
        tags=TAGS,
        summary="Vector tilesets of a collection",
        operation_id="getCollectionVectorTilesetsList",
        responses={200: OpenApiTypes.OBJECT, 404: openapi.ERROR},
    )
    def get(self, request, collection_id):
        params.reject_unknown(request.query_params, {"f"})
        layer = self.layer
        return Response(
            {
                "links": [
                    _link(
                        _abs(request, "ogc-tilesets", collection_id=layer.slug),
                        "self",
                        "application/json",
                    ),
                    _link(
                        _abs(request, "ogc-collection", collection_id=layer.slug),
                        "collection",
                        "application/json",
                    ),
                ],
                "tilesets": [_tileset_summary(request, layer)],
            }
        )


class TilesetView(LayerView):
    @extend_schema(
        tags=TAGS,
        summary="Tileset metadata (OGC 2D TMS tileset JSON, or TileJSON 3.0 with f=tilejson)",
        operation_id="getCollectionVectorTileSet",
        parameters=[OpenApiParameter("f", str, enum=["json", "tilejson"])],
        # Both answers are documented: the tileset JSON, and TileJSON with its own type.
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, TILEJSON): OpenApiTypes.OBJECT,
            404: openapi.ERROR,
        },
    )
    def get(self, request, collection_id, tms_id):
        params.reject_unknown(request.query_params, {"f"})
        _check_tms(tms_id)
        layer = self.layer
        fmt = request.query_params.get("f", "json")
        if fmt not in ("json", "tilejson"):
            raise params.ParamError("f", _("Offered formats: json, tilejson."))
        extent = layer_extent(layer=layer)
        top = max_zoom()
        if fmt == "tilejson":
            return Response(self._tilejson(request, layer, extent, top), content_type=TILEJSON)
        doc = {
            "title": layer.title,
            "description": layer.description,
            "dataType": "vector",
            "crs": tms.CRS,
            "tileMatrixSetURI": tms.URI,
            "tileMatrixSetLimits": [
                {
                    "tileMatrix": str(z),
                    "minTileRow": 0,
                    "maxTileRow": tms.matrix_size(z) - 1,
                    "minTileCol": 0,
                    "maxTileCol": tms.matrix_size(z) - 1,
                }
                for z in range(top + 1)
            ],
            "layers": [
                {
                    "id": layer.slug,
                    "title": layer.title,
                    "dataType": "vector",
                    "geometryDimension": _geometry_dimension(layer),
                    "minTileMatrix": "0",
                    "maxTileMatrix": str(top),
                    "propertiesSchema": {
                        "type": "object",
                        "properties": _property_schema(layer, request.user),
                    },
                }
            ],
            "links": [
                _link(
                    _abs(request, "ogc-tileset", collection_id=layer.slug, tms_id=tms.ID),
                    "self",
                    "application/json",
                ),
                _link(
                    _abs(request, "ogc-tileset", collection_id=layer.slug, tms_id=tms.ID)
                    + "?f=tilejson",
                    "alternate",
                    TILEJSON,
                    "TileJSON",
                ),
                _link(
                    _abs(request, "ogc-tilematrixset", tms_id=tms.ID),
                    REL + "tiling-scheme",
                    "application/json",
                ),
                _link(
                    _abs(request, "ogc-collection", collection_id=layer.slug),
                    REL + "geodata",
                    "application/json",
                ),
                _link(_tile_template(request, layer), "item", MVT, templated=True),
            ],
        }
        if extent:
            doc["boundingBox"] = {
                "lowerLeft": [extent[0], extent[1]],
                "upperRight": [extent[2], extent[3]],
                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            }
        return Response(doc)

    def _tilejson(self, request, layer, extent, top):
        base = _abs(request, "ogc-tileset", collection_id=layer.slug, tms_id=tms.ID)
        fields = {name: q["type"] for name, q in _property_schema(layer, request.user).items()}
        body = {
            "tilejson": "3.0.0",
            "name": layer.title,
            "description": layer.description,
            "scheme": "xyz",
            "tiles": [base + "/{z}/{y}/{x}"],
            "minzoom": 0,
            "maxzoom": top,
            "vector_layers": [{"id": layer.slug, "fields": fields, "minzoom": 0, "maxzoom": top}],
        }
        if extent:
            body["bounds"] = list(extent)
            body["center"] = [(extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2, 12]
        return body


class TileView(LayerView):
    """One Mapbox Vector Tile; ``If-None-Match`` answered from the data version alone."""

    @extend_schema(
        tags=TAGS,
        summary="A vector tile of a collection (Mapbox Vector Tile)",
        description=(
            "Points are aggregated into grid clusters (properties count, n_<status>) where "
            "a tile would hold more than TILE_MAX_POINTS of them; see the module docs."
        ),
        operation_id="getCollectionVectorTile",
        parameters=[
            OpenApiParameter("status", str, description="comma-separated status values"),
            OpenApiParameter("subdistrict", str, description="subdistrict code"),
            OpenApiParameter("year", int, description="year of the layer's date field"),
            OpenApiParameter("datetime", str, description="RFC 3339 date or interval"),
            OpenApiParameter("filter", str, description="CQL2 filter on the queryables"),
            OpenApiParameter("filter-lang", str, enum=list(params.FILTER_LANGS)),
            OpenApiParameter("filter-crs", str, enum=openapi.CRS_URIS),
            openapi.PROPERTIES_PARAM,
        ],
        responses={
            (200, MVT): OpenApiResponse(OpenApiTypes.BINARY, description="the tile"),
            304: OpenApiResponse(description="unchanged since the ETag given"),
            400: openapi.ERROR,
            404: openapi.ERROR,
        },
    )
    def get(self, request, collection_id, tms_id, z, row, col):
        _check_tms(tms_id)
        layer = self.layer
        zi, ri, ci = parse_tile_address(z, row, col)
        query_params = request.query_params
        params.reject_unknown(query_params, TILE_PARAMS)
        if query_params.get("f", "mvt") not in ("mvt", MVT):
            raise params.ParamError("f", _("Tiles are offered as Mapbox Vector Tiles (f=mvt)."))
        staff = layer.is_staff_reader(request.user)
        version = layer_data_token(layer=layer)
        # The ETag names everything the bytes depend on, so it is known before building.
        query_text = "&".join(
            f"{k}={v}" for k, v in sorted(query_params.lists()) if k not in ("f", "lang")
        )
        digest = hashlib.sha1(
            f"{layer.slug}|{zi}/{ri}/{ci}|{query_text}".encode(), usedforsecurity=False
        ).hexdigest()[:16]
        etag = f'"t{selectors.FORMAT}-{version}-{"s" if staff else "p"}-{digest}"'
        headers = {"ETag": etag, "Cache-Control": self._cache_control(staff)}
        if etag in _if_none_match(request):
            return _with_headers(HttpResponseNotModified(), headers)
        query = self._tile_query(request, layer, zi, ri, ci)
        tile = selectors.layer_tile_cached(
            layer=layer, user=request.user, query=query, key=f"geocm-tiles:{etag}"
        )
        response = HttpResponse(tile.data, content_type=MVT)
        headers["X-Tile-Features"] = str(tile.features)
        headers["X-Tile-Clustered"] = "1" if tile.clustered else "0"
        return _with_headers(response, headers)

    def _tile_query(self, request, layer, z, row, col) -> selectors.TileQuery:
        # f was checked by the caller; the feature API's parser knows only JSON formats.
        query_params = request.query_params.copy()
        query_params.pop("f", None)
        codes = subdistrict_codes() if "subdistrict" in query_params else set()
        filters = params.parse_item_filters(query_params, layer, codes)
        queryables = layer_queryables(layer=layer, user=request.user)
        return selectors.TileQuery(
            z=z,
            row=row,
            col=col,
            filters=filters,
            where=params.parse_filter(query_params, queryables),
            properties=params.parse_properties(
                query_params.get("properties"), layer.fields_for(request.user)
            ),
        )

    @staticmethod
    def _cache_control(staff: bool) -> str:
        if staff:
            # The browser may keep and revalidate staff tiles; shared caches must not.
            return "private, no-cache"
        age = int(settings.GEOCM.get("TILE_MAX_AGE", 0))
        shared = int(settings.GEOCM.get("TILE_SHARED_MAX_AGE", 0))
        if not age and not shared:
            return "public, no-cache"
        return f"public, max-age={age}, s-maxage={shared}"

    def finalize_response(self, request, response, *args, **kwargs):
        cache_control = response.get("Cache-Control")
        response = super().finalize_response(request, response, *args, **kwargs)
        if cache_control:
            # OGCView marks authenticated answers no-store; a tile's own policy (private,
            # revalidated by ETag) is kept instead.
            response["Cache-Control"] = cache_control
        return response


def _if_none_match(request) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    # A proxy may weaken the tag (W/) when it compresses the body; it still names our bytes.
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}


def _with_headers(response, headers):
    for key, value in headers.items():
        response[key] = value
    return response
