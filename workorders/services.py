"""Writes for work orders: intake (any channel), the handling steps, the concerned asset.

Creating a work order goes through the core asset services (subdistrict from the location,
version, history). Each handling step is one transaction here: the order's row is locked,
the state machine and the step's own needs are checked, the fields the step sets are
written, ``version`` increases and a WorkOrderEvent records who, when, from where and why.
Resolving may change the concerned asset's status in the same transaction, through the
core asset services, and the event links that change's history row.
"""

import datetime as dt

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from geo_cm import gcj02
from geo_cm import services as asset_services
from geo_cm.models import ChangeRecord, Subdistrict
from geo_cm.registry import registry
from geo_cm.roles import user_subdistrict_ids, user_write_limits

from .models import Category, Datum, Satisfaction, WorkOrder, WorkOrderEvent, WorkOrderPhoto
from .models import WorkOrderStatus as S
from .selectors import concerned_asset

# The layers (by slug, found through the registry) whose assets a category's reports are
# about. Categories without a layer (sanitation, other) concern no asset.
CATEGORY_LAYERS = {
    Category.STREET_LIGHT: ("street-lights",),
    Category.TOILET: ("toilets",),
    Category.PARKING: ("parking-facilities",),
    Category.ROAD: ("roads",),
    Category.ALLEY: ("back-alleys",),
    Category.GREENWAY: ("greenways",),
}
# The steps a field team (a scoped role) may take on its own subdistricts' orders.
FIELD_STEPS = frozenset({"reply", "resolve"})
VersionConflict = asset_services.VersionConflict


def workorder_location(*, lon: float, lat: float, datum: str = Datum.WGS84) -> Point:
    """The WGS84 point (EPSG:4326) of a reported position given in ``datum`` (wgs84, gcj02
    or bd09: Amap and Baidu positions are converted with geo_cm.gcj02). Raises
    ValidationError (field ``lon``) for a datum we do not know or out-of-range numbers."""
    if datum not in Datum.values:
        raise ValidationError({"datum": _("The datum must be wgs84, gcj02 or bd09.")})
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError({"lon": _("Longitude must be -180..180 and latitude -90..90.")})
    if datum == Datum.GCJ02:
        lon, lat = gcj02.gcj02_to_wgs84(lon, lat)
    elif datum == Datum.BD09:
        lon, lat = gcj02.bd09_to_wgs84(lon, lat)
    return Point(round(lon, 7), round(lat, 7), srid=4326)


