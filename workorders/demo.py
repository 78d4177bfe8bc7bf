"""Demo data: a year (2023) of labelled synthetic work orders where the demo's assets and
people are, with timing that puts the plan's R7-R9 near their thresholds.

Every demo order has ``source = "demo (synthetic)"``, a ``DEMO-`` number and a
description saying it is synthetic. Orders about an asset are placed a few metres from
one (faulty lights first); the rest follow the population; some toilet and light
complaints fall where no toilet serves or no light shines, so the coverage map's demand
signal has something to show. Each subdistrict gets its own service quality, so the rates
differ between them. The same seed and the same assets give the same orders.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Point
from django.db import connection, transaction

from geo_cm.coverage.models import PopulationArea
from geo_cm.models import ChangeRecord, Subdistrict
from geo_cm.registry import registry
from geo_cm.services import assets_assign_subdistrict

from .deadlines import deadline_spans
from .models import Satisfaction, WorkOrder, WorkOrderEvent
from .models import WorkOrderStatus as S

# Runs after the assets and the population (the orders are placed by them).
DEMO_ORDER = 90
DEMO_SOURCE = "demo (synthetic)"
YEAR = 2023
COUNT = 4000
BATCH = 1000

CATEGORY_SHARE = {"sanitation": 0.28, "road": 0.14, "street_light": 0.17, "parking": 0.15,
                  "alley": 0.08, "toilet": 0.08, "greenway": 0.05, "other": 0.05}  # fmt: skip
CHANNEL_SHARE = {"12345": 0.72, "12319": 0.14, "web": 0.10, "field": 0.04}
# Complaints per month (summer brings more: rubbish, lights on long evenings, parking).
MONTH_WEIGHT = (0.8, 0.7, 0.9, 1.0, 1.1, 1.2, 1.3, 1.3, 1.1, 1.0, 0.9, 0.8)
DESCRIPTIONS = {
    "street_light": ("路灯不亮", "路灯白天常亮", "路灯闪烁", "灯杆倾斜", "一排路灯都不亮"),
    "toilet": ("公厕未开门", "公厕卫生差", "公厕缺少手纸", "附近没有公厕", "公厕水龙头坏了"),
    "parking": ("车辆乱停占道", "停车位不足", "共享停车场未按时开放", "占用消防通道"),
    "road": ("路面坑洼", "井盖缺失", "人行道破损", "道路积水"),
    "alley": ("小巷路灯暗", "小巷路面破损", "背街小巷堆物"),
    "greenway": ("绿道路面破损", "绿道标识缺失", "绿道照明不足"),
    "sanitation": ("垃圾未及时清运", "道路保洁不到位", "垃圾桶满溢", "建筑垃圾乱倒"),
    "other": ("占道经营", "户外广告破损", "噪声扰民"),
}
REJECTIONS = ("不属于城管职责，已转供电部门", "重复工单", "现场核实无此问题")
NEAR_ASSET = {"street_light": 0.75, "toilet": 0.6, "parking": 0.5, "greenway": 1.0,
              "road": 1.0, "alley": 1.0}  # fmt: skip


@dataclass
class Anchor:
    lon: float
    lat: float
    weight: float = 1.0
    layer: str = ""
    asset_id: int | None = None
    code: str = ""


@dataclass
class Demo:
    orders: list = field(default_factory=list)
    events: list = field(default_factory=list)  # (order index, WorkOrderEvent)


def _rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _layer_points(slug, *, where="", along=False):
    """Anchors at a layer's assets (a point on each line when ``along``), ordered by code."""
    layer = registry.get(slug)
    if layer is None:
        return []
    table = layer.model._meta.db_table
    geom = "ST_PointOnSurface(geom)" if not along else "ST_LineInterpolatePoint(" \
        "ST_GeometryN(geom, 1), 0.5)"  # fmt: skip
    found = _rows(
        f"SELECT id, code, ST_X({geom}), ST_Y({geom}), status FROM {table} "  # noqa: S608
        f"WHERE status <> 'removed' {where} ORDER BY code"
    )
    return [Anchor(x, y, 4.0 if status == "fault" else 1.0, slug, pk, code)
            for pk, code, x, y, status in found]  # fmt: skip


