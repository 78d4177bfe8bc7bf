"""Hotline exports (CSV/XLSX, Chinese column names, GCJ-02 or BD-09 coordinates) imported
through import_layer and the import pages, upserted by work-order number."""

import csv
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook

from geo_cm import gcj02
from geo_cm.jobs.queue import jobs_drain
from geo_cm.models import ChangeRecord
from tests.imports.test_pages import _form, _selected
from workorders.models import WorkOrder
from workorders.selectors import hotline_rates

from .conftest import local

HEADER = ["工单编号", "受理时间", "来源", "问题类型", "诉求内容", "事发地址", "联系电话",
          "工单状态", "答复时间", "处置时间", "办结时间", "满意度", "经度", "纬度"]  # fmt: skip


def _row(code, status, *, lonlat=(118.62, 32.05), shift=gcj02.wgs84_to_gcj02, **times):
    lon, lat = shift(*lonlat)
    when = [times.get(k, "") for k in ("replied", "resolved", "closed", "rating")]
    received = times.get("received", "2023/6/1 9:05")
    return [code, received, "12345", "路灯", "路灯不亮", "浦珠路", "13800000000", status,
            *when, f"{lon:.7f}", f"{lat:.7f}"]  # fmt: skip


def write_csv(path, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_a_hotline_csv_in_gcj02_is_imported_then_upserted_by_number(areas, tmp_path):
    first = write_csv(tmp_path / "12345导出.csv", [
        _row("2306010001", "已受理"),
        _row("2306010002", "已办结", replied="2023-06-01 10:00", resolved="2023-06-02 09:00",
             closed="2023年6月2日 18时30分", rating="基本满意", lonlat=(118.68, 32.05)),
    ])  # fmt: skip
    call_command("import_layer", "work-orders", str(first), "--from-gcj02", verbosity=0)
    opened = WorkOrder.objects.get(code="2306010001")
    assert (opened.category, opened.channel, opened.status) == ("street_light", "12345",
                                                                "received")  # fmt: skip
    assert opened.received_at == local("2023-06-01 09:05")  # local time, not UTC
    assert opened.geom.x == pytest.approx(118.62, abs=1e-6)  # GCJ-02 converted to WGS84
    assert opened.subdistrict == areas["west"] and opened.reporter_phone == "13800000000"
    closed = WorkOrder.objects.get(code="2306010002")
    assert closed.closed_at == local("2023-06-02 18:30") and closed.satisfaction == "basically"
    assert closed.subdistrict == areas["east"]

    # A later export: the open order was answered and closed; the file is the same otherwise.
    later = write_csv(tmp_path / "12345导出2.csv", [
        _row("2306010001", "已办结", replied="2023-06-01 12:00", resolved="2023-06-02 09:00",
             closed="2023-06-03 10:00", rating="满意"),
        _row("2306010002", "已办结", replied="2023-06-01 10:00", resolved="2023-06-02 09:00",
             closed="2023年6月2日 18时30分", rating="基本满意", lonlat=(118.68, 32.05)),
    ])  # fmt: skip
    call_command("import_layer", "work-orders", str(later), "--from-gcj02", verbosity=0)
    assert WorkOrder.objects.count() == 2
    opened.refresh_from_db()
    assert (opened.status, opened.satisfaction, opened.version) == ("closed", "satisfied", 2)
    assert ChangeRecord.objects.filter(object_code="2306010001").count() == 2
    # The imported orders count in the plan's rates like any other.
    rates = hotline_rates(start=dt.date(2023, 6, 1), end=dt.date(2023, 6, 30))
    assert (rates.counted, rates.closed, rates.content) == (2, 2, 2)


def test_an_xlsx_in_bd09_is_imported(areas, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    row = _row("2306020001", "已答复", shift=gcj02.wgs84_to_bd09, replied="2023-06-02 10:00")
    row[1] = dt.datetime(2023, 6, 2, 8, 30)  # an Excel date-time cell
    sheet.append(row)
    path = tmp_path / "12319.xlsx"
    book.save(path)
    call_command("import_layer", "work-orders", str(path), "--from-bd09", verbosity=0)
    made = WorkOrder.objects.get(code="2306020001")
    assert made.received_at == local("2023-06-02 08:30")
    assert made.replied_at == local("2023-06-02 10:00")
    assert (made.geom.x, made.geom.y) == pytest.approx((118.62, 32.05), abs=1e-6)


def test_rows_breaking_the_work_order_rules_are_refused_and_nothing_is_written(areas, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [
        _row("2306030001", "已办结", replied="2023-06-01 10:00", closed="2023-06-02 10:00"),
        _row("2306030002", "已答复", replied="2023-05-31 10:00"),  # before it was received
        _row("2306030003", "已答复", received="昨天"),
        _row("2306030004", "已受理"),
    ])  # fmt: skip
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError):
        call_command("import_layer", "work-orders", str(bad), "--from-gcj02",
                     "--report", str(report), verbosity=0)  # fmt: skip
    assert not WorkOrder.objects.exists()
    problems = {(r["row"], r["field"]) for r in csv.DictReader(report.open(encoding="utf-8-sig"))}
    assert ("1", "satisfaction") in problems  # closed without a rating
    assert ("2", "replied_at") in problems
    assert ("3", "received_at") in problems
    assert ("3", "replied_at") in problems  # answered, but the file gives no time
    assert not any(row == "4" for row, _ in problems)


def test_the_import_pages_take_a_hotline_export_with_its_chinese_columns(areas, gis_user, tmp_path):
    path = write_csv(tmp_path / "热线工单.csv", [_row("2306040001", "已受理")])
    gis = Client()
    gis.force_login(gis_user)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = gis.post(
        "/imports/", {"layer": "work-orders", "offset": "gcj02", "crs": "4326", "file": upload}
    )
    assert response.status_code == 302
    jobs_drain()  # the worker reads the file for the inspection page
    html = gis.get(response["Location"]).content.decode()
    # The layer's import aliases map the hotline's column names.
    for field, column in (
        ("code", "工单编号"),
        ("received_at", "受理时间"),
        ("status", "工单状态"),
        ("reporter_phone", "联系电话"),
        ("category", "问题类型"),
    ):
        assert _selected(html, f"map__{field}") == column
    upload_url = response["Location"]
    gis.post(upload_url, {**_form(html), "action": "validate"})
    jobs_drain()  # the worker checks the whole file
    gis.post(upload_url + "commit")
    jobs_drain()
    made = WorkOrder.objects.get(code="2306040001")
    assert made.geom.x == pytest.approx(118.62, abs=1e-6) and made.source.startswith("import:")