def workorder_code_next(*, channel: str, when: dt.datetime) -> str:
    """A new work-order number for orders this platform creates: channel, local date and a
    database sequence (``WEB-20230501-000123``). Hotline orders keep the hotline's number."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('workorders_code_seq')")
        number = cursor.fetchone()[0]
    prefix = {"web": "WEB", "field": "XC"}.get(channel, "GD")
    return f"{prefix}-{timezone.localtime(when):%Y%m%d}-{number:06d}"


def asset_nearest(*, category: str, point: Point, radius_m: float) -> dict | None:
    """The nearest asset of the category's layers within ``radius_m`` geodesic metres of
    ``point`` (EPSG:4326), as ``{layer, id, code, distance_m}``; None when there is none.
    Removed assets are never proposed."""
    best = None
    for slug in CATEGORY_LAYERS.get(category, ()):
        layer = registry.get(slug)
        if layer is None:
            continue
        geom = layer.geometry_field
        found = (
            layer.model.objects.filter(**{f"{geom}__distance_lte": (point, D(m=radius_m))})
            .exclude(**{layer.status_field: "removed"})
            .annotate(distance=Distance(geom, point, spheroid=True))
            .order_by("distance", "pk")
            .values("pk", "code", "distance")
            .first()
        )
        if found and (best is None or found["distance"].m < best["distance_m"]):
            best = {
                "layer": slug,
                "id": found["pk"],
                "code": found["code"],
                "distance_m": round(found["distance"].m, 1),
            }
    return best


def _event(order, *, action, from_status, by, note="", source="", at=None, **extra):
    return WorkOrderEvent.objects.create(
        order=order,
        action=action,
        from_status=from_status,
        to_status=order.status,
        note=note,
        user=by if (by is not None and by.is_authenticated) else None,
        source=source,
        at=at or timezone.now(),
        order_version=order.version,
        **extra,
    )


def _save_photos(order, event, photos):
    for photo in photos:  # geo_cm.photos.CheckedPhoto, checked before the transaction
        item = WorkOrderPhoto(
            order=order,
            event=event,
            sha256=photo.sha256,
            content_type=photo.content_type,
            extension=photo.extension,
            size_bytes=len(photo.data),
            width=photo.width,
            height=photo.height,
        )
        item.image.save("photo", ContentFile(photo.data), save=False)
        item.save()


@transaction.atomic
def workorder_create(
    *,
    category: str,
    channel: str,
    point: Point,
    description: str = "",
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    datum: str = Datum.WGS84,
    media_url: str = "",
    received_at: dt.datetime | None = None,
    code: str | None = None,
    photos=(),
    by=None,
    source: str = "",
) -> WorkOrder:
    """Record a new report at ``point`` (WGS84, EPSG:4326; convert with workorder_location).

    The subdistrict comes from the location, the nearest matching asset within
    GEOCM["WORKORDER_ASSET_RADIUS_M"] is proposed (unconfirmed), and a "received" event is
    written. ``photos`` are CheckedPhotos. Raises ValidationError naming the field.
    """
    received_at = received_at or timezone.now()
    values = {
        "code": code or workorder_code_next(channel=channel, when=received_at),
        "category": category,
        "channel": channel,
        "description": description,
        "address": address,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "reported_datum": datum,
        "media_url": media_url,
        "received_at": received_at,
        "status": S.RECEIVED,
        "geom": point,
    }
    order = asset_services.asset_create(
        model=WorkOrder, values=values, by=by, source=source or f"report:{channel}"
    )
    proposal = asset_nearest(
        category=category, point=point, radius_m=settings.GEOCM["WORKORDER_ASSET_RADIUS_M"]
    )
    if proposal is not None:
        WorkOrder.objects.filter(pk=order.pk).update(
            asset_layer=proposal["layer"],
            asset_id=proposal["id"],
            asset_code=proposal["code"],
            asset_distance_m=proposal["distance_m"],
        )
        order.refresh_from_db()
    event = _event(
        order,
        action=WorkOrderEvent.Action.RECEIVED,
        from_status="",
        by=by,
        note=description[:200],
        source=source or f"report:{channel}",
        at=received_at,
    )
    _save_photos(order, event, photos)
    return order


def workorder_scope_check(*, user, order, step: str) -> None:
    """Raise PermissionDenied unless ``user`` may take ``step`` on ``order``.

    Needs ``workorders.change_workorder``. A scoped role (field team) may only reply and
    resolve, and only orders of its subdistricts (the team dispatched to, else the
    subdistrict the location lies in).
    """
    if user is None or not user.is_authenticated:
        return  # internal callers (loaders, imports, the demo) pass no user
    if not user.has_perm("workorders.change_workorder"):
        raise PermissionDenied(_("You may not handle work orders."))
    _fields, scoped = user_write_limits(user)
    if not scoped:
        return
    if step not in FIELD_STEPS:
        raise PermissionDenied(_("A field team may reply to and resolve work orders only."))
    if (order.team_id or order.subdistrict_id) not in user_subdistrict_ids(user):
        raise PermissionDenied(
            _("Work order %(code)s is outside your work area; ask its subdistrict's team.")
            % {"code": order.code}
        )


def _lock(order, expected_version):
    locked = WorkOrder.objects.select_for_update().get(pk=order.pk)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked.version)
    return locked


def _step(order, *, step, target, by, expected_version):
    """Lock, check the user and the machine; returns the locked order and its old status."""
    locked = _lock(order, expected_version)
    workorder_scope_check(user=by, order=locked, step=step)
    if target != locked.status:
        WorkOrder.status_machine.check(locked.status, target)
    return locked, locked.status


def _finish(locked, fields):
    locked.full_clean()
    locked.version = F("version") + 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
    locked.refresh_from_db()
    return locked


def _text(value: str, field: str, *, required: bool = True, limit: int = 2000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This step needs a text for the reporter.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(n)s characters.") % {"n": limit}})
    return value


@transaction.atomic
def workorder_dispatch(
    *,
    order: WorkOrder,
    team: Subdistrict | None = None,
    by=None,
    note: str = "",
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Send the order to a subdistrict's team (default: the subdistrict it lies in)."""
    locked, before = _step(
        order, step="dispatch", target=S.DISPATCHED, by=by, expected_version=expected_version
    )
    team = team or locked.subdistrict
    if team is None:
        raise ValidationError(
            {"team": _("The location is outside every subdistrict: choose the team.")}
        )
    locked.status, locked.team, locked.dispatched_at = S.DISPATCHED, team, at or timezone.now()
    locked = _finish(locked, ["status", "team", "dispatched_at"])
    _event(
        locked,
        action="dispatched",
        from_status=before,
        by=by,
        note=note or team.name,
        at=locked.dispatched_at,
    )
    return locked


