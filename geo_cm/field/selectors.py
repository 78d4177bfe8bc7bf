"""Reads for the field app: assets near a phone, one asset with its history."""

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.measure import D
from django.utils.translation import gettext as _

from ..labels import change_rows, local_time_text, value_label
from ..models import Subdistrict
from ..registry import registry
from ..roles import user_subdistrict_ids, user_write_limits
from ..selectors import asset_history
from .tasks import tasks


def field_layers(user):
    """The layers this user may change (the field app offers nothing else). A layer whose
    records come to the field app as tasks (open work orders, geo_cm.field.tasks) is
    listed there, with its own steps, not among the assets. Layers that are not field
    assets (``Layer.field_asset`` False: population cells) are not offered either."""
    as_tasks = tasks.slugs()
    return [
        layer
        for layer in registry.all()
        if layer.field_asset and layer.slug not in as_tasks and user.has_perm(layer.perm("change"))
    ]


def user_work_area(user) -> set[int] | None:
    """Ids of the subdistricts this user may change assets in; None when not limited."""
    _fields, scoped = user_write_limits(user)
    return user_subdistrict_ids(user) if scoped else None


def asset_scope(*, user, asset, area: set[int] | None = None, names=None) -> dict:
    """Whether ``asset`` lies in the user's work area, said before anything is edited.

    ``area`` is ``user_work_area(user)`` (passed in by lists, computed here otherwise);
    ``names`` maps subdistrict ids to names.
    """
    if area is None and names is None:
        area = user_work_area(user)
    sub_id = asset.subdistrict_id
    if names is None:
        names = dict(Subdistrict.objects.filter(pk=sub_id).values_list("pk", "name"))
    name = names.get(sub_id, "")
    in_scope = area is None or sub_id in area
    if area is None:
        text = _("You may change it (%(where)s).") % {"where": name or _("outside the district")}
    elif in_scope:
        text = _("In your work area (%(where)s): you may change it.") % {"where": name}
    else:
        text = _("Outside your work area (%(where)s): read only. Ask that subdistrict's team.") % {
            "where": name or _("outside the district")
        }
    return {"in_scope": in_scope, "subdistrict": name, "text": text}


def assets_near(*, user, point, radius_m: float, limit: int) -> list[dict]:
    """Assets of every changeable layer within ``radius_m`` metres of ``point`` (EPSG:4326).

    Distances are geodesic metres. One query per layer, each returning at most ``limit``
    rows; the merged list is cut to ``limit`` nearest.
    """
    found = []
    area = user_work_area(user)
    names = dict(Subdistrict.objects.values_list("pk", "name"))
    for layer in field_layers(user):
        model = layer.model
        has_name = any(f.name == "name" for f in model._meta.fields)
        geom = layer.geometry_field
        qs = (
            model.objects.filter(**{f"{geom}__distance_lte": (point, D(m=radius_m))})
            .annotate(distance=Distance(geom, point, spheroid=True))
            .order_by("distance")
            .only(
                "id",
                "code",
                "status",
                "version",
                "subdistrict_id",
                geom,
                *(["name"] if has_name else []),
            )[:limit]
        )
        machine = layer.status_machine
        for asset in qs:
            location = getattr(asset, geom).point_on_surface
            found.append(
                {
                    "layer": layer.slug,
                    "layer_title": layer.title,
                    "id": asset.pk,
                    "code": asset.code,
                    "name": getattr(asset, "name", "") if has_name else "",
                    "status": asset.status,
                    "status_label": machine.label(asset.status),
                    "color": layer.status_colors.get(asset.status, "#3388ff"),
                    "version": asset.version,
                    "distance_m": round(asset.distance.m, 1),
                    "lon": round(location.x, 7),
                    "lat": round(location.y, 7),
                    "subdistrict": names.get(asset.subdistrict_id, ""),
                    "in_scope": area is None or asset.subdistrict_id in area,
                }
            )
    found.sort(key=lambda a: a["distance_m"])
    return found[:limit]


def asset_detail(*, layer, asset, user) -> dict:
    """An asset for the field app: properties and history in words (labels, not codes;
    local times), allowed next statuses, and whether the user may change it at all."""
    machine = layer.status_machine
    opts = layer.model._meta
    model = layer.model
    props = []
    for name in layer.fields_for(user):
        field = opts.get_field(name)
        value = getattr(asset, name)
        if field.is_relation and value is not None:
            value = getattr(value, "name", None) or getattr(value, "code", None) or str(value)
            props.append({"field": name, "label": str(field.verbose_name), "value": value})
            continue
        props.append(
            {"field": name, "label": str(field.verbose_name), "value": value_label(field, value)}
        )
    history = []
    for record in asset_history(asset=asset, limit=30):
        history.append(
            {
                "at": record.at.isoformat(),
                "at_text": local_time_text(record.at),
                "action": record.get_action_display(),
                "user": record.user.get_username() if record.user else record.source,
                "changes": record.changes if record.action != "create" else {},
                "change_rows": change_rows(model=model, changes=record.changes)
                if record.action != "create"
                else [],
                "note": record.note,
                "version": record.asset_version,
                "reported_from": (
                    [record.reported_from.x, record.reported_from.y]
                    if record.reported_from
                    else None
                ),
                "photos": [p.image.url for p in record.photos.all()],
            }
        )
    scope = asset_scope(user=user, asset=asset)
    return {
        "layer": layer.slug,
        "layer_title": layer.title,
        "id": asset.pk,
        "code": asset.code,
        "name": getattr(asset, "name", "") or "",
        "version": asset.version,
        "status": asset.status,
        "status_label": machine.label(asset.status),
        "color": layer.status_colors.get(asset.status, "#3388ff"),
        "next_statuses": [
            {"value": s, "label": machine.label(s)}
            for s in machine.states
            if s in machine.allowed(asset.status)
        ],
        "editable": scope["in_scope"] and user.has_perm(layer.perm("change")),
        "scope": scope,
        "properties": props,
        "history": history,
    }
