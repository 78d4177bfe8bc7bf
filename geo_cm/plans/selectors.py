"""Progress against the plan, computed from the asset records (nobody types a percentage)."""

import calendar
import datetime as dt

from .models import Target
from .registry import metrics

# Below this share of where the target should be by today, a target is "behind".
AT_RISK_FLOOR = 0.8


def expected_by(target: Target, today: dt.date) -> float:
    """Where a ">=" target should stand on ``today``: the last milestone reached, else a
    straight line over the plan year."""
    year = target.plan.year
    value = float(target.target_value)
    if today.year > year:
        return value
    if today.year < year:
        return 0.0
    if target.milestones:
        due = [
            float(v)
            for m, v in target.milestones.items()
            if int(m) < today.month
            or int(m) == today.month
            and today.day == calendar.monthrange(year, int(m))[1]
        ]
        return max(due, default=0.0)
    days = 366 if calendar.isleap(year) else 365
    return value * today.timetuple().tm_yday / days


def _status(target, actual, expected):
    goal = float(target.target_value)
    if target.comparator == Target.Comparator.AT_MOST:
        return "met" if actual <= goal else "behind"
    if actual >= goal:
        return "met"
    if actual >= expected:
        return "on_track"
    return "at_risk" if actual >= AT_RISK_FLOOR * expected else "behind"


def target_actual(target: Target, *, subdistrict=None, start=None, end=None):
    """(actual value, contributing queryset or None) for the plan year or a date range."""
    start = start or dt.date(target.plan.year, 1, 1)
    end = end or dt.date(target.plan.year, 12, 31)
    if target.kind == Target.Kind.METRIC:
        metric = metrics.get(target.metric_key)
        if metric is None:
            return None, None
        value, qs = metric.measure(start, end, subdistrict or target.subdistrict)
        return float(value), qs
    reading = target.readings.filter(measured_on__range=(start, end)).first()
    return (float(reading.value) if reading else None), None


def target_progress(target: Target, *, today: dt.date) -> dict:
    """actual, target, percent, expected-by-today and status for one target."""
    actual, _ = target_actual(target)
    goal = float(target.target_value)
    expected = expected_by(target, today)
    result = {
        "code": target.code,
        "title_zh": target.title_zh,
        "title_en": target.title_en,
        "section": target.section,
        "unit": target.unit,
        "kind": target.kind,
        "comparator": target.comparator,
        "target": goal,
        "actual": actual,
        "expected_by_today": round(expected, 3),
        "percent": round(100 * actual / goal, 1) if actual is not None and goal else None,
        "status": _status(target, actual, expected) if actual is not None else "no_data",
    }
    if target.kind == Target.Kind.METRIC:
        result["monthly"] = _monthly(target)
    return result


def _monthly(target: Target) -> list[dict]:
    """Cumulative value at the end of each month of the plan year."""
    year = target.plan.year
    series = []
    for month in range(1, 13):
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        value, _ = target_actual(target, end=end)
        series.append({"month": month, "cumulative": value})
    return series


def plan_progress(*, plan, today: dt.date) -> list[dict]:
    return [target_progress(t, today=today) for t in plan.targets.all()]
