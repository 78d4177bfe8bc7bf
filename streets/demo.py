"""The streets app's demo: roads (from the demo's street plan), ~3,000 street lights,
45 lighting retrofits and 12 back-alley projects, all synthetic (``DEMO_SOURCE``).

Discovered by ``geo_cm.demo`` like ``layers.py``; ``demo_build`` adds unsaved records to
the context, which writes them through the asset-write module. Geometries are made in
EPSG:32650 metres and stored in EPSG:4326.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import shapely
from shapely.ops import substring

from geo_cm.demo import DEMO_SOURCE, DemoContext
from geo_cm.demo.areas import TOWNS, town_seeds_metric
from geo_cm.demo.common import in_year, rng_for, weighted_order
from geo_cm.demo.geo import clip_line, django_geom, inner_metric
from geo_cm.demo.roadplan import RoadPlan

from .models import BackAlleyProject, LightingRetrofit, Road, StreetLight

DEMO_ORDER = 10
DEMO_PURE = True  # demo_build only adds rows to the context


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


@dataclass
class StreetsData:
    """Unsaved model instances, in the order they must be written."""

    roads: list
    lights: list
    retrofits: list
    alleys: list


def build_streets(seed: int, roads: list[RoadPlan]) -> StreetsData:
    """Model instances for roads, ~3,000 street lights, 45 retrofits and 12 back alleys."""
    rng = rng_for(seed, "lights")
    rows = {}  # road code -> the Road record made from its plan
    for road in roads:
        rows[road.code] = Road(
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
                    road=rows[lr.road.code],
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
                    road=rows[lr.road.code],
                    year=year,
                    status=status,
                    lamps=working,
                    power_before_w=working * hps_w,
                    power_after_w=working * led_w,
                    completed_on=done,
                    geom=rows[lr.road.code].geom,
                    source=DEMO_SOURCE,
                )
            )
    retrofits.sort(key=lambda r: r.code)
    return StreetsData(
        roads=[rows[r.code] for r in roads],
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


def demo_build(ctx: DemoContext) -> None:
    """Roads from the demo's street plan, then their lights, retrofits and back alleys."""
    data = build_streets(ctx.seed, ctx.roads)
    ctx.add(data.roads, summary="roads")
    ctx.add(data.lights, summary="street lights")
    ctx.add(data.retrofits, summary="lighting retrofits")
    ctx.add(data.alleys, summary="back-alley projects")
