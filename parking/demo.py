"""Demo parking: ~60 facilities, one Berth row per berth, sharing windows, occupancy.

Facilities sit beside the demo roads (mostly in the urban east); berths are laid out as
stall grids around the entrance point (on-street ones along the kerb), computed in
EPSG:32650 metres. Total capacity is about 4,200 berths, of which about 1,000 opened in
2023.
"""

import datetime as dt
import math
from dataclasses import dataclass

from shapely.geometry import Point

from geo_cm.demo import DEMO_SOURCE, DemoContext
from geo_cm.demo.areas import TOWNS
from geo_cm.demo.common import REFERENCE_TIME, SHANGHAI, in_year, rng_for
from geo_cm.demo.geo import django_geom
from geo_cm.demo.names import NamePool
from geo_cm.demo.roadplan import roadside_point

from .models import Berth, Facility, OccupancyReport, SharingWindow

DEMO_ORDER = 20
DEMO_PURE = True  # demo_build only adds rows to the context


@dataclass(frozen=True)
class FacilityType:
    """One kind of car park the demo makes ``count`` of.

    ``name`` is a pattern with {road}, {root} and {town} (the 街道); ``berths`` the range
    of capacity before scaling; ``shares`` names the sharing-window pattern it may offer.
    """

    ownership: str
    kind: str
    count: int
    name: str
    berths: tuple[int, int]
    ev_share: tuple[float, float] = (0.0, 0.0)
    shares: str = ""
    fee: tuple[str, ...] = ()


FACILITY_TYPES = (
    FacilityType(
        "public",
        "on_street",
        8,
        "{road}路内停车泊位",
        (10, 30),
        (0.0, 0.0),
        "",
        ("首15分钟免费，之后2元/小时", "白天2元/小时，20:00-次日07:00免费"),
    ),
    FacilityType(
        "public",
        "surface",
        8,
        "{town}{road}公共停车场",
        (30, 80),
        (0.04, 0.1),
        "",
        ("首1小时免费，之后2元/小时", "3元/小时，每日封顶20元"),
    ),
    FacilityType(
        "public",
        "garage",
        3,
        "{road}公共停车楼",
        (120, 250),
        (0.06, 0.12),
        "",
        ("首1小时免费，之后2元/小时",),
    ),
    FacilityType(
        "public",
        "mechanical",
        3,
        "{road}机械式立体停车库",
        (30, 80),
        (0.0, 0.05),
        "",
        ("3元/小时，每日封顶20元",),
    ),
    FacilityType(
        "public",
        "underground",
        2,
        "{root}广场地下公共停车场",
        (100, 200),
        (0.08, 0.15),
        "",
        ("首1小时免费，之后3元/小时",),
    ),
    FacilityType(
        "institution",
        "underground",
        1,
        "浦口区政府机关停车场",
        (150, 150),
        (0.03, 0.06),
        "office",
        ("内部车辆免费",),
    ),
    FacilityType(
        "institution",
        "surface",
        1,
        "浦口区政务服务中心停车场",
        (80, 80),
        (0.03, 0.06),
        "office",
        ("办事群众2小时内免费",),
    ),
    FacilityType(
        "institution",
        "surface",
        4,
        "{town}办事处停车场",
        (30, 60),
        (0.0, 0.05),
        "office",
        ("内部车辆免费",),
    ),
    FacilityType(
        "institution",
        "surface",
        3,
        "{root}小学停车场",
        (25, 60),
        (0.0, 0.0),
        "school",
        ("教职工车辆免费",),
    ),
    FacilityType(
        "institution",
        "surface",
        2,
        "{root}中学停车场",
        (30, 60),
        (0.0, 0.0),
        "school",
        ("教职工车辆免费",),
    ),
    FacilityType(
        "institution",
        "surface",
        2,
        "{town}社区卫生服务中心停车场",
        (30, 50),
        (0.0, 0.04),
        "",
        ("首30分钟免费，之后2元/小时",),
    ),
    FacilityType(
        "institution",
        "underground",
        1,
        "{root}文化中心停车场",
        (80, 120),
        (0.04, 0.08),
        "office",
        ("首1小时免费，之后2元/小时",),
    ),
    FacilityType(
        "commercial",
        "underground",
        4,
        "{root}商业广场地下停车场",
        (150, 300),
        (0.08, 0.15),
        "mall",
        ("消费满100元免费2小时，之后5元/小时",),
    ),
    FacilityType(
        "commercial",
        "garage",
        3,
        "{root}购物中心停车楼",
        (120, 250),
        (0.08, 0.15),
        "mall",
        ("5元/小时，每日封顶40元",),
    ),
    FacilityType(
        "commercial",
        "surface",
        2,
        "{root}酒店停车场",
        (30, 60),
        (0.05, 0.1),
        "",
        ("住店客人免费，其他5元/小时",),
    ),
    FacilityType(
        "commercial",
        "surface",
        3,
        "{root}农贸市场停车场",
        (20, 50),
        (0.0, 0.0),
        "",
        ("首30分钟免费，之后2元/小时",),
    ),
    FacilityType(
        "commercial",
        "underground",
        2,
        "{root}大厦地下停车场",
        (80, 150),
        (0.06, 0.12),
        "office",
        ("5元/小时，每日封顶30元",),
    ),
    FacilityType(
        "residential",
        "underground",
        5,
        "{root}花园地下车库",
        (100, 250),
        (0.1, 0.2),
        "",
        ("业主月租250元/月，临停5元/小时",),
    ),
    FacilityType(
        "residential",
        "surface",
        5,
        "{root}苑停车场",
        (30, 80),
        (0.0, 0.05),
        "",
        ("业主免费，临停3元/小时",),
    ),
)
TOTAL_BERTHS = 4200
OPENED_2023 = (900, 1100)
OTHER_STATUSES = ["planned"] * 2 + ["under_construction"] * 2 + ["suspended"] * 2
# Stall pitch along a row and between rows (stall plus half an aisle), metres.
STALL_W, ROW_D = 2.6, 8.0
PER_LEVEL = {"garage": 200, "underground": 180}


