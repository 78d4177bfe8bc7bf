"""Migration plans.0005 names R7-R9's work-order metrics in plans loaded before them."""

import importlib

import pytest
from django.apps import apps

from geo_cm.plans.models import Plan, PlanChange, Target

migration = importlib.import_module("geo_cm.plans.migrations.0005_hotline_rates_from_work_orders")
pytestmark = pytest.mark.django_db


def _target(plan, code, key=""):
    return Target.objects.create(
        plan=plan,
        code=code,
        title_zh=code,
        title_en=code,
        unit="%",
        target_value=90,
        comparator=">=",
        kind="reported",
        metric_key=key,
    )


def test_old_plans_get_the_hotline_metrics_and_a_history_row():
    plan = Plan.objects.create(year=2023, title="2023 plan", issuing_body="bureau")
    r7 = _target(plan, "R7")
    r8 = _target(plan, "R8", key="some.other_metric")  # a planner's choice stays
    r1 = _target(plan, "R1")
    migration.name_hotline_metrics(apps, None)
    for target in (r7, r8, r1):
        target.refresh_from_db()
    assert r7.metric_key == "workorders.reply_rate"
    assert r8.metric_key == "some.other_metric"
    assert r1.metric_key == ""
    change = PlanChange.objects.get(target_code="R7")
    assert change.changes == {"metric_key": ["", "workorders.reply_rate"]}
    assert change.note == "migration plans.0005" and change.user is None
    assert PlanChange.objects.count() == 1
