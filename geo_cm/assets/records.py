"""Single-record asset writes: create, update, set status, delete.

Each runs in one transaction, checks who may write (``geo_cm.roles.asset_write_check``),
passes a new status through the layer's state machine, takes a row lock, honours an
expected version (optimistic concurrency for ``If-Match``), derives the subdistrict by
``rules.subdistrict_sql``, bumps ``version``, writes the history row and then tells the
subscribers (``assets_changed``).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from ..models import ChangeRecord
from ..roles import asset_write_check
from . import history
from .rules import assets_assign_subdistrict, status_change_check, version_bumped
from .signals import assets_changed_send


class VersionConflict(Exception):
    """The asset changed since the client read it (optimistic concurrency)."""

    def __init__(self, current_version: int):
        super().__init__(f"The asset is now at version {current_version}.")
        self.current_version = current_version


def _status_field(model) -> str:
    from ..registry import registry

    layer = registry.for_model(model)
    return layer.status_field if layer is not None else "status"


@transaction.atomic
def asset_create(
    *,
    model,
    values: dict,
    by=None,
    source: str = "manual",
    note: str = "",
    related=None,
):
    """Create one asset from validated ``values`` (field name -> value; geometry EPSG:4326).

    A status may be given (records are born in any state, e.g. an existing open toilet);
    without one the machine's initial state applies. ``related`` links the history row to
    another saved object (e.g. the work order that created it). Raises ValidationError.
    """
    asset = model(**values)
    status_field = _status_field(model)
    machine = getattr(model, "status_machine", None)
    if machine is not None:
        if values.get(status_field):
            status_change_check(machine=machine, current=None, target=values[status_field])
        else:
            setattr(asset, status_field, machine.initial)
    asset.source = source
    asset.full_clean()
    asset.save()
    assets_assign_subdistrict(model=model, pks=[asset.pk])
    asset.refresh_from_db()
    given = {*values, status_field, "geom"}
    changes = {
        f.name: [None, history.value_json(getattr(asset, f.name))]
        for f in history.editable_fields(model)
        if f.name in given
    }
    history.history_record(
        asset=asset,
        action=ChangeRecord.Action.CREATE,
        changes=changes,
        by=by,
        note=note,
        source=source,
        related=related,
    )
    assets_changed_send(model=model, action="create", count=1, pks=[asset.pk], source=source)
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
    related=None,
):
    """Change fields of ``asset``. A new status goes through the state machine.

    ``expected_version``, when given, must equal the stored version (else VersionConflict).
    ``reported_from`` (Point, EPSG:4326) is where the person stood; ``photos`` are
    CheckedPhotos kept with the change; ``related`` links the history row to another saved
    object. Returns the refreshed asset. A change with no effect records nothing, unless it
    carries photos: then it is kept as an inspection note.
    """
    locked = _lock(asset, expected_version)
    model = type(locked)
    status_field = _status_field(model)
    old = {n: history.value_json(getattr(locked, n)) for n in values}
    changed = [n for n, v in values.items() if old[n] != history.value_json(v)]
    asset_write_check(user=by, asset=locked, fields=changed)
    if status_field in changed:
        status_change_check(
            machine=getattr(model, "status_machine", None),
            current=getattr(locked, status_field),
            target=values[status_field],
        )
    changes = {}
    for name in changed:
        changes[name] = [old[name], history.value_json(values[name])]
        setattr(locked, name, values[name])
    if not changes:
        if photos:
            history.history_record(
                asset=locked,
                action=ChangeRecord.Action.NOTE,
                changes={},
                by=by,
                note=note,
                source=source,
                reported_from=reported_from,
                photos=photos,
                related=related,
            )
        return locked
    locked.full_clean()
    locked.version = version_bumped()
    locked.save()
    if "geom" in changes:
        assets_assign_subdistrict(model=model, pks=[locked.pk])
    locked.refresh_from_db()
    action = history.history_action(changes, status_field)
    history.history_record(
        asset=locked,
        action=action,
        changes=changes,
        by=by,
        note=note,
        source=source,
        reported_from=reported_from,
        photos=photos,
        related=related,
    )
    assets_changed_send(model=model, action=action, count=1, pks=[locked.pk], source=source)
    return locked


def asset_set_status(
    *,
    asset,
    status: str,
    by=None,
    note: str = "",
    source: str = "",
    related=None,
    expected_version: int | None = None,
    reported_from=None,
    photos=(),
):
    """Move ``asset`` to ``status`` if its state machine allows it (else ValidationError).

    The one service for status changes, whoever makes them: the API, the field app, the
    admin, or another app acting on an asset (a resolved work order passes itself as
    ``related``, so the history row links to it: ``ChangeRecord.related``). ``by`` is the
    user (None for the system), ``note`` says why, ``source`` names the channel ("field",
    "workorders", ...). Other keyword arguments as for ``asset_update``. Returns the
    refreshed asset; a status equal to the stored one changes and records nothing.
    Raises ValidationError (not allowed), PermissionDenied (outside the user's scope) or
    VersionConflict.
    """
    model = type(asset)
    status_change_check(
        machine=getattr(model, "status_machine", None),
        current=getattr(asset, _status_field(model)),
        target=status,
    )
    return asset_update(
        asset=asset,
        values={_status_field(model): status},
        by=by,
        note=note,
        source=source,
        expected_version=expected_version,
        reported_from=reported_from,
        photos=photos,
        related=related,
    )


@transaction.atomic
def asset_delete(
    *,
    asset,
    by=None,
    note: str = "",
    source: str = "",
    expected_version: int | None = None,
    related=None,
):
    """Delete ``asset``, keeping a ChangeRecord with its last values."""
    locked = _lock(asset, expected_version)
    asset_write_check(user=by, asset=locked, fields=[])
    model = type(locked)
    changes = {
        f.name: [history.value_json(getattr(locked, f.name)), None]
        for f in history.editable_fields(model)
    }
    history.history_record(
        asset=locked,
        action=ChangeRecord.Action.DELETE,
        changes=changes,
        by=by,
        note=note,
        source=source,
        related=related,
    )
    pk = locked.pk
    try:
        with transaction.atomic():
            locked.delete()
    except (ProtectedError, RestrictedError) as exc:  # other records still point at it
        names = ", ".join(sorted({str(o) for o in list(exc.args[1])[:5]}))
        raise ValidationError(
            _("This asset cannot be deleted while other records refer to it: %(names)s.")
            % {"names": names}
        ) from exc
    assets_changed_send(model=model, action="delete", count=1, pks=[pk], source=source)
