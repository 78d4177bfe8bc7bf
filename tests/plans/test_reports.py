"""Exports of the progress report: Excel, printable page, offline folium map report."""

import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from geo_cm.plans.models import Plan, ReportedValue, Target
from geo_cm.plans.reports import HEADER_ROW
from tests import factories

from .conftest import berth_targets

pytestmark = pytest.mark.django_db
TODAY = "2023-09-30"


@pytest.fixture
def plan(areas, planner_user):
    """P1 1000 berths (west 300 in March, east 200 in August; 50 in 2024), its west share
    P1-W 400, and a reported indicator R1 (98 %) with two readings."""
    plan = Plan.objects.create(title="测试计划", issuing_body="测试城管局", year=2023)
    berth_targets(plan, areas["west"], section="停车")
    r1 = Target.objects.create(
        plan=plan, code="R1", title_zh="主干道机扫率", title_en="Machine sweeping rate",
        unit="%", target_value=98, kind="reported",
    )  # fmt: skip
    ReportedValue.objects.create(target=r1, value="97.5", measured_on=dt.date(2023, 6, 30))
    ReportedValue.objects.create(
        target=r1,
        value="98.4",
        measured_on=dt.date(2023, 9, 15),
        scope="全区主干道",
        reported_by=planner_user,
    )
    factories.facility("TC-W", lon=118.62, total_berths=300, opened_on=dt.date(2023, 3, 1))
    factories.facility("TC-E", lon=118.68, total_berths=200, opened_on=dt.date(2023, 8, 1))
    factories.facility("TC-L", lon=118.69, total_berths=50, opened_on=dt.date(2024, 1, 1))
    return plan


@pytest.fixture
def en_client(planner_web):
    planner_web.cookies["django_language"] = "en"
    return planner_web


def _rows(ws):
    return [
        [c.value for c in row]
        for row in ws.iter_rows(min_row=HEADER_ROW + 1)
        if any(c.value is not None for c in row)
    ]