@transaction.atomic
def workorder_reply(
    *,
    order: WorkOrder,
    text: str,
    by=None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
    reported_from: Point | None = None,
    photos=(),
) -> WorkOrder:
    """Answer the reporter. The first reply's time is kept (it is what R7 judges); a later
    reply replaces the text. Replying to an order already replied keeps its status."""
    locked = _lock(order, expected_version)
    workorder_scope_check(user=by, order=locked, step="reply")
    before = locked.status
    # A second reply to a replied order keeps its status; after resolving it is too late.
    target = S.REPLIED if before in (S.RECEIVED, S.DISPATCHED, S.REOPENED, S.REPLIED) else None
    if target is None:
        WorkOrder.status_machine.check(before, S.REPLIED)  # raises, saying why not
    when = at or timezone.now()
    locked.status = target
    locked.reply = _text(text, "reply")
    locked.replied_at = locked.replied_at or when
    locked = _finish(locked, ["status", "reply", "replied_at"])
    event = _event(
        locked,
        action="replied",
        from_status=before,
        by=by,
        note=locked.reply,
        at=when,
        reported_from=reported_from,
    )
    _save_photos(locked, event, photos)
    return locked


def _asset_status_change(*, order, status, by, note, reported_from, photos) -> ChangeRecord:
    """Change the concerned asset's status through the core asset services; returns the
    asset's history row. The one place that writes an asset from a work order."""
    layer, asset = concerned_asset(order)
    if asset is None:
        raise ValidationError({"asset_status": _("This work order concerns no known asset.")})
    text = _("Work order %(code)s: %(note)s") % {"code": order.code, "note": note}
    try:
        updated = asset_services.asset_set_status(
            asset=asset,
            status=status,
            by=by,
            note=text[:2000],
            source=f"workorder:{order.code}",
            related=order,
            reported_from=reported_from,
            photos=photos,
        )
    except ValidationError as exc:
        # The asset's own field is "status"; on this form it is the asset's status.
        messages = exc.message_dict.get("status", exc.messages)
        raise ValidationError({"asset_status": messages}) from exc
    ct = ContentType.objects.get_for_model(type(updated))
    return (
        ChangeRecord.objects.filter(content_type=ct, object_id=updated.pk)
        .order_by("-at", "-id")
        .first()
    )