def _lines(slug, where=""):
    layer = registry.get(slug)
    if layer is None:
        return []
    table = layer.model._meta.db_table
    found = _rows(
        f"SELECT ST_AsBinary(geom) FROM {table} WHERE TRUE {where} ORDER BY code"  # noqa: S608
    )
    return [shapely.from_wkb(bytes(r[0])) for r in found]


def _population():
    """(polygon, people) of the current demand cells, ordered by code."""
    cells = PopulationArea.objects.filter(status="current").order_by("code")
    return [(shapely.from_wkt(c.geom.wkt), c.population) for c in cells.only("geom", "population")]


def _jitter(rng, lon, lat, metres):
    angle, distance = rng.uniform(0, 2 * math.pi), rng.uniform(2, metres)
    dlat = distance * math.sin(angle) / 111_320
    dlon = distance * math.cos(angle) / (111_320 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def _in_cell(rng, polygon):
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(50):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if polygon.contains(shapely.Point(x, y)):
            return x, y
    point = polygon.representative_point()
    return point.x, point.y


def _pick(rng, items, weights):
    return items[rng.choices(range(len(items)), weights=weights)[0]]


def _instant(rng, month_weights):
    month = rng.choices(range(1, 13), weights=month_weights)[0]
    days = (dt.date(YEAR + (month == 12), month % 12 + 1, 1) - dt.date(YEAR, month, 1)).days
    day = rng.randint(1, days)
    # Calls come from 7:00 to 22:00 mostly, a few at night.
    hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 10, 9, 8, 8, 9, 9,
                                           9, 9, 10, 10, 9, 7, 4, 2])[0]  # fmt: skip
    local = dt.datetime(YEAR, month, day, hour, rng.randint(0, 59), tzinfo=_SHANGHAI)
    return local


_SHANGHAI = dt.timezone(dt.timedelta(hours=8))
YEAR_END = dt.datetime(YEAR, 12, 31, 23, 59, tzinfo=_SHANGHAI)


def _quality(subdistricts, rng):
    """A service quality per subdistrict: 0.6 (better) .. 1.6 (worse) times the failures."""
    return {s.pk: rng.uniform(0.6, 1.6) for s in subdistricts}


def _locate(points, shapes):
    """The subdistrict pk holding each (lon, lat), None outside all."""
    tree = shapely.STRtree([g for _, g in shapes])
    located = []
    for lon, lat in points:
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        located.append(shapes[int(hits[0])][0] if len(hits) else None)
    return located


def build_orders(rng, *, count: int = COUNT) -> Demo:
    """Unsaved demo orders and their events (reads the assets, writes nothing)."""
    subdistricts = list(Subdistrict.objects.order_by("code"))
    shapes = [(s.pk, shapely.from_wkt(s.geom.wkt)) for s in subdistricts]
    quality = _quality(subdistricts, rng)
    people = _population()
    anchors = {
        "street_light": _layer_points("street-lights"),
        "toilet": _layer_points("toilets"),
        "parking": _layer_points("parking-facilities"),
        "greenway": _layer_points("greenways", along=True),
        "road": _layer_points("roads", along=True),
        "alley": _layer_points("back-alleys", along=True),
    }
    # Lit roads: a dark-stretch complaint lies along one (wherever the lights are).
    lit_roads = _lines("roads", "AND road_class IN ('main', 'secondary', 'branch')")
    cells = [p for p, _ in people]
    cell_weights = [max(n, 1) for _, n in people]
    categories = list(CATEGORY_SHARE)
    channels = list(CHANNEL_SHARE)
    demo = Demo()
    places = []
    plans = []
    for number in range(1, count + 1):
        category = rng.choices(categories, weights=list(CATEGORY_SHARE.values()))[0]
        channel = rng.choices(channels, weights=list(CHANNEL_SHARE.values()))[0]
        anchor = None
        pool = anchors.get(category) or []
        if pool and rng.random() < NEAR_ASSET.get(category, 0):
            anchor = _pick(rng, pool, [a.weight for a in pool])
            lon, lat = _jitter(rng, anchor.lon, anchor.lat, 25 if category != "road" else 8)
        elif category == "street_light" and lit_roads:
            road = lit_roads[rng.randrange(len(lit_roads))]
            point = shapely.line_interpolate_point(
                road.geoms[0] if hasattr(road, "geoms") else road, rng.random(), normalized=True
            )
            lon, lat = _jitter(rng, point.x, point.y, 10)
        elif cells:
            lon, lat = _in_cell(rng, _pick(rng, cells, cell_weights))
        else:
            continue
        places.append((lon, lat))
        plans.append((number, category, channel, anchor))
    located = _locate(places, shapes)
    for (number, category, channel, anchor), (lon, lat), sub in zip(
        plans, places, located, strict=True
    ):
        if sub is None:
            continue
        received = _instant(rng, MONTH_WEIGHT)
        order = WorkOrder(
            code=f"DEMO-{YEAR}{number:05d}",
            category=category,
            channel=channel,
            description=f"{rng.choice(DESCRIPTIONS[category])}（演示数据，合成）",
            status=S.RECEIVED,
            received_at=received,
            source=DEMO_SOURCE,
            geom=Point(round(lon, 7), round(lat, 7), srid=4326),
        )
        if anchor is not None:
            order.asset_layer, order.asset_id, order.asset_code = (anchor.layer, anchor.asset_id,
                                                                   anchor.code)  # fmt: skip
        order.team_id = sub
        events = _handle(rng, order, quality[sub])
        if order.dispatched_at is None:
            order.team_id = None  # never dispatched (dealt with on the spot, or too recent)
        for version, event in enumerate(events, start=1):
            event.order_version = version
        demo.events.extend((len(demo.orders), e) for e in events)
        demo.orders.append(order)
    return demo


