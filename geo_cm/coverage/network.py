"""The walking network: built in PostGIS from the road layer, searched with pgRouting.

Why pgRouting: the roads already live in PostGIS, pgr_drivingDistance answers "every node
within D metres of any of these starts" in one set-based call (equicost: each node goes
to its nearest start), and nothing has to be copied into a Python graph per request.
Edges are in EPSG:32650 so that cost is length in metres.
"""

import hashlib
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max

from ..registry import registry
from .models import METRIC_SRID, NetworkBuild, NetworkEdge, NetworkVertex

EDGE_TABLE = NetworkEdge._meta.db_table
VERTEX_TABLE = NetworkVertex._meta.db_table


def network_layer():
    layer = registry.get(settings.GEOCM["NETWORK_LAYER"])
    if layer is None:
        name = settings.GEOCM["NETWORK_LAYER"]
        raise LookupError(f"GEOCM['NETWORK_LAYER'] names no layer: {name}")
    return layer


def _network_queryset():
    layer = network_layer()
    # Roads that people can walk: everything but planned or closed ones.
    walkable = {"in_service", "under_construction"} & set(layer.status_machine.states)
    qs = layer.model.objects.all()
    if walkable:
        qs = qs.filter(**{f"{layer.status_field}__in": walkable})
    return layer, qs


def network_data_version() -> str:
    """Changes whenever a walkable road is added, changed or removed."""
    _, qs = _network_queryset()
    agg = qs.aggregate(n=Count("pk"), last=Max("updated_at"), ids=Max("pk"))
    node = settings.GEOCM["NETWORK_NODE_CROSSINGS"]
    raw = f"{agg['n']}|{agg['last']}|{agg['ids']}|{node}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


@transaction.atomic
def network_build(*, force: bool = False) -> NetworkBuild:
    """(Re)build the edge and vertex tables when the roads changed; returns the build row.

    Lines are split where they cross when GEOCM["NETWORK_NODE_CROSSINGS"] (survey data
    whose intersections share no vertex), then cut into edges of at most
    GEOCM["NETWORK_SEGMENT_M"] metres whose end points are snapped to a 1 cm grid, so that
    touching ends share a vertex.
    """
    version = network_data_version()
    current = NetworkBuild.objects.select_for_update().first()
    if current and current.data_version == version and not force:
        return current
    started = time.perf_counter()
    layer, qs = _network_queryset()
    ids_sql, ids_params = qs.values("pk").query.sql_with_params()
    geom = layer.model._meta.get_field(layer.geometry_field).column
    table = layer.model._meta.db_table
    parts = f"""
        SELECT (ST_Dump(ST_Force2D(ST_Transform(r.{geom}, {METRIC_SRID})))).geom AS g
        FROM {table} r WHERE r.id IN ({ids_sql})"""
    if settings.GEOCM["NETWORK_NODE_CROSSINGS"]:
        # Snap-rounding union on a 0.5 m grid: lines are split where they cross, and a
        # street ending within a quarter metre of another (a T junction digitised a hair
        # short, or off by reprojection) is joined to it.
        noded = f"SELECT (ST_Dump(ST_UnaryUnion(ST_Collect(p.g), 0.5))).geom AS g FROM ({parts}) p"
    else:
        noded = parts
    # Edges of at most NETWORK_SEGMENT_M: a facility or a home then lies within half of
    # that of a vertex, so snapping to vertices is as good as snapping onto edges.
    step = float(settings.GEOCM["NETWORK_SEGMENT_M"])
    pieces = f"""
        SELECT ST_MakeLine(s.geom, lead(s.geom) OVER w) AS g
        FROM (SELECT row_number() OVER () AS rid, q.g FROM ({noded}) q) n,
             LATERAL ST_DumpPoints(ST_Segmentize(n.g, {step})) s
        WINDOW w AS (PARTITION BY n.rid ORDER BY s.path)"""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {EDGE_TABLE}, {VERTEX_TABLE} RESTART IDENTITY")
        cursor.execute("DROP TABLE IF EXISTS _pieces")
        cursor.execute(
            f"""
            CREATE TEMP TABLE _pieces ON COMMIT DROP AS
            SELECT g, ST_SnapToGrid(ST_StartPoint(g), 0.01) AS a,
                      ST_SnapToGrid(ST_EndPoint(g), 0.01) AS b
            FROM ({pieces}) x WHERE ST_Length(g) > 0.01""",
            ids_params,
        )
        cursor.execute(f"""
            INSERT INTO {VERTEX_TABLE} (geom)
            SELECT DISTINCT p FROM (SELECT a AS p FROM _pieces UNION SELECT b FROM _pieces) v""")
        cursor.execute(f"""
            INSERT INTO {EDGE_TABLE} (source, target, cost, geom)
            SELECT va.id, vb.id, ST_Length(p.g), p.g
            FROM _pieces p
            JOIN {VERTEX_TABLE} va ON va.geom = p.a
            JOIN {VERTEX_TABLE} vb ON vb.geom = p.b""")
        cursor.execute(f"ANALYZE {EDGE_TABLE}")
        cursor.execute(f"ANALYZE {VERTEX_TABLE}")
    NetworkBuild.objects.all().delete()
    return NetworkBuild.objects.create(
        data_version=version,
        edges=NetworkEdge.objects.count(),
        vertices=NetworkVertex.objects.count(),
        seconds=time.perf_counter() - started,
    )


