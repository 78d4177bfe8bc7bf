"""The per-target endpoint on constructed data: progress, GeoJSON records, readings, errors."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from geo_cm import services
from geo_cm.plans.models import Plan, ReportedValue, Target
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/api/plans/2023/targets/{}"


@pytest.fixture
def plan(areas):
    """T1: ten toilets. Three count (two west, one east); one is removed, one is next year's,
    one is neither new nor renovated. R1: a reported rate with two readings."""
    plan = Plan.objects.create(title="测试计划", issuing_body="测试", year=2023)
    Target.objects.create(
        plan=plan,
        code="T1",
        title_zh="新改建城乡公厕",
        title_en="Toilets built or renovated",
        unit="座",
        target_value=10,
        kind="metric",
        metric_key="toilets.built_or_renovated",
    )
    rate = Target.objects.create(
        plan=plan,
        code="R1",
        title_zh="主干道机扫率",
        title_en="Sweeping rate",
        unit="%",
        target_value=98,
        kind="reported",
    )
    ReportedValue.objects.create(target=rate, value=97, measured_on=dt.date(2023, 3, 31))
    ReportedValue.objects.create(target=rate, value=98.5, measured_on=dt.date(2023, 6, 30))
    factories.toilet("GC-1", lon=118.61, project="new", completed_on=dt.date(2023, 2, 1))
    factories.toilet("GC-2", lon=118.62, project="renovated", completed_on=dt.date(2023, 7, 1))
    factories.toilet("GC-3", lon=118.68, project="new", completed_on=dt.date(2023, 11, 20))
    removed = factories.toilet("GC-4", lon=118.63, project="new", completed_on=dt.date(2023, 3, 1))
    services.asset_set_status(asset=removed, status="removed")
    factories.toilet("GC-5", lon=118.64, project="new", completed_on=dt.date(2024, 1, 2))
    factories.toilet("GC-6", lon=118.66, project="", completed_on=dt.date(2023, 5, 1))
    return plan


def test_metric_target_returns_progress_and_records(planner_client, plan):
    response = planner_client.get(URL.format("T1"), {"today": "2023-12-31"})
    assert response.status_code == 200
    body = response.json()
    assert body["plan"]["year"] == 2023 and body["today"] == "2023-12-31"
    progress = body["progress"]
    assert progress["actual"] == 3.0 and progress["percent"] == 30.0
    assert progress["status"] == "missed"  # the year is over: not met, not "behind"
    assert [(r["subdistrict_code"], r["actual"]) for r in progress["by_subdistrict"]] == [
        ("320111004000", 2.0),
        ("320192007000", 1.0),
    ]
    assert body["layer"] == "toilets"
    records = body["records"]
    assert records["type"] == "FeatureCollection"
    features = {f["properties"]["code"]: f for f in records["features"]}
    assert set(features) == {"GC-1", "GC-2", "GC-3"}
    gc3 = features["GC-3"]
    assert gc3["geometry"] == {"type": "Point", "coordinates": [118.68, 32.05]}
    assert gc3["id"] == gc3["properties"]["id"]
    assert gc3["properties"] == {
        "id": gc3["id"],
        "code": "GC-3",
        "name": "测试公厕GC-3",
        "status": "open",
        "subdistrict": "320192007000",
        "subdistrict_name": "泰山街道",
        "date": "2023-11-20",
    }


def test_records_judged_as_of_a_day(planner_client, plan):
    body = planner_client.get(URL.format("T1"), {"today": "2023-06-30"}).json()
    assert [f["properties"]["code"] for f in body["records"]["features"]] == ["GC-1"]
    assert body["progress"]["actual"] == 1.0
    monthly = body["progress"]["monthly"]
    assert [m["cumulative"] for m in monthly[:7]] == [0, 1, 1, 1, 1, 1, None]


def test_reported_target_returns_its_readings(planner_client, plan):
    body = planner_client.get(URL.format("R1"), {"today": "2023-12-31"}).json()
    assert "records" not in body
    assert body["readings"]["latest"] == {"value": 98.5, "measured_on": "2023-06-30", "scope": ""}
    assert [r["value"] for r in body["readings"]["trend"]] == [97.0, 98.5]
    assert body["progress"]["actual"] == 98.5 and body["progress"]["status"] == "met"
    assert body["progress"]["measured_on"] == "2023-06-30"
    early = planner_client.get(URL.format("R1"), {"today": "2023-05-01"}).json()
    assert early["readings"]["latest"]["value"] == 97.0
    # A rate is judged against its target all year, not a line from zero.
    assert early["progress"]["status"] == "at_risk"


def test_unknown_year_or_code_is_404_with_a_message(planner_client, plan):
    response = planner_client.get("/api/plans/2019/targets/T1")
    assert response.status_code == 404
    planner_client.cookies["django_language"] = "en"
    response = planner_client.get(URL.format("Z9"))
    assert response.status_code == 404
    assert "Z9" in str(response.json())


def test_unknown_parameter_or_bad_date_is_400(planner_client, plan):
    planner_client.cookies["django_language"] = "en"
    response = planner_client.get(URL.format("T1"), {"bbox": "1,2,3,4"})
    assert response.status_code == 400 and "bbox" in str(response.json())
    for bad in ("soon", "2023-02-30"):
        response = planner_client.get(URL.format("T1"), {"today": bad})
        assert response.status_code == 400 and "today" in str(response.json())


def test_anonymous_is_denied_and_staff_roles_are_allowed(anon_client, gis_client, plan):
    assert anon_client.get(URL.format("T1")).status_code in (401, 403)
    assert gis_client.get(URL.format("T1")).status_code == 200


def test_field_team_member_may_not_read_the_plan(field_user, plan):
    # Reading the plan takes plans.view_plan (planner, gis_staff, administrator).
    client = APIClient()
    client.force_authenticate(field_user)
    assert client.get(URL.format("T1")).status_code == 403


def test_query_count_does_not_grow_with_records(
    planner_client, plan, django_assert_max_num_queries
):
    for i in range(20):
        factories.toilet(
            f"GC-X{i}", lon=118.605 + i * 0.004, project="new", completed_on=dt.date(2023, 4, 1)
        )
    with django_assert_max_num_queries(40):
        body = planner_client.get(URL.format("T1"), {"today": "2023-12-31"}).json()
    assert len(body["records"]["features"]) == 23


def test_a_shared_site_is_dated_by_its_first_sharing_window_in_shanghai_time(planner_client, areas):
    from parking.models import SharingWindow

    plan = Plan.objects.create(title="测试计划", issuing_body="测试", year=2023)
    Target.objects.create(
        plan=plan, code="P2", title_zh="共享停车", title_en="Shared parking", unit="处",
        target_value=2, kind="metric", metric_key="parking.new_shared_sites",
    )  # fmt: skip
    site = factories.facility("TC-S", opened_on=dt.date(2019, 5, 1))
    shanghai = dt.timezone(dt.timedelta(hours=8))
    # 07:30 in Shanghai on 1 June is still 31 May in UTC: counted by the Shanghai day.
    for day, hour in ((dt.date(2023, 12, 31), 23), (dt.date(2023, 6, 1), 7)):
        window = SharingWindow.objects.create(
            facility=site, weekdays=[1], berths_shared=5, start_time=dt.time(19),
            end_time=dt.time(7), audience="public",
        )  # fmt: skip
        SharingWindow.objects.filter(pk=window.pk).update(
            created_at=dt.datetime(day.year, day.month, day.day, hour, 30, tzinfo=shanghai)
        )
    body = planner_client.get(URL.format("P2"), {"today": "2023-12-31"}).json()
    (feature,) = body["records"]["features"]
    # Not the facility's opening day (2019): the day its first window was set up.
    assert feature["properties"]["code"] == "TC-S"
    assert feature["properties"]["date"] == "2023-06-01"


@pytest.mark.parametrize(
    "path",
    [
        "/api/plans/10000/progress",
        "/api/plans/1999/progress",
        "/api/plans/99999999999999999999/progress",
        "/api/plans/2023/targets/a%00b",
        "/api/plans/2023/targets/a%00b/readings",
        "/plans/10000/",
        "/plans/10000/report.xlsx",
    ],
)
def test_years_out_of_bounds_and_odd_codes_are_404(planner_user, plan, path):
    Plan.objects.create(title="远期", issuing_body="测试", year=10000)
    client = Client(raise_request_exception=False)
    client.force_login(planner_user)
    assert client.get(path).status_code == 404


def test_plan_year_is_between_2000_and_2100():
    with pytest.raises(ValidationError):
        Plan(title="x", issuing_body="y", year=10000).full_clean()
    Plan(title="x", issuing_body="y", year=2100).full_clean()
