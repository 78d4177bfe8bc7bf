"""Reads for the generic feature API and maps. GeoJSON is built in PostGIS, not per row.

Geometries leave the database as GeoJSON in CRS84 (lon, lat, 7 decimals, ~1 cm) unless a
page asks for another offered CRS (``geo_cm.crs``): then PostGIS transforms them and
writes them in that CRS's EPSG axis order and precision.
"""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import Polygon
from django.db import connection, transaction
from django.db.models import DateTimeField as _DateTimeField
from django.db.models import F, ForeignKey, Q

from .crs import CRS84, Crs, FlipCoordinates
from .models import ChangeRecord, Subdistrict


@dataclass(frozen=True)
class SortKey:
    """Sort by a readable property (its name in the features), ascending unless descending."""

    name: str
    descending: bool = False


@dataclass(frozen=True)
class FeaturePage:
    """What one request for a layer's features asks for, parsed and checked by the API.

    filters: an ItemFilters (bbox in ``bbox_srid``, x east first; datetime, status...).
    where: a compiled CQL2 filter (``geo_cm.queryables.cql2_to_q``), or None.
    sort: SortKeys; the feature id always breaks ties, so pages never overlap.
    properties: the properties to return (already checked readable), None for all.
    crs: the output CRS (``geo_cm.crs``); geometries are transformed by PostGIS.
    """

    filters: object = None
    where: Q | None = None
    sort: tuple[SortKey, ...] = ()
    properties: tuple[str, ...] | None = None
    crs: Crs = CRS84
    limit: int = 100
    offset: int = 0


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
        box = Polygon.from_bbox(filters.bbox)
        box.srid = getattr(filters, "bbox_srid", 4326)
        qs = qs.filter(**{f"{geom}__intersects": box})
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


def _sort_expressions(layer, sort):
    """(expression, descending) per sort key, the feature id last as the tie-breaker."""
    exprs = _property_expressions(layer, [key.name for key in sort])
    return [(exprs[key.name], key.descending) for key in sort] + [(F("pk"), False)]


def layer_items_queryset(*, layer, page: FeaturePage):
    """The rows of ``page`` before slicing: every filter applied, in the page's order.

    The one place where the items query is built: counting (numberMatched), slicing
    (offset paging today) and the GeoJSON builder all start from it.
    """
    qs = layer_queryset(layer=layer, filters=page.filters)
    if page.where is not None:
        qs = qs.filter(page.where)
    order = [
        expr.desc() if descending else expr.asc()
        for expr, descending in _sort_expressions(layer, page.sort)
    ]
    return qs.order_by(*order)


def _geometry_expression(layer, crs: Crs):
    """The geometry as GeoJSON text in ``crs``: ST_Transform, then the EPSG axis order."""
    expr = F(layer.geometry_field)
    if crs.srid != 4326:
        expr = Transform(expr, crs.srid)
    if crs.north_first:
        expr = FlipCoordinates(expr)
    return AsGeoJSON(expr, precision=crs.decimals)


def _feature_sql(layer, qs, fields, crs: Crs = CRS84, sort=()):
    """SQL returning one json Feature per row of ``qs`` with its ordering keys, and params.

    Columns: ``feature`` and ``k0``..``kN`` (the sort keys, the id last), so an aggregate
    can keep the page's order: ``json_agg(feature ORDER BY k0, ..., kN)``.
    """
    props = _property_expressions(layer, fields)
    aliased = {f"p_{i}": expr for i, expr in enumerate(props.values())}
    keys = {f"k_{i}": expr for i, (expr, _desc) in enumerate(_sort_expressions(layer, sort))}
    inner = qs.annotate(_gj=_geometry_expression(layer, crs), **aliased, **keys).values(
        "_gj", *aliased, *keys
    )
    sql, params = inner.query.sql_with_params()
    pairs = ", ".join(f"'{name}', q.p_{i}" for i, name in enumerate(props))
    # json_build_object takes at most 100 arguments: 50 properties per layer is plenty.
    feature = (
        f"json_build_object('type', 'Feature', 'id', q.k_{len(keys) - 1}, "
        f"'geometry', q._gj::json, 'properties', json_build_object({pairs}))"
    )
    key_columns = "".join(f", q.{k}" for k in keys)
    return f"SELECT {feature} AS feature{key_columns} FROM ({sql}) q", params


def _order_by_keys(layer, sort) -> str:
    directions = [descending for _expr, descending in _sort_expressions(layer, sort)]
    return ", ".join(f"x.k_{i}{' DESC' if d else ''}" for i, d in enumerate(directions))


@contextmanager
def _page_transaction():
    """A transaction for feature pages with PostgreSQL's JIT compilation off.

    PostGIS declares ST_Transform and the spatial predicates expensive, so a page of
    10,000 transformed or spatially filtered features is costed high enough to trigger
    JIT, whose compilation then takes longer than the query itself (measured here:
    250-650 ms of JIT on a 130 ms query, benchmarks/ogc_bench.py). Pages are short OLTP
    queries: they never gain from it.
    """
    # No savepoint: inside a caller's transaction the setting simply lasts until its end.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield cursor


def layer_features_json(*, layer, user, page: FeaturePage) -> tuple[str, int]:
    """The page of features as a JSON array text, and numberMatched. Two queries.

    Geometries are GeoJSON in ``page.crs`` (transformed by PostGIS, EPSG axis order);
    properties are the user's readable fields, narrowed to ``page.properties``.
    """
    qs = layer_items_queryset(layer=layer, page=page)
    fields = page.properties if page.properties is not None else layer.fields_for(user)
    rows = qs[page.offset : page.offset + page.limit]
    sql, params = _feature_sql(layer, rows, fields, page.crs, page.sort)
    order = _order_by_keys(layer, page.sort)
    with _page_transaction() as cursor:
        matched = qs.count()
        cursor.execute(
            f"SELECT COALESCE(json_agg(x.feature ORDER BY {order}), '[]'::json)::text "
            f"FROM ({sql}) x",
            params,
        )
        return cursor.fetchone()[0], matched


def layer_feature_json(
    *, layer, user, pk, properties: tuple[str, ...] | None = None, crs: Crs = CRS84
) -> str | None:
    """One feature as JSON text (geometry in ``crs``), or None when it does not exist."""
    qs = layer.model.objects.filter(pk=pk)
    fields = properties if properties is not None else layer.fields_for(user)
    sql, params = _feature_sql(layer, qs, fields, crs)
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
