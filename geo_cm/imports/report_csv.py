"""The row report as CSV rows that a spreadsheet shows as text, never runs as formulas.

A report repeats values from the uploaded file, so every cell goes through
``geo_cm.spreadsheets`` (a cell that would run as a formula gets a leading apostrophe).
Used by ``manage.py import_layer --report`` and the import page's CSV download.
"""

from geo_cm.spreadsheets import csv_value

REPORT_COLUMNS = ("row", "field", "value", "problem", "severity")


def csv_cell_safe(value) -> str:
    """``value`` as CSV text; a cell a spreadsheet would evaluate gets a leading apostrophe."""
    return str(csv_value(None if value is None else str(value)))


def report_csv_rows(report: list[dict]) -> list[list[str]]:
    """The report's problems (``ImportRecord.report``) as CSV rows in REPORT_COLUMNS order,
    without the header (the caller writes it, translated or not)."""
    return [[csv_cell_safe(problem.get(key)) for key in REPORT_COLUMNS] for problem in report]
