"""Staff readings of reported indicators: /api/plans/{year}/targets/{code}/readings."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from geo_cm.plans.models import Plan, ReportedValue, Target
from geo_cm.plans.selectors import target_progress

pytestmark = pytest.mark.django_db
URL = "/api/plans/2023/targets/R1/readings"


@pytest.fixture
def plan(db):
    plan = Plan.objects.create(title="测试计划", issuing_body="测试城管局", year=2023)
    Target.objects.create(
        plan=plan, code="R1", title_zh="主干道机扫率", title_en="Machine sweeping rate",
        unit="%", target_value=98, kind="reported",
    )  # fmt: skip
    Target.objects.create(
        plan=plan, code="P1", title_zh="新增停车泊位", title_en="New berths", unit="个",
        target_value=1000, kind="metric", metric_key="parking.new_berths",
    )  # fmt: skip
    return plan


@pytest.fixture
def en_planner(planner_client):
    planner_client.cookies["django_language"] = "en"
    return planner_client


def test_planner_records_a_reading_that_becomes_the_actual(plan, en_planner, planner_user):
    body = {
        "value": "98.6",
        "measured_on": "2023-06-30",
        "scope": "全区主干道",
        "evidence": "机扫作业台账 2023-06",
    }
    response = en_planner.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["value"] == 98.6 and data["reported_by"] == "planner"
    reading = ReportedValue.objects.get()
    assert reading.reported_by == planner_user and reading.scope == "全区主干道"
    assert reading.evidence == "机扫作业台账 2023-06"
    progress = target_progress(plan.targets.get(code="R1"), today=dt.date(2023, 7, 1))
    assert progress["actual"] == 98.6 and progress["status"] == "met"

    listing = en_planner.get(URL).json()
    assert listing["target"] == "R1" and listing["unit"] == "%"
    assert [r["value"] for r in listing["readings"]] == [98.6]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"measured_on": "2023-06-30"}, "value"),
        ({"value": "lots", "measured_on": "2023-06-30"}, "value"),
        ({"value": "1e20", "measured_on": "2023-06-30"}, "value"),
        ({"value": "NaN", "measured_on": "2023-06-30"}, "value"),
        ({"value": "98.1234", "measured_on": "2023-06-30"}, "value"),
        ({"value": "-1", "measured_on": "2023-06-30"}, "value"),
        ({"value": "100.5", "measured_on": "2023-06-30"}, "value"),
        ({"value": None, "measured_on": "2023-06-30"}, "value"),
        ({"value": "98"}, "measured_on"),
        ({"value": "98", "measured_on": "2023-02-30"}, "measured_on"),
        ({"value": "98", "measured_on": "2022-12-31"}, "measured_on"),
        ({"value": "98", "measured_on": "2999-01-01"}, "measured_on"),
        ({"value": "98", "measured_on": "2023-06-30", "scope": "x" * 201}, "scope"),
    ],
)
def test_invalid_readings_name_the_field(plan, en_planner, body, field):
    response = en_planner.post(URL, body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert field in data["errors"]
    assert data["description"].startswith(f"{field}:")
    assert not ReportedValue.objects.exists()


@pytest.mark.parametrize("body", [[1, 2], "98", None, 98])
def test_bodies_that_are_not_objects_are_400s(plan, en_planner, body):
    response = en_planner.post(URL, body, format="json")
    assert response.status_code == 400


def test_metric_targets_take_no_readings(plan, en_planner):
    response = en_planner.post(
        "/api/plans/2023/targets/P1/readings",
        {"value": "10", "measured_on": "2023-06-30"},
        format="json",
    )
    assert response.status_code == 400
    assert "measured from the asset records" in response.json()["description"]


def test_unknown_targets_and_years_are_404s(plan, en_planner):
    body = {"value": "10", "measured_on": "2023-06-30"}
    assert en_planner.post("/api/plans/2023/targets/NOPE/readings", body).status_code == 404
    assert en_planner.get("/api/plans/2031/targets/R1/readings").status_code == 404


def test_only_planners_and_administrators_record(plan, gis_client, anon_client, field_user):
    body = {"value": "98", "measured_on": "2023-06-30"}
    assert anon_client.post(URL, body, format="json").status_code in (401, 403)
    assert anon_client.get(URL).status_code in (401, 403)
    assert gis_client.post(URL, body, format="json").status_code == 403
    field = APIClient()
    field.force_authenticate(field_user)
    assert field.post(URL, body, format="json").status_code == 403
    admin = get_user_model().objects.create_superuser("root", password="pw-root")
    client = APIClient()
    client.force_authenticate(admin)
    assert client.post(URL, body, format="json").status_code == 201


def test_readings_entered_in_the_admin_name_who_reported_them(plan, planner_user):
    from django.test import Client

    client = Client()
    client.force_login(planner_user)
    page = client.get("/admin/plans/reportedvalue/add/").content.decode()
    r1, p1 = plan.targets.get(code="R1"), plan.targets.get(code="P1")
    assert f'value="{r1.pk}"' in page and f'value="{p1.pk}"' not in page
    response = client.post(
        "/admin/plans/reportedvalue/add/",
        {
            "target": r1.pk,
            "value": "97.1",
            "measured_on": "2023-03-31",
            "scope": "",
            "evidence": "",
        },
    )
    assert response.status_code == 302
    assert ReportedValue.objects.get().reported_by == planner_user


def test_admin_readings_pass_the_same_checks(planner_user, roles):
    from django.test import Client

    from geo_cm.plans.models import Plan, ReportedValue, Target
    from tests.plans.test_history import form_values

    plan = Plan.objects.create(title="测试计划", issuing_body="测试", year=2023)
    r1 = Target.objects.create(
        plan=plan, code="R9", title_zh="机扫率", title_en="Rate", unit="%", target_value=98,
        kind="reported",
    )  # fmt: skip
    client = Client()
    client.force_login(planner_user)
    client.cookies["django_language"] = "en"
    url = "/admin/plans/reportedvalue/add/"
    values = form_values(client, url)
    values.update({"target": str(r1.pk), "value": "150", "measured_on": "2023-05-01"})
    response = client.post(url, values)
    assert response.status_code == 200 and "between 0 and 100" in response.content.decode()
    values.update({"value": "97", "measured_on": "2030-01-01"})
    assert client.post(url, values).status_code == 200
    values.update({"measured_on": "2023-05-01", "scope": "x\x01y"})
    assert client.post(url, values).status_code == 200
    assert not ReportedValue.objects.exists()
    values["scope"] = "全区"
    assert client.post(url, values).status_code == 302


def test_control_characters_in_a_reading_are_a_400_naming_the_field(planner_client, roles):
    from geo_cm.plans.models import Plan, Target

    plan = Plan.objects.create(title="测试计划", issuing_body="测试", year=2023)
    Target.objects.create(
        plan=plan, code="R9", title_zh="机扫率", title_en="Rate", unit="%", target_value=98,
        kind="reported",
    )  # fmt: skip
    response = planner_client.post(
        "/api/plans/2023/targets/R9/readings",
        {"value": "97", "measured_on": "2023-06-30", "scope": "x\x01y"},
        format="json",
    )
    assert response.status_code == 400 and "scope" in response.json()["errors"]
