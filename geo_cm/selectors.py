"""Reads for the generic feature API and maps. GeoJSON is built in PostGIS, not per row.

Geometries leave the database as GeoJSON in CRS84 (lon, lat, 7 decimals, ~1 cm) unless a
page asks for another offered CRS (``geo_cm.crs``): then PostGIS transforms them and
writes them in that CRS's EPSG axis order and precision.
"""

import datetime as dt
import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import Polygon
from django.db import connection, transaction
from django.db.models import DateTimeField as _DateTimeField
from django.db.models import F, ForeignKey, Q

from .crs import CRS84, Crs, FlipCoordinates
from .models import ChangeRecord, Subdistrict
from .versions import layer_extent_cached


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
    # Keyset paging: only features whose id is above this one (default order, by id).
    cursor: int | None = None


@dataclass(frozen=True)
class FeaturesJSON:
    """One page of features built by PostGIS, and what the API says about it.

    matched: the exact number of features matching the page's filters, or None when
    counting them would be slow (more than ``API_EXACT_COUNT_MAX`` estimated); then
    ``estimate`` holds the planner's row estimate (``EXPLAIN``, i.e. ``reltuples`` for an
    unfiltered layer) instead.
    last_id: the id of the page's last feature (the next page's cursor), None when empty.
    """

    features: str
    returned: int
    matched: int | None
    estimate: int | None
    last_id: int | None


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


# Rows per 8 kB page can be no more than this (a tuple takes at least ~32 bytes with its
# header and line pointer): a size-based upper bound for a table never analysed.
_MAX_ROWS_PER_PAGE = 256


@contextmanager
def _page_transaction(*, model):
    """A transaction for feature pages with PostgreSQL's JIT compilation off.

    PostGIS declares ST_Transform and the spatial predicates expensive, so a page of
    10,000 transformed or spatially filtered features is costed high enough to trigger
    JIT, whose compilation then takes longer than the query itself (measured here:
    250-650 ms of JIT on a 130 ms query, benchmarks/ogc_bench.py). Pages are short OLTP
    queries: they never gain from it.

    Yields (cursor, rows) where ``rows`` is about how many rows ``model``'s table holds
    now (the planner's ``reltuples`` scaled to the table's current size, or a size-based
    upper bound before the first ANALYZE): read in the same statement as the setting.
    """
    # No savepoint: inside a caller's transaction the setting simply lasts until its end.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('jit', 'off', true), c.reltuples, c.relpages, "
            "pg_relation_size(c.oid) / 8192 FROM pg_class c WHERE c.oid = %s::regclass",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        _, reltuples, relpages, pages = cursor.fetchone()
        if reltuples >= 0 and relpages > 0:
            rows = reltuples * pages / relpages
        elif reltuples >= 0 and pages == 0:
            rows = 0
        else:
            rows = pages * _MAX_ROWS_PER_PAGE
        yield cursor, rows


def queryset_estimated_rows(*, qs, cursor=None) -> int:
    """The planner's estimate of how many rows ``qs`` returns (EXPLAIN, no execution).

    For an unfiltered table this is ``pg_class.reltuples`` scaled to its current size;
    with filters, the selectivities of the statistics. Costs a plan, about 0.1-1 ms,
    where ``count(*)`` reads every row. ``cursor``: run on this one (a transaction's).
    """
    if cursor is None:
        with connection.cursor() as own:
            return queryset_estimated_rows(qs=qs, cursor=own)
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):  # psycopg2 parses json columns; other drivers may not
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _count_is_cheap(*, cursor, qs, table_rows: float) -> tuple[bool, int | None]:
    """Whether to count ``qs`` exactly; else also the planner's estimate of its rows.

    ``count(*)`` reads every matching row: 27-87 ms at a million lights, on every page.
    Up to ``GEOCM["API_EXACT_COUNT_MAX"]`` rows in the whole table it is counted without
    asking (no extra query); above, the planner estimates the filtered rows (EXPLAIN)
    and the API omits ``numberMatched`` when that is above the threshold too (OGC API
    Features allows leaving it out; it must be exact when given).
    """
    threshold = settings.GEOCM["API_EXACT_COUNT_MAX"]
    if table_rows <= threshold:
        return True, None
    estimate = queryset_estimated_rows(qs=qs, cursor=cursor)
    return estimate <= threshold, estimate


def layer_features_json(*, layer, user, page: FeaturePage) -> FeaturesJSON:
    """The page of features as a JSON array text, with its count. Two queries (three with
    an estimate, on a table above ``API_EXACT_COUNT_MAX`` rows).

    Geometries are GeoJSON in ``page.crs`` (transformed by PostGIS, EPSG axis order);
    properties are the user's readable fields, narrowed to ``page.properties``. With a
    ``page.cursor`` the page starts after that feature id (keyset: an index range scan at
    any depth, where a deep OFFSET reads and discards every row before it). The exact
    count, when cheap, is a scalar subquery of the same statement.
    """
    qs = layer_items_queryset(layer=layer, page=page)
    fields = page.properties if page.properties is not None else layer.fields_for(user)
    window = qs
    if page.cursor is not None:
        window = qs.filter(pk__gt=page.cursor)
    rows = window[page.offset : page.offset + page.limit]
    sql, params = _feature_sql(layer, rows, fields, page.crs, page.sort)
    order = _order_by_keys(layer, page.sort)
    last_key = f"x.k_{len(page.sort)}"
    # The last feature's id: in the default order the largest (no second sort).
    last = (
        f"max({last_key})" if not page.sort else f"(array_agg({last_key} ORDER BY {order} DESC))[1]"
    )
    with _page_transaction(model=layer.model) as (cursor, table_rows):
        exact, estimate = _count_is_cheap(cursor=cursor, qs=qs, table_rows=table_rows)
        count_sql, count_params = "NULL::bigint", []
        if exact:
            inner, count_params = qs.order_by().values("pk").query.sql_with_params()
            count_sql = f"(SELECT count(*) FROM ({inner}) c)"
        # The page's features in order, how many, the id of the last one (the next
        # cursor), and the exact count when it is cheap.
        cursor.execute(
            f"SELECT COALESCE(json_agg(x.feature ORDER BY {order}), '[]'::json)::text, "
            f"count(*), {last}, {count_sql} "
            f"FROM ({sql}) x",
            [*count_params, *params],
        )
        features, returned, last_id, matched = cursor.fetchone()
    return FeaturesJSON(
        features=features,
        returned=returned,
        matched=matched,
        estimate=None if exact else estimate,
        last_id=last_id,
    )


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
    """(minLon, minLat, maxLon, maxLat) of the layer's geometries (EPSG:4326), or None.

    Cached per data version (``geo_cm.versions``): computing it reads every geometry
    (0.15 s at a million lights), and ``/collections`` asks for every layer's on each call.
    """
    return layer_extent_cached(
        layer=layer,
        compute=lambda: layer.model.objects.aggregate(e=Extent(layer.geometry_field))["e"],
    )


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
