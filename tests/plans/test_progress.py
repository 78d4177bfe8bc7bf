"""Plan metrics and progress on constructed data with known answers."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from geo_cm import services
from geo_cm.plans.models import Plan, ReportedValue
from geo_cm.plans.registry import metrics
from geo_cm.plans.selectors import expected_by, target_progress
from parking.models import SharingWindow
from tests import factories

pytestmark = pytest.mark.django_db
JAN1, DEC31 = dt.date(2023, 1, 1), dt.date(2023, 12, 31)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def measure(key, subdistrict=None):
    return metrics.get(key).measure(JAN1, DEC31, subdistrict)[0]


def test_new_berths_count_open_facilities_opened_in_the_year(areas):
    factories.facility("TC-1", total_berths=300, opened_on=dt.date(2023, 12, 31))
    factories.facility("TC-2", total_berths=200, opened_on=dt.date(2023, 1, 1), lon=118.62)
    factories.facility("TC-3", total_berths=999, opened_on=dt.date(2024, 1, 1))
    closed = factories.facility("TC-4", total_berths=50, opened_on=dt.date(2023, 6, 1))
    assert measure("parking.new_berths") == 550
    services.asset_set_status(asset=closed, status="suspended")
    assert measure("parking.new_berths") == 500
    assert measure("parking.new_berths", areas["west"]) == 200


def test_shared_site_judged_in_shanghai_time(areas):
    facility = factories.facility("TC-S")
    window = SharingWindow.objects.create(
        facility=facility,
        weekdays=[1],
        berths_shared=5,
        start_time=dt.time(19),
        end_time=dt.time(7),
        audience="public",
    )
    # 23:30 on 31 December in Pukou is 15:30 UTC: it counts for 2023.
    SharingWindow.objects.filter(pk=window.pk).update(
        created_at=dt.datetime(2023, 12, 31, 23, 30, tzinfo=SHANGHAI)
    )
    assert measure("parking.new_shared_sites") == 1
    SharingWindow.objects.filter(pk=window.pk).update(
        created_at=dt.datetime(2024, 1, 1, 0, 30, tzinfo=SHANGHAI)
    )
    assert measure("parking.new_shared_sites") == 0


def test_toilets_built_or_renovated(areas):
    factories.toilet("GC-1", project="new", completed_on=dt.date(2023, 5, 1))
    factories.toilet("GC-2", project="renovated", completed_on=dt.date(2023, 9, 1))
    factories.toilet("GC-3", project="", completed_on=dt.date(2023, 9, 1))
    removed = factories.toilet("GC-4", project="new", completed_on=dt.date(2023, 3, 1))
    services.asset_set_status(asset=removed, status="removed")
    assert measure("toilets.built_or_renovated") == 2


def test_greenway_counts_only_completed_segments(areas):
    from pyproj import Geod

    factories.segment("GW-1", coords=((118.61, 32.05), (118.62, 32.05)))
    factories.segment(
        "GW-2",
        coords=((118.62, 32.05), (118.63, 32.05)),
        status="under_construction",
        completed_on=None,
    )
    expected = Geod(ellps="WGS84").line_length([118.61, 118.62], [32.05, 32.05]) / 1000
    assert measure("greenways.completed_km") == pytest.approx(expected, abs=0.001)


def test_alleys_and_retrofits(areas):
    from django.contrib.gis.geos import LineString, MultiLineString

    from streets.models import BackAlleyProject, LightingRetrofit

    line = MultiLineString(LineString((118.62, 32.05), (118.623, 32.05), srid=4326), srid=4326)
    for i, (status, boutique) in enumerate(
        (("completed", True), ("accepted", False), ("construction", True))
    ):
        services.asset_create(
            model=BackAlleyProject,
            values=dict(
                code=f"BJ-{i}",
                name=f"巷{i}",
                plan_year=2023,
                status=status,
                boutique=boutique,
                completed_on=dt.date(2023, 8, 1),
                geom=line,
            ),
        )
    assert measure("streets.alleys_completed") == 2
    assert measure("streets.boutique_alleys_completed") == 1
    road = factories.road("DL-R")
    for i in range(2):  # two completed retrofits of one road count once
        services.asset_create(
            model=LightingRetrofit,
            values=dict(
                code=f"GZ-{i}",
                road=road,
                year=2023,
                status="completed",
                lamps=10,
                power_before_w=2500,
                power_after_w=1000,
                completed_on=dt.date(2023, 4, 1),
                geom=road.geom,
            ),
        )
    assert measure("streets.retrofitted_roads") == 1


@pytest.fixture
def plan(db):
    call_command("load_plan_2023", verbosity=0)
    return Plan.objects.get(year=2023)


def test_the_2023_plan_loads_every_target(plan):
    codes = set(plan.targets.values_list("code", flat=True))
    assert {"P1", "P2", "T1", "A1", "A2", "G1", "L1"} <= codes and len(codes) == 16
    call_command("load_plan_2023", verbosity=0)  # idempotent
    assert plan.targets.count() == 16


def test_loading_if_missing_keeps_the_planners_edits(plan):
    plan.targets.filter(code="P1").update(target_value=1200)
    call_command("load_plan_2023", "--if-missing", verbosity=0)
    assert plan.targets.get(code="P1").target_value == 1200
    call_command("load_plan_2023", verbosity=0)  # without the flag: the plan as issued
    assert plan.targets.get(code="P1").target_value == 1000


def test_linear_expectation_and_milestones(plan):
    target = plan.targets.get(code="P1")
    assert expected_by(target, dt.date(2023, 7, 2)) == pytest.approx(1000 * 183 / 365)
    target.milestones = {"6": 300, "12": 1000}
    assert expected_by(target, dt.date(2023, 6, 29)) == 0
    assert expected_by(target, dt.date(2023, 6, 30)) == 300
    assert expected_by(target, dt.date(2024, 2, 1)) == 1000


def test_status_met_on_track_at_risk_behind(plan, areas):
    target = plan.targets.get(code="P1")
    facility = factories.facility("TC-P", total_berths=450, opened_on=dt.date(2023, 3, 1))
    mid = dt.date(2023, 7, 2)  # expected ~501
    assert target_progress(target, today=mid)["status"] == "at_risk"  # 450 >= 0.8 * 501
    assert target_progress(target, today=dt.date(2023, 5, 1))["status"] == "on_track"
    assert target_progress(target, today=dt.date(2023, 12, 1))["status"] == "behind"
    services.asset_update(asset=facility, values={"total_berths": 1200})
    done = target_progress(target, today=mid)
    assert done["status"] == "met" and done["percent"] == 120.0
    assert done["monthly"][1]["cumulative"] == 0 and done["monthly"][2]["cumulative"] == 1200


def test_reported_indicator_uses_the_latest_reading(plan):
    target = plan.targets.get(code="R1")
    assert target_progress(target, today=DEC31)["status"] == "no_data"
    ReportedValue.objects.create(target=target, value=97, measured_on=dt.date(2023, 3, 1))
    ReportedValue.objects.create(target=target, value=98.6, measured_on=dt.date(2023, 9, 1))
    progress = target_progress(target, today=DEC31)
    assert progress["actual"] == 98.6 and progress["status"] == "met"


def test_progress_endpoint(planner_client, anon_client, plan):
    body = planner_client.get("/api/plans/2023/progress", {"today": "2023-12-31"}).json()
    assert len(body["targets"]) == 16 and body["plan"]["year"] == 2023
    assert planner_client.get("/api/plans/2019/progress").status_code == 404
    assert planner_client.get("/api/plans/2023/progress", {"today": "soon"}).status_code == 400
    assert anon_client.get("/api/plans/2023/progress").status_code in (401, 403)


@pytest.mark.parametrize(
    "milestones", [{"六月": 5}, [5, 10], {"6": "five"}, {"6": -1}, {"6": 8, "3": 9}, {"13": 1}]
)
def test_malformed_milestones_are_refused_by_clean_and_ignored_by_progress(
    areas, planner_client, milestones
):
    from django.core.exceptions import ValidationError

    from geo_cm.plans.models import Target

    plan = Plan.objects.create(title="测试计划", issuing_body="测试", year=2023)
    target = Target.objects.create(
        plan=plan, code="T1", title_zh="公厕", title_en="Toilets", unit="座", target_value=10,
        kind="metric", metric_key="toilets.built_or_renovated", milestones=milestones,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        target.full_clean()
    assert "milestones" in error.value.message_dict
    # Saved around clean(): judged by the straight line rather than a 500.
    assert round(expected_by(target, dt.date(2023, 12, 31)), 3) == 10
    assert (
        planner_client.get("/api/plans/2023/progress", {"today": "2023-06-30"}).status_code == 200
    )


def test_milestones_may_not_exceed_an_at_least_target(areas):
    from django.core.exceptions import ValidationError

    from geo_cm.plans.models import Target

    plan = Plan.objects.create(title="测试计划", issuing_body="测试", year=2023)
    target = Target(
        plan=plan, code="T1", title_zh="公厕", title_en="Toilets", unit="座", target_value=10,
        kind="metric", metric_key="toilets.built_or_renovated", milestones={"6": 5, "12": 11},
    )  # fmt: skip
    with pytest.raises(ValidationError):
        target.full_clean()
    target.milestones = {"6": 5, "12": 10}
    target.full_clean()
