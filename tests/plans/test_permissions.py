"""Who may read the plan: plans.view_plan and plans.view_reportedvalue, on every page,
API and export (geo_cm.plans.permissions)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from geo_cm import services
from geo_cm.plans.models import Plan, ReportedValue, Target
from tests import factories

pytestmark = pytest.mark.django_db

PATHS = [
    "/plans/2023/",
    "/plans/2023/report.xlsx",
    "/plans/2023/print/",
    "/plans/2023/map-report.html",
    "/api/plans/2023/progress",
    "/api/plans/2023/targets/L1",
    "/api/plans/2023/targets/R1",
]


@pytest.fixture
def plan(areas, roles):
    from streets.models import LightingRetrofit

    plan = Plan.objects.create(title="测试计划", issuing_body="测试城管局", year=2023)
    Target.objects.create(
        plan=plan, code="L1", title_zh="路灯", title_en="Lights", unit="条", target_value=5,
        kind="metric", metric_key="streets.retrofitted_roads",
    )  # fmt: skip
    r1 = Target.objects.create(
        plan=plan, code="R1", title_zh="机扫率", title_en="Rate", unit="%", target_value=98,
        kind="reported",
    )  # fmt: skip
    ReportedValue.objects.create(
        target=r1, value=97, measured_on=dt.date(2023, 6, 1), evidence="internal memo"
    )
    road = factories.road("DL-R")
    services.asset_create(
        model=LightingRetrofit,
        values=dict(
            code="GZ-0", road=road, year=2023, status="completed", lamps=10,
            power_before_w=2500, power_after_w=1000, completed_on=dt.date(2023, 4, 1),
            geom=road.geom,
        ),
    )  # fmt: skip
    return plan


def _client(group=None, perms=()):
    user = get_user_model().objects.create_user(username=f"u-{group}-{len(perms)}")
    if group:
        user.groups.add(Group.objects.get(name=group))
    for name in perms:
        app, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("group", ["parking_feed", "field_team", None])
def test_accounts_without_the_plan_permission_get_403(plan, path, group):
    assert _client(group).get(path, {"today": "2023-12-31"}).status_code == 403


@pytest.mark.parametrize("path", PATHS[:4])
def test_anonymous_users_are_sent_to_log_in(plan, path):
    response = Client().get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("group", ["planner", "gis_staff", "administrator"])
def test_plan_roles_read_everything(plan, group):
    client = _client(group)
    for path in PATHS:
        assert client.get(path, {"today": "2023-12-31"}).status_code == 200, path
    body = client.get("/api/plans/2023/targets/L1", {"today": "2023-12-31"}).json()
    assert body["records"]["features"]


def test_records_of_a_layer_the_user_may_not_see_are_left_out(plan):
    client = _client(perms=("plans.view_plan", "plans.view_reportedvalue"))
    body = client.get("/api/plans/2023/targets/L1", {"today": "2023-12-31"}).json()
    assert body["progress"]["actual"] is not None
    assert body["records"] is None


def test_the_map_report_leaves_out_layers_the_user_may_not_see(plan, settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    perms = ("plans.view_plan", "plans.view_reportedvalue")
    html = _client(perms=perms).get("/plans/2023/map-report.html").content.decode()
    assert "GZ-0" not in html
    html = _client("planner").get("/plans/2023/map-report.html").content.decode()
    assert "GZ-0" in html
