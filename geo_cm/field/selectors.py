"""Reads for the field app: assets near a phone, one asset with its history."""

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.measure import D

from ..registry import registry
from ..selectors import asset_history
from .tasks import tasks


def field_layers(user):
    """The layers this user may change (the field app offers nothing else). A layer whose
    records come to the field app as tasks (open work orders, geo_cm.field.tasks) is
    listed there, with its own steps, not among the assets."""
    as_tasks = tasks.slugs()
    return [
        layer
        for layer in registry.all()
        if layer.slug not in as_tasks and user.has_perm(layer.perm("change"))
    ]


def assets_near(*, user, point, radius_m: float, limit: int) -> list[dict]:
    """Assets of every changeable layer within ``radius_m`` metres of ``point`` (EPSG:4326).

    Distances are geodesic metres. One query per layer, each returning at most ``limit``
    rows; the merged list is cut to ``limit`` nearest.
    """
    found = []
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
                }
            )
    found.sort(key=lambda a: a["distance_m"])
    return found[:limit]


def asset_detail(*, layer, asset, user) -> dict:
    """An asset for the field app: staff properties, allowed next statuses, history."""
    machine = layer.status_machine
    opts = layer.model._meta
    props = []
    for name in layer.fields_for(user):
        field = opts.get_field(name)
        value = getattr(asset, name)
        if field.choices:
            value = dict(field.flatchoices).get(value, value)
        props.append({"field": name, "label": str(field.verbose_name), "value": _plain(value)})
    history = []
    for record in asset_history(asset=asset, limit=30):
        history.append(
            {
                "at": record.at.isoformat(),
                "action": record.get_action_display(),
                "user": record.user.get_username() if record.user else record.source,
                "changes": record.changes if record.action != "create" else {},
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
    return {
        "layer": layer.slug,
        "layer_title": layer.title,
        "id": asset.pk,
        "code": asset.code,
        "version": asset.version,
        "status": asset.status,
        "status_label": machine.label(asset.status),
        "next_statuses": [
            {"value": s, "label": machine.label(s)}
            for s in machine.states
            if s in machine.allowed(asset.status)
        ],
        "properties": props,
        "history": history,
    }


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