@dataclass
class _Plan:
    """A facility before it becomes a model instance (``point`` in EPSG:32650)."""

    ftype: FacilityType
    name: str
    point: Point
    heading: float
    road_name: str
    town: str
    berths: int = 0
    status: str = "open"
    opened_on: dt.date | None = None


def _layout(rng, plan: _Plan) -> list[tuple[Point, int | None]]:
    """Berth positions (EPSG:32650) and levels: stall grids, or a kerb row for on-street."""
    kind, n = plan.ftype.kind, plan.berths
    h = math.radians(plan.heading)
    ux, uy = math.sin(h), math.cos(h)  # along the road
    vx, vy = uy, -ux  # across it
    cx, cy = plan.point.x, plan.point.y
    if kind == "on_street":
        # Both kerbs (6 m either side of the centre line), 6 m per berth.
        slots = [((i // 2) - (n - 1) / 4, 6.0 if i % 2 else -6.0) for i in range(n)]
        return [
            (Point(cx + a * 6.0 * ux + b * vx, cy + a * 6.0 * uy + b * vy), None) for a, b in slots
        ]
    levels = math.ceil(n / PER_LEVEL[kind]) if kind in PER_LEVEL else 1
    levels = max(levels, 2) if kind == "garage" else levels
    out = []
    for level in range(levels):
        count = n // levels + (level < n % levels)
        cols = max(1, math.ceil(math.sqrt(count * ROW_D / STALL_W)))
        rows = math.ceil(count / cols)
        for i in range(count):
            a = (i % cols - (cols - 1) / 2) * STALL_W + rng.uniform(-0.2, 0.2)
            b = (i // cols - (rows - 1) / 2) * ROW_D + rng.uniform(-0.2, 0.2)
            point = Point(cx + a * ux + b * vx, cy + a * uy + b * vy)
            floor = {"garage": level + 1, "underground": -(level + 1)}.get(kind)
            out.append((point, floor))
    return out


def _place(rng, roads, ftype: FacilityType, plans: list[_Plan]):
    """A roadside entrance point (EPSG:32650) at least 150 m from other car parks."""
    urban = [t.name for t in TOWNS if t.urban]
    rural = [t.name for t in TOWNS if not t.urban]
    kerb = ftype.kind == "on_street"
    for _ in range(200):
        # Draw the 街道 first, so every one gets its share whatever its road count.
        is_urban = rng.random() < 0.8
        towns = [rng.choice(urban if is_urban else rural)]
        point, road = roadside_point(
            rng,
            roads,
            towns=towns,
            classes=("secondary", "branch") if kerb else ("main", "secondary", "branch"),
            # On-street berths line both kerbs; the facility point is on the centre line.
            offset_m=0.0 if kerb else rng.uniform(40.0, 80.0),
            reach_m=2500.0 if is_urban else 1200.0,
            margin_m=100.0,
        )
        if all(point.distance(p.point) > 150.0 for p in plans):
            return point, road
    raise RuntimeError("No room for another demo car park.")


def _plans(rng, roads) -> list[_Plan]:
    names = NamePool()
    plans: list[_Plan] = []
    for ftype in FACILITY_TYPES:
        made = 0
        while made < ftype.count:
            point, road = _place(rng, roads, ftype, plans)
            one_per_town = "{town}" in ftype.name and "{road}" not in ftype.name
            if one_per_town and road.town in {p.town for p in plans if p.ftype is ftype}:
                continue  # one street office / health centre per 街道
            root = names.root(rng) if "{root}" in ftype.name else ""
            name = ftype.name.format(road=road.name, town=road.town, root=root)
            if name in {p.name for p in plans}:
                continue
            part = min(road.line.geoms, key=lambda g: g.distance(point))
            d = part.project(point)
            a, b = part.interpolate(max(d - 5, 0)), part.interpolate(min(d + 5, part.length))
            heading = math.degrees(math.atan2(b.x - a.x, b.y - a.y))
            plans.append(
                _Plan(
                    ftype,
                    name,
                    point,
                    heading,
                    road.name,
                    road.town,
                    berths=rng.randint(*ftype.berths),
                )
            )
            made += 1
    # Scale capacities so the district has about TOTAL_BERTHS.
    factor = TOTAL_BERTHS / sum(p.berths for p in plans)
    for p in plans:
        p.berths = max(6, round(p.berths * factor))
    return plans


def _statuses_and_dates(rng, plans: list[_Plan]) -> None:
    """A few facilities not (or no longer) open; opening dates with ~1,000 berths in 2023."""
    # Car parks that offer sharing windows stay open (windows are offered by open ones).
    others = [p for p in plans if not p.ftype.shares and p.ftype.kind != "on_street"]
    for plan, status in zip(rng.sample(others, len(OTHER_STATUSES)), OTHER_STATUSES, strict=True):
        plan.status = status
    in_2023 = 0
    for plan in rng.sample(plans, len(plans)):
        if plan.status in ("planned", "under_construction"):
            continue
        if (
            plan.status == "open"
            and in_2023 + plan.berths <= OPENED_2023[1]
            and (in_2023 < OPENED_2023[0])
        ):
            plan.opened_on = in_year(rng, 2023)
            in_2023 += plan.berths
        else:
            year = rng.choice([y for y in range(2015, 2025) if y != 2023])
            plan.opened_on = in_year(rng, year)


@dataclass
class ParkingData:
    """Unsaved model instances, in the order they must be written.

    ``window_created_at`` holds, window by window, when the window was entered (its
    ``created_at``, which the shared-parking plan metric reads), since ``auto_now_add``
    would otherwise stamp the load time.
    """

    facilities: list
    berths: list
    windows: list
    reports: list
    window_created_at: list


# Sharing-window patterns: (weekdays, start, end, audience, price).
WINDOWS = {
    "office": [
        ([1, 2, 3, 4, 5], "19:00", "07:30", "residents", "周边居民夜间包月100元/月"),
        ([6, 7], "08:00", "20:00", "public", "首1小时免费，之后2元/小时"),
    ],
    "school": [
        ([1, 2, 3, 4, 5], "18:30", "07:00", "residents", "夜间免费，需登记车牌"),
        ([6, 7], "08:00", "18:00", "public", "首1小时免费，之后2元/小时"),
    ],
    "mall": [
        ([1, 2, 3, 4, 5], "08:00", "17:30", "public", "首1小时免费，之后2元/小时"),
        ([1, 2, 3, 4, 5, 6, 7], "22:30", "07:30", "residents", "夜间5元/次"),
    ],
}
WINDOW_FACILITIES = 14
TWO_WINDOWS = 6  # 14 facilities, 6 of them with two windows: 20 windows


def _windows(rng, facilities, plans) -> list:
    candidates = [
        (f, p)
        for f, p in zip(facilities, plans, strict=True)
        if p.ftype.shares and p.status == "open"
    ]
    chosen = rng.sample(candidates, WINDOW_FACILITIES)
    windows = []
    for i, (facility, plan) in enumerate(chosen):
        patterns = WINDOWS[plan.ftype.shares]
        for weekdays, start, end, audience, price in patterns[: 2 if i < TWO_WINDOWS else 1]:
            valid_from = (
                in_year(rng, 2023) if rng.random() < 0.4 else in_year(rng, rng.choice((2021, 2022)))
            )
            windows.append(
                SharingWindow(
                    facility=facility,
                    weekdays=weekdays,
                    start_time=dt.time.fromisoformat(start),
                    end_time=dt.time.fromisoformat(end),
                    berths_shared=max(1, round(facility.total_berths * rng.uniform(0.3, 0.7))),
                    audience=audience,
                    price=price,
                    valid_from=valid_from,
                )
            )
    return windows


def _window_created_at(seed: int, windows) -> list[dt.datetime]:
    """When each window was entered: on an office day a few days to three weeks before it
    took effect (within the same year), in office hours, Asia/Shanghai time.

    Drawn from a stream of its own, so the rest of the parking data is unchanged.
    """
    rng = rng_for(seed, "parking-windows-created")
    times = []
    for window in windows:
        valid_from = window.valid_from or dt.date(2022, 6, 1)
        day = max(
            valid_from - dt.timedelta(days=rng.randint(3, 21)), dt.date(valid_from.year, 1, 1)
        )
        while day.isoweekday() > 5 and day > dt.date(valid_from.year, 1, 1):
            day -= dt.timedelta(days=1)
        minutes = rng.randint(9 * 60, 17 * 60 + 30)
        times.append(
            dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=SHANGHAI)
        )
    return times


def _reports(rng, facilities) -> list:
    """100 occupancy reports on 10 open car parks over the 3 days before REFERENCE_TIME."""
    fed = [f for f in facilities if f.status == "open" and f.kind != "on_street"]
    fed = sorted(rng.sample(fed, 10), key=lambda f: f.code)
    reports = []
    for facility in fed:
        for k in range(10):
            at = REFERENCE_TIME - dt.timedelta(hours=7 * k + rng.uniform(0, 3))
            busy = 0.8 if 8 <= at.hour < 20 else 0.35
            occupied = min(
                facility.total_berths,
                max(0, round(facility.total_berths * min(1.0, rng.gauss(busy, 0.12)))),
            )
            reports.append(
                OccupancyReport(
                    facility=facility,
                    observed_at=at.replace(microsecond=0),
                    free_berths=facility.total_berths - occupied,
                    occupied_berths=occupied,
                    source=DEMO_SOURCE,
                )
            )
    return reports


def build_parking(seed: int, roads) -> ParkingData:
    """Model instances for facilities, their berths, sharing windows and occupancy."""
    rng = rng_for(seed, "parking")
    plans = _plans(rng, roads)
    _statuses_and_dates(rng, plans)
    facilities, berths = [], []
    for i, plan in enumerate(plans, start=1):
        ft = plan.ftype
        ev = round(plan.berths * rng.uniform(*ft.ev_share))
        accessible = 0 if ft.kind == "on_street" else max(1, round(plan.berths * 0.02))
        facility = Facility(
            code=f"TC-{i:03d}",
            name=plan.name,
            address=f"南京市浦口区{plan.road_name}{rng.randint(1, 300)}号",
            kind=ft.kind,
            ownership=ft.ownership,
            total_berths=plan.berths,
            ev_berths=ev,
            accessible_berths=accessible,
            fee_summary=rng.choice(ft.fee),
            operator=_operator(plan),
            opened_on=plan.opened_on,
            status=plan.status,
            geom=django_geom(plan.point),
            source=DEMO_SOURCE,
        )
        facilities.append(facility)
        if plan.status in ("planned", "under_construction"):
            continue  # capacity on paper only: no berths painted yet
        kinds = ["ev"] * ev + ["accessible"] * accessible
        for j, (point, level) in enumerate(_layout(rng, plan), start=1):
            off = plan.status == "suspended" or rng.random() < 0.015
            berths.append(
                Berth(
                    code=f"{facility.code}-{j:04d}",
                    facility=facility,
                    kind=kinds[j - 1] if j <= len(kinds) else "standard",
                    level=level,
                    status="out_of_service" if off else "available",
                    geom=django_geom(point),
                    source=DEMO_SOURCE,
                )
            )
    windows = _windows(rng, facilities, plans)
    return ParkingData(
        facilities=facilities,
        berths=berths,
        windows=windows,
        reports=_reports(rng, facilities),
        window_created_at=_window_created_at(seed, windows),
    )


def _operator(plan: _Plan) -> str:
    """Who runs the car park: the unit itself, its property manager, or the district."""
    if plan.ftype.ownership == "public":
        return "浦口区公共停车运营单位（示例）"
    if plan.ftype.ownership == "institution":
        return plan.name.removesuffix("停车场")
    return plan.name[:2] + "物业服务中心"


def demo_build(ctx: DemoContext) -> None:
    """Car parks beside the demo's roads, their berths, sharing windows and occupancy."""
    data = build_parking(ctx.seed, ctx.roads)
    ctx.add(data.facilities, summary="parking facilities")
    ctx.add(data.berths, summary="berths")
    ctx.add(data.windows, summary="sharing windows", created_at=data.window_created_at)
    ctx.add(data.reports, summary="occupancy reports")
