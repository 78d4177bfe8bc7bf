"""The demo's synthetic street plan: the roads every demo builder places things along.

The network is grown in EPSG:32650 metres: main roads through each 街道's centre, then
secondary and branch roads branching off them at right angles (T and cross junctions),
then alleys off those. Most roads are in the built-up east (江浦, 泰山, 顶山, 沿江);
the forested 老山 massif gets main roads only. Everything is clipped to the outline. It is
a core-level plan, like the areas: the streets app turns it into Road records, and the
other apps put their car parks, toilets and greenways beside it (``DemoContext.roads``).
"""

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point

from .areas import TOWNS, town_seeds_metric
from .common import rng_for
from .geo import INNER_MARGIN_M, clip_line, core_metric, to_metric
from .names import NamePool

# Degrees clockwise from north. The eastern street grid follows the Yangtze (SW-NE).
GRID_HEADING = 35.0
# 老山 forest park: no secondary, branch or alley roads within this radius (metres).
LAOSHAN = (118.57, 32.09)
LAOSHAN_RADIUS_M = 2500.0


@dataclass(frozen=True)
class RoadClassSpec:
    """How roads of one class are grown: how many, how long (metres), off which parents.

    ``urban_share`` is the share of roads placed around the four eastern 街道;
    ``reach_m`` how far from a 街道 centre a junction may be; ``gap_m`` the least distance
    from a new road's midpoint to any other road (keeps parallels apart).
    """

    road_class: str
    count: int
    length_m: tuple[float, float]
    parents: tuple[str, ...]
    urban_share: float
    reach_m: float
    gap_m: float
    suffixes: tuple[str, ...]
    wiggle_deg: float
    crossing: float  # share of roads that cross their parent instead of ending at it


SPECS = (
    RoadClassSpec(
        road_class="secondary", count=35, length_m=(1500, 4000), parents=("main",),
        urban_share=0.72, reach_m=3500, gap_m=300, suffixes=("路",), wiggle_deg=1.5,
        crossing=0.5,
    ),
    RoadClassSpec(
        road_class="branch", count=100, length_m=(500, 2000), parents=("main", "secondary"),
        urban_share=0.78, reach_m=3000, gap_m=150, suffixes=("路", "路", "街"),
        wiggle_deg=2.5, crossing=0.4,
    ),
    RoadClassSpec(
        road_class="alley", count=50, length_m=(150, 600), parents=("secondary", "branch"),
        urban_share=1.0, reach_m=2200, gap_m=50, suffixes=("巷",), wiggle_deg=4.0,
        crossing=0.0,
    ),
)  # fmt: skip
# Main roads per 街道 (15 in all): two or three through each eastern centre.
MAIN_ROADS = {
    "江浦街道": 3,
    "泰山街道": 2,
    "顶山街道": 2,
    "沿江街道": 2,
    "盘城街道": 1,
    "永宁街道": 1,
    "汤泉街道": 2,
    "星甸街道": 1,
    "桥林街道": 1,
}
MIN_LENGTH_M = {"main": 3000, "secondary": 1000, "branch": 400, "alley": 150}
# Statuses other than in_service, drawn from secondary and branch roads.
OTHER_ROAD_STATUSES = ["under_construction"] * 5 + ["planned"] * 3 + ["closed"] * 2


@dataclass
class RoadPlan:
    """A road before it becomes a model instance; ``line`` is in EPSG:32650 metres."""

    code: str
    name: str
    road_class: str
    town: str
    line: MultiLineString
    status: str = "in_service"


def _polyline(rng, start, heading, length, *, step, wiggle) -> list[tuple[float, float]]:
    """Vertices from ``start`` walking ``length`` metres, the heading drifting a little."""
    x, y = start
    points = [(x, y)]
    remaining = length
    while remaining > 1e-6:
        s = min(step, remaining)
        heading += rng.gauss(0.0, wiggle)
        x += s * math.sin(math.radians(heading))
        y += s * math.cos(math.radians(heading))
        points.append((x, y))
        remaining -= s
    return points


def _through(rng, centre, heading, length, before, *, step, wiggle) -> LineString:
    """A line through ``centre``: ``before`` metres behind it, the rest ahead."""
    back = _polyline(rng, centre, heading + 180.0, before, step=step, wiggle=wiggle)
    ahead = _polyline(rng, centre, heading, length - before, step=step, wiggle=wiggle)
    return LineString(back[::-1] + ahead[1:]) if before > 0 else LineString(ahead)


def _heading_at(line: LineString, distance: float) -> float:
    """The line's direction (degrees clockwise from north) at ``distance`` metres along it."""
    a = line.interpolate(max(distance - 5.0, 0.0))
    b = line.interpolate(min(distance + 5.0, line.length))
    return math.degrees(math.atan2(b.x - a.x, b.y - a.y))


