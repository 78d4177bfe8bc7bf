"""Progress against the plan, computed from the asset records (nobody types a percentage)."""

import calendar
import datetime as dt
import json

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db import connection
from django.db.models import CharField, F, Value
from django.utils.translation import get_language

from geo_cm.models import Subdistrict
from geo_cm.registry import registry

from .models import Plan, Target, milestones_parse
from .registry import metrics

GEOJSON_PRECISION = 7  # ~1 cm, as the feature API

# Below this share of where the target should be by today, a target is "behind".
AT_RISK_FLOOR = 0.8


def expected_by(target: Target, today: dt.date) -> float:
    """Where a ">=" target should stand on ``today``: the last milestone reached, else a
    straight line over the plan year. A reported indicator is a level (a rate), not a
    quantity that accumulates, so it should stand at its target all year."""
    year = target.plan.year
    value = float(target.target_value)
    if today.year > year or target.kind == Target.Kind.REPORTED:
        return value
    if today.year < year:
        return 0.0
    try:
        milestones = milestones_parse(target.milestones)
    except ValueError:
        # Malformed milestones (saved around Target.clean) count as none: a straight line.
        milestones = {}
    if milestones:
        due = [
            v
            for m, v in milestones.items()
            if m < today.month or m == today.month and today.day == calendar.monthrange(year, m)[1]
        ]
        return max(due, default=0.0)
    days = 366 if calendar.isleap(year) else 365
    return value * today.timetuple().tm_yday / days


def _status(target, actual, expected, *, final=False):
    """met / on_track / at_risk / behind while the plan year runs; once it is over
    (``final``: judged on 31 December or later) a target is met or "missed": there is
    nothing left to be behind schedule for."""
    goal = float(target.target_value)
    if target.comparator == Target.Comparator.AT_MOST:
        return "met" if actual <= goal else "missed" if final else "behind"
    if actual >= goal:
        return "met"
    if final:
        return "missed"
    if actual >= expected:
        return "on_track"
    return "at_risk" if actual >= AT_RISK_FLOOR * expected else "behind"


def rate_metric(target: Target):
    """The rate metric that computes a reported indicator from records (the hotline's reply
    rate from work orders), or None when the indicator is only ever read by staff."""
    if target.kind != Target.Kind.REPORTED or not target.metric_key:
        return None
    metric = metrics.get(target.metric_key)
    return metric if metric is not None and metric.kind == "rate" else None


def target_actual(target: Target, *, subdistrict=None, start=None, end=None):
    """(actual value, contributing queryset or None) for the plan year or a date range.

    A reported indicator naming a rate metric is computed from the records where the period
    has any (the queryset is then the records counted); otherwise its latest reading in
    the period is the actual (queryset None). Readings are district-wide: for one
    subdistrict only a computed value exists.
    """
    start = start or dt.date(target.plan.year, 1, 1)
    end = end or dt.date(target.plan.year, 12, 31)
    if target.kind == Target.Kind.METRIC:
        metric = metrics.get(target.metric_key)
        if metric is None:
            return None, None
        value, qs = metric.measure(start, end, subdistrict or target.subdistrict)
        return (float(value) if value is not None else None), qs
    metric = rate_metric(target)
    if metric is not None:
        value, qs = metric.measure(start, end, subdistrict or target.subdistrict)
        if value is not None:
            return float(value), qs
    if subdistrict is not None:
        return None, None
    reading = target.readings.filter(measured_on__range=(start, end)).first()
    return (float(reading.value) if reading else None), None


def _period_end(target: Target, today: dt.date) -> dt.date:
    """The last day counted when judging on ``today``: today, capped at the plan year's end."""
    return min(today, dt.date(target.plan.year, 12, 31))


def _subdistrict_name(subdistrict) -> str:
    if subdistrict.name_en and (get_language() or "").startswith("en"):
        return subdistrict.name_en
    return subdistrict.name


