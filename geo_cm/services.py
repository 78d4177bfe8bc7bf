"""Writes to assets. Every create, update, status change and delete goes through here.

Each function runs in one transaction, derives the subdistrict from the location in SQL,
bumps ``version`` and records a ChangeRecord (who, when, what, why, from where).
"""

import datetime as dt
import json
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from .coverage.tasks import coverage_refresh_enqueue
from .models import Asset, ChangePhoto, ChangeRecord, Subdistrict
from .roles import asset_write_check


class VersionConflict(Exception):
    """The asset changed since the client read it (optimistic concurrency)."""

    def __init__(self, current_version: int):
        super().__init__(f"The asset is now at version {current_version}.")
        self.current_version = current_version


def _jsonable(value):
    if isinstance(value, GEOSGeometry):
        return json.loads(value.json)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Asset):
        return value.code
    if hasattr(value, "pk") and hasattr(value, "_meta"):
        return getattr(value, "code", value.pk)
    return value


def _editable_fields(model):
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and not getattr(f, "generated", False)
    ]


def _record(*, asset, action, changes, by, note, source, reported_from=None, photos=()):
    record = ChangeRecord.objects.create(
        content_type=ContentType.objects.get_for_model(type(asset)),
        object_id=asset.pk,
        object_code=asset.code,
        action=action,
        changes=changes,
        user=by if (by is not None and by.is_authenticated) else None,
        note=note or "",
        source=source or "",
        reported_from=reported_from,
        asset_version=getattr(asset, "version", None),
    )
    # Coverage results that depend on this asset are refreshed in the background.
    coverage_refresh_enqueue(model=type(asset))
    for photo in photos:  # geo_cm.photos.CheckedPhoto, validated before the transaction
        item = ChangePhoto(
            change=record,
            sha256=photo.sha256,
            content_type=photo.content_type,
            extension=photo.extension,
            size_bytes=len(photo.data),
            width=photo.width,
            height=photo.height,
        )
        item.image.save("photo", ContentFile(photo.data), save=False)
        item.save()
    return record


def assets_assign_subdistrict(*, model, pks=None) -> int:
    """Set ``subdistrict`` from the location for the given rows (all rows when pks is None).

    Set-based: one UPDATE. The subdistrict is the one containing ST_PointOnSurface of the
    geometry (a point on the line for lines); rows outside every subdistrict get NULL.
    """
    table = model._meta.db_table
    geom_col = model._meta.get_field("geom").column
    where, params = ("", []) if pks is None else ("WHERE t.id = ANY(%s)", [list(pks)])
    sql = f"""
        UPDATE {table} t SET subdistrict_id = (
            SELECT s.id FROM {Subdistrict._meta.db_table} s
            WHERE ST_Intersects(s.geom, ST_PointOnSurface(t.{geom_col}))
            ORDER BY s.id LIMIT 1)
        {where}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@transaction.atomic
def asset_create(*, model, values: dict, by=None, source: str = "manual", note: str = ""):
    """Create one asset from validated ``values`` (field name -> value; geometry in EPSG:4326).

    A status may be given (records are born in any state, e.g. an existing open toilet);
    without one the machine's initial state applies. Raises ValidationError.
    """
    asset = model(**values)
    if not values.get("status"):
        asset.status = model.status_machine.initial
    asset.source = source
    asset.full_clean()
    asset.save()
    assets_assign_subdistrict(model=model, pks=[asset.pk])
    asset.refresh_from_db()
    changes = {f.name: [None, _jsonable(getattr(asset, f.name))] for f in _editable_fields(model)}
    _record(
        asset=asset,
        action=ChangeRecord.Action.CREATE,
        changes=changes,
        by=by,
        note=note,
        source=source,
    )
    return asset


def _lock(asset, expected_version):
    locked = type(asset).objects.select_for_update().get(pk=asset.pk)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked.version)
    return locked


@transaction.atomic
def asset_update(
    *,
    asset,
    values: dict,
    by=None,
    note: str = "",
    source: str = "",
    expected_version: int | None = None,
    reported_from=None,
    photos=(),
):
    """Change fields of ``asset``. A new status goes through the state machine.

    ``expected_version``, when given, must equal the stored version (else VersionConflict).
    ``reported_from`` (Point, EPSG:4326) is where the person stood; ``photos`` are
    CheckedPhotos kept with the change. Returns the refreshed asset. A change with no effect
    records nothing, unless it carries photos: then it is kept as an inspection note.
    """
    locked = _lock(asset, expected_version)
    model = type(locked)
    changed = [n for n, v in values.items() if _jsonable(getattr(locked, n)) != _jsonable(v)]
    asset_write_check(user=by, asset=locked, fields=changed)
    changes = {}
    new_status = values.get("status")
    if new_status is not None and new_status != locked.status:
        model.status_machine.check(locked.status, new_status)
    for name, value in values.items():
        old = getattr(locked, name)
        if _jsonable(old) != _jsonable(value):
            changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(locked, name, value)
    if not changes:
        if photos:
            _record(
                asset=locked,
                action=ChangeRecord.Action.NOTE,
                changes={},
                by=by,
                note=note,
                source=source,
                reported_from=reported_from,
                photos=photos,
            )
        return locked
    locked.full_clean()
    locked.version = F("version") + 1
    locked.save()
    if model._meta.get_field("geom").name in changes:
        assets_assign_subdistrict(model=model, pks=[locked.pk])
    locked.refresh_from_db()
    action = (
        ChangeRecord.Action.STATUS if set(changes) == {"status"} else ChangeRecord.Action.UPDATE
    )
    _record(
        asset=locked,
        action=action,
        changes=changes,
        by=by,
        note=note,
        source=source,
        reported_from=reported_from,
        photos=photos,
    )
    return locked


def asset_set_status(
    *,
    asset,
    status: str,
    by=None,
    note: str = "",
    source: str = "",
    expected_version: int | None = None,
    reported_from=None,
    photos=(),
):
    """Move ``asset`` to ``status`` if its state machine allows it (else ValidationError)."""
    type(asset).status_machine.check(asset.status, status)
    return asset_update(
        asset=asset,
        values={"status": status},
        by=by,
        note=note,
        source=source,
        expected_version=expected_version,
        reported_from=reported_from,
        photos=photos,
    )


@transaction.atomic
def asset_delete(*, asset, by=None, note: str = "", expected_version: int | None = None):
    """Delete ``asset``, keeping a ChangeRecord with its last values."""
    locked = _lock(asset, expected_version)
    changes = {
        f.name: [_jsonable(getattr(locked, f.name)), None] for f in _editable_fields(type(locked))
    }
    _record(
        asset=locked,
        action=ChangeRecord.Action.DELETE,
        changes=changes,
        by=by,
        note=note,
        source="",
    )
    try:
        locked.delete()
    except (ProtectedError, RestrictedError) as exc:  # other records still point at it
        names = ", ".join(sorted({str(o) for o in list(exc.args[1])[:5]}))
        raise ValidationError(
            _("This asset cannot be deleted while other records refer to it: %(names)s.")
            % {"names": names}
        ) from exc
