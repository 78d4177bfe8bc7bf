"""Coverage analysis: who is within reach of a layer's facilities, and where the gaps are.

All geometry work happens in EPSG:32650 (UTM 50N, metres) with shapely 2's vectorised
functions; results are transformed back to EPSG:4326 for the API and maps.
Distances are metres: straight-line buffers in the metric CRS (within 0.05 % of geodesic
distance in Pukou), or walking distance over the road network (see network.py).
"""

import hashlib
import json
import time
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils.translation import get_language
from pyproj import Transformer

from ..models import District, Subdistrict
from ..registry import registry
from . import network
from .models import METRIC_SRID, CoverageResult, CoverageRule, PopulationArea
from .places import sites_place

TO_WGS84 = Transformer.from_crs(METRIC_SRID, 4326, always_xy=True)
MIN_GAP_M2 = 5_000  # gaps under half a hectare are slivers between service areas
MAX_GAPS = 300
MODES = ("straight", "network")


class CoverageError(ValueError):
    """A request the analysis cannot answer (unknown layer, no rule); says why."""


@dataclass(frozen=True)
class Rule:
    """Distances in metres: ``default_m`` for all demand, ``by_kind`` for specific kinds."""

    layer: str
    kind: str
    default_m: float
    by_kind: dict = field(default_factory=dict)
    standard: str = ""

    def distance_for(self, kind: str) -> float:
        return self.by_kind.get(kind, self.default_m)

    @property
    def distances(self) -> list[float]:
        return sorted({self.default_m, *self.by_kind.values()})


def coverage_layers():
    return [layer for layer in registry.all() if layer.coverage is not None]


def rule_for(*, layer_slug: str, distance_m: float | None = None) -> Rule:
    """The planners' rule for a layer (CoverageRule rows over the layer's defaults).

    An explicit ``distance_m`` (the API's ``radius``) replaces every distance.
    """
    layer = registry.get(layer_slug)
    if layer is None or layer.coverage is None:
        raise CoverageError(f"Layer '{layer_slug}' has no coverage rule.")
    spec = layer.coverage
    standard = spec.standard_en if (get_language() or "").startswith("en") else spec.standard_zh
    default_m, by_kind = spec.default_m, dict(spec.area_type_m)
    for rule in CoverageRule.objects.filter(layer=layer_slug):
        if rule.area_kind:
            by_kind[rule.area_kind] = rule.distance_m
        else:
            default_m = rule.distance_m
        standard = rule.standard or standard
    if distance_m is not None:
        default_m, by_kind = distance_m, {}
    return Rule(
        layer=layer_slug, kind=spec.kind, default_m=default_m, by_kind=by_kind, standard=standard
    )


# ---- reading geometry out of PostGIS as metric shapely arrays ----------------------------


