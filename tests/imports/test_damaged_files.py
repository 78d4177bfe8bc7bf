"""Damaged and oversized files: every reader failure is a sentence naming the problem or the
limit (UnsafeFile/ReadError, exit 1 on the CLI), never a traceback, and nothing is written."""

import json
import struct
import zipfile

import pytest
from django.core.management import CommandError, call_command

from geo_cm.imports.readers import ReadError, json_depth_check, source_read
from geo_cm.imports.safety import UnsafeFile
from geo_cm.imports.services import USER_ERRORS, import_file
from geo_cm.models import ChangeRecord
from toilets.models import Toilet

from .conftest import toilet_frame

pytestmark = pytest.mark.django_db


def _points_geojson(n=3) -> bytes:
    features = [
        {
            "type": "Feature",
            "properties": {"编号": f"GC-{i}", "名称": f"公厕{i}", "category": "city"},
            "geometry": {"type": "Point", "coordinates": [118.61 + i * 1e-3, 32.01]},
        }
        for i in range(n)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _refused(path, match):
    """Refused with a sentence by the service and by the CLI; nothing written."""
    with pytest.raises(USER_ERRORS, match=match) as caught:
        import_file(layer_slug="toilets", path=path)
    assert not getattr(caught.value, "unexpected", False)
    with pytest.raises(CommandError, match=match):
        call_command("import_layer", "toilets", str(path), verbosity=0)
    assert not Toilet.objects.exists() and not ChangeRecord.objects.exists()
    return str(caught.value)


def _zip(path, name, payload, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr(name, payload)
    return path


def test_a_corrupt_deflate_stream_is_a_sentence(areas, tmp_path):
    path = _zip(tmp_path / "corrupt.zip", "points.geojson", _points_geojson(400))
    data = bytearray(path.read_bytes())
    start = 30 + len("points.geojson")
    for i in range(start + 100, start + 160):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    text = _refused(path, "cannot be unpacked")
    assert "points.geojson" in text


def test_lying_size_headers_are_a_sentence(areas, tmp_path):
    path = _zip(tmp_path / "lying.zip", "points.geojson", _points_geojson(50))
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 22, 10)  # local header: uncompressed size
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)  # central directory: the same lie
    path.write_bytes(bytes(data))
    _refused(path, "checksum|damaged")


def test_a_truncated_archive_and_a_truncated_workbook(areas, tmp_path):
    whole = _zip(tmp_path / "whole.zip", "points.geojson", _points_geojson(200)).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    _refused(cut, "not a readable zip archive")
    xlsx = tmp_path / "t.xlsx"
    toilet_frame(3).drop(columns="geometry").assign(经度=118.61, 纬度=32.01).to_excel(
        xlsx, index=False
    )
    data = xlsx.read_bytes()
    xlsx.write_bytes(data[: len(data) - 200])
    _refused(xlsx, "Excel workbook")


def test_deeply_nested_json_is_refused_before_parsing(areas, tmp_path, settings):
    deep = tmp_path / "deep.geojson"
    deep.write_text('{"type":"Feature","properties":{"x":' + "[" * 50_000 + "]" * 50_000 + "}}")
    _refused(deep, "nested more than 64 levels")
    # Brackets inside strings are text, not nesting.
    json_depth_check(b'{"a": "' + b"[" * 500 + b'\\" ]"}')
    settings.GEOCM = {**settings.GEOCM, "IMPORT_MAX_JSON_DEPTH": 3}
    with pytest.raises(UnsafeFile, match="more than 3 levels"):
        json_depth_check(b'{"a": [[[1]]]}')


def test_text_formats_are_bounded_by_their_own_limit(areas, tmp_path, settings):
    path = tmp_path / "points.geojson"
    path.write_bytes(_points_geojson(30))
    settings.GEOCM = {**settings.GEOCM, "IMPORT_MAX_TEXT_BYTES": 1000}
    _refused(path, "GEOCM_IMPORT_MAX_TEXT_BYTES")
    # Inside a zip too: the extracted file is held to the same limit.
    _refused(_zip(tmp_path / "points.zip", "points.geojson", path.read_bytes()), "at most 0 MB")


def test_geojson_features_are_counted_before_they_are_read(areas, tmp_path, settings):
    path = tmp_path / "points.geojson"
    path.write_bytes(_points_geojson(5))
    settings.GEOCM = {**settings.GEOCM, "IMPORT_MAX_FEATURES": 4}
    _refused(path, "5 features; at most 4")


