"""Export endpoint: ``/api/export/<layer>?format=geojson|gpkg|shp|csv|xlsx``, and the
records of one import for the overview map's highlight: ``/api/imports/<id>/records``.

Filters: ``subdistrict`` (current or former code), ``status`` (comma-separated), ``bbox``
(CRS84 minLon,minLat,maxLon,maxLat), ``encoding`` (shapefiles: utf-8 or gbk) and ``crs``
(the CRS of the file, from the allow-list ``EXPORT_CRS``: EPSG:4326 by default). Anonymous
users export public layers with the public fields only; staff holding ``view`` get the
staff fields. A bad parameter is a 400 naming it; an unknown or hidden layer a 404.
"""

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_cm.api.params import (
    ItemFilters,
    ParamError,
    parse_bbox,
    parse_statuses,
    reject_unknown,
    require_readable,
)
from geo_cm.registry import registry
from geo_cm.selectors import subdistrict_codes

from .exports import (
    EXPORT_CRS,
    FORMATS,
    SHAPEFILE_ENCODINGS,
    export_crs,
    export_error,
    layer_export,
)
from .models import ImportRecord
from .selectors import import_records_geojson

EXPORT_PARAMS = {"format", "subdistrict", "status", "bbox", "encoding", "crs"}


class LayerExportView(APIView):
    permission_classes = [AllowAny]  # visibility is the layer's: checked below

    def perform_content_negotiation(self, request, force=False):
        # DRF reads ?format= as a renderer choice (and 404s on "shp"); here it names the
        # file format, so errors are always JSON and the file is written by hand.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        summary="Export a layer",
        parameters=[
            OpenApiParameter("format", str, enum=list(FORMATS)),
            OpenApiParameter("subdistrict", str),
            OpenApiParameter("status", str),
            OpenApiParameter("bbox", str),
            OpenApiParameter("encoding", str, enum=list(SHAPEFILE_ENCODINGS)),
            OpenApiParameter(
                "crs",
                str,
                enum=[f"EPSG:{srid}" for srid in EXPORT_CRS],
                description="CRS of the file (default EPSG:4326); x = east in every format",
            ),
        ],
        # The file, in the media type of the format asked for.
        responses={
            (200, content_type.split(";")[0]): bytes for content_type, _ in FORMATS.values()
        },
    )
    def get(self, request, layer: str):
        lay = registry.get(layer)
        if lay is None or not lay.visible_to(request.user):
            raise Http404
        query = request.query_params
        reject_unknown(query, EXPORT_PARAMS)
        require_readable(query, lay, lay.fields_for(request.user))
        fmt = query.get("format", "geojson")
        if fmt not in FORMATS:
            raise ParamError("format", export_error("format"))
        crs = export_crs(query.get("crs"))
        if crs is None:
            raise ParamError("crs", export_error("crs"))
        encoding = query.get("encoding", "utf-8")
        if encoding.lower() not in SHAPEFILE_ENCODINGS:
            raise ParamError("encoding", export_error("encoding"))
        subdistrict = query.get("subdistrict")
        if subdistrict is not None and subdistrict not in subdistrict_codes():
            raise ParamError("subdistrict", f"Unknown subdistrict code '{subdistrict[:20]}'.")
        filters = ItemFilters(
            bbox=parse_bbox(query.get("bbox")),
            statuses=parse_statuses(query.get("status"), lay),
            subdistrict=subdistrict,
        )
        export = layer_export(
            layer=lay, user=request.user, fmt=fmt, filters=filters, encoding=encoding, crs=crs
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response["X-Feature-Count"] = str(export.count)
        response["Content-Crs"] = crs.header
        return response


class ImportRecordsView(APIView):
    """The records one import created or changed, for the map that highlights them."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["Imports"],
        operation_id="getImportRecords",
        summary="The records an import created or changed (GeoJSON), for the map",
        description=(
            "For the importer and for staff who may read the import's layer. `count` is the "
            "number of records the import created or changed that still exist; `records` "
            "(a GeoJSON FeatureCollection in EPSG:4326, properties id, code, name, status) "
            "holds the first ones by id (`shown`; 5,000 unless the setting "
            "IMPORT_HIGHLIGHT_LIMIT says otherwise); `extent` is [west, south, "
            "east, north] in degrees over all of them. Anyone else gets a 404."
        ),
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request, pk: int):
        reject_unknown(request.query_params, set())
        record = ImportRecord.objects.filter(pk=pk).first()
        layer = registry.get(record.layer) if record else None
        # As on the import's page: its author or a staff reader of its layer; and the
        # layer must be one this user may see at all (an author may have lost the role).
        allowed = (
            layer is not None
            and layer.visible_to(request.user)
            and (record.user_id == request.user.pk or layer.is_staff_reader(request.user))
        )
        if not allowed:
            raise NotFound(_("No such import."))
        return Response(
            {
                "import": {
                    "id": record.pk,
                    "layer": layer.slug,
                    "layer_title": str(layer.title),
                    "file_name": record.file_name,
                    "status": record.status,
                    "created": record.created,
                    "updated": record.updated,
                },
                **import_records_geojson(record=record, layer=layer),
            }
        )