def target_breakdown(target: Target, *, today: dt.date) -> list[dict]:
    """The actual of a metric target in each subdistrict, with its allocation where one exists.

    Returns one dict per subdistrict, ordered by code: ``subdistrict_code``,
    ``subdistrict_name`` (English name when the active language is English and one is known),
    ``allocation`` (float or None) and ``actual`` (float, in the target's unit, counted from
    1 January of the plan year to ``today`` capped at 31 December).

    Allocations are targets of the same plan that name the same metric and a subdistrict:
    for a district-wide target every subdistrict is listed with its allocated share, if any;
    an allocated target lists only its own subdistrict, with its own value as the allocation.
    Reported indicators give an empty list unless a rate metric computes them (then
    ``actual`` is None where a subdistrict has no records); so do targets whose metric is
    not declared.
    """
    counted = target.kind == Target.Kind.METRIC and metrics.get(target.metric_key) is not None
    if not counted and rate_metric(target) is None:
        return []
    if target.subdistrict_id is not None:
        subdistricts = [target.subdistrict]
        allocations = {target.subdistrict_id: float(target.target_value)}
    else:
        subdistricts = list(Subdistrict.objects.only("code", "name", "name_en").order_by("code"))
        allocations = {
            sub_id: float(value)
            for sub_id, value in Target.objects.filter(
                plan_id=target.plan_id,
                metric_key=target.metric_key,
                subdistrict__isnull=False,
            ).values_list("subdistrict_id", "target_value")
        }
    end = _period_end(target, today)
    rows = []
    for subdistrict in subdistricts:
        actual, _ = target_actual(target, subdistrict=subdistrict, end=end)
        rows.append(
            {
                "subdistrict_code": subdistrict.code,
                "subdistrict_name": _subdistrict_name(subdistrict),
                "allocation": allocations.get(subdistrict.pk),
                "actual": actual,
            }
        )
    return rows


def target_readings(target: Target, *, today: dt.date, limit: int = 12) -> list[dict]:
    """The latest ``limit`` readings of a reported indicator up to ``today``, oldest first:
    ``value`` (float, in the target's unit), ``measured_on`` (date) and ``scope``."""
    readings = target.readings.filter(measured_on__lte=today).order_by("-measured_on", "-pk")
    rows = [
        {"value": float(r.value), "measured_on": r.measured_on, "scope": r.scope}
        for r in readings[:limit]
    ]
    return rows[::-1]


def target_trend(target: Target, *, today: dt.date) -> list[dict]:
    """A computed reported indicator month by month up to ``today``, oldest first: the rate
    over each month's records where it has any (``source`` "records", ``measured_on`` the
    month's last day counted, ``count`` the records), else that month's latest reading
    (``source`` "reading"). Months with neither are left out."""
    metric = rate_metric(target)
    year = target.plan.year
    rows = []
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        if first > today:
            break
        last = min(dt.date(year, month, calendar.monthrange(year, month)[1]), today)
        value, qs = metric.measure(first, last, target.subdistrict)
        if value is not None:
            rows.append({"value": float(value), "measured_on": last, "scope": "",
                         "source": "records", "count": qs.count()})  # fmt: skip
            continue
        reading = target.readings.filter(measured_on__range=(first, last)).first()
        if reading is not None:
            rows.append({"value": float(reading.value), "measured_on": reading.measured_on,
                         "scope": reading.scope, "source": "reading", "count": None})  # fmt: skip
    return rows


def target_progress(target: Target, *, today: dt.date) -> dict:
    """actual, target, percent, expected-by-today and status for one target, judged on
    ``today`` (records dated after it do not count). Status is met, on_track, at_risk or
    behind during the plan year, met or missed from its last day on, no_data without a
    value.

    Metric targets add ``record_count`` (the records counted), ``monthly`` (cumulative
    actual and expected at each month's end;
    months after ``today`` have ``cumulative`` None), ``metric``, ``layer`` (the layer slug
    of the contributing records) and ``by_subdistrict`` (see :func:`target_breakdown`).
    Reported indicators add ``readings`` (see :func:`target_readings`) and ``measured_on``
    (the date of the reading used as the actual).
    """
    end = _period_end(target, today)
    year_end = dt.date(target.plan.year, 12, 31)
    actual, records = target_actual(target, end=end)
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
        "subdistrict": target.subdistrict.code if target.subdistrict_id else None,
        "target": goal,
        "actual": actual,
        "expected_by_today": round(expected, 3),
        "percent": round(100 * actual / goal, 1) if actual is not None and goal else None,
        "status": _status(target, actual, expected, final=today >= year_end)
        if actual is not None
        else "no_data",
    }
    if target.kind == Target.Kind.METRIC:
        metric = metrics.get(target.metric_key)
        result["metric"] = target.metric_key
        result["layer"] = metric.layer if metric else None
        # How many records make up the actual: the dashboard's map link says so (and is
        # not offered when there are none).
        result["record_count"] = records.count() if records is not None else 0
        result["monthly"] = _monthly(target, today)
        result["by_subdistrict"] = target_breakdown(target, today=today)
    else:
        rate = rate_metric(target)
        computed = rate is not None and records is not None
        readings = target_trend(target, today=end) if rate else target_readings(target, today=end)
        result["readings"] = readings
        # "records": computed from the records counted up to ``measured_on``; "reading": a
        # staff reading of that date; None: no value yet.
        result["source"] = ("records" if computed else "reading") if actual is not None else None
        result["record_count"] = records.count() if computed else None
        if computed:
            result["measured_on"] = end
        else:
            reading = target.readings.filter(measured_on__lte=end).first()
            result["measured_on"] = reading.measured_on if actual is not None and reading else None
        result["metric"] = target.metric_key or None
        result["layer"] = rate.layer if rate else None
        result["definition"] = rate.definition if rate else ""
        if rate:
            result["by_subdistrict"] = target_breakdown(target, today=today)
    return result