def test_table_rows_and_cells_are_counted_while_reading(areas, tmp_path, settings):
    csv = tmp_path / "t.csv"
    lines = ["编号,名称,lon,lat"] + [f"GC-{i},公厕{i},118.61,32.01" for i in range(50_000)]
    csv.write_text("\n".join(lines), encoding="utf-8")
    settings.GEOCM = {**settings.GEOCM, "IMPORT_MAX_FEATURES": 30_000}
    _refused(csv, "more than 30000 rows")
    settings.GEOCM = {**settings.GEOCM, "IMPORT_MAX_FEATURES": 10**6, "IMPORT_MAX_TABLE_CELLS": 50}
    _refused(csv, "GEOCM_IMPORT_MAX_TABLE_CELLS")
    xlsx = tmp_path / "t.xlsx"
    toilet_frame(20).drop(columns="geometry").assign(经度=118.61, 纬度=32.01).to_excel(
        xlsx, index=False
    )
    _refused(xlsx, "more than 50 cells")


def test_an_xlsx_zip_bomb_is_refused_by_its_ratio(areas, tmp_path):
    rows = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 200_000
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", "<sheetData>" + rows + "</sheetData>")
    assert bomb.stat().st_size < 200_000
    _refused(bomb, "Excel workbook .* like a zip bomb")


def test_kmz_is_read_and_a_kmz_bomb_is_refused(areas, tmp_path):
    kml = tmp_path / "t.kml"
    toilet_frame(3).to_file(kml, driver="KML", engine="pyogrio")
    kmz = _zip(tmp_path / "公厕.kmz", "doc.kml", kml.read_bytes())
    outcome = import_file(layer_slug="toilets", path=kmz, dry_run=True)
    assert outcome.source.driver == "KML" and outcome.record.total == 3
    bomb = _zip(tmp_path / "bomb.kmz", "doc.kml", b"<kml>" + b" " * 30_000_000 + b"</kml>")
    _refused(bomb, "zip bomb")


@pytest.mark.parametrize(
    ("name", "payload", "match"),
    [
        ("x.geojson", b"\xff\xfe\x00garbage", "not valid JSON"),
        ("x.kml", b"<kml><Document><Placemark><Point><coordinates>1,2", "KML"),
        ("x.gpkg", b"SQLite format 3\x00" + b"\x00" * 200, "GeoPackage"),
        ("x.xlsx", b"PK\x05\x06" + b"\x00" * 18, "Excel workbook"),
        ("x.csv", b"\x00\x01\x02\x03", "CSV|encoding|coordinate"),
    ],
)
def test_garbage_in_each_format_is_a_sentence(tmp_path, name, payload, match):
    path = tmp_path / name
    path.write_bytes(payload)
    with pytest.raises((ReadError, UnsafeFile), match=match) as caught:
        source_read(path=path, workdir=tmp_path)
    assert not getattr(caught.value, "unexpected", False)


def test_a_workbook_whose_sheets_unpack_past_the_text_limit_is_refused_unopened(
    areas, tmp_path, settings
):
    xlsx = tmp_path / "t.xlsx"
    toilet_frame(20).drop(columns="geometry").assign(经度=118.61, 纬度=32.01).to_excel(
        xlsx, index=False
    )
    settings.GEOCM = {**settings.GEOCM, "IMPORT_MAX_TEXT_BYTES": 2000}
    _refused(xlsx, "sheets unpack to 0 MB of XML")


def test_a_prj_that_is_not_utf8_is_a_sentence(tmp_path):
    """Found by make fuzz: pyogrio's read_info fails with its own UnboundLocalError on a
    .prj holding a byte that is not UTF-8; the reader says the file is damaged."""
    from .conftest import FIXTURES

    folder = FIXTURES / "cgcs2000_gk_cm120e_epsg4549_gbk_cpg"
    members = {p.name: p.read_bytes() for p in folder.iterdir()}
    prj = bytearray(members["nanjing_districts.prj"])
    prj[8] ^= 128
    members["nanjing_districts.prj"] = bytes(prj)
    archive = tmp_path / "bad-prj.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises((ReadError, UnsafeFile)) as caught:
        source_read(path=archive, workdir=work, lazy=True)
    assert not getattr(caught.value, "unexpected", False), repr(caught.value.__cause__)