class _Network:
    """The growing road network with the checks a new road must pass."""

    def __init__(self):
        self.roads: list[RoadPlan] = []
        self.laoshan = to_metric(Point(LAOSHAN)).buffer(LAOSHAN_RADIUS_M)

    def too_close(self, line, gap, parent) -> bool:
        others = [r.line for r in self.roads if r is not parent]
        if not others:
            return False
        mid = line.interpolate(0.5, normalized=True)
        return bool(np.min(shapely.distance(others, mid)) < gap)


def plan_roads(seed: int) -> list[RoadPlan]:
    """About 200 roads (15 main, 35 secondary, 100 branch, 50 alley) in EPSG:32650."""
    rng = rng_for(seed, "roads")
    names = NamePool()
    centres = town_seeds_metric()
    net = _Network()

    for town, count in MAIN_ROADS.items():
        for i in range(count):
            for _ in range(200):
                # Alternate along and across the grid (give or take 8 degrees).
                heading = GRID_HEADING + 90.0 * (i % 2) + rng.gauss(0.0, 8.0)
                length = rng.uniform(4000, 10000)
                c = centres[town]
                centre = (c.x + rng.gauss(0, 700), c.y + rng.gauss(0, 700))
                line = _through(
                    rng,
                    centre,
                    heading,
                    length,
                    length * rng.uniform(0.35, 0.65),
                    step=500,
                    wiggle=1.5,
                )
                clipped = clip_line(line)
                if clipped is None or clipped.length < MIN_LENGTH_M["main"]:
                    continue
                if net.too_close(clipped, 600, None):
                    continue
                suffix = rng.choice(("路", "大道"))
                net.roads.append(
                    RoadPlan("", names.road(rng, suffix, directional=0.0), "main", town, clipped)
                )
                break

    urban = [t.name for t in TOWNS if t.urban]
    rural = [t.name for t in TOWNS if not t.urban]
    for spec in SPECS:
        made = 0
        attempts = 0
        while made < spec.count and attempts < spec.count * 400:
            attempts += 1
            pool = urban if rng.random() < spec.urban_share else rural
            town = rng.choice(pool)
            parents = [r for r in net.roads if r.town == town and r.road_class in spec.parents]
            if not parents:
                continue
            parent = rng.choice(parents)
            part = max(parent.line.geoms, key=lambda g: g.length)
            at = rng.uniform(0.1, 0.9) * part.length
            junction = part.interpolate(at)
            reach = spec.reach_m if town in urban else spec.reach_m * 0.8
            if junction.distance(centres[town]) > reach:
                continue
            heading = _heading_at(part, at) + rng.choice((90.0, -90.0)) + rng.gauss(0.0, 4.0)
            length = rng.uniform(*spec.length_m)
            before = length * rng.uniform(0.3, 0.5) if rng.random() < spec.crossing else 0.0
            line = _through(
                rng,
                (junction.x, junction.y),
                heading,
                length,
                before,
                step=min(400.0, length / 3),
                wiggle=spec.wiggle_deg,
            )
            clipped = clip_line(line)
            if clipped is None or clipped.length < MIN_LENGTH_M[spec.road_class]:
                continue
            if clipped.intersects(net.laoshan) or net.too_close(clipped, spec.gap_m, parent):
                continue
            name = names.road(rng, rng.choice(spec.suffixes))
            net.roads.append(RoadPlan("", name, spec.road_class, town, clipped))
            made += 1

    candidates = [r for r in net.roads if r.road_class in ("secondary", "branch")]
    for road, status in zip(
        rng.sample(candidates, len(OTHER_ROAD_STATUSES)), OTHER_ROAD_STATUSES, strict=True
    ):
        road.status = status
    for i, road in enumerate(net.roads, start=1):
        road.code = f"DL-{i:04d}"
    return net.roads


def roadside_point(rng, roads, *, towns, classes, offset_m, reach_m, margin_m=60.0):
    """A point (EPSG:32650) ``offset_m`` metres beside a road of ``classes`` in ``towns``.

    The road is drawn at random, the point uniformly along it, within ``reach_m`` metres
    of its 街道 centre and at least ``margin_m`` metres inside the district outline. Where
    a 街道 has no such road near its centre (some seeds leave a rural one with little
    more than a main road), any class will do and the reach grows by ``reach_m`` every
    200 draws.
    """
    centres = town_seeds_metric()
    in_towns = [r for r in roads if r.town in towns and r.status == "in_service"]
    candidates = [r for r in in_towns if r.road_class in classes] or [
        r for r in in_towns if r.road_class != "alley"
    ]
    core = core_metric(max(margin_m, INNER_MARGIN_M))
    for attempt in range(2000):
        road = rng.choice(candidates)
        part = rng.choice(road.line.geoms)
        at = rng.uniform(0.0, part.length)
        heading = _heading_at(part, at) + rng.choice((90.0, -90.0))
        base = part.interpolate(at)
        point = Point(
            base.x + offset_m * math.sin(math.radians(heading)),
            base.y + offset_m * math.cos(math.radians(heading)),
        )
        reach = reach_m * (1 + attempt // 200)
        if point.distance(centres[road.town]) <= reach and core.contains(point):
            return point, road
    raise RuntimeError(f"No roadside point in {towns}.")
