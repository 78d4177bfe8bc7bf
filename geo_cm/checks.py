"""System checks: a broken Layer declaration fails at start-up with a fix-it message."""

import re

from django.contrib.gis.db.models import GeometryField
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .models import Asset
from .registry import registry

SLUG_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{0,5}$")


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def check_layer(layer):
    """Return the list of checks.Error for one Layer."""
    errors = []
    where = f"layers.py: Layer '{layer.slug}'"

    def err(msg, hint, n):
        errors.append(
            checks.Error(f"{where}: {msg}", hint=hint, obj=layer.model, id=f"geocm.E{n:03d}")
        )

    if not SLUG_RE.match(layer.slug):
        err("slug is not URL-safe.", "Use lower-case letters, digits, '-' or '_'.", 1)
    if not issubclass(layer.model, Asset):
        err(
            "model does not inherit geo_cm.models.Asset.",
            "Derive the model from geo_cm.models.Asset so it has code, subdistrict, status, "
            "source, timestamps and history.",
            2,
        )
        return errors
    geom = _field(layer.model, layer.geometry_field)
    if not isinstance(geom, GeometryField):
        err(
            f"geometry_field '{layer.geometry_field}' is not a geometry field of "
            f"{layer.model.__name__}.",
            "Name the model's geometry column in geometry_field.",
            3,
        )
    elif geom.srid != 4326:
        err(
            f"geometry_field '{layer.geometry_field}' has SRID {geom.srid}.",
            "Store geometries in EPSG:4326 (srid=4326); reproject on import.",
            4,
        )
    for name in (*layer.staff_fields, *layer.public_fields):
        if _field(layer.model, name) is None:
            err(
                f"field '{name}' does not exist on {layer.model.__name__}.",
                "Remove it from public_fields/staff_fields or add it to the model.",
                5,
            )
    leaked = set(layer.public_fields) - set(layer.staff_fields)
    if leaked:
        err(
            f"public_fields {sorted(leaked)} are not in staff_fields.",
            "Every public field must also be a staff field.",
            6,
        )
    if layer.geometry_field in (*layer.public_fields, *layer.staff_fields):
        err(
            "the geometry field is listed as a property.",
            "Leave the geometry out of public_fields/staff_fields; it is served as geometry.",
            7,
        )
    status = _field(layer.model, layer.status_field)
    machine = layer.status_machine
    if status is None or not status.choices:
        err(
            f"status_field '{layer.status_field}' is missing or has no choices.",
            "Give the model a status field with TextChoices.",
            8,
        )
    elif machine is None:
        err(
            f"{layer.model.__name__} has no status_machine.",
            "Declare status_machine = StateMachine.build(...) on the model.",
            9,
        )
    else:
        missing = set(machine.states) - set(layer.status_colors)
        unknown = set(layer.status_colors) - set(machine.states)
        if missing or unknown:
            err(
                f"status_colors do not match the states (missing {sorted(missing)}, "
                f"unknown {sorted(unknown)}).",
                "Give exactly one colour per status value.",
                10,
            )
    readable = layer.public_fields if layer.public else layer.staff_fields
    stray = set(layer.popup_fields) - set(readable)
    if stray:
        err(
            f"popup_fields {sorted(stray)} are not readable by the layer's audience.",
            "Popup fields of a public layer must be in public_fields.",
            11,
        )
    if layer.date_field:
        date = _field(layer.model, layer.date_field)
        if not isinstance(date, models.DateField):
            err(
                f"date_field '{layer.date_field}' is not a date or datetime field.",
                "Name a DateField or DateTimeField, or leave date_field empty.",
                12,
            )
    for target in layer.import_aliases:
        if _field(layer.model, target) is None:
            err(
                f"import_aliases names unknown field '{target}'.",
                "Aliases map source columns to existing model fields.",
                13,
            )
    if layer.code_prefix and not PREFIX_RE.match(layer.code_prefix):
        err(
            f"code_prefix '{layer.code_prefix}' is not 1-6 capital letters or digits.",
            'Declare the letters of the layer\'s asset codes, e.g. code_prefix="GC".',
            14,
        )
    return errors


@checks.register()
def layer_registry_check(app_configs, **kwargs):
    errors = []
    if not registry.all():
        errors.append(
            checks.Warning(
                "No layers are registered.",
                id="geocm.W001",
                hint="Declare Layers in the domain apps' layers.py.",
            )
        )
    for layer in registry.all():
        errors.extend(check_layer(layer))
    return errors