def _event(order, action, at, before, note="", satisfaction=""):
    return WorkOrderEvent(order=None, action=action, from_status=before, to_status=order.status,
                          note=note, source=DEMO_SOURCE, at=at,
                          satisfaction=satisfaction)  # fmt: skip


def _handle(rng, order, q):
    """Take the order through its steps with realistic delays; returns its events.

    Failure chances scale with the subdistrict's quality ``q``: late replies ~0.7 %,
    rejected ~2 %, stuck open ~4 %, unsatisfied ~11 % (of which a quarter are reopened).
    """
    reply_span, resolve_span = deadline_spans(order.category)
    events = [_event(order, "received", order.received_at, "")]
    t = order.received_at

    def step(status, at, action, note="", satisfaction=""):
        before = order.status
        order.status = status
        events.append(_event(order, action, at, before, note, satisfaction))

    if order.channel == "field" and rng.random() < 0.5:
        # Found by a field team and dealt with on the spot.
        t += dt.timedelta(minutes=rng.randint(20, 180))
        order.replied_at, order.resolved_at, order.resolution = t, t, "现场处置（演示）"
        step(S.RESOLVED, t, "resolved", order.resolution)
        t += dt.timedelta(hours=rng.uniform(2, 30))
        order.closed_at, order.satisfaction = t, Satisfaction.NONE
        step(S.CLOSED, t, "closed", satisfaction=order.satisfaction)
        return _cut(order, events)
    t += dt.timedelta(minutes=rng.randint(5, 90))
    order.dispatched_at = t
    step(S.DISPATCHED, t, "dispatched")
    if rng.random() < 0.02 * q:
        t += dt.timedelta(hours=rng.uniform(1, 8))
        order.rejection_reason = rng.choice(
            ("不属于城管职责，已转供电部门", "重复工单", "现场核实无此问题")
        )
        step(S.REJECTED, t, "rejected", order.rejection_reason)
        return _cut(order, events)
    late = rng.random() < 0.007 * q
    reply_delay = reply_span * (rng.uniform(1.05, 2.5) if late else rng.uniform(0.05, 0.85))
    # The team replies once the order has reached it.
    order.replied_at = max(order.received_at + reply_delay, t + dt.timedelta(minutes=5))
    order.reply = "已收到，正在安排处理（演示）"
    step(S.REPLIED, order.replied_at, "replied", order.reply)
    if rng.random() < 0.04 * q:
        return _cut(order, events)  # stuck: no resolution by the year's end
    t = order.replied_at + resolve_span * rng.uniform(0.05, 0.9)
    for attempt in range(2):
        order.resolved_at, order.resolution = t, "已处理完毕（演示）"
        step(S.RESOLVED, t, "resolved", order.resolution)
        t += dt.timedelta(hours=rng.uniform(4, 60))
        roll = rng.random()
        if roll < 0.70:
            rating = Satisfaction.SATISFIED
        elif roll < 0.70 + 0.13:
            rating = Satisfaction.BASICALLY
        elif roll < 0.83 + 0.11 * q:
            rating = Satisfaction.UNSATISFIED
        else:
            rating = Satisfaction.NONE
        order.closed_at, order.satisfaction = t, rating
        step(S.CLOSED, t, "closed", satisfaction=rating)
        if rating != Satisfaction.UNSATISFIED or attempt == 1 or rng.random() > 0.25:
            break
        t += dt.timedelta(hours=rng.uniform(2, 24))
        order.reopened_at, order.reopen_count = t, order.reopen_count + 1
        order.resolved_at = order.closed_at = None
        order.satisfaction = ""
        step(S.REOPENED, t, "reopened", "市民回访不满意，重新办理（演示）")
        t += resolve_span * rng.uniform(0.1, 0.8)
    return _cut(order, events)


