"""Values as people read them: labels, not codes; local times, not UTC.

Pages (the field app, the admin) show stored values and the history's ``{field: [old,
new]}`` through these functions, so a status reads "施工中" rather than
``under_construction``, a boolean "是/否" and a time "2026-11-30 04:38" in Asia/Shanghai
(settings.TIME_ZONE) whatever the server's or the phone's clock says.
"""

import datetime as dt

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

EMPTY = "—"
TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_time_text(value) -> str:
    """An aware datetime (or ISO text) as local wall-clock time, minutes precision."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            return value
        value = parsed
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return timezone.localtime(value).strftime(TIME_FORMAT)


def value_label(field, value) -> str:
    """``value`` of model ``field`` in words: choice label, 是/否, local time, "—" if empty."""
    if value is None or value == "":
        return EMPTY
    if field is None:
        return str(value)
    if getattr(field, "geom_type", None) is not None or isinstance(value, dict):
        return _("location changed") if isinstance(value, dict) else _("location")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        truth = value if isinstance(value, bool) else str(value).lower() in ("true", "1")
        return _("yes") if truth else _("no")
    if isinstance(field, models.DateTimeField):
        return local_time_text(value)
    if isinstance(field, models.DateField) and isinstance(value, str):
        parsed = parse_date(value)
        return parsed.isoformat() if parsed else value
    if isinstance(value, dt.datetime):
        return local_time_text(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def model_field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def field_label(model, name: str) -> str:
    field = model_field(model, name)
    return str(field.verbose_name) if field is not None else name


def change_rows(*, model, changes: dict) -> list[dict]:
    """A ChangeRecord's ``{field: [old, new]}`` as rows of labels: field, before, after."""
    rows = []
    for name, pair in (changes or {}).items():
        before, after = (list(pair) + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        field = model_field(model, name)
        rows.append(
            {
                "field": name,
                "label": field_label(model, name),
                "before": value_label(field, before),
                "after": value_label(field, after),
            }
        )
    return rows
