"""Per-subdistrict breakdown of metric targets, with allocations, on constructed data."""

import datetime as dt

import pytest

from geo_cm.plans.models import Plan, Target
from geo_cm.plans.selectors import plan_progress, target_breakdown, target_progress
from tests import factories

from .conftest import berth_targets

pytestmark = pytest.mark.django_db
DEC31 = dt.date(2023, 12, 31)


@pytest.fixture
def berths_plan(areas):
    """P1: 1000 berths district-wide, 400 of them allocated to the west subdistrict (P1-W).

    West: 300 berths opened in March. East: 200 opened in August, and 50 opened in 2024.
    """
    plan = Plan.objects.create(title="测试计划", issuing_body="测试", year=2023)
    berth_targets(plan, areas["west"])
    factories.facility("TC-W", lon=118.62, total_berths=300, opened_on=dt.date(2023, 3, 1))
    factories.facility("TC-E", lon=118.68, total_berths=200, opened_on=dt.date(2023, 8, 1))
    factories.facility("TC-L", lon=118.69, total_berths=50, opened_on=dt.date(2024, 1, 1))
    return plan


def row(code, name, allocation, actual):
    return dict(subdistrict_code=code, subdistrict_name=name, allocation=allocation, actual=actual)


def test_district_target_lists_every_subdistrict_with_allocations(berths_plan):
    target = berths_plan.targets.get(code="P1")
    assert target_breakdown(target, today=DEC31) == [
        row("320111004000", "江浦街道", 400.0, 300.0),
        row("320192007000", "泰山街道", None, 200.0),
    ]


def test_breakdown_judged_on_a_day_ignores_later_records(berths_plan):
    target = berths_plan.targets.get(code="P1")
    june = target_breakdown(target, today=dt.date(2023, 6, 30))
    assert [r["actual"] for r in june] == [300.0, 0.0]
    # After the plan year the year's records count, not next year's.
    assert [r["actual"] for r in target_breakdown(target, today=dt.date(2024, 6, 1))] == [
        300.0,
        200.0,
    ]


def test_allocated_target_lists_its_own_subdistrict(berths_plan):
    target = berths_plan.targets.get(code="P1-W")
    assert target_breakdown(target, today=DEC31) == [row("320111004000", "江浦街道", 400.0, 300.0)]
    progress = target_progress(target, today=DEC31)
    assert progress["actual"] == 300.0 and progress["percent"] == 75.0
    assert progress["subdistrict"] == "320111004000"


def test_progress_carries_the_breakdown_and_monthly_expectation(berths_plan):
    progress = {p["code"]: p for p in plan_progress(plan=berths_plan, today=dt.date(2023, 9, 15))}
    p1 = progress["P1"]
    assert p1["actual"] == 500.0 and p1["layer"] == "parking-facilities"
    assert [r["actual"] for r in p1["by_subdistrict"]] == [300.0, 200.0]
    cumulative = [m["cumulative"] for m in p1["monthly"]]
    assert cumulative == [0, 0, 300, 300, 300, 300, 300, 500, 500, None, None, None]
    assert p1["monthly"][11]["expected"] == 1000.0
    assert p1["monthly"][5]["expected"] == pytest.approx(1000 * 181 / 365, abs=0.001)


def test_reported_indicator_has_no_breakdown(areas):
    plan = Plan.objects.create(title="测试计划", issuing_body="测试", year=2023)
    target = Target.objects.create(
        plan=plan,
        code="R1",
        title_zh="机扫率",
        title_en="Sweeping",
        unit="%",
        target_value=98,
        kind="reported",
    )
    assert target_breakdown(target, today=DEC31) == []
    assert "by_subdistrict" not in target_progress(target, today=DEC31)


def test_progress_api_includes_the_breakdown(planner_client, berths_plan):
    body = planner_client.get("/api/plans/2023/progress", {"today": "2023-12-31"}).json()
    p1 = next(t for t in body["targets"] if t["code"] == "P1")
    assert p1["by_subdistrict"][0] == row("320111004000", "江浦街道", 400.0, 300.0)
