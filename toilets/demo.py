"""Demo public toilets (公厕): ~150 points, EPSG:4326, generated in EPSG:32650 metres.

City toilets line the roads of the urban east (and the rural 街道 centres), scenic ones
are scattered over the 老山 forest park, rural ones sit in the western villages, and a
few social units (malls, banks, service halls) open theirs to the public (开放联盟).
"""

import datetime as dt
import math

from shapely.geometry import Point

from geo_cm.demo import DEMO_SOURCE, DemoContext
from geo_cm.demo.areas import TOWNS, town_seeds_metric
from geo_cm.demo.common import in_year, random_date, rng_for
from geo_cm.demo.geo import core_metric, django_geom, to_metric
from geo_cm.demo.names import NamePool
from geo_cm.demo.roadplan import LAOSHAN, roadside_point

from .models import Toilet

DEMO_ORDER = 30
DEMO_PURE = True  # demo_build only adds rows to the context

CITY, SCENIC, RURAL, ALLIANCE = 105, 15, 22, 8
SCENIC_RADIUS_M = 4000.0
SCENIC_SPOTS = (
    "北门",
    "南门",
    "东门",
    "西门",
    "游客中心",
    "狮子岭",
    "七佛寺",
    "兜率寺",
    "观景台",
    "森林步道",
    "露营地",
    "停车场",
    "茶园",
    "龙洞",
    "望江亭",
    "枫林谷",
)
ALLIANCE_UNITS = (
    "{root}购物中心",
    "{root}商业广场",
    "浦口区政务服务中心",
    "{town}为民服务中心",
    "{root}银行营业网点",
    "{root}加油站",
    "{root}酒店",
    "{root}图书馆",
)
# Status other than open (count), and projects: (kind, year completed) for 20 toilets.
OTHER_STATUSES = (
    ["planned"] * 3 + ["under_construction"] * 3 + ["closed_for_repair"] * 3 + ["removed"] * 2
)
PROJECTS = (
    [("new", 2022)] * 2
    + [("renovated", 2022)] * 2
    + [("new", 2023)] * 4
    + [("renovated", 2023)] * 7
    + [("new", 2024)] * 2
    + [("renovated", 2024)] * 3
)
MIN_GAP_M = 150.0


def _grade(rng, weights: tuple[float, float, float, float]) -> str:
    return rng.choices(("1", "2", "3", "none"), weights=weights)[0]


def _amenities(rng, grade: str) -> dict:
    """Accessible cubicle, family room and baby changing: likelier the higher the grade."""
    share = {
        "1": (0.95, 0.7, 0.8),
        "2": (0.7, 0.25, 0.4),
        "3": (0.3, 0.0, 0.1),
        "none": (0.2, 0.0, 0.05),
    }[grade]
    return {
        "accessible": rng.random() < share[0],
        "family_room": rng.random() < share[1],
        "baby_change": rng.random() < share[2],
    }


def _hours(rng, share_24h: float, daytime: tuple[str, ...]) -> dict:
    if rng.random() < share_24h:
        return {"open_24h": True, "opening_hours": "24小时"}
    return {"open_24h": False, "opening_hours": rng.choice(daytime)}


