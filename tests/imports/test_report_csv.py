"""The row report as CSV: values from the file never run as spreadsheet formulas."""

import csv

import pytest
from django.core.management import CommandError, call_command

from geo_cm.imports.report_csv import REPORT_COLUMNS, report_csv_rows


def test_formula_leading_cells_get_an_apostrophe():
    report = [
        {"row": 1, "field": "code", "value": "=HYPERLINK(\"http://x\")", "problem": "p",
         "severity": "error"},
        {"row": 2, "field": "name", "value": "+1", "problem": "p", "severity": "error"},
        {"row": 3, "field": "name", "value": "-2+3", "problem": "p", "severity": "error"},
        {"row": 4, "field": "name", "value": "@SUM(A1)", "problem": "p", "severity": "error"},
        {"row": 5, "field": "name", "value": "公厕 = ok", "problem": "p", "severity": "error"},
    ]  # fmt: skip
    rows = report_csv_rows(report)
    assert [r[2] for r in rows] == [
        "'=HYPERLINK(\"http://x\")", "'+1", "'-2+3", "'@SUM(A1)", "公厕 = ok",
    ]  # fmt: skip
    assert rows[0] == ["1", "code", '\'=HYPERLINK("http://x")', "p", "error"]


@pytest.mark.django_db
def test_cli_report_file_neutralises_formulas(areas, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(
        "code,name,category,lng,lat\n=1+1,a,city,118.61,32.01\n=1+1,b,city,118.62,32.01\n",
        encoding="utf-8",
    )
    out = tmp_path / "report.csv"
    with pytest.raises(CommandError):
        call_command("import_layer", "toilets", str(path), report=str(out), verbosity=0)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(REPORT_COLUMNS)
    assert rows[1][:3] == ["2", "code", "'=1+1"]
