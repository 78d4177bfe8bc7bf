"""Demo roads, street lights, lighting retrofits and back-alley projects.

The network is grown in EPSG:32650 metres: main roads through each 街道's centre, then
secondary and branch roads branching off them at right angles (T and cross junctions),
then alleys off those. Most roads are in the built-up east (江浦, 泰山, 顶山, 沿江);
the forested 老山 massif gets main roads only. Everything is clipped to the outline and
transformed to EPSG:4326 once, when the model instances are made.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import substring

from .areas import TOWNS, town_seeds_metric
from .common import DEMO_SOURCE, in_year, model, rng_for, weighted_order
from .geo import INNER_MARGIN_M, clip_line, core_metric, django_geom, inner_metric, to_metric
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
    instance: object = field(default=None, repr=False)


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


# Street lights ---------------------------------------------------------------------------

LIGHT_TARGET = 3000
# Only the built-up stretch of a road is lit: within this many metres of its 街道 centre.
LIT_RADIUS_M = {True: 2600.0, False: 1200.0}
LIGHT_OFFSET_M = {"main": 15.0, "secondary": 10.0, "branch": 7.0}
HPS_W = {"main": (250,), "secondary": (150, 250), "branch": (100, 150)}
LED_W = {"main": (150, 180, 200), "secondary": (90, 100, 120), "branch": (60, 80)}
LIT_WEIGHT = {
    (True, "main"): 3.0,
    (True, "secondary"): 3.0,
    (True, "branch"): 2.0,
    (False, "main"): 1.0,
    (False, "secondary"): 0.7,
    (False, "branch"): 0.5,
}
# Retrofits (45 roads): (status, year the work is filed under); completed ones finish then.
RETROFITS = (
    [("completed", 2022)] * 6
    + [("completed", 2023)] * 30
    + [("completed", 2024)] * 4
    + [("in_progress", 2024)] * 2
    + [("planned", 2024)] * 2
    + [("cancelled", 2023)]
)


@dataclass
class LitRoad:
    """The lit stretch of a road (EPSG:32650), its light points and lamp choices."""

    road: RoadPlan
    points: list
    retrofit: tuple[str, int] | None = None  # (status, year)
    retrofitted_on: dt.date | None = None
    led: bool = False


def _light_points(stretch, spacing, offset, staggered) -> list:
    """Points every ``spacing`` metres along ``stretch``, ``offset`` metres to the side."""
    points = []
    for part in stretch.geoms:
        if part.length < spacing:
            continue
        d = np.arange(spacing / 2, part.length, spacing)
        a = shapely.line_interpolate_point(part, np.maximum(d - 1.0, 0.0))
        b = shapely.line_interpolate_point(part, np.minimum(d + 1.0, part.length))
        dx, dy = shapely.get_x(b) - shapely.get_x(a), shapely.get_y(b) - shapely.get_y(a)
        norm = np.hypot(dx, dy)
        side = np.where(np.arange(len(d)) % 2 == 0, 1.0, -1.0) if staggered else 1.0
        on = shapely.line_interpolate_point(part, d)
        x = shapely.get_x(on) - dy / norm * offset * side
        y = shapely.get_y(on) + dx / norm * offset * side
        pts = shapely.points(x, y)
        points.extend(pts[shapely.contains(inner_metric(), pts)])
    return points


def _lit_roads(rng, roads) -> list[LitRoad]:
    """Choose which roads are lit until about LIGHT_TARGET lights; place their points."""
    centres = town_seeds_metric()
    urban = {t.name for t in TOWNS if t.urban}
    candidates = [r for r in roads if r.status == "in_service" and r.road_class != "alley"]
    ordered = weighted_order(rng, candidates, lambda r: LIT_WEIGHT[(r.town in urban, r.road_class)])
    lit, total = [], 0
    for road in ordered:
        circle = centres[road.town].buffer(LIT_RADIUS_M[road.town in urban])
        stretch = clip_line(shapely.intersection(road.line, circle))
        if stretch is None or stretch.length < 300:
            continue
        spacing = rng.uniform(30.0, 40.0)
        points = _light_points(
            stretch, spacing, LIGHT_OFFSET_M[road.road_class], staggered=road.road_class != "branch"
        )
        if total + len(points) > LIGHT_TARGET * 1.03:
            continue
        lit.append(LitRoad(road, points))
        total += len(points)
        if total >= LIGHT_TARGET * 0.98:
            break
    return lit


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


@dataclass
class StreetsData:
    """Unsaved model instances, in the order they must be written."""

    roads: list
    lights: list
    retrofits: list
    alleys: list


def build_streets(seed: int, roads: list[RoadPlan]) -> StreetsData:
    """Model instances for roads, ~3,000 street lights, 45 retrofits and 12 back alleys."""
    Road = model("streets.Road")
    StreetLight = model("streets.StreetLight")
    LightingRetrofit = model("streets.LightingRetrofit")
    rng = rng_for(seed, "lights")

    for road in roads:
        road.instance = Road(
            code=road.code,
            name=road.name,
            road_class=road.road_class,
            status=road.status,
            geom=django_geom(road.line),
            source=DEMO_SOURCE,
        )

    lit = _lit_roads(rng, roads)
    # Retrofits go to roads with 15 lamps or more (three lamps are not a project), more
    # often the shorter ones: the long main roads keep a mix of old and new lamps.
    eligible = weighted_order(
        rng, [lr for lr in lit if len(lr.points) >= 15], lambda lr: 1.0 / len(lr.points)
    )
    if len(eligible) < len(RETROFITS):
        raise RuntimeError("Too few lit roads for the demo retrofits; raise LIGHT_TARGET.")
    for lr, (status, year) in zip(eligible, RETROFITS, strict=False):
        lr.retrofit = (status, year)
        if status == "completed":
            lr.retrofitted_on = in_year(rng, year, 3 if year == 2023 else 1)
            lr.led = True
    # LED share ~60 %: completed retrofits are LED; other roads are LED, in random order,
    # until the share is reached (newer roads were built with LED, older ones with HPS).
    n_total = sum(len(lr.points) for lr in lit)
    n_led = sum(len(lr.points) for lr in lit if lr.led)
    for lr in rng.sample(lit, len(lit)):
        if n_led >= 0.6 * n_total:
            break
        if lr.retrofit is None:
            lr.led = True
            n_led += len(lr.points)

    lights, retrofits = [], []
    per_year: dict[int, int] = {}
    for lr in lit:
        road_class = lr.road.road_class
        hps_w, led_w = rng.choice(HPS_W[road_class]), rng.choice(LED_W[road_class])
        # Retrofitted roads and HPS roads are older; LED-from-the-start roads are newer.
        built = (
            rng.randint(2016, 2024) if lr.led and not lr.retrofitted_on else rng.randint(2010, 2018)
        )
        done = lr.retrofitted_on
        smart_share = 0.7 if done and done.year >= 2023 else (0.2 if lr.led else 0.0)
        working = 0
        for point in lr.points:
            u = rng.random()
            status = (
                "fault"
                if u < 0.03
                else "under_repair"
                if u < 0.04
                else "removed"
                if u < 0.046
                else "working"
            )
            working += status != "removed"
            lights.append(
                StreetLight(
                    code=f"LD-{len(lights) + 1:06d}",
                    road=lr.road.instance,
                    lamp_type="led" if lr.led else "hps",
                    power_w=led_w if lr.led else hps_w,
                    smart_controller=rng.random() < smart_share,
                    status=status,
                    installed_on=in_year(rng, built),
                    retrofitted_on=done,
                    geom=django_geom(point),
                    source=DEMO_SOURCE,
                )
            )
        if lr.retrofit:
            status, year = lr.retrofit
            per_year[year] = per_year.get(year, 0) + 1
            # lamps: the lights on the road still standing; power in watts for all of them.
            retrofits.append(
                LightingRetrofit(
                    code=f"GZ-{year}-{per_year[year]:03d}",
                    road=lr.road.instance,
                    year=year,
                    status=status,
                    lamps=working,
                    power_before_w=working * hps_w,
                    power_after_w=working * led_w,
                    completed_on=done,
                    geom=lr.road.instance.geom,
                    source=DEMO_SOURCE,
                )
            )
    retrofits.sort(key=lambda r: r.code)
    return StreetsData(
        roads=[r.instance for r in roads],
        lights=lights,
        retrofits=retrofits,
        alleys=_back_alleys(seed, roads),
    )


# Back alleys -----------------------------------------------------------------------------

# (stage, boutique, plan year) for the 12 projects.
ALLEY_PROJECTS = (
    ("accepted", True, 2023),
    ("accepted", False, 2023),
    ("completed", True, 2023),
    ("completed", True, 2023),
    ("completed", False, 2023),
    ("construction", False, 2023),
    ("construction", False, 2023),
    ("construction", False, 2023),
    ("design", False, 2023),
    ("design", False, 2023),
    ("planned", False, 2024),
    ("planned", False, 2024),
)
CONTRACTORS = ("示例市政工程一公司", "示例市政工程二公司", "示例园林建设公司")


def _alley_dates(rng: random.Random, stage: str) -> dict:
    """Works start, completion and acceptance dates consistent with the stage."""
    dates = {}
    if stage in ("construction", "completed", "accepted"):
        dates["started_on"] = in_year(rng, 2023, 3, 7)
    if stage in ("completed", "accepted"):
        dates["completed_on"] = dates["started_on"] + dt.timedelta(days=rng.randint(60, 150))
    if stage == "accepted":
        dates["accepted_on"] = dates["completed_on"] + dt.timedelta(days=rng.randint(20, 60))
    return dates


def _back_alleys(seed: int, roads: list[RoadPlan]) -> list:
    """12 back-alley projects: 150-500 m lines behind urban branch and secondary roads."""
    BackAlleyProject = model("streets.BackAlleyProject")
    rng = rng_for(seed, "back-alleys")
    urban = {t.name for t in TOWNS if t.urban}
    centres = town_seeds_metric()
    parents = [
        r
        for r in roads
        if r.town in urban and r.road_class in ("secondary", "branch") and r.status == "in_service"
    ]
    parents = weighted_order(
        rng, parents, lambda r: 1.0 / (1.0 + r.line.distance(centres[r.town]) / 500)
    )
    alleys, taken = [], []
    for parent in parents:
        if len(alleys) == len(ALLEY_PROJECTS):
            break
        part = max(parent.line.geoms, key=lambda g: g.length)
        length = rng.uniform(150.0, 500.0)
        if part.length < length + 100:
            continue
        start = rng.uniform(50.0, part.length - length - 50.0)
        stretch = substring(part, start, start + length)
        # "Behind the street": parallel to the road, one block (60-90 m) back.
        line = clip_line(stretch.offset_curve(rng.choice((-1, 1)) * rng.uniform(60.0, 90.0)))
        if line is None or len(line.geoms) > 1 or not 150.0 <= line.length <= 520.0:
            continue
        if taken and min(line.distance(t) for t in taken) < 150:
            continue
        taken.append(line)
        stage, boutique, plan_year = ALLEY_PROJECTS[len(alleys)]
        seq = sum(1 for a in alleys if a.plan_year == plan_year) + 1
        alleys.append(
            BackAlleyProject(
                code=f"BJ-{plan_year}-{seq:02d}",
                name=f"{parent.name}背街小巷",
                plan_year=plan_year,
                status=stage,
                boutique=boutique,
                budget_wan_yuan=Decimal(rng.randint(3000, 30000)) / 100,
                contractor=rng.choice(CONTRACTORS) if stage != "planned" else "",
                geom=django_geom(line),
                source=DEMO_SOURCE,
                **_alley_dates(rng, stage),
            )
        )
    return alleys
