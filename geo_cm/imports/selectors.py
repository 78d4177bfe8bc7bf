"""What an import wrote, read back for the overview map's highlight."""

import datetime as dt
import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import CharField, Count, F, Value

from geo_cm.models import ChangeRecord
from geo_cm.registry import Layer

from .models import ImportRecord

GEOJSON_PRECISION = 7  # ~1 cm in EPSG:4326 degrees
# The history rows of an import are stamped with the database's now() of the transaction
# that wrote them, which may start before the record's created_at (the commit job opens its
# transaction, then reads the file) and the two clocks may differ a little. The window only
# lets the search use the index on ``at``; the source decides which rows belong.
HISTORY_WINDOW = dt.timedelta(hours=6)
TOUCHED = (ChangeRecord.Action.CREATE, ChangeRecord.Action.UPDATE, ChangeRecord.Action.STATUS)


def import_records_geojson(*, record: ImportRecord, layer: Layer, limit: int | None = None) -> dict:
    """The records of ``layer`` that the import ``record`` created or changed and that
    still exist (a later edit does not remove them; a later delete does).

    Returns ``count`` (all of them), ``shown`` (how many ``records`` holds: the first
    ``limit`` by id; default the setting ``GEOCM["IMPORT_HIGHLIGHT_LIMIT"]``, 5,000: a
    million street lights would be ~150 MB of GeoJSON), ``extent`` ([west, south, east,
    north] in EPSG:4326 degrees, computed over all of them by ST_Extent; None when there
    are none) and ``records``, a GeoJSON
    FeatureCollection in EPSG:4326 (lon, lat) whose features carry the record's primary key
    as ``id`` and the properties ``id``, ``code``, ``name`` (None when the layer has no
    name) and ``status``. An import that did not commit wrote nothing: count 0.
    """
    empty = {"type": "FeatureCollection", "features": []}
    if record.status != ImportRecord.Status.COMMITTED or record.finished_at is None:
        return {"count": 0, "shown": 0, "extent": None, "records": empty}
    if limit is None:
        limit = settings.GEOCM["IMPORT_HIGHLIGHT_LIMIT"]
    model = layer.model
    touched = ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        source=record.source_label,
        action__in=TOUCHED,
        at__gte=record.created_at - HISTORY_WINDOW,
        at__lte=record.finished_at + HISTORY_WINDOW,
    ).values("object_id")
    qs = model.objects.filter(pk__in=touched)
    totals = qs.aggregate(n=Count("pk"), extent=Extent(layer.geometry_field))
    has_name = "name" in {f.name for f in model._meta.fields}
    rows = (
        qs.order_by("pk")
        .annotate(
            _name=F("name") if has_name else Value(None, output_field=CharField()),
            _status=F(layer.status_field),
            _gj=AsGeoJSON(layer.geometry_field, precision=GEOJSON_PRECISION),
        )
        .values_list("pk", "code", "_name", "_status", "_gj")[:limit]
    )
    features = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": json.loads(geometry) if geometry else None,
            "properties": {"id": pk, "code": code, "name": name, "status": status},
        }
        for pk, code, name, status, geometry in rows
    ]
    extent = totals["extent"]
    return {
        "count": totals["n"],
        "shown": len(features),
        "extent": [round(v, GEOJSON_PRECISION) for v in extent] if extent else None,
        "records": {"type": "FeatureCollection", "features": features},
    }
