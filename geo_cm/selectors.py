"""Reads for the generic feature API and maps. GeoJSON is built in PostGIS, not per row.

Geometries leave the database as GeoJSON in EPSG:4326 (lon, lat), 7 decimals (~1 cm).
"""

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import DateTimeField as _DateTimeField
from django.db.models import F, ForeignKey, Q

from .models import ChangeRecord, Subdistrict

GEOJSON_PRECISION = 7


def _property_expressions(layer, fields):
    """Alias -> expression for each readable field; a foreign key shows the related code."""
    exprs = {}
    for name in fields:
        field = layer.model._meta.get_field(name)
        if isinstance(field, ForeignKey):
            related = field.related_model
            has_code = any(f.name == "code" for f in related._meta.fields)
            exprs[name] = F(f"{name}__code") if has_code else F(f"{name}_id")
        else:
            exprs[name] = F(name)
    return exprs


def layer_queryset(*, layer, filters=None):
    """The layer's rows matching ``filters`` (an ItemFilters), ordered by id."""
    qs = layer.model.objects.all()
    if filters is None:
        return qs.order_by("pk")
    geom = layer.geometry_field
    if filters.bbox:
        qs = qs.filter(**{f"{geom}__intersects": Polygon.from_bbox(filters.bbox)})
    if filters.statuses:
        qs = qs.filter(**{f"{layer.status_field}__in": filters.statuses})
    if filters.subdistrict:
        qs = qs.filter(
            Q(subdistrict__code=filters.subdistrict) | Q(subdistrict__code_old=filters.subdistrict)
        )
    if filters.year is not None:
        qs = qs.filter(**{f"{layer.date_field}__year": filters.year})
    if filters.datetime_range:
        start, end = filters.datetime_range
        qs = _filter_datetime(qs, layer.date_field, start, end)
    return qs.order_by("pk")


def _filter_datetime(qs, field, start, end):
    is_date_only = not isinstance(qs.model._meta.get_field(field), _DateTimeField)
    if start is not None:
        value = start.date() if is_date_only and isinstance(start, dt.datetime) else start
        qs = qs.filter(**{f"{field}__gte": value})
    if end is not None:
        if is_date_only and isinstance(end, dt.datetime):
            end = end.date()
        qs = qs.filter(**{f"{field}__lte": end})
    return qs


def _feature_sql(layer, qs, fields):
    """SQL returning one json Feature per row of ``qs`` and its parameters."""
    props = _property_expressions(layer, fields)
    aliased = {f"p_{i}": expr for i, expr in enumerate(props.values())}
    inner = qs.annotate(
        _fid=F("pk"), _gj=AsGeoJSON(layer.geometry_field, precision=GEOJSON_PRECISION), **aliased
    ).values("_fid", "_gj", *aliased)
    sql, params = inner.query.sql_with_params()
    pairs = ", ".join(f"'{name}', q.p_{i}" for i, name in enumerate(props))
    # json_build_object takes at most 100 arguments: 50 properties per layer is plenty.
    feature = (
        "json_build_object('type', 'Feature', 'id', q._fid, 'geometry', q._gj::json, "
        f"'properties', json_build_object({pairs}))"
    )
    return f"SELECT {feature} AS feature, q._fid AS id FROM ({sql}) q", params


def layer_features_json(*, layer, user, filters, limit: int, offset: int) -> tuple[str, int]:
    """The page of features as a JSON array text, and numberMatched. Two queries."""
    qs = layer_queryset(layer=layer, filters=filters)
    matched = qs.count()
    page = qs[offset : offset + limit]
    sql, params = _feature_sql(layer, page, layer.fields_for(user))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(json_agg(x.feature ORDER BY x.id), '[]'::json)::text FROM ({sql}) x",
            params,
        )
        return cursor.fetchone()[0], matched


def layer_feature_json(*, layer, user, pk) -> str | None:
    """One feature as JSON text, or None when it does not exist."""
    qs = layer.model.objects.filter(pk=pk)
    sql, params = _feature_sql(layer, qs, layer.fields_for(user))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT x.feature::text FROM ({sql}) x", params)
        row = cursor.fetchone()
    return row[0] if row else None


def layer_extent(*, layer):
    """(minLon, minLat, maxLon, maxLat) of the layer's geometries, or None when empty."""
    return layer.model.objects.aggregate(e=Extent(layer.geometry_field))["e"]


def subdistrict_codes() -> set[str]:
    """Every current and former subdistrict code (filters accept either)."""
    codes = set()
    for code, old in Subdistrict.objects.values_list("code", "code_old"):
        codes.add(code)
        if old:
            codes.add(old)
    return codes


def asset_history(*, asset, limit: int = 50):
    """The asset's ChangeRecords, newest first, with the user joined."""
    ct = ContentType.objects.get_for_model(type(asset))
    return (
        ChangeRecord.objects.filter(content_type=ct, object_id=asset.pk)
        .select_related("user")
        .prefetch_related("photos")[:limit]
    )


def areas_geojson() -> str:
    """District and subdistrict outlines as one FeatureCollection text (EPSG:4326)."""
    sql = """
        SELECT json_build_object('type', 'FeatureCollection', 'features',
               COALESCE(json_agg(f ORDER BY ord, code), '[]'::json))::text
        FROM (
          SELECT 0 AS ord, d.code, json_build_object('type', 'Feature', 'id', 'district-' || d.code,
                 'geometry', ST_AsGeoJSON(d.geom, 6)::json,
                 'properties', json_build_object('level', 'district', 'code', d.code,
                     'name', d.name, 'name_en', d.name_en, 'source', d.boundary_source)) AS f
          FROM geo_cm_district d
          UNION ALL
          SELECT 1, s.code, json_build_object('type', 'Feature', 'id', 'subdistrict-' || s.code,
                 'geometry', ST_AsGeoJSON(s.geom, 6)::json,
                 'properties', json_build_object('level', 'subdistrict', 'code', s.code,
                     'code_old', s.code_old, 'name', s.name, 'name_en', s.name_en,
                     'managed_by', s.managed_by, 'synthetic', s.geometry_is_synthetic))
          FROM geo_cm_subdistrict s
        ) areas"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]