def _cut(order, events):
    """Drop what would happen after the year's end: the order stays as it stood then."""
    kept = [e for e in events if e.at <= YEAR_END]
    if len(kept) == len(events):
        order.version = len(kept)
        return kept
    # Replay the kept steps onto a fresh order state.
    last = kept[-1]
    order.status = last.to_status
    if order.replied_at and order.replied_at > YEAR_END:
        order.replied_at, order.reply = None, ""
    if order.resolved_at and order.resolved_at > YEAR_END:
        order.resolved_at, order.resolution = None, ""
    if order.closed_at and order.closed_at > YEAR_END:
        order.closed_at, order.satisfaction = None, ""
    if order.dispatched_at and order.dispatched_at > YEAR_END:
        order.dispatched_at = None
    if order.reopened_at and order.reopened_at > YEAR_END:
        order.reopened_at = None
    if order.status == S.RECEIVED:
        order.team_id = None
    order.version = len(kept)
    return kept


@transaction.atomic
def demo_delete() -> int:
    """Remove the demo orders (their events and photos go with them) and their history."""
    ids = list(WorkOrder.objects.filter(source=DEMO_SOURCE).values_list("pk", flat=True))
    ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(WorkOrder), object_id__in=ids
    ).delete()
    return WorkOrder.objects.filter(pk__in=ids).delete()[1].get(WorkOrder._meta.label, 0)


@transaction.atomic
def demo_build(ctx) -> None:
    """Write the demo orders (skipped when they exist, unless ``ctx.force``)."""
    if WorkOrder.objects.filter(source=DEMO_SOURCE).exists():
        if not ctx.force:
            ctx.progress("Demo work orders exist: left as they are.")
            return
        ctx.progress(f"Deleted {demo_delete():,} earlier demo work orders.")
    demo = build_orders(ctx.rng)
    WorkOrder.objects.bulk_create(demo.orders, batch_size=BATCH)
    pks = [o.pk for o in demo.orders]
    assets_assign_subdistrict(model=WorkOrder, pks=pks)
    # bulk_create stamps created_at and updated_at with now; the demo's own times are data.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workorders_workorder SET created_at = received_at, updated_at = GREATEST("
            "received_at, dispatched_at, replied_at, resolved_at, closed_at, reopened_at) "
            "WHERE id = ANY(%s)",
            [pks],
        )
    events = []
    for index, event in demo.events:
        event.order = demo.orders[index]
        events.append(event)
    WorkOrderEvent.objects.bulk_create(events, batch_size=BATCH)
    content_type = ContentType.objects.get_for_model(WorkOrder)
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(
                content_type=content_type,
                object_id=o.pk,
                object_code=o.code,
                action=ChangeRecord.Action.CREATE,
                changes={},
                source=DEMO_SOURCE,
                asset_version=1,
                note="synthetic demo data",
            )  # fmt: skip
            for o in demo.orders
        ],
        batch_size=BATCH,
    )
    counts = np.unique([o.status for o in demo.orders], return_counts=True)
    summary = ", ".join(f"{n:,} {s}" for s, n in zip(*counts, strict=True))
    ctx.progress(f"{len(demo.orders):,} synthetic work orders of {YEAR} ({summary}).")