@transaction.atomic
def workorder_resolve(
    *,
    order: WorkOrder,
    resolution: str,
    asset_status: str | None = None,
    by=None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
    reported_from: Point | None = None,
    photos=(),
) -> WorkOrder:
    """Record the problem as dealt with. With ``asset_status``, the concerned asset's
    status changes in the same transaction (a dark light back to working), through the core
    asset services: its history row names the order, and the event links that row.
    An order never replied to counts as replied now (the resolution answers the reporter).
    """
    locked, before = _step(
        order, step="resolve", target=S.RESOLVED, by=by, expected_version=expected_version
    )
    when = at or timezone.now()
    locked.status = S.RESOLVED
    locked.resolution = _text(resolution, "resolution")
    locked.resolved_at = when
    locked.replied_at = locked.replied_at or when
    locked = _finish(locked, ["status", "resolution", "resolved_at", "replied_at"])
    change = None
    if asset_status:
        change = _asset_status_change(
            order=locked,
            status=asset_status,
            by=by,
            note=locked.resolution,
            reported_from=reported_from,
            photos=photos,
        )
        if not locked.asset_confirmed:
            # Acting on the asset confirms it is the one the report was about.
            WorkOrder.objects.filter(pk=locked.pk).update(asset_confirmed=True)
            locked.asset_confirmed = True
    event = _event(
        locked,
        action="resolved",
        from_status=before,
        by=by,
        note=locked.resolution,
        at=when,
        reported_from=reported_from,
        asset_change=change,
    )
    if change is None:
        _save_photos(locked, event, photos)
    return locked


@transaction.atomic
def workorder_close(
    *,
    order: WorkOrder,
    satisfaction: str,
    by=None,
    note: str = "",
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Close the order with the reporter's rating (satisfied, basically, unsatisfied, or
    none when no rating was given). An order never replied to counts as replied now."""
    if satisfaction not in {v for v in Satisfaction.values if v}:
        raise ValidationError(
            {"satisfaction": _("Choose satisfied, basically, unsatisfied or none.")}
        )
    locked, before = _step(
        order, step="close", target=S.CLOSED, by=by, expected_version=expected_version
    )
    when = at or timezone.now()
    locked.status, locked.closed_at, locked.satisfaction = S.CLOSED, when, satisfaction
    locked.replied_at = locked.replied_at or when
    locked = _finish(locked, ["status", "closed_at", "satisfaction", "replied_at"])
    _event(
        locked,
        action="closed",
        from_status=before,
        by=by,
        note=note,
        at=when,
        satisfaction=satisfaction,
    )
    return locked


@transaction.atomic
def workorder_reopen(
    *,
    order: WorkOrder,
    reason: str,
    by=None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Reopen a resolved, closed or rejected order (重办). Its latest resolution, close and
    rating are cleared (the events keep them); the resolution is due again from now. The
    first reply stays: an order counts once, in the month it was first received."""
    locked, before = _step(
        order, step="reopen", target=S.REOPENED, by=by, expected_version=expected_version
    )
    when = at or timezone.now()
    locked.status, locked.reopened_at = S.REOPENED, when
    locked.reopen_count += 1
    locked.resolved_at = locked.closed_at = None
    locked.satisfaction = ""
    fields = ["status", "reopened_at", "reopen_count", "resolved_at", "closed_at", "satisfaction"]
    locked = _finish(locked, fields)
    _event(
        locked,
        action="reopened",
        from_status=before,
        by=by,
        note=_text(reason, "reason", limit=1000),
        at=when,
    )
    return locked


