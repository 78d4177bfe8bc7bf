"""Reads of the tiles feature: one Mapbox Vector Tile per request, built by PostGIS.

A tile is one SQL statement around the feature API's own filtered queryset
(``geo_cm.selectors.layer_queryset``), so filters and the public/staff field split are
the ones the items obey. Geometries leave the database as MVT (EPSG:3857, 4096 units a
tile side); nothing is done per row in Python.

Points are aggregated where a tile would hold more than ``TILE_MAX_POINTS`` of them (a
city's street lights at district zoom): the tile is cut into a grid of
``TILE_CLUSTER_GRID`` × ``TILE_CLUSTER_GRID`` cells aligned with the tile matrix, and each
cell holding points becomes one point at their mean position with a ``count`` and, where
the status is readable, the count per status (``n_<status>``). A cell holding a single
point keeps its ``id``, so a popup can fetch the feature. Lines and polygons are
simplified to half a tile unit below zoom 14 (invisible on screen).

Tile queries run with a serial plan and JIT off: PostGIS costs ``ST_Transform`` so high
that the planner picks a parallel scan (a z14 tile took ~22 ms instead of ~1.2 ms), and
JIT compilation costs more than these short queries (TOOLCHAIN.md, trap 6).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q

from ..selectors import _property_expressions, layer_queryset
from . import tms

EXTENT = 4096  # MVT units along a tile side (the specification's customary value)
MERCATOR_R = 6378137.0
# Tile output format version: bump when the tile contents change shape (new properties,
# other clustering), so caches and ETags made by an older release are not reused.
FORMAT = "1"


@dataclass(frozen=True)
class TileQuery:
    """What one tile request asks for, parsed and checked by the view.

    filters: an ``ItemFilters`` of the feature API (status, subdistrict, year, datetime).
    where: a compiled CQL2 filter, or None.
    properties: the properties to put in the tile (already checked readable), None for
        all the user may read.
    """

    z: int
    row: int
    col: int
    filters: object = None
    where: Q | None = None
    properties: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Tile:
    """A built tile: the MVT bytes and whether its points were aggregated."""

    data: bytes
    clustered: bool
    features: int


def _knob(name: str, default):
    return settings.GEOCM.get(name, default)


def _is_point_layer(layer) -> bool:
    geom_type = layer.model._meta.get_field(layer.geometry_field).geom_type
    return geom_type in ("POINT", "MULTIPOINT")


def _envelope(z, row, col, margin) -> Polygon:
    box = Polygon.from_bbox(tms.tile_bounds_4326(z, row, col, margin))
    box.srid = 4326
    return box


def _base_queryset(layer, query: TileQuery, margin: float):
    """The layer's rows matching the filters whose bounding box meets the tile (+ margin)."""
    qs = layer_queryset(layer=layer, filters=query.filters).order_by()
    if query.where is not None:
        qs = qs.filter(query.where)
    envelope = _envelope(query.z, query.row, query.col, margin)
    return qs.filter(**{f"{layer.geometry_field}__bboverlaps": envelope})


def _too_many_points(qs, limit: int) -> bool:
    """Whether ``qs`` holds more than ``limit`` rows (counts at most limit + 1 of them)."""
    return qs[: limit + 1].count() > limit


def _mvt_geometry(layer, z: int, column: str) -> str:
    """SQL of the row's geometry in EPSG:3857, simplified for lines and polygons at low zoom."""
    geom = f"ST_Transform({column}, 3857)"
    if not _is_point_layer(layer) and z < 14:
        # Half a tile unit: what ST_AsMVTGeom's snapping would merge anyway, removed before
        # it so long lines cost less to clip.
        tolerance = 2 * tms.HALF / tms.matrix_size(z) / EXTENT / 2
        geom = f"ST_Simplify({geom}, {tolerance!r}, true)"
    return geom


def _features_sql(layer, user, query: TileQuery, margin: float, buffer: int):
    fields = query.properties if query.properties is not None else layer.fields_for(user)
    props = _property_expressions(layer, fields)
    aliased = {f"p_{i}": expr for i, expr in enumerate(props.values())}
    qs = _base_queryset(layer, query, margin)
    inner = qs.values(t_id=F("pk"), t_g=F(layer.geometry_field), **aliased)
    sql, params = inner.query.sql_with_params()
    columns = "".join(f', q.p_{i} AS "{name}"' for i, name in enumerate(props))
    geom = _mvt_geometry(layer, query.z, "q.t_g")
    # Names from the registry and the model's metadata; every value is a parameter.
    statement = (
        f"SELECT ST_AsMVT(m, %s, {EXTENT}, 'geom', 'fid'), count(*) FROM ("  # noqa: S608
        f"SELECT q.t_id AS fid, q.t_id AS id{columns}, "
        f"ST_AsMVTGeom({geom}, ST_TileEnvelope(%s, %s, %s), {EXTENT}, {buffer}, true) AS geom "
        f"FROM ({sql}) q) m WHERE m.geom IS NOT NULL"
    )
    return statement, (layer.slug, query.z, query.col, query.row, *params)


