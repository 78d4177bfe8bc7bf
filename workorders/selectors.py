"""Reads for work orders: the plan's hotline rates, the public and field lists, hotspots.

Times are instants; periods are local (Asia/Shanghai) calendar days. Distances are
geodesic metres; geometries are EPSG:4326 and large answers are built in PostGIS.
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.contrib.gis.db.models.functions import Distance, Transform
from django.contrib.gis.measure import D
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from geo_cm.coverage import engine
from geo_cm.registry import registry
from geo_cm.roles import user_subdistrict_ids, user_write_limits

from .deadlines import first_resolve_due_expr, overdue_flags, reply_due_expr, resolve_due_expr
from .models import HOTLINE_CHANNELS, OPEN_STATUSES, Satisfaction, WorkOrder
from .models import WorkOrderStatus as S
from .open311 import iso

RATED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED)
CONTENT = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)


def local_day_start(day: dt.date) -> dt.datetime:
    """00:00 of ``day`` in the project's time zone (Asia/Shanghai), as an aware instant."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def hot_orders(*, start: dt.date, end: dt.date, subdistrict=None):
    """The orders the plan's hotline rates count: from the 12345 or 12319 hotline, received
    on a local day in ``start``..``end`` (inclusive), not rejected, in ``subdistrict`` (the
    one the location lies in) when given. Each order is counted once, in the period it
    was first received, however often it is reopened."""
    qs = WorkOrder.objects.filter(
        channel__in=HOTLINE_CHANNELS,
        received_at__gte=local_day_start(start),
        received_at__lt=local_day_start(end + dt.timedelta(days=1)),
    ).exclude(status=S.REJECTED)
    if subdistrict is not None:
        qs = qs.filter(subdistrict=subdistrict)
    return qs


@dataclass(frozen=True)
class HotlineRates:
    """Counts behind R7-R9 for one period, judged at ``as_of``; rates in percent (None
    when nothing is due yet)."""

    as_of: dt.datetime
    counted: int  # hot orders received in the period (not rejected)
    reply_due: int  # of those, due for a reply by as_of, or replied
    replied_on_time: int  # first reply no later than the category's reply deadline
    close_due: int  # due for resolution by as_of (from receipt), or closed
    closed: int  # closed by as_of
    rated: int  # closed with a rating (satisfied, basically, unsatisfied)
    content: int  # rated satisfied or basically satisfied
    reopened: int  # counted orders reopened at least once
    overdue: int  # counted orders not replied on time or not closed though due

    @staticmethod
    def _percent(part, whole):
        return round(100.0 * part / whole, 2) if whole else None

    @property
    def reply_rate(self):
        return self._percent(self.replied_on_time, self.reply_due)

    @property
    def close_rate(self):
        return self._percent(self.closed, self.close_due)

    @property
    def satisfaction_rate(self):
        return self._percent(self.content, self.rated)


def hotline_rates(*, start: dt.date, end: dt.date, subdistrict=None, qs=None) -> HotlineRates:
    """R7-R9 counts over the hot orders received ``start``..``end``, judged at the end of
    the local day ``end`` (what happened later does not count). One query.

    - due for a reply: the reply deadline (received_at + the category's reply hours) has
      passed, or the order was replied; replied on time: first reply at or before it.
    - due for closing: the resolution deadline counted from receipt has passed, or the
      order is closed; closed: status closed with closed_at before the moment judged (a
      reopened order is not closed until it is closed again).
    - rated: closed with satisfied, basically or unsatisfied (closed with no rating given
      is left out); content: satisfied or basically satisfied (the latest rating counts).
    """
    as_of = local_day_start(end + dt.timedelta(days=1))
    qs = hot_orders(start=start, end=end, subdistrict=subdistrict) if qs is None else qs
    replied = Q(replied_at__lt=as_of)
    on_time = replied & Q(replied_at__lte=F("_reply_due"))
    closed = Q(status=S.CLOSED, closed_at__lt=as_of)
    reply_due = Q(_reply_due__lt=as_of)
    close_due = Q(_close_due__lt=as_of)
    annotated = qs.annotate(_reply_due=reply_due_expr(), _close_due=first_resolve_due_expr())
    counts = annotated.aggregate(
        counted=Count("pk"),
        reply_due=Count("pk", filter=reply_due | replied),
        replied_on_time=Count("pk", filter=on_time),
        close_due=Count("pk", filter=close_due | closed),
        closed=Count("pk", filter=closed),
        rated=Count("pk", filter=closed & Q(satisfaction__in=RATED)),
        content=Count("pk", filter=closed & Q(satisfaction__in=CONTENT)),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        overdue=Count("pk", filter=(reply_due & ~on_time) | (close_due & ~closed)),
    )
    return HotlineRates(as_of=as_of, **counts)