def build_toilets(seed: int, roads) -> list:
    """About 150 toilets of every category, denser in the urban east."""
    rng = rng_for(seed, "toilets")
    names = NamePool()
    urban = [t.name for t in TOWNS if t.urban]
    rural = [t.name for t in TOWNS if not t.urban]
    centres = town_seeds_metric()
    points: list[Point] = []
    toilets = []

    def spaced(point: Point) -> bool:
        return all(point.distance(p) >= MIN_GAP_M for p in points)

    def add(point, **values):
        points.append(point)
        toilets.append(
            Toilet(
                code=f"GC-{len(toilets) + 1:04d}",
                geom=django_geom(point),
                source=DEMO_SOURCE,
                **values,
            )
        )

    used_names: set[str] = set()
    while len(toilets) < CITY:
        # Draw the 街道 first, so every one gets its share whatever its road count.
        is_urban = rng.random() < 0.82
        towns = [rng.choice(urban if is_urban else rural)]
        point, road = roadside_point(
            rng,
            roads,
            towns=towns,
            classes=("main", "secondary", "branch"),
            offset_m=rng.uniform(15.0, 35.0),
            reach_m=3000.0 if is_urban else 1500.0,
        )
        name = f"{road.name}公厕"
        n = 2
        while name in used_names:
            name, n = f"{road.name}{n}号公厕", n + 1
        if not spaced(point):
            continue
        used_names.add(name)
        grade = _grade(rng, (0.3, 0.5, 0.2, 0.0))
        add(
            point,
            name=name,
            address=f"南京市浦口区{road.name}",
            category="city",
            grade=grade,
            managing_unit=f"{road.town}环卫所",
            **_hours(rng, 0.35, ("06:00-22:00", "05:30-22:30", "06:30-21:30")),
            **_amenities(rng, grade),
        )

    laoshan = to_metric(Point(LAOSHAN))
    spots = iter(rng.sample(SCENIC_SPOTS, SCENIC))
    while len(toilets) < CITY + SCENIC:
        r = SCENIC_RADIUS_M * math.sqrt(rng.random())
        a = rng.uniform(0.0, 2 * math.pi)
        point = Point(laoshan.x + r * math.sin(a), laoshan.y + r * math.cos(a))
        if not (
            core_metric(60.0).contains(point) and point.distance(laoshan) > 300 and spaced(point)
        ):
            continue
        grade = _grade(rng, (0.4, 0.5, 0.1, 0.0))
        add(
            point,
            name=f"老山景区{next(spots)}公厕",
            address="南京市浦口区老山景区",
            category="scenic",
            grade=grade,
            managing_unit="老山景区管理处",
            **_hours(rng, 0.0, ("07:00-18:00", "06:30-18:30")),
            **_amenities(rng, grade),
        )

    west = [t for t in rural if centres[t].x < laoshan.x]
    while len(toilets) < CITY + SCENIC + RURAL:
        centre = centres[rng.choice(west)]
        r = rng.uniform(1500.0, 6000.0)
        a = rng.uniform(0.0, 2 * math.pi)
        point = Point(centre.x + r * math.sin(a), centre.y + r * math.cos(a))
        if not (
            core_metric(60.0).contains(point)
            and point.distance(laoshan) > SCENIC_RADIUS_M
            and spaced(point)
        ):
            continue
        village = names.village(rng)
        grade = _grade(rng, (0.0, 0.1, 0.5, 0.4))
        add(
            point,
            name=f"{village}公厕",
            address=f"南京市浦口区{village}",
            category="rural",
            grade=grade,
            managing_unit=f"{village}村民委员会",
            **_hours(rng, 0.5, ("06:00-20:00", "06:00-21:00")),
            **_amenities(rng, grade),
        )

    for pattern in ALLIANCE_UNITS:
        while True:
            point, road = roadside_point(
                rng,
                roads,
                towns=urban,
                classes=("main", "secondary"),
                offset_m=rng.uniform(30.0, 60.0),
                reach_m=2500.0,
            )
            if spaced(point):
                break
        unit = pattern.format(root=names.root(rng), town=road.town)
        add(
            point,
            name=f"{unit}对外开放厕所",
            address=f"南京市浦口区{road.name}",
            category="alliance",
            grade="none",
            managing_unit=unit,
            **_hours(rng, 0.0, ("09:00-21:00", "08:30-17:30", "10:00-22:00")),
            **_amenities(rng, "2"),
        )

    _statuses_and_projects(rng, toilets)
    return toilets


def _statuses_and_projects(rng, toilets) -> None:
    """Open by default; a few planned, being built, closed or removed; 20 recent projects."""
    for toilet in toilets:
        toilet.status = "open"
    candidates = [t for t in toilets if t.category in ("city", "rural")]
    for toilet, status in zip(
        rng.sample(candidates, len(OTHER_STATUSES)), OTHER_STATUSES, strict=True
    ):
        toilet.status = status
        if status in ("planned", "under_construction"):
            toilet.project = "new"  # the project is under way: no completion date yet
    open_ones = [t for t in toilets if t.status == "open" and t.category != "alliance"]
    for toilet, (kind, year) in zip(rng.sample(open_ones, len(PROJECTS)), PROJECTS, strict=True):
        toilet.project = kind
        toilet.completed_on = in_year(rng, year)
        if kind == "new" and toilet.grade in ("3", "none"):
            toilet.grade = "2"  # new builds meet at least class II
    for toilet in toilets:
        if toilet.status in ("open", "closed_for_repair") and rng.random() < 0.8:
            since = max(dt.date(2024, 1, 1), toilet.completed_on or dt.date.min)
            toilet.last_verified_on = random_date(rng, since, dt.date(2024, 12, 30))


def demo_build(ctx: DemoContext) -> None:
    """About 150 toilets of every category."""
    ctx.add(build_toilets(ctx.seed, ctx.roads), summary="toilets")
