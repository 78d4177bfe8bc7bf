"""Demo greenways (绿道): three routes cut into ~20 km of segments, EPSG:32650 -> 4326.

老山绿道 circles the 老山 forest park, 滨江绿道 follows the Yangtze bank 250 m inland of
the district boundary, 象山湖绿道 loops round a lake in 江浦. About 15 km are completed,
about 10 km of them in 2023.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring

from geo_cm.demo import DEMO_SOURCE, DemoContext
from geo_cm.demo.common import in_year, rng_for
from geo_cm.demo.geo import clip_line, core_metric, django_geom, outline_metric, to_metric
from geo_cm.demo.roadplan import LAOSHAN

from .models import Route, Segment

DEMO_ORDER = 40
DEMO_PURE = True  # demo_build only adds rows to the context

RIVERSIDE_START = (118.680, 32.082)  # near 沿江: the riverside route runs SW from here
RIVERSIDE_LENGTH_M = 7500.0
XIANGSHAN_LAKE = (118.600, 32.040)
SEGMENT_M = (800.0, 2200.0)
COMPLETED_M, COMPLETED_2023_M = 15000.0, 10000.0


@dataclass(frozen=True)
class RouteSpec:
    code: str
    name: str
    description: str
    surfaces: tuple[str, ...]
    widths: tuple[str, ...]


ROUTES = (
    RouteSpec(
        "GWR-01",
        "老山绿道",
        "环老山国家森林公园的登山健身步道（示例数据）",
        ("permeable", "gravel", "timber"),
        ("2.50", "3.00"),
    ),
    RouteSpec(
        "GWR-02",
        "滨江绿道",
        "沿长江岸线的骑行与步行绿道（示例数据）",
        ("asphalt", "permeable", "timber"),
        ("4.00", "5.00", "6.00"),
    ),
    RouteSpec(
        "GWR-03",
        "象山湖绿道",
        "环象山湖的休闲步道（示例数据）",
        ("pavers", "timber", "permeable"),
        ("3.00", "4.00"),
    ),
)


def _laoshan(rng) -> LineString:
    """An arc of ~8 km round 老山, 2.8 km out, its radius wavering like a hillside path."""
    c = to_metric(Point(LAOSHAN))
    start = rng.uniform(180.0, 220.0)
    pts = []
    for k in range(121):
        a = math.radians(start + 165.0 * k / 120)
        r = 2800.0 + 250.0 * math.sin(3 * a) + rng.uniform(-30, 30)
        pts.append((c.x + r * math.sin(a), c.y + r * math.cos(a)))
    return LineString(pts)


def _riverside() -> LineString:
    """RIVERSIDE_LENGTH_M along the district boundary, 250 m inland, heading south-west."""
    # The inward buffer pinches off the narrow north-east neck: keep the largest piece.
    inland = outline_metric().buffer(-250.0)
    body = max(getattr(inland, "geoms", [inland]), key=lambda g: g.area)
    ring = body.exterior.simplify(20.0)
    at = ring.project(to_metric(Point(RIVERSIDE_START)))
    ahead = substring(ring, at, min(at + RIVERSIDE_LENGTH_M, ring.length))
    back = substring(ring, max(at - RIVERSIDE_LENGTH_M, 0.0), at)
    # Whichever way round the ring the river lies, take the stretch ending further south.
    line = min((ahead, back), key=lambda g: min(y for _, y in g.coords))
    return line if line.coords[0][1] > line.coords[-1][1] else line.reverse()


def _lake(rng, roads) -> LineString:
    """A ~3.7 km loop round an oval lake (700 m x 450 m), its long axis along the grid.

    The lake goes as near XIANGSHAN_LAKE as it can without a demo road running through
    it: candidate centres on a 250 m grid, nearest first.
    """
    tilt = math.radians(35.0)
    oval = []
    for k in range(97):
        a = 2 * math.pi * k / 96
        wobble = rng.uniform(-10, 10) if 0 < k < 96 else 0.0  # keep the loop closed
        x, y = 700.0 * math.cos(a), 450.0 * math.sin(a) + wobble
        oval.append(
            (x * math.cos(tilt) + y * math.sin(tilt), -x * math.sin(tilt) + y * math.cos(tilt))
        )
    lines = [r.line for r in roads]
    c = to_metric(Point(XIANGSHAN_LAKE))
    offsets = sorted(
        ((dx * 250.0, dy * 250.0) for dx in range(-12, 13) for dy in range(-12, 13)),
        key=lambda d: (math.hypot(*d), d),
    )
    for dx, dy in offsets:
        loop = LineString([(c.x + dx + x, c.y + dy + y) for x, y in oval])
        lake = Polygon(loop.coords).buffer(40.0)
        if core_metric(100.0).contains(lake) and not any(lake.intersects(g) for g in lines):
            return loop
    raise RuntimeError("No room for the demo lake; move XIANGSHAN_LAKE.")


def _cut(rng, line: LineString) -> list[LineString]:
    """Consecutive pieces of SEGMENT_M length; the last one 0.5-2.5 km long."""
    pieces, at = [], 0.0
    while line.length - at > SEGMENT_M[1] + 500.0:
        step = rng.uniform(*SEGMENT_M)
        pieces.append(substring(line, at, at + step))
        at += step
    pieces.append(substring(line, at, line.length))
    return pieces


@dataclass
class GreenwaysData:
    routes: list
    segments: list


def build_greenways(seed: int, roads) -> GreenwaysData:
    """Routes and ~20 km of segments across all statuses."""
    rng = rng_for(seed, "greenways")
    routes, pieces = [], []
    route_lines = (_laoshan(rng), _riverside(), _lake(rng, roads))
    for spec, route_line in zip(ROUTES, route_lines, strict=True):
        route = Route(code=spec.code, name=spec.name, description=spec.description)
        routes.append(route)
        for n, piece in enumerate(_cut(rng, route_line), start=1):
            line = clip_line(piece)
            if line is not None:
                pieces.append((spec, route, n, line))

    # Statuses: completed in 2023 until ~10 km, then completed in 2022/2024 until ~15 km;
    # the rest alternate between under construction and planned.
    status_of, done, done_2023, other = {}, 0.0, 0.0, 0
    for i in rng.sample(range(len(pieces)), len(pieces)):
        length = pieces[i][3].length
        if done_2023 < COMPLETED_2023_M - 500:
            status_of[i] = ("completed", 2023)
            done_2023 += length
            done += length
        elif done < COMPLETED_M - 500:
            status_of[i] = ("completed", rng.choice((2022, 2024)))
            done += length
        else:
            status_of[i] = (("under_construction", "planned")[other % 2], None)
            other += 1

    segments = []
    for i, (spec, route, n, line) in enumerate(pieces):
        status, year = status_of[i]
        segments.append(
            Segment(
                code=f"GW-{i + 1:03d}",
                route=route,
                name=f"{spec.name}第{n}段",
                status=status,
                completed_on=in_year(rng, year) if year else None,
                surface=rng.choice(spec.surfaces),
                width_m=Decimal(rng.choice(spec.widths)),
                geom=django_geom(line),
                source=DEMO_SOURCE,
            )
        )
    return GreenwaysData(routes=routes, segments=segments)


def demo_build(ctx: DemoContext) -> None:
    """Three routes and their segments."""
    data = build_greenways(ctx.seed, ctx.roads)
    ctx.add(data.routes, summary="greenway routes")
    ctx.add(data.segments, summary="greenway segments")


def demo_delete() -> int:
    """The demo routes left without segments once the demo segments are deleted (routes
    have no source of their own)."""
    emptied = Route.objects.filter(code__in=[r.code for r in ROUTES], segments__isnull=True)
    return emptied.delete()[0]