def test_workbook_has_four_sheets_with_numbers_and_formats(plan, en_client):
    response = en_client.get(f"/plans/2023/report.xlsx?today={TODAY}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "plan-2023-report-2023-09-30.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Targets", "By subdistrict", "Monthly", "Readings"]

    ws = book["Targets"]
    assert ws["A1"].value.startswith("测试计划")
    assert "2023-09-30" in ws["A2"].value
    headers = [c.value for c in ws[HEADER_ROW]]
    assert headers == [
        "Code", "Title", "Section", "Unit", "Target", "Comparator", "Actual", "Percent",
        "Expected by today", "Status",
    ]  # fmt: skip
    rows = {r[0]: r for r in _rows(ws)}
    assert rows["P1"][:7] == ["P1", "新增停车泊位", "停车", "个", 1000, "≥", 500]
    assert rows["P1"][7] == pytest.approx(0.5)
    assert rows["P1"][9] == "behind"  # 500 against ~748 expected by 30 September
    assert rows["R1"][6] == pytest.approx(98.4)
    assert rows["R1"][9] == "met"
    p1 = next(row for row in ws.iter_rows(min_row=HEADER_ROW + 1) if row[0].value == "P1")
    assert p1[4].number_format == "#,##0"
    assert p1[7].number_format == "0.0%"
    assert p1[8].number_format == "#,##0.0"
    r1 = next(row for row in ws.iter_rows(min_row=HEADER_ROW + 1) if row[0].value == "R1")
    assert r1[6].number_format == "0.0"
    assert ws.page_setup.orientation == "landscape" and ws.auto_filter.ref == "A4:J7"

    by_sub = _rows(book["By subdistrict"])
    assert ["P1", "新增停车泊位", "个", "320111004000", "江浦街道", 400, 300] in by_sub
    assert ["P1", "新增停车泊位", "个", "320192007000", "泰山街道", None, 200] in by_sub
    assert ["P1-W", "江浦街道新增停车泊位", "个", "320111004000", "江浦街道", 400, 300] in by_sub

    monthly = [r for r in _rows(book["Monthly"]) if r[0] == "P1"]
    assert len(monthly) == 12
    assert [r[4] for r in monthly[:10]] == [0, 0, 300, 300, 300, 300, 300, 500, 500, None]
    assert monthly[0][3] == dt.datetime(2023, 1, 1)
    assert monthly[11][5] == 1000

    readings = _rows(book["Readings"])
    assert [(r[0], r[3].date(), r[4], r[5], r[6]) for r in readings] == [
        ("R1", dt.date(2023, 6, 30), 97.5, None, None),
        ("R1", dt.date(2023, 9, 15), 98.4, "全区主干道", "planner"),
    ]


def test_workbook_is_chinese_by_default(plan, planner_web):
    response = planner_web.get(f"/plans/2023/report.xlsx?today={TODAY}")
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 4
    ws = book.worksheets[0]
    # Titles stay Chinese whatever the language; headers follow the catalogue.
    assert [r[1] for r in _rows(ws)] == ["新增停车泊位", "江浦街道新增停车泊位", "主干道机扫率"]


def test_print_page_has_every_section_and_no_script(plan, en_client):
    response = en_client.get(f"/plans/2023/print/?today={TODAY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script" not in html
    assert "@page" in html and "A4" in html
    assert "测试计划" in html and "Progress as of 2023-09-30" in html
    for heading in (
        "Progress of the targets",
        "Targets by subdistrict",
        "Cumulative progress by month",
        "Readings of reported indicators",
    ):
        assert heading in html
    assert "新增停车泊位" in html and "98.4 %" in html
    # The subdistrict matrix: actual, then the allocated share where the plan sets one.
    assert re.search(
        r"<td>江浦街道</td><td class=\"n\">300 / 400</td><td class=\"n\">300 / 400</td>", html
    )
    assert re.search(r"<td>泰山街道</td><td class=\"n\">200</td><td class=\"n\"></td>", html)
    assert "≥ 1,000" in html
    # Chinese title first, English under it.
    assert html.index("新增停车泊位") < html.index("New berths")


def test_print_page_is_chinese_first(plan, planner_web):
    html = planner_web.get(f"/plans/2023/print/?today={TODAY}").content.decode()
    assert 'lang="zh-hans"' in html


def test_map_report_is_self_contained(plan, planner_web, settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    response = planner_web.get(f"/plans/2023/map-report.html?today={TODAY}")
    assert response.status_code == 200
    html = response.content.decode()
    # No external script, stylesheet or image: Leaflet is inlined, CDN links are gone.
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert not re.search(r"https?://[^\s\"')]*\.(js|css|png)", html)
    assert "L.map(" in html and "L.CircleMarker" in html
    assert "TC-W" in html and "TC-E" in html and "TC-L" not in html  # 2024: not counted
    assert "测试计划" in html and "320111" in html  # the plan and the district outline
    assert "tile.openstreetmap.org" not in html


def test_map_report_uses_the_configured_basemap(plan, planner_web, settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "osm"}
    html = planner_web.get("/plans/2023/map-report.html?today=2023-12-31").content.decode()
    assert "tile.openstreetmap.org" in html


@pytest.mark.parametrize(
    "path", ["/plans/2023/report.xlsx", "/plans/2023/print/", "/plans/2023/map-report.html"]
)
def test_exports_check_the_day_year_and_login(plan, planner_web, en_client, path):
    bad = en_client.get(path + "?today=2023-02-30")
    assert bad.status_code == 400
    assert "today must be a date such as 2023-06-30." in bad.content.decode()
    assert en_client.get(path + "?today=yesterday").status_code == 400
    assert planner_web.get(path.replace("2023", "2031")).status_code == 404
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_export_queries_do_not_grow_with_records(plan, planner_web, django_assert_max_num_queries):
    with django_assert_max_num_queries(80):
        assert planner_web.get(f"/plans/2023/report.xlsx?today={TODAY}").status_code == 200


def test_plan_report_command_writes_each_format(plan, tmp_path):
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command(
        "plan_report", "2023", "--output", tmp_path / "r.xlsx", "--today", TODAY, stdout=out
    )
    assert "xlsx report written" in out.getvalue()
    book = load_workbook(tmp_path / "r.xlsx")
    assert len(book.sheetnames) == 4 and "2023-09-30" in book.worksheets[0]["A2"].value
    call_command("plan_report", "2023", "--output", tmp_path / "p.html", "--lang", "en", stdout=out)
    assert "Progress of the targets" in (tmp_path / "p.html").read_text()
    call_command(
        "plan_report", "2023", "--format", "map", "--output", tmp_path / "m.html", stdout=out
    )
    assert "L.map(" in (tmp_path / "m.html").read_text()
    with pytest.raises(CommandError, match="no plan for 2031"):
        call_command("plan_report", "2031", "--output", tmp_path / "x.xlsx")
    with translation.override("en"), pytest.raises(CommandError, match="today must be a date"):
        call_command(
            "plan_report", "2023", "--output", tmp_path / "x.xlsx", "--today", "2023-13-01"
        )
    with pytest.raises(CommandError, match="Give --format"):
        call_command("plan_report", "2023", "--output", tmp_path / "x.pdf")


def test_values_are_formatted_in_their_unit():
    from geo_cm.plans.reports import format_value

    assert format_value(1000.0, "个") == "1,000"
    assert format_value(747.9, "个", fraction=True) == "747.9"
    assert format_value(748.0, "个", fraction=True) == "748"
    assert format_value(10.162, "km") == "10.162" and format_value(15.0, "km") == "15"
    assert format_value(98.2, "%") == "98.2" and format_value(None, "%") == "—"


def test_names_from_the_database_cannot_run_in_the_map_report(plan, planner_web, settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    factories.facility(
        "TC-X", lon=118.63, total_berths=10, opened_on=dt.date(2023, 4, 1),
        name="<img src=x onerror=alert(1)>",
    )  # fmt: skip
    response = planner_web.get(f"/plans/2023/map-report.html?today={TODAY}")
    html = response.content.decode()
    assert "TC-X" in html
    # Escaped for HTML before folium writes it as JSON (which escapes & as \u0026).
    assert "<img src=x" not in html and "\\u0026lt;img src=x" in html
    # Opened from the site, it runs sandboxed: no access to the planner's session.
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_text_typed_by_people_stays_text_in_the_workbook(plan, en_client):
    r1 = plan.targets.get(code="R1")
    ReportedValue.objects.create(
        target=r1, value="98.0", measured_on=dt.date(2023, 9, 20),
        scope="x\u0001y\u000bz", evidence='=HYPERLINK("http://evil.example","see")',
    )  # fmt: skip
    response = en_client.get(f"/plans/2023/report.xlsx?today={TODAY}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert any(c.value == "xyz" for c in cells)
    evidence = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert evidence and all(c.data_type == "s" for c in evidence)