# ---- public -------------------------------------------------------------------------------


def workorders_near(*, point, radius_m: float, limit: int):
    """Reports within ``radius_m`` geodesic metres of ``point`` (EPSG:4326), newest first,
    at most ``limit``, annotated with ``distance`` (for the public list: the views keep
    the public fields only)."""
    return (
        WorkOrder.objects.filter(geom__distance_lte=(point, D(m=radius_m)))
        .annotate(distance=Distance("geom", point, spheroid=True))
        .select_related("subdistrict", "team")
        .order_by("-received_at", "-pk")[:limit]
    )


# ---- field teams --------------------------------------------------------------------------


def workorders_for_team(*, user, point=None, radius_m: float = 3000, limit: int = 50):
    """Open orders a user may act on, soonest deadline first, at most ``limit``.

    A scoped user (field team) gets the orders of the subdistricts in their work area (the
    team dispatched to, else the subdistrict the location lies in); others get every open
    order. With ``point`` (EPSG:4326) only orders within ``radius_m`` geodesic metres, each
    annotated with ``distance``. Every order is annotated with ``reply_due`` and
    ``resolve_due`` (instants).
    """
    qs = WorkOrder.objects.filter(status__in=OPEN_STATUSES).annotate(
        reply_due=reply_due_expr(), resolve_due=resolve_due_expr()
    )
    _fields, scoped = user_write_limits(user)
    if scoped:
        areas = list(user_subdistrict_ids(user))
        qs = qs.filter(Q(team_id__in=areas) | Q(team__isnull=True, subdistrict_id__in=areas))
    if point is not None:
        qs = qs.filter(geom__distance_lte=(point, D(m=radius_m))).annotate(
            distance=Distance("geom", point, spheroid=True)
        )
    return qs.select_related("subdistrict", "team").order_by("resolve_due", "pk")[:limit]


def workorder_next_steps(*, order, user) -> list[str]:
    """The statuses ``user`` can move ``order`` to from the field app: reply and resolve
    for everyone who may handle it, dispatch and reject too for unscoped staff (closing
    needs the reporter's rating and is done by the desk)."""
    _fields, scoped = user_write_limits(user)
    allowed = WorkOrder.status_machine.allowed(order.status)
    wanted = [S.REPLIED, S.RESOLVED] if scoped else [S.DISPATCHED, S.REPLIED, S.RESOLVED,
                                                     S.REJECTED]  # fmt: skip
    return [s for s in wanted if s in allowed]


