"""Spreadsheet cells that stay data: every CSV and XLSX GeoCM writes goes through here.

Values in exports and reports come from people and from uploaded files. Excel, WPS and
LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula, so ``=HYPERLINK("http://…"&A1,"x")`` typed as a toilet's
name would become a live link that sends the neighbouring cells away. The rule, once:

- **CSV** has no types: text starting with one of those characters gets a leading
  apostrophe (OWASP's advice for CSV injection); spreadsheets show the rest as text.
- **XLSX** has types: text is written as a string cell (``t="inlineStr"``/``"s"``), which
  no spreadsheet evaluates, so the text stays exactly as stored; characters a workbook
  cannot hold (control characters) are dropped instead of failing the whole file.
- Numbers, booleans and empty cells stay what they are (a negative number is a number);
  dates and times become ISO 8601 text in CSV.

Writers call ``csv_row`` / ``csv_value`` for each CSV row or cell, and ``xlsx_row`` /
``xlsx_set`` for each workbook row or cell.
"""

import datetime as dt
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# First characters that make a spreadsheet read a cell as a formula.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def text_is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would evaluate ``text`` typed into a cell."""
    return text.startswith(FORMULA_LEADS)


def csv_value(value):
    """``value`` for ``csv.writer``: text that could run as a formula gets a leading
    apostrophe; ``None`` is an empty cell; numbers and booleans pass unchanged (floats at
    full precision via ``repr``); dates and times are ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool | int | Decimal):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    text = str(value)
    return "'" + text if text_is_formula_like(text) else text


def csv_row(values) -> list:
    """One CSV row of ``values`` (see ``csv_value``)."""
    return [csv_value(v) for v in values]


def xlsx_value(value):
    """``value`` for an openpyxl cell: text without the characters a workbook cannot
    hold; other values unchanged."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def xlsx_set(cell, value):
    """Write ``value`` into an openpyxl ``cell``; text is always a string cell, never a
    formula. Returns the cell (for styling)."""
    cell.value = xlsx_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def xlsx_row(sheet, values) -> list:
    """``values`` as cells for ``sheet.append`` (write-only or normal worksheets)."""
    return [xlsx_set(WriteOnlyCell(sheet), v) for v in values]
