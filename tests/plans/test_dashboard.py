"""The planners' dashboard page, rendered with the test planner_web."""

import datetime as dt
import re

import pytest
from django.test import Client

from geo_cm.plans.models import Plan, ReportedValue, Target
from geo_cm.plans.svg import number, progress_chart
from tests import factories

from .conftest import berth_targets

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(areas):
    plan = Plan.objects.create(title="测试计划", issuing_body="测试局", year=2023)
    berth_targets(plan, areas["west"], title_en="New parking berths")
    rate = Target.objects.create(
        plan=plan,
        code="R1",
        title_zh="主干道机扫率",
        title_en="Main-road machine sweeping rate",
        unit="%",
        target_value=98,
        kind="reported",
    )
    for month, value in ((3, 96.5), (6, 97.2), (9, 98.4)):
        ReportedValue.objects.create(target=rate, value=value, measured_on=dt.date(2023, month, 28))
    factories.facility("TC-W", lon=118.62, total_berths=300, opened_on=dt.date(2023, 3, 1))
    factories.facility("TC-E", lon=118.68, total_berths=450, opened_on=dt.date(2023, 8, 1))
    return plan


def cards(html):
    """code -> the data attributes of each target card."""
    found = {}
    for match in re.finditer(r'<article class="target-card[^>]*>', html):
        attrs = dict(re.findall(r'data-([a-z]+)="([^"]*)"', match.group(0)))
        found[attrs["code"]] = attrs
    return found