def workorder_field_detail(*, order, user) -> dict:
    """One order for the field app, shaped like its asset detail (geo_cm.field.tasks):
    properties, the next statuses, the history of handling steps with their photos, and
    the concerned asset with the statuses it may move to when the user may change it."""
    flags = overdue_flags(order)

    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else None

    fields = [
        ("category", order.get_category_display()),
        ("channel", order.get_channel_display()),
        ("received_at", when(order.received_at)),
        ("address", order.address),
        ("description", order.description),
        ("subdistrict", order.subdistrict.name if order.subdistrict else None),
        ("team", order.team.name if order.team else None),
        ("replied_at", when(order.replied_at)),
        ("reopen_count", order.reopen_count),
    ]
    props = [
        {"field": name, "label": str(WorkOrder._meta.get_field(name).verbose_name), "value": v}
        for name, v in fields
    ]
    props.insert(3, {"field": "resolve_due", "label": str(_("resolution due")),
                     "value": when(flags["resolve_due"]),
                     "overdue": flags["resolve_overdue"]})  # fmt: skip
    machine = WorkOrder.status_machine
    history = [
        {
            "at": iso(e.at),
            "action": e.get_action_display(),
            "user": e.user.get_username() if e.user else e.source,
            "changes": {
                str(_("status")): [
                    machine.label(e.from_status) if e.from_status else "",
                    machine.label(e.to_status),
                ]
            }
            if e.from_status != e.to_status
            else {},
            "note": e.note,
            "version": e.order_version,
            "photos": [p.image.url for p in e.photos.all()],
        }
        for e in order.events.select_related("user")
        .prefetch_related("photos")
        .order_by("-at", "-id")[:30]
    ]
    detail = {
        "source": "work-orders",
        "layer": "work-orders",
        "layer_title": str(WorkOrder._meta.verbose_name),
        "id": order.pk,
        "code": order.code,
        "version": order.version,
        "status": order.status,
        "status_label": machine.label(order.status),
        "properties": props,
        "next_statuses": [
            {"value": s, "label": machine.label(s)}
            for s in workorder_next_steps(order=order, user=user)
        ],
        "history": history,
        "detail_url": reverse("workorders-field-detail", kwargs={"pk": order.pk}),
        "action_url": reverse("workorders-step", kwargs={"pk": order.pk}),
        "asset": None,
    }
    layer, asset = concerned_asset(order)
    if asset is not None and user.has_perm(layer.perm("change")):
        asset_machine = layer.status_machine
        detail["asset"] = {
            "layer": layer.slug,
            "layer_title": layer.title,
            "id": asset.pk,
            "code": asset.code,
            "confirmed": order.asset_confirmed,
            "distance_m": order.asset_distance_m,
            "status": asset.status,
            "status_label": asset_machine.label(asset.status),
            "next_statuses": [
                {"value": s, "label": asset_machine.label(s)}
                for s in asset_machine.states
                if s in asset_machine.allowed(asset.status)
            ],
        }
    return detail


def concerned_asset(order):
    """(layer, asset) the order concerns, or (None, None); found through the registry."""
    layer = registry.get(order.asset_layer) if order.asset_layer else None
    if layer is None or order.asset_id is None:
        return None, None
    return layer, layer.model.objects.filter(pk=order.asset_id).first()


# ---- planners -----------------------------------------------------------------------------

# Projected CRS for grid cells and buffers (UTM 50N, metres), as the coverage analysis.
METRIC_SRID = 32650


def latest_received_day() -> dt.date:
    """The local day of the newest order (today when there is none): the default end of the
    planners' period, so a map opens on the latest year that has complaints."""
    latest = WorkOrder.objects.aggregate(m=Max("received_at"))["m"]
    return timezone.localtime(latest).date() if latest else timezone.localdate()


def _period_orders(*, categories, start, end, subdistrict):
    qs = WorkOrder.objects.filter(
        received_at__gte=local_day_start(start),
        received_at__lt=local_day_start(end + dt.timedelta(days=1)),
    )
    if categories:
        qs = qs.filter(category__in=categories)
    if subdistrict is not None:
        qs = qs.filter(subdistrict=subdistrict)
    return qs


def _cells_sql(points_sql: str, cell_m: float) -> str:
    """SQL turning rows (g: a point in EPSG:32650, category) into one GeoJSON
    FeatureCollection of grid squares of ``cell_m`` metres with their counts, densest
    first; squares are drawn in EPSG:4326 (6 decimals, ~0.1 m)."""
    size = float(cell_m)
    # OFFSET 0 keeps the subquery apart, so each point is transformed once (not once for x
    # and once for y).
    return f"""
        WITH pts AS (SELECT * FROM ({points_sql}) q OFFSET 0),
        by_cat AS (
            SELECT floor(ST_X(g) / {size}) AS i, floor(ST_Y(g) / {size}) AS j, category,
                   count(*) AS n
            FROM pts GROUP BY 1, 2, 3),
        cells AS (
            SELECT i, j, sum(n)::int AS n, json_object_agg(category, n) AS by_category
            FROM by_cat GROUP BY i, j)
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'cell_m', {size},
            'max', COALESCE(max(n), 0),
            'total', COALESCE(sum(n), 0),
            'features', COALESCE(json_agg(json_build_object(
                'type', 'Feature',
                'geometry', ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(
                    i * {size}, j * {size}, (i + 1) * {size}, (j + 1) * {size},
                    {METRIC_SRID}), 4326), 6)::json,
                'properties', json_build_object('count', n, 'by_category', by_category))
                ORDER BY n DESC, i, j), '[]'::json))::text
        FROM cells"""