def _monthly(target: Target, today: dt.date) -> list[dict]:
    """Cumulative value and expected value at the end of each month of the plan year."""
    year = target.plan.year
    series = []
    for month in range(1, 13):
        month_end = dt.date(year, month, calendar.monthrange(year, month)[1])
        if month_end.replace(day=1) > today:
            value = None  # not yet reached on the day judged
        else:
            value, _ = target_actual(target, end=min(month_end, today))
        series.append(
            {
                "month": month,
                "cumulative": value,
                "expected": round(expected_by(target, month_end), 3),
            }
        )
    return series


def plan_progress(*, plan, today: dt.date) -> list[dict]:
    """:func:`target_progress` of every target of ``plan``, in code order."""
    targets = plan.targets.select_related("plan", "subdistrict").order_by("code")
    return [target_progress(t, today=today) for t in targets]


def target_records_geojson(target: Target, *, today: dt.date) -> str | None:
    """The records that make up a metric target's actual on ``today``, as the text of a
    GeoJSON FeatureCollection (EPSG:4326, lon/lat, 7 decimals), built in one query.

    Each Feature has the record's primary key as ``id`` and the properties ``id``,
    ``code``, ``name`` (None when the layer has no name), ``status``, ``subdistrict``
    (code), ``subdistrict_name`` and ``date`` (ISO date: the metric's ``counted_on`` when
    it annotates one, else the layer's ``date_field``). None for reported indicators and
    undeclared metrics.
    """
    metric = metrics.get(target.metric_key) if target.kind == Target.Kind.METRIC else None
    layer = registry.get(metric.layer) if metric else None
    if layer is None:
        return None
    _, qs = target_actual(target, end=_period_end(target, today))
    model_fields = {f.name for f in layer.model._meta.fields}
    none = Value(None, output_field=CharField())
    rows = qs.order_by().annotate(
        _id=F("pk"),
        _code=F("code"),
        _name=F("name") if "name" in model_fields else none,
        _status=F(layer.status_field),
        _sub=F("subdistrict__code"),
        _sub_name=F("subdistrict__name"),
        _date=F("counted_on")
        if "counted_on" in qs.query.annotations
        else F(layer.date_field)
        if layer.date_field
        else none,
        _gj=AsGeoJSON(layer.geometry_field, precision=GEOJSON_PRECISION),
    )
    sql, params = rows.values(
        "_id", "_code", "_name", "_status", "_sub", "_sub_name", "_date", "_gj"
    ).query.sql_with_params()
    feature = (
        "json_build_object('type', 'Feature', 'id', q._id, 'geometry', q._gj::json, "
        "'properties', json_build_object('id', q._id, 'code', q._code, 'name', q._name, "
        "'status', q._status, 'subdistrict', q._sub, 'subdistrict_name', q._sub_name, "
        "'date', q._date))"
    )
    # Only Django's compiled query and constants are spliced in; values stay parameters.
    collection = "json_build_object('type', 'FeatureCollection', 'features', {})::text"
    aggregate = f"COALESCE(json_agg({feature} ORDER BY q._id), '[]'::json)"
    query = f"SELECT {collection.format(aggregate)} FROM ({sql}) q"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def target_detail(target: Target, *, today: dt.date, user=None) -> dict:
    """One target for the per-target endpoint: ``progress`` (:func:`target_progress`) and,
    for a metric target, ``layer`` and ``records`` (:func:`target_records_geojson`, parsed);
    for a reported indicator, ``readings`` with the ``latest`` reading and the ``trend``
    (the readings up to the day judged, oldest first). With ``user``, ``records`` is None
    unless the target's layer is visible to that user (progress numbers stay)."""
    progress = target_progress(target, today=today)
    if target.kind == Target.Kind.METRIC:
        metric = metrics.get(target.metric_key)
        layer = registry.get(metric.layer) if metric else None
        hidden = user is not None and layer is not None and not layer.visible_to(user)
        records = None if hidden else target_records_geojson(target, today=today)
        return {
            "progress": progress,
            "layer": progress["layer"],
            "records": json.loads(records) if records else None,
        }
    trend = progress["readings"]
    return {
        "progress": progress,
        "readings": {"latest": trend[-1] if trend else None, "trend": trend},
    }


def plan_default_year(*, today: dt.date) -> int | None:
    """The year of ``today``'s plan when one exists, else the latest plan's year (None when
    no plan is loaded)."""
    years = set(Plan.objects.values_list("year", flat=True))
    if not years:
        return None
    return today.year if today.year in years else max(years)