def test_dashboard_renders_cards_charts_and_the_table(planner_web, plan):
    response = planner_web.get("/plans/2023/", {"today": "2023-12-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "测试计划" in html and "测试局" in html
    assert cards(html) == {
        # Judged on the plan year's last day: not met, rather than behind schedule.
        "P1": dict(code="P1", status="missed", actual="750", target="1000", percent="75"),
        "P1-W": dict(code="P1-W", status="missed", actual="300", target="400", percent="75"),
        "R1": dict(code="R1", status="met", actual="98.4", target="98", percent="100.4"),
    }
    assert "新增停车泊位" in html  # Chinese titles by default
    # One chart per metric target, with a point per month reached.
    assert html.count('<svg class="progress-chart"') == 2
    assert html.count('class="actual-point"') == 24
    assert 'data-month="12" data-value="750"' in html
    # The reported indicator: its latest reading and a three-point trend.
    assert "2023-09-28" in html and 'data-points="3"' in html
    # The subdistrict table: one column (P1; P1-W is its allocation), a row per subdistrict.
    table = html[html.index('id="subdistrict-table"') :]
    assert 'data-subdistrict="320111004000"' in table and 'data-subdistrict="320192007000"' in table
    assert '<td data-actual="300" data-allocation="400">300 / 400</td>' in table
    assert '<td data-actual="450">450</td>' in table
    # Links that open the map on the target's layer alone with its records highlighted,
    # saying how many there are.
    assert (
        'href="/?layer=parking-facilities&amp;plan=2023&amp;today=2023-12-31&amp;target=P1"'
        ' data-records="2">在地图上查看计入的 2 条记录</a>' in html
    )
    assert 'data-records="1">在地图上查看计入的 1 条记录</a>' in html  # P1-W: the west one


def test_a_target_without_records_offers_no_map_link(planner_web, plan):
    html = planner_web.get("/plans/2023/", {"today": "2023-02-28"}).content.decode()
    assert cards(html)["P1"]["actual"] == "0"
    assert "layer=parking-facilities" not in html
    assert html.count('<p class="map-link-none" data-records="0">暂无计入该指标的记录。</p>') == 2


def test_a_past_plan_is_judged_at_its_year_end(planner_web, plan):
    # No ?today= on a 2023 plan viewed later: judged on 2023-12-31 (the test runs after).
    html = planner_web.get("/plans/2023/").content.decode()
    assert 'name="today" value="2023-12-31"' in html
    assert cards(html)["P1"]["status"] == "missed" and 'id="judged-note"' in html
    assert "layer=parking-facilities&amp;plan=2023&amp;target=P1" in html
    # Asked for a day, it is judged on that day.
    html = planner_web.get("/plans/2023/", {"today": "2023-06-30"}).content.decode()
    assert 'name="today" value="2023-06-30"' in html and 'id="judged-note"' not in html
    assert cards(html)["P1"]["status"] != "missed"
    # The API and the exports take the same default.
    api = planner_web.get("/api/plans/2023/progress").json()
    assert api["today"] == "2023-12-31"
    xlsx = planner_web.get("/plans/2023/report.xlsx")
    assert "2023-12-31" in xlsx["Content-Disposition"]


def test_english_titles_and_status_labels(planner_web, plan):
    planner_web.cookies["django_language"] = "en"
    html = planner_web.get("/plans/2023/", {"today": "2023-12-31"}).content.decode()
    assert "New parking berths" in html and "Not met" in html and "Met" in html
    # The map links keep the language.
    assert "lang=en&amp;target=P1" in html and "Show the 2 records counted on the map" in html
    # Chinese measure words (个) are left out in English; the title says what is counted.
    assert '<span class="unit"></span>' in html and '<span class="unit">个</span>' not in html
    zh = planner_web.get("/plans/2023/", {"today": "2023-12-31", "lang": "zh-hans"})
    assert '<span class="unit">个</span>' in zh.content.decode()


def test_judged_as_of_a_day(planner_web, plan):
    html = planner_web.get("/plans/2023/", {"today": "2023-06-30"}).content.decode()
    assert cards(html)["P1"]["actual"] == "300"
    # The day judged is marked at the end of that day (181 of 365 days), where the
    # expected line reads expected_by_today.
    x = 44 + (320 - 54) * 12 * 181 / 365 / 12
    assert f'<line class="today" x1="{round(x, 1)}"' in html
    assert html.count('class="actual-point"') == 12  # six months in each of two charts


def test_bad_date_is_a_400_page(planner_web, plan):
    planner_web.cookies["django_language"] = "en"
    response = planner_web.get("/plans/2023/", {"today": "2023-13-01"})
    assert response.status_code == 400
    assert "today must be a date" in response.content.decode()


def test_unknown_year_is_404_and_login_is_required(planner_web, plan):
    assert planner_web.get("/plans/2019/").status_code == 404
    response = Client().get("/plans/2023/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_plans_redirects_to_this_year_or_the_latest(planner_web, plan):
    response = planner_web.get("/plans/")
    assert response.status_code == 302 and response["Location"] == "/plans/2023/"
    response = planner_web.get("/plans/", {"today": "2023-06-30"})
    assert response["Location"] == "/plans/2023/?today=2023-06-30"


def test_nav_links_the_dashboard_for_signed_in_users(planner_web, plan):
    assert 'href="/plans/"' in planner_web.get("/").content.decode()
    assert 'href="/plans/"' not in Client().get("/").content.decode()


def test_overview_map_knows_the_target_endpoint(planner_web, plan):
    html = planner_web.get("/", {"plan": "2023", "target": "P1"}).content.decode()
    assert 'data-plan-target-url="/api/plans/0/targets/_"' in html


def test_chart_scales_to_the_goal_and_escapes_its_label():
    monthly = [{"month": m, "cumulative": 10 * m, "expected": 10 * m} for m in range(1, 13)]
    chart = str(progress_chart(monthly=monthly, goal=100, unit="个", label="<b>x</b>"))
    assert "&lt;b&gt;x&lt;/b&gt;" in chart and "<b>" not in chart
    assert chart.count("<circle") == 12 and 'data-goal="100"' in chart
    assert number(12.3456) == "12.346" and number(1200.0) == "1200" and number(None) == "—"


def test_dashboard_queries_do_not_grow_with_the_records(planner_web, plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert planner_web.get("/plans/2023/", {"today": "2023-12-31"}).status_code == 200
        return len(captured)

    before = queries()
    for i in range(15):
        factories.facility(f"TC-N{i}", lon=118.61 + i * 0.005, opened_on=dt.date(2023, 5, 1))
    assert queries() == before


def test_export_links_carry_the_day_judged_and_open(planner_web, plan):
    html = planner_web.get("/plans/2023/", {"today": "2023-06-30"}).content.decode()
    exports = re.search(r'<nav class="plan-exports".*?</nav>', html, re.S).group(0)
    links = re.findall(r'href="([^"]+)"', exports)
    assert links == [
        "/plans/2023/report.xlsx?today=2023-06-30",
        "/plans/2023/print/?today=2023-06-30",
        "/plans/2023/map-report.html?today=2023-06-30",
    ]
    for link in links:
        assert planner_web.get(link).status_code == 200, link