@transaction.atomic
def workorder_reject(
    *,
    order: WorkOrder,
    reason: str,
    by=None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Return an order that is not the bureau's to handle (another department's, a
    duplicate, no problem found), with the reason the reporter is told."""
    locked, before = _step(
        order, step="reject", target=S.REJECTED, by=by, expected_version=expected_version
    )
    locked.status = S.REJECTED
    locked.rejection_reason = _text(reason, "rejection_reason", limit=1000)
    locked = _finish(locked, ["status", "rejection_reason"])
    _event(
        locked, action="rejected", from_status=before, by=by, note=locked.rejection_reason, at=at
    )
    return locked


@transaction.atomic
def workorder_asset_confirm(
    *,
    order: WorkOrder,
    layer_slug: str | None,
    asset_code: str | None,
    by=None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Confirm the concerned asset: the proposed one, another one by layer and code, or
    none (``layer_slug`` None). The choice is limited to the category's layers."""
    locked, before = _step(
        order, step="confirm", target=order.status, by=by, expected_version=expected_version
    )
    if layer_slug is None:
        locked.asset_layer, locked.asset_id, locked.asset_code = "", None, ""
        locked.asset_distance_m = None
    else:
        if layer_slug not in CATEGORY_LAYERS.get(locked.category, ()):
            raise ValidationError(
                {
                    "asset_layer": _("A %(category)s report cannot concern this layer.")
                    % {"category": locked.get_category_display()}
                }
            )
        layer = registry.get(layer_slug)
        asset = layer.model.objects.filter(code=asset_code).first() if layer else None
        if asset is None:
            raise ValidationError(
                {"asset_code": _("No asset with the code %(code)s.") % {"code": asset_code}}
            )
        distance = (
            layer.model.objects.filter(pk=asset.pk)
            .annotate(d=Distance(layer.geometry_field, locked.geom, spheroid=True))
            .values_list("d", flat=True)
            .first()
        )
        locked.asset_layer, locked.asset_id, locked.asset_code = layer_slug, asset.pk, asset.code
        locked.asset_distance_m = round(distance.m, 1) if distance is not None else None
    locked.asset_confirmed = True
    fields = ["asset_layer", "asset_id", "asset_code", "asset_distance_m", "asset_confirmed"]
    locked.version = F("version") + 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
    locked.refresh_from_db()
    _event(
        locked, action="asset", from_status=before, by=by, note=locked.asset_code or _("no asset")
    )
    return locked


# The time each status needs (a hotline export's rows are checked against it on import).
STATUS_TIMES = {
    S.DISPATCHED: "dispatched_at",
    S.REPLIED: "replied_at",
    S.RESOLVED: "resolved_at",
    S.CLOSED: "closed_at",
    S.REOPENED: "reopened_at",
}


def workorder_import_check(values: dict) -> list:
    """The rules of ``WorkOrder.clean`` for a whole imported file at once (the layer's
    ``import_check``): ``values`` maps model fields to clean pandas Series (mapped fields
    only). Returns (mask of failing rows, field, sentence) triples."""
    problems = []
    status = values.get("status")
    if status is not None:
        for state, name in STATUS_TIMES.items():
            needs = (status == state).to_numpy(dtype=bool)
            times = values.get(name)
            missing = needs if times is None else needs & times.isna().to_numpy()
            text = _("A work order with status %(status)s needs this time.") % {
                "status": WorkOrder.status_machine.label(state)
            }
            problems.append((missing, name, text))
        reasons = values.get("rejection_reason")
        rejected = (status == S.REJECTED).to_numpy(dtype=bool)
        if reasons is not None:
            rejected = rejected & reasons.fillna("").astype(str).str.strip().eq("").to_numpy()
        problems.append((rejected, "rejection_reason", _("Say why the work order is rejected.")))
        rating = values.get("satisfaction")
        unrated = (status == S.CLOSED).to_numpy(dtype=bool)
        if rating is not None:
            unrated = unrated & rating.fillna("").eq("").to_numpy()
        text = _("Record the reporter's satisfaction when closing (or 'no rating given').")
        problems.append((unrated, "satisfaction", text))
    received = values.get("received_at")
    if received is not None:
        start = pd.to_datetime(received, utc=True)
        for name in STATUS_TIMES.values():
            if name in values:
                later = pd.to_datetime(values[name], utc=True)
                early = (later < start).fillna(False).to_numpy(dtype=bool)
                text = _("This time is before the order was received.")
                problems.append((early, name, text))
    return [(np.asarray(mask, dtype=bool), name, text) for mask, name, text in problems]