def _clusters_sql(layer, user, query: TileQuery, grid: int):
    """Grid clusters: one point per cell of the tile (and of a one-cell ring around it)."""
    # The ring of whole cells around the tile lets a cluster near the edge be drawn by
    # both tiles identically; cells are aligned with the matrix, so none is split.
    qs = _base_queryset(layer, query, margin=1.0 / grid)
    readable = query.properties if query.properties is not None else layer.fields_for(user)
    status = layer.status_field if layer.status_field in readable else None
    values = {"t_id": F("pk"), "t_g": F(layer.geometry_field)}
    if status:
        values["t_s"] = F(status)
    sql, params = qs.values(**values).query.sql_with_params()
    cell = 2 * tms.HALF / tms.matrix_size(query.z) / grid
    per_status = ""
    status_params = []
    if status:
        for state in layer.status_machine.states:
            per_status += f', NULLIF(count(*) FILTER (WHERE p.t_s = %s), 0) AS "n_{state}"'
            status_params.append(state)
    # Mercator by arithmetic (exact for the sphere EPSG:3857 uses): cheaper than PROJ for
    # the hundreds of thousands of points a low-zoom tile aggregates.
    point = "q.t_g"
    if layer.model._meta.get_field(layer.geometry_field).geom_type == "MULTIPOINT":
        point = "ST_Centroid(q.t_g)"  # ST_X/ST_Y take single points only
    x = f"ST_X({point}) * {tms.HALF / 180.0!r}"
    y = f"ln(tan(pi() / 4 + radians(ST_Y({point})) / 2)) * {MERCATOR_R!r}"
    state_columns = "".join(f', c."n_{state}"' for state in (status_params if status else ()))
    statement = (
        f"SELECT ST_AsMVT(m, %s, {EXTENT}, 'geom'), count(*) FROM ("  # noqa: S608
        f"SELECT CASE WHEN c.n = 1 THEN c.id END AS id, c.n AS count{state_columns}, "
        f"ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.x, c.y), 3857), ST_TileEnvelope(%s, %s, %s), "
        f"{EXTENT}, {EXTENT // grid}, true) AS geom FROM ("
        f"SELECT count(*) AS n, min(p.t_id) AS id, avg(p.x) AS x, avg(p.y) AS y{per_status} "
        f"FROM (SELECT q.t_id, {'q.t_s' if status else 'NULL AS t_s'}, {x} AS x, {y} AS y "
        f"FROM ({sql}) q) p GROUP BY floor(p.x / {cell!r}), floor(p.y / {cell!r})"
        ") c) m WHERE m.geom IS NOT NULL"
    )
    return statement, (layer.slug, query.z, query.col, query.row, *status_params, *params)


def layer_tile(*, layer, user, query: TileQuery) -> Tile:
    """The layer's tile ``query.z/row/col`` for ``user`` as MVT bytes (one layer, its slug).

    Feature tiles carry the MVT feature id and an ``id`` property (the feature id of the
    feature API) and the user's readable properties; cluster tiles carry ``count`` (and
    ``n_<status>``), with ``id`` only on cells of one point. Geometry in EPSG:3857 tile
    units (4096 a side).
    """
    grid = int(_knob("TILE_CLUSTER_GRID", 16))
    max_points = int(_knob("TILE_MAX_POINTS", 10000))
    margin = 1.0 / grid
    buffer = EXTENT // grid
    with transaction.atomic(), connection.cursor() as cursor:
        # One round trip for both settings; they hold for the count and the tile.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off")
        clustered = False
        if _is_point_layer(layer) and query.z < int(_knob("TILE_CLUSTER_MAX_ZOOM", 17)):
            clustered = _too_many_points(_base_queryset(layer, query, margin), max_points)
        if clustered:
            sql, params = _clusters_sql(layer, user, query, grid)
        else:
            sql, params = _features_sql(layer, user, query, margin, buffer)
        cursor.execute(sql, params)
        data, count = cursor.fetchone()
    return Tile(data=bytes(data or b""), clustered=clustered, features=count or 0)


def layer_tile_cached(*, layer, user, query: TileQuery, key: str) -> Tile:
    """``layer_tile`` through Django's cache under ``key`` (which carries the data version).

    The key names the data version, so an entry is never stale: a change gives new keys.
    The cache only saves work; the database stays the truth. Tiles above
    ``TILE_CACHE_MAX_BYTES`` are not kept.
    """
    hit = cache.get(key)
    if hit is not None:
        data, clustered, features = hit
        return Tile(data=data, clustered=clustered, features=features)
    tile = layer_tile(layer=layer, user=user, query=query)
    if len(tile.data) <= int(_knob("TILE_CACHE_MAX_BYTES", 1_000_000)):
        cache.set(
            key,
            (tile.data, tile.clustered, tile.features),
            timeout=int(_knob("TILE_CACHE_SECONDS", 3600)),
        )
    return tile


def layer_count_estimate(*, layer, exact_below: int = 100_000) -> tuple[int, bool]:
    """(records, exact) of the layer: counted when the planner's estimate is small.

    A large table is not counted on every map load (a million rows take ~50 ms to count):
    PostgreSQL's own estimate (``pg_class.reltuples``, kept by ANALYZE/autovacuum) says
    how many there are, to within a few percent. A table never analysed (-1) is counted.
    """
    table = layer.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    estimate = row[0] if row else -1
    if 0 <= exact_below <= estimate:
        return int(estimate), False
    return layer.model.objects.count(), True
