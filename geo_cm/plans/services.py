"""Writes for plans: edit history of plans and targets, staff readings of indicators."""

import datetime as dt
import re
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Plan, PlanChange, ReportedValue, Target

# Bookkeeping fields that are not part of what a planner edits.
_SKIPPED = {"id", "plan"}


def _json_value(value):
    """A field value as JSON: decimals as exact strings, dates in ISO form."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return value


def plan_snapshot(instance: Plan | Target) -> dict:
    """Field name -> JSON value of every field a planner edits on a plan or target
    (a foreign key is shown as its label, e.g. the subdistrict's name)."""
    return {
        f.name: _json_value(getattr(instance, f.name))
        for f in instance._meta.concrete_fields
        if f.name not in _SKIPPED
    }


def _diff(before: dict | None, after: dict | None) -> dict:
    keys = list((after or before or {}).keys())
    out = {}
    for key in keys:
        old = before.get(key) if before is not None else None
        new = after.get(key) if after is not None else None
        if before is None or after is None or old != new:
            out[key] = [old, new]
    return out


def plan_change_record(
    *,
    plan: Plan,
    target_code: str = "",
    before: dict | None,
    after: dict | None,
    user,
    note: str = "",
) -> PlanChange | None:
    """Keep one edit in the plan history: ``before``/``after`` are :func:`plan_snapshot`
    dicts (None for a creation or deletion). An edit that changed nothing is not kept."""
    if before is None and after is None:
        return None
    action = (
        PlanChange.Action.CREATED
        if before is None
        else PlanChange.Action.DELETED
        if after is None
        else PlanChange.Action.CHANGED
    )
    changes = _diff(before, after)
    if not changes:
        return None
    return PlanChange.objects.create(
        plan=plan if plan.pk else None,
        plan_label=str(plan),
        target_code=target_code,
        action=action,
        changes=changes,
        user=user if user is not None and user.is_authenticated else None,
        note=note,
    )


class ReadingError(ValueError):
    """A reading that cannot be recorded; ``field`` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# Control characters (tab excepted) have no place in a scope or an evidence note and break
# the workbook export.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def reported_value_check(
    *, target: Target, value: Decimal, measured_on: dt.date, scope: str = "", evidence: str = ""
) -> None:
    """The checks a reading passes before it is kept, for the readings API and the admin
    alike. Raises ReadingError for a target measured from assets, a negative value (or a
    rate above 100 %), a date outside the plan year or after today's date (Asia/Shanghai),
    or control characters in ``scope`` or ``evidence``."""
    if target.kind != Target.Kind.REPORTED:
        raise ReadingError(
            "target",
            _("Target %(code)s is measured from the asset records; it takes no readings.")
            % {"code": target.code},
        )
    if value < 0 or target.unit == "%" and value > 100:
        raise ReadingError(
            "value",
            _("value must be between 0 and 100 for a rate.")
            if target.unit == "%"
            else _("value may not be negative."),
        )
    if measured_on.year != target.plan.year:
        raise ReadingError(
            "measured_on",
            _("measured_on must be in the plan year %(year)s.") % {"year": target.plan.year},
        )
    if measured_on > timezone.localdate():
        raise ReadingError("measured_on", _("measured_on may not be in the future."))
    for field, text in (("scope", scope), ("evidence", evidence)):
        if text and _CONTROL.search(text):
            raise ReadingError(
                field, _("%(field)s may not contain control characters.") % {"field": field}
            )


@transaction.atomic
def reported_value_create(
    *,
    target: Target,
    value: Decimal,
    measured_on: dt.date,
    scope: str = "",
    evidence: str = "",
    by,
) -> ReportedValue:
    """Record a measured value of a reported indicator (in the target's unit) by ``by``.

    Raises ReadingError as :func:`reported_value_check` does.
    """
    reported_value_check(
        target=target, value=value, measured_on=measured_on, scope=scope, evidence=evidence
    )
    return ReportedValue.objects.create(
        target=target,
        value=value,
        measured_on=measured_on,
        scope=scope,
        evidence=evidence,
        reported_by=by,
    )