EDGES_SQL = f"SELECT id, source, target, cost, cost AS reverse_cost FROM {EDGE_TABLE}"


def snap_points(wkb_points: list[bytes], max_m: float) -> list[tuple[int | None, float]]:
    """Nearest network vertex (id, metres) for each point (WKB, EPSG:32650), or None."""
    if not wkb_points:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT p.i, v.id, ST_Distance(v.geom, p.g)
            FROM (SELECT ordinality AS i, ST_SetSRID(ST_GeomFromWKB(w), {METRIC_SRID}) AS g
                  FROM unnest(%s::bytea[]) WITH ORDINALITY AS w) p
            CROSS JOIN LATERAL (
                SELECT id, geom FROM {VERTEX_TABLE} ORDER BY geom <-> p.g LIMIT 1) v
            ORDER BY p.i""",
            [[bytes(w) for w in wkb_points]],
        )
        rows = cursor.fetchall()
    return [(vid, dist) if dist <= max_m else (None, dist) for _, vid, dist in rows]


def reached_costs(starts: list[int], max_m: float, *, equicost: bool = True):
    """pgr_drivingDistance from many starts: rows of (start, node, agg_cost in metres)."""
    if not starts:
        return []
    with connection.cursor() as cursor:
        # A serial plan: the parallel one costs more than it saves on these small searches.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(
            "SELECT from_v, node, agg_cost FROM pgr_drivingDistance(%s, %s::bigint[], %s, "
            "directed => false, equicost => %s)",
            [EDGES_SQL, sorted(set(starts)), max_m, equicost],
        )
        return cursor.fetchall()


def reached_pieces(node_costs: dict[int, float], distance_m: float) -> list[bytes]:
    """The parts of edges within ``distance_m`` of a start, as WKB lines (EPSG:32650).

    ``node_costs`` maps reached nodes to their network distance from the nearest start.
    An edge whose two ends are reached with budgets that together span it is whole; else
    the part within the remaining budget is cut from each reached end.
    """
    if not node_costs:
        return []
    nodes = list(node_costs)
    costs = [node_costs[n] for n in nodes]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH c AS (SELECT unnest(%s::bigint[]) AS node, unnest(%s::float8[]) AS cost),
            e AS (
                SELECT e.geom, e.cost AS len,
                       GREATEST(%s - cs.cost, 0) AS from_a, GREATEST(%s - ct.cost, 0) AS from_b
                FROM {EDGE_TABLE} e
                LEFT JOIN c cs ON cs.node = e.source
                LEFT JOIN c ct ON ct.node = e.target
                WHERE cs.node IS NOT NULL OR ct.node IS NOT NULL)
            SELECT ST_AsBinary(CASE
                WHEN COALESCE(from_a, 0) + COALESCE(from_b, 0) >= len THEN geom
                WHEN COALESCE(from_a, 0) > 0 AND COALESCE(from_b, 0) > 0 THEN ST_Collect(
                    ST_LineSubstring(geom, 0, from_a / len),
                    ST_LineSubstring(geom, 1 - from_b / len, 1))
                WHEN COALESCE(from_a, 0) > 0 THEN ST_LineSubstring(geom, 0, from_a / len)
                ELSE ST_LineSubstring(geom, 1 - from_b / len, 1) END)
            FROM e WHERE COALESCE(from_a, 0) > 0 OR COALESCE(from_b, 0) > 0""",
            [nodes, costs, distance_m, distance_m],
        )
        return [bytes(row[0]) for row in cursor.fetchall()]
