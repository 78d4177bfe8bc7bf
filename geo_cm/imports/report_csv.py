"""The row report as CSV rows that a spreadsheet shows as text, never runs as formulas.

Excel and LibreOffice take a cell starting with = + - @ (or a tab or carriage return
before one) as a formula; a report repeats values from the uploaded file, so such a cell
gets a leading apostrophe (OWASP's advice for CSV injection). Used by
``manage.py import_layer --report`` and the import page's CSV download.
"""

REPORT_COLUMNS = ("row", "field", "value", "problem", "severity")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell_safe(value) -> str:
    """``value`` as CSV text; a cell a spreadsheet would evaluate gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def report_csv_rows(report: list[dict]) -> list[list[str]]:
    """The report's problems (``ImportRecord.report``) as CSV rows in REPORT_COLUMNS order,
    without the header (the caller writes it, translated or not)."""
    return [[csv_cell_safe(problem.get(key)) for key in REPORT_COLUMNS] for problem in report]