def _metric_wkb(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def facilities_metric(layer):
    """The counted facilities of ``layer`` as shapely geometries in EPSG:32650."""
    spec = layer.coverage
    qs = layer.model.objects.all()
    if spec.counted is not None:
        qs = layer.model.objects.filter(pk__in=qs.filter(spec.counted).values("pk"))
    ids_sql, params = qs.values("pk").query.sql_with_params()
    column = layer.model._meta.get_field(layer.geometry_field).column
    rows = _metric_wkb(
        f"SELECT ST_AsBinary(ST_Force2D(ST_Transform(t.{column}, {METRIC_SRID}))) "
        f"FROM {layer.model._meta.db_table} t WHERE t.id IN ({ids_sql}) ORDER BY t.id",
        params,
    )
    return shapely.from_wkb([bytes(r[0]) for r in rows])


@dataclass
class Demand:
    area: shapely.Geometry  # the analysed area (district, or one subdistrict)
    subdistricts: list  # (code, name, geometry)
    cells: np.ndarray  # population areas (geometries)
    people: np.ndarray  # their population
    kinds: np.ndarray
    names: np.ndarray
    codes: np.ndarray


def demand_metric(*, subdistrict: Subdistrict | None) -> Demand:
    """District (or one subdistrict), its subdistricts and the current population areas."""
    subs_qs = (
        Subdistrict.objects.all()
        if subdistrict is None
        else Subdistrict.objects.filter(pk=subdistrict.pk)
    )
    subs = _metric_wkb(
        f"SELECT code, name, ST_AsBinary(ST_Transform(geom, {METRIC_SRID})) "
        f"FROM {Subdistrict._meta.db_table} WHERE id = ANY(%s) ORDER BY code",
        [list(subs_qs.values_list("pk", flat=True))],
    )
    sub_list = [(c, n, shapely.from_wkb(bytes(g))) for c, n, g in subs]
    if subdistrict is None:
        district = District.objects.first()
        if district is None:
            raise CoverageError("No district is loaded; load the areas first.")
        area_rows = _metric_wkb(
            f"SELECT ST_AsBinary(ST_Transform(geom, {METRIC_SRID})) FROM "
            f"{District._meta.db_table} WHERE id = %s",
            [district.pk],
        )
        area = shapely.from_wkb(bytes(area_rows[0][0]))
    else:
        area = sub_list[0][2]
    cells = _metric_wkb(
        f"SELECT code, name, kind, population, ST_AsBinary(ST_Transform(geom, {METRIC_SRID})) "
        f"FROM {PopulationArea._meta.db_table} WHERE status = 'current' "
        f"AND ST_Intersects(geom, ST_Transform(ST_GeomFromWKB(%s, {METRIC_SRID}), 4326)) "
        f"ORDER BY id",
        [shapely.to_wkb(area)],
    )
    return Demand(
        area=area,
        subdistricts=sub_list,
        cells=shapely.from_wkb([bytes(r[4]) for r in cells]) if cells else np.array([]),
        people=np.array([r[3] for r in cells], dtype=float),
        kinds=np.array([r[2] for r in cells], dtype=object),
        names=np.array([r[1] for r in cells], dtype=object),
        codes=np.array([r[0] for r in cells], dtype=object),
    )


# ---- service areas -------------------------------------------------------------------------


def _sample_points(geoms, step_m=100.0):
    """Points that stand for each facility: itself, or points every ``step_m`` on a line."""
    points = []
    for g in geoms:
        if g.geom_type in ("Point", "MultiPoint"):
            points.extend(shapely.get_parts(g))
        elif "Polygon" in g.geom_type:
            points.append(shapely.point_on_surface(g))
        else:
            for part in shapely.get_parts(g):
                n = max(int(part.length // step_m), 1)
                points.extend(
                    shapely.line_interpolate_point(part, np.linspace(0, part.length, n + 1))
                )
    return points


@dataclass
class Served:
    """A service area (EPSG:32650): the union, and the pieces it was made of.

    The pieces (one buffer per facility, or per reached street piece) let measuring work
    locally: a demand cell on the edge is intersected with the few pieces near it rather
    than with the whole district-wide union.
    """

    union: shapely.Geometry
    pieces: np.ndarray

    @classmethod
    def of(cls, pieces):
        pieces = np.asarray(pieces)
        if len(pieces) == 0:
            return cls(shapely.Polygon(), pieces)
        return cls(shapely.union_all(pieces), pieces)

    @property
    def is_empty(self):
        return self.union.is_empty


def service_areas_straight(facilities, distances):
    """distance -> Served: the facilities' buffers (EPSG:32650)."""
    return {
        d: Served.of(shapely.buffer(facilities, d, quad_segs=8) if len(facilities) else [])
        for d in distances
    }


def service_areas_network(facilities, distances, timings):
    """distance -> the strip along streets within that walking distance of a facility."""
    started = time.perf_counter()
    build = network.network_build()
    timings["network_build"] = time.perf_counter() - started
    started = time.perf_counter()
    points = _sample_points(facilities)
    snap_m = settings.GEOCM["NETWORK_SNAP_M"]
    snapped = network.snap_points(shapely.to_wkb(points).tolist() if points else [], snap_m)
    # The walk from the facility to the street is taken off the budget of that start.
    starts = {}
    for vid, dist in snapped:
        if vid is not None:
            starts[vid] = min(starts.get(vid, dist), dist)
    timings["snap"] = time.perf_counter() - started
    started = time.perf_counter()
    rows = network.reached_costs(list(starts), max(distances))
    costs = {}
    for start, node, cost in rows:
        total = cost + starts.get(start, 0.0)
        if total < costs.get(node, float("inf")):
            costs[node] = total
    timings["driving_distance"] = time.perf_counter() - started
    started = time.perf_counter()
    strip = settings.GEOCM["NETWORK_STRIP_M"]
    result = {}
    for d in distances:
        within = {n: c for n, c in costs.items() if c <= d}
        pieces = shapely.from_wkb(network.reached_pieces(within, d))
        result[d] = Served.of(shapely.buffer(pieces, strip, quad_segs=4) if len(pieces) else [])
    timings["service_area_polygons"] = time.perf_counter() - started
    return result, build


# ---- measuring ------------------------------------------------------------------------------


def _covered_fraction(cells, kinds, served_by_distance, rule):
    """Share of each demand cell's area inside the service area for its kind's distance.

    Cells wholly inside or outside are decided by prepared predicates on the union; only
    cells on an edge are intersected, each with the union of the few pieces near it.
    """
    fractions = np.zeros(len(cells))
    if len(cells) == 0:
        return fractions
    for distance, served in served_by_distance.items():
        mask = np.array([rule.distance_for(k) == distance for k in kinds])
        if not mask.any() or served.is_empty:
            continue
        idx = np.flatnonzero(mask)
        union = served.union
        shapely.prepare(union)
        inside = shapely.contains(union, cells[idx])
        touching = shapely.intersects(union, cells[idx]) & ~inside
        fractions[idx[inside]] = 1.0
        edge = idx[touching]
        if len(edge):
            tree = shapely.STRtree(served.pieces)
            cell_i, piece_i = tree.query(cells[edge], predicate="intersects")
            for k in np.unique(cell_i):
                cell = cells[edge[k]]
                local = shapely.union_all(served.pieces[piece_i[cell_i == k]])
                fractions[edge[k]] = shapely.intersection(cell, local).area / cell.area
    return np.clip(fractions, 0, 1)


def _to_wgs84(geom):
    return shapely.transform(
        geom, lambda xy: np.column_stack(TO_WGS84.transform(xy[:, 0], xy[:, 1]))
    )


def _feature(geom, props, precision_m=1.0):
    simple = shapely.simplify(geom, precision_m, preserve_topology=True)
    return {
        "type": "Feature",
        "geometry": json.loads(shapely.to_geojson(_to_wgs84(simple))),
        "properties": props,
    }


def radius_coverage(*, layer, rule: Rule, mode: str, subdistrict=None) -> dict:
    """Stats and GeoJSON for a "radius" layer. Timings per step are in ``stats['timings']``."""
    timings = {}
    started = time.perf_counter()
    facilities = facilities_metric(layer)
    demand = demand_metric(subdistrict=subdistrict)
    timings["read"] = time.perf_counter() - started
    started = time.perf_counter()
    build = None
    if mode == "network":
        by_distance, build = service_areas_network(facilities, rule.distances, timings)
    else:
        by_distance = service_areas_straight(facilities, rule.distances)
        timings["buffers"] = time.perf_counter() - started
    started = time.perf_counter()
    main = by_distance[rule.default_m].union
    fractions = _covered_fraction(demand.cells, demand.kinds, by_distance, rule)
    covered_people = demand.people * fractions

    centres = shapely.point_on_surface(demand.cells) if len(demand.cells) else np.array([])

    def area_stats(code, name, geom):
        # A cell on a boundary counts in full for the area holding its centre.
        mask = shapely.contains(geom, centres) if len(centres) else np.array([], dtype=bool)
        area = geom.area
        covered_area = shapely.intersection(geom, main).area if not main.is_empty else 0.0
        people = float(demand.people[mask].sum())
        covered = float(covered_people[mask].sum())
        return {
            "code": code,
            "name": name,
            "area_km2": round(area / 1e6, 3),
            "covered_km2": round(covered_area / 1e6, 3),
            "area_share": round(covered_area / area, 6) if area else None,
            "population": round(people),
            "covered_population": round(covered),
            "population_share": round(covered / people, 6) if people else None,
        }

    total = area_stats("all", "", demand.area)
    per_sub = [area_stats(c, n, g) for c, n, g in demand.subdistricts]
    timings["measure"] = time.perf_counter() - started
    started = time.perf_counter()
    gaps = _gaps(demand, main, fractions)
    uncovered = [
        {
            "code": str(demand.codes[i]),
            "name": str(demand.names[i]),
            "population": int(demand.people[i]),
            "uncovered_share": round(1 - fractions[i], 3),
        }
        for i in np.argsort(-(demand.people * (1 - fractions)))
        if demand.kinds[i] == "residential" and fractions[i] < 0.5
    ]
    features = gaps
    if not main.is_empty:
        features = [
            _feature(
                shapely.intersection(main, demand.area),
                {"kind": "service_area", "distance_m": rule.default_m},
                5.0,
            ),
            *gaps,
        ]
    timings["gaps"] = time.perf_counter() - started
    stats = {
        "district": total,
        "subdistricts": per_sub,
        "facilities": int(len(facilities)),
        "uncovered_residential": uncovered[:200],
        "gap_count": len(gaps),
        "timings": {k: round(v, 4) for k, v in timings.items()},
    }
    if build is not None:
        stats["network"] = {"edges": build.edges, "vertices": build.vertices}
    return {"stats": stats, "geojson": {"type": "FeatureCollection", "features": features}}


def _gaps(demand, covered, fractions):
    """Uncovered parts of each subdistrict, ranked by people, then by size.

    The uncovered people of a demand cell are counted in the gap that holds the cell's
    centre (or, when its centre is covered, in a gap it touches).
    """
    gap = demand.area.difference(covered) if not covered.is_empty else demand.area
    parts, where = [], []
    for code, _, sub in demand.subdistricts:
        for piece in shapely.get_parts(shapely.intersection(gap, sub)):
            if piece.area >= MIN_GAP_M2 and "Polygon" in piece.geom_type:
                parts.append(piece)
                where.append(code)
    if not parts:
        return []
    parts = np.array(parts)
    people = np.zeros(len(parts))
    uncovered = demand.people * (1 - fractions) if len(demand.cells) else np.array([])
    todo = np.flatnonzero(uncovered > 0) if len(uncovered) else np.array([], dtype=int)
    if len(todo):
        tree = shapely.STRtree(parts)
        centres = shapely.centroid(demand.cells[todo])
        ci, pi = tree.query(centres, predicate="within")
        owner = np.full(len(todo), -1)
        owner[ci] = pi
        rest = np.flatnonzero(owner < 0)
        if len(rest):
            ri, rp = tree.query(demand.cells[todo[rest]], predicate="intersects")
            first = np.unique(ri, return_index=True)[1]
            owner[rest[ri[first]]] = rp[first]
        known = owner >= 0
        np.add.at(people, owner[known], uncovered[todo[known]])
    order = np.lexsort((-shapely.area(parts), -people))[:MAX_GAPS]
    return [
        _feature(
            parts[i],
            {
                "kind": "gap",
                "rank": rank + 1,
                "subdistrict": where[i],
                "area_m2": round(float(parts[i].area)),
                "people": round(float(people[i])),
            },
        )
        for rank, i in enumerate(order)
    ]


def _where_sql(qs) -> tuple[str, list]:
    """The WHERE condition of ``qs`` on its own table (columns qualified by the table
    name), or ``id IN (its ids)`` when it needs joins; ``TRUE`` when it has none."""
    query = qs.query
    if len(query.alias_map) > 1:
        sql, params = qs.values("pk").query.sql_with_params()
        table = connection.ops.quote_name(qs.model._meta.db_table)
        return f"{table}.id IN ({sql})", list(params)
    if not query.where:
        return "TRUE", []
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(query.where)
    return sql, list(params)


def spacing_coverage(*, layer, rule: Rule, subdistrict=None) -> dict:
    """Dark stretches: roads to be lit where lights are more than ``default_m`` apart.

    A light lights half the spacing on each side: a stretch is dark where two consecutive
    lights (within 25 m of the road) are further apart than the spacing, or where a road
    end is more than half the spacing from its nearest light.

    Set-based and index-friendly at a million lights: the road parts are transformed to
    EPSG:32650 once (a materialised CTE: a few thousand rows); the lights are not, so the
    join ``ST_DWithin(ST_Transform(light, 32650), road, 25)`` probes a GiST index on that
    expression (the light layer declares it, e.g. ``streetlight_geom_utm50n``) for each
    road part instead of comparing every light with every road.
    """
    started = time.perf_counter()
    spec = layer.coverage
    along = registry.get(spec.along_layer)
    roads = (
        along.model.objects.filter(spec.along)
        if spec.along is not None
        else along.model.objects.all()
    )
    lights = (
        layer.model.objects.filter(spec.counted)
        if spec.counted is not None
        else layer.model.objects.all()
    )
    if subdistrict is not None:
        roads = roads.filter(subdistrict=subdistrict)
    roads_sql, roads_params = roads.values("pk").query.sql_with_params()
    road_table = along.model._meta.db_table
    light_table = connection.ops.quote_name(layer.model._meta.db_table)
    light_geom = connection.ops.quote_name(layer.model._meta.get_field(layer.geometry_field).column)
    # The lights stay a plain table in the join, so its condition is written on
    # ST_Transform(geom, 32650) itself: the expression the index holds.
    lights_where, lights_params = _where_sql(lights)
    spacing = rule.default_m
    sql = f"""
        WITH r AS MATERIALIZED (
            SELECT t.id, t.code, t.name, t.subdistrict_id, d.path[1] AS part,
                   ST_Transform(d.geom, {METRIC_SRID}) AS g
            FROM {road_table} t, ST_Dump(t.geom) d WHERE t.id IN ({roads_sql})),
        pos AS (
            SELECT r.id, r.part,
                   ST_LineLocatePoint(r.g, ST_Transform({light_table}.{light_geom}, {METRIC_SRID}))
                   * ST_Length(r.g) AS m
            FROM r JOIN {light_table}
              ON ST_DWithin(ST_Transform({light_table}.{light_geom}, {METRIC_SRID}), r.g, 25)
            WHERE {lights_where}),
        stops AS (
            SELECT r.id, r.part, ST_Length(r.g) AS len, p.m FROM r LEFT JOIN pos p
            ON p.id = r.id AND p.part = r.part),
        ordered AS (
            SELECT id, part, len, m,
                   lag(m) OVER (PARTITION BY id, part ORDER BY m) AS prev
            FROM stops WHERE m IS NOT NULL),
        gaps AS (
            -- between consecutive lights
            SELECT id, part, prev + %s / 2 AS a, m - %s / 2 AS b FROM ordered
            WHERE prev IS NOT NULL AND m - prev > %s
            UNION ALL  -- from the start of the road to the first light
            SELECT id, part, 0, min(m) - %s / 2 FROM ordered GROUP BY id, part
            HAVING min(m) > %s / 2
            UNION ALL  -- from the last light to the end of the road
            SELECT id, part, max(m) + %s / 2, max(len) FROM ordered GROUP BY id, part
            HAVING max(len) - max(m) > %s / 2
            UNION ALL  -- roads with no light at all
            SELECT id, part, 0, len FROM stops GROUP BY id, part, len
            HAVING count(m) = 0)
        SELECT code, name, subdistrict_id,
               -- geodesic metres, like the road lengths they are compared with
               ST_Length(ST_Transform(piece, 4326)::geography) AS dark_m, ST_AsBinary(piece)
        FROM (SELECT r.code, r.name, r.subdistrict_id,
                     ST_LineSubstring(r.g, g.a / ST_Length(r.g), g.b / ST_Length(r.g)) AS piece
              FROM gaps g JOIN r ON r.id = g.id AND r.part = g.part WHERE g.b > g.a) d
        ORDER BY dark_m DESC"""
    half = spacing
    params = [*roads_params, *lights_params, half, half, spacing, half, half, half, half]
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT compiles this statement for seconds (PostGIS functions are costed high) and
        # gains nothing; its sorts of a million light positions fit in memory with more
        # than the default 4 MB (they spilled to disk, external merges, at 100k lights).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = %s", [settings.GEOCM["ANALYSIS_WORK_MEM"]])
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    query_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(sum(ST_Length(t.geom::geography)), 0) FROM {road_table} t "
            f"WHERE t.id IN ({roads_sql})",
            roads_params,
        )
        lit_total = cursor.fetchone()[0]
    names = dict(Subdistrict.objects.values_list("pk", "name"))
    dark_total = float(sum(r[3] for r in rows))
    by_sub = {}
    for _, _, sub, dark, _ in rows:
        by_sub[names.get(sub, "")] = by_sub.get(names.get(sub, ""), 0.0) + dark
    features = [
        _feature(
            shapely.from_wkb(bytes(wkb)),
            {"kind": "dark", "road": code, "road_name": name, "length_m": round(float(dark), 1)},
            0.5,
        )
        for code, name, _, dark, wkb in rows[: MAX_GAPS * 10]
    ]
    stats = {
        "roads_length_m": round(lit_total, 1),
        "dark_length_m": round(dark_total, 1),
        "dark_share": round(dark_total / lit_total, 4) if lit_total else None,
        "dark_segments": len(rows),
        "by_subdistrict": [
            {"name": k, "dark_length_m": round(v, 1)}
            for k, v in sorted(by_sub.items(), key=lambda kv: -kv[1])
        ],
        "timings": {
            "dark_stretches_query": round(query_s, 4),
            "total": round(time.perf_counter() - started, 4),
        },
    }
    return {"stats": stats, "geojson": {"type": "FeatureCollection", "features": features}}


# ---- caching --------------------------------------------------------------------------------


def data_version(*, layer, mode) -> str:
    """Changes when the layer's features, the demand, the areas, the rules or roads change."""
    parts = []
    models = [layer.model, PopulationArea, Subdistrict]
    if layer.coverage.along_layer:
        models.append(registry.get(layer.coverage.along_layer).model)
    for model in models:
        agg = model.objects.aggregate(
            n=Count("pk"),
            m=Max("pk"),
            **(
                {"t": Max("updated_at")}
                if any(f.name == "updated_at" for f in model._meta.fields)
                else {}
            ),
        )
        parts.append(json.dumps(agg, default=str, sort_keys=True))
    rules = CoverageRule.objects.filter(layer=layer.slug).aggregate(
        n=Count("pk"), t=Max("updated_at")
    )
    parts.append(json.dumps(rules, default=str, sort_keys=True))
    if mode == "network":
        parts.append(network.network_data_version())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def _coverage_key(*, layer_slug, mode, distance_m, subdistrict):
    """(cache key, rule, mode, data version) of a coverage question."""
    if mode not in MODES:
        raise CoverageError(f"Unknown mode '{mode}'.")
    layer = registry.get(layer_slug)
    rule = rule_for(layer_slug=layer_slug, distance_m=distance_m)
    if rule.kind == "spacing":
        mode = "straight"  # a spacing rule measures along each road; there is no network mode
    version = data_version(layer=layer, mode=mode)
    key = hashlib.sha256(
        json.dumps(
            [
                layer_slug,
                mode,
                rule.default_m,
                sorted(rule.by_kind.items()),
                subdistrict.code if subdistrict else None,
                version,
            ]
        ).encode()
    ).hexdigest()
    return key, rule, mode, version


def coverage_cached(
    *,
    layer_slug: str,
    mode: str = "straight",
    distance_m: float | None = None,
    subdistrict: Subdistrict | None = None,
) -> CoverageResult | None:
    """The cached answer for the current data, or None when it must be computed (a job)."""
    key, _rule, _mode, _version = _coverage_key(
        layer_slug=layer_slug, mode=mode, distance_m=distance_m, subdistrict=subdistrict
    )
    return CoverageResult.objects.filter(cache_key=key).first()


def coverage_get(
    *,
    layer_slug: str,
    mode: str = "straight",
    distance_m: float | None = None,
    subdistrict: Subdistrict | None = None,
    refresh: bool = False,
) -> CoverageResult:
    """The coverage answer, from the cache when nothing it depends on has changed.

    Computes when needed: call it from a job (``coverage.refresh``), not from a request.
    """
    layer = registry.get(layer_slug)
    key, rule, mode, version = _coverage_key(
        layer_slug=layer_slug, mode=mode, distance_m=distance_m, subdistrict=subdistrict
    )
    if not refresh:
        cached = CoverageResult.objects.filter(cache_key=key).first()
        if cached is not None:
            return cached
    started = time.perf_counter()
    if rule.kind == "spacing":
        answer = spacing_coverage(layer=layer, rule=rule, subdistrict=subdistrict)
    else:
        answer = radius_coverage(layer=layer, rule=rule, mode=mode, subdistrict=subdistrict)
    answer["stats"]["rule"] = {
        "distance_m": rule.default_m,
        "by_kind": rule.by_kind,
        "standard": rule.standard,
        "kind": rule.kind,
    }
    result, _ = CoverageResult.objects.update_or_create(
        cache_key=key,
        defaults={
            "layer": layer_slug,
            "mode": mode,
            "distance_m": rule.default_m,
            "subdistrict": subdistrict,
            "data_version": version,
            "stats": answer["stats"],
            "geojson": json.dumps(answer["geojson"], ensure_ascii=False),
            "seconds": time.perf_counter() - started,
        },
    )
    return result


# ---- where to build next ----------------------------------------------------------------


def _candidate_points(*, area, candidates_layer, mode, spacing_m=200.0):
    """Candidate sites (EPSG:32650): a candidate layer's features, else network nodes (or a
    grid when there is no network), thinned to one per ``spacing_m`` grid square."""
    if candidates_layer is not None:
        layer = registry.get(candidates_layer)
        if layer is None:
            raise CoverageError(f"Unknown candidate layer '{candidates_layer}'.")
        column = layer.model._meta.get_field(layer.geometry_field).column
        rows = _metric_wkb(
            f"SELECT ST_AsBinary(ST_PointOnSurface(ST_Transform(t.{column}, {METRIC_SRID}))) "
            f"FROM {layer.model._meta.db_table} t ORDER BY t.id",
            [],
        )
        points = shapely.from_wkb([bytes(r[0]) for r in rows])
    elif mode == "network" or network.NetworkVertex.objects.exists():
        network.network_build()
        rows = _metric_wkb(
            f"SELECT DISTINCT ON (round(ST_X(geom) / %s), round(ST_Y(geom) / %s)) "
            f"ST_AsBinary(geom) FROM {network.VERTEX_TABLE} "
            f"ORDER BY round(ST_X(geom) / %s), round(ST_Y(geom) / %s), id",
            [spacing_m] * 4,
        )
        points = shapely.from_wkb([bytes(r[0]) for r in rows])
    else:
        minx, miny, maxx, maxy = area.bounds
        xs, ys = np.meshgrid(np.arange(minx, maxx, spacing_m), np.arange(miny, maxy, spacing_m))
        points = shapely.points(xs.ravel(), ys.ravel())
    if len(points) == 0:
        return points
    return points[shapely.contains(area, points)]


def _reach_pairs(*, candidates, targets, distance_m, mode):
    """(candidate index, target index) pairs within ``distance_m`` metres."""
    if mode == "straight":
        tree = shapely.STRtree(targets)
        ci, ti = tree.query(candidates, predicate="dwithin", distance=distance_m)
        return ci, ti
    snap_m = settings.GEOCM["NETWORK_SNAP_M"]
    cand_snap = network.snap_points(shapely.to_wkb(candidates).tolist(), snap_m)
    targ_snap = network.snap_points(shapely.to_wkb(targets).tolist(), snap_m)
    start_of = {}
    for i, (vid, dist) in enumerate(cand_snap):
        if vid is not None:
            start_of.setdefault(vid, []).append((i, dist))
    targets_at = {}
    for j, (vid, dist) in enumerate(targ_snap):
        if vid is not None:
            targets_at.setdefault(vid, []).append((j, dist))
    rows = network.reached_costs(list(start_of), distance_m, equicost=False)
    ci, ti = [], []
    for start, node, cost in rows:
        for j, tdist in targets_at.get(node, ()):
            for i, cdist in start_of[start]:
                if cost + tdist + cdist <= distance_m:
                    ci.append(i)
                    ti.append(j)
    return np.array(ci, dtype=int), np.array(ti, dtype=int)


def sites_propose(
    *,
    layer_slug: str,
    k: int,
    mode: str = "straight",
    distance_m: float | None = None,
    candidates_layer: str | None = None,
    subdistrict: Subdistrict | None = None,
) -> dict:
    """Propose ``k`` new sites that cover the most people not covered today.

    Greedy maximal covering: each round takes the candidate that adds the most uncovered
    people (population areas are represented by a point on their surface, weighted by the
    uncovered share of their people). Reports what each pick adds, in order.
    """
    if mode not in MODES:
        raise CoverageError(f"Unknown mode '{mode}'.")
    layer = registry.get(layer_slug)
    rule = rule_for(layer_slug=layer_slug, distance_m=distance_m)
    if rule.kind != "radius":
        raise CoverageError(f"Layer '{layer_slug}' is measured by spacing, not by radius.")
    timings = {}
    facilities = facilities_metric(layer)
    demand = demand_metric(subdistrict=subdistrict)
    if mode == "network":
        by_distance, _ = service_areas_network(facilities, [rule.default_m], timings)
    else:
        by_distance = service_areas_straight(facilities, [rule.default_m])
    plain = Rule(layer=rule.layer, kind=rule.kind, default_m=rule.default_m)
    fractions = _covered_fraction(demand.cells, demand.kinds, by_distance, plain)
    weights = demand.people * (1 - fractions)
    targets = shapely.point_on_surface(demand.cells) if len(demand.cells) else np.array([])
    candidates = _candidate_points(area=demand.area, candidates_layer=candidates_layer, mode=mode)
    picks = []
    if len(candidates) and len(targets):
        ci, ti = _reach_pairs(
            candidates=candidates, targets=targets, distance_m=rule.default_m, mode=mode
        )
        remaining = weights.copy()
        for _ in range(k):
            if len(ci) == 0:
                break
            gains = np.bincount(ci, weights=remaining[ti], minlength=len(candidates))
            best = int(np.argmax(gains))
            if gains[best] <= 0:
                break
            remaining[ti[ci == best]] = 0.0
            lon, lat = TO_WGS84.transform(candidates[best].x, candidates[best].y)
            picks.append(
                {
                    "rank": len(picks) + 1,
                    "lon": round(lon, 6),
                    "lat": round(lat, 6),
                    "added_people": round(float(gains[best])),
                    "cumulative_people": round(float(weights.sum() - remaining.sum())),
                }
            )
    # Where each pick is, in words (subdistrict, nearest road), for the planners' list.
    picks = sites_place(sites=picks)
    total = float(demand.people.sum())
    covered_now = float(total - weights.sum())
    added = picks[-1]["cumulative_people"] if picks else 0
    return {
        "layer": layer_slug,
        "mode": mode,
        "distance_m": rule.default_m,
        "k": k,
        "candidates": int(len(candidates)),
        "population": round(total),
        "covered_now": round(covered_now),
        "covered_after": round(covered_now + added),
        "sites": picks,
        "geojson": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                    "properties": {"kind": "proposal", **p},
                }
                for p in picks
            ],
        },
    }