def _run_text(sql, params) -> str:
    # ST_Transform is costed so high that the planner goes parallel and sorts on disk: three
    # times slower here (TOOLCHAIN trap 6). SET LOCAL ends with the transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        # Grouping 100,000 points by square sorts in memory, not on disk.
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def hotspot_cells_geojson(*, categories, start, end, cell_m: float, subdistrict=None) -> str:
    """Complaint density: the orders received on local days ``start``..``end`` (of the
    ``categories``, every one when empty; in ``subdistrict`` when given) counted per grid
    square of ``cell_m`` metres (EPSG:32650), as the text of a GeoJSON FeatureCollection
    in EPSG:4326 with ``count`` and ``by_category`` per square and ``total``/``max`` on the
    collection. One query; the answer grows with the squares, not the orders."""
    qs = _period_orders(categories=categories, start=start, end=end, subdistrict=subdistrict)
    points_sql, params = (
        qs.order_by().annotate(g=Transform("geom", METRIC_SRID)).values("g", "category").query
    ).sql_with_params()
    return _run_text(_cells_sql(points_sql, cell_m), params)


# A coverage layer's slug -> the category whose complaints signal missing service there.
LAYER_CATEGORY = {"toilets": "toilet", "street-lights": "street_light",
                  "parking-facilities": "parking", "greenways": "greenway"}  # fmt: skip
# Complaints this close (m) to a dark stretch are counted as pointing at it.
DARK_NEAR_M = 30.0
SIGNAL_CELL_M = 250.0


def demand_signal(*, layer_slug, mode, radius_m, subdistrict, start, end) -> dict:
    """Complaints as a demand signal on the coverage map, for one coverage layer.

    For a "radius" layer (toilets): the complaints of its category received ``start``..
    ``end`` that lie outside the service area of the coverage analysis (the same mode,
    radius and subdistrict, from its cache). For a "spacing" layer (street lights): those
    within DARK_NEAR_M metres of a dark stretch. Returns ``stats`` (total, signalled,
    share) and ``features``: squares of SIGNAL_CELL_M metres with their counts (GeoJSON,
    EPSG:4326). Raises LookupError for a layer with no coverage or no complaint category.
    """
    layer = registry.get(layer_slug)
    category = LAYER_CATEGORY.get(layer_slug)
    if layer is None or layer.coverage is None or category is None:
        raise LookupError(_("No complaint signal for '%(id)s'.") % {"id": layer_slug})
    result = engine.coverage_get(
        layer_slug=layer_slug, mode=mode, distance_m=radius_m, subdistrict=subdistrict
    )
    features = json.loads(result.geojson)["features"]
    qs = _period_orders(categories=[category], start=start, end=end, subdistrict=subdistrict)
    total = qs.count()
    if layer.coverage.kind == "spacing":
        dark = [f["geometry"] for f in features if f["properties"].get("kind") == "dark"]
        collection = json.dumps({"type": "GeometryCollection", "geometries": dark})
        where = (
            "ST_DWithin(t.geom::geography, ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)::geography,"
            f" {DARK_NEAR_M})"
        )
        kind = "along_dark"
    else:
        served = [f["geometry"] for f in features if f["properties"].get("kind") == "service_area"]
        collection = json.dumps({"type": "GeometryCollection", "geometries": served})
        where = "NOT ST_Intersects(t.geom, ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))"
        kind = "outside_service_area"
    ids_sql, params = qs.order_by().values("pk").query.sql_with_params()
    points_sql = (
        f"SELECT ST_Transform(t.geom, {METRIC_SRID}) AS g, t.category "
        f"FROM {WorkOrder._meta.db_table} t WHERE t.id IN ({ids_sql}) AND {where}"
    )
    collection_text = _run_text(_cells_sql(points_sql, SIGNAL_CELL_M), [*params, collection])
    answer = json.loads(collection_text)
    signalled = answer.pop("total")
    return {
        "layer": layer_slug,
        "category": category,
        "kind": kind,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "stats": {
            "total": total,
            "signalled": signalled,
            "share": round(signalled / total, 4) if total else None,
            "distance_m": result.distance_m,
            "mode": result.mode,
        },
        "features": answer,
    }
