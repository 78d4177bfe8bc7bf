"""Hostile and broken uploads are refused fast with a sentence, and nothing is written."""

import json
import stat
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from geo_cm.imports.readers import ReadError
from geo_cm.imports.safety import UnsafeFile, zip_check
from geo_cm.imports.services import USER_ERRORS, import_file
from geo_cm.models import ChangeRecord
from toilets.models import Toilet

from .conftest import toilet_frame, write_shapefile, zip_folder

pytestmark = pytest.mark.django_db


def _refused(path, match, tmp_path):
    before = set(p for p in tmp_path.rglob("*"))
    with pytest.raises(USER_ERRORS, match=match):
        import_file(layer_slug="toilets", path=path)
    with pytest.raises(CommandError):
        call_command("import_layer", "toilets", str(path), verbosity=0)
    assert not Toilet.objects.exists() and not ChangeRecord.objects.exists()
    assert set(p for p in tmp_path.rglob("*")) == before  # nothing extracted next to it


def test_zip_bomb_is_refused_before_extracting(areas, tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", b"\0" * 50_000_000)
    _refused(bomb, "zip bomb", tmp_path)


def test_path_traversal_absolute_and_symlink_entries(areas, tmp_path):
    for name, match in (("../../evil.shp", "outside"), ("/etc/evil.shp", "outside")):
        archive = tmp_path / f"{abs(hash(name))}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr(name, b"x")
        _refused(archive, match, tmp_path)
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as zf:
        info = zipfile.ZipInfo("data.shp")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    _refused(link, "symbolic link", tmp_path)


def test_too_many_entries(areas, tmp_path):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(300):
            zf.writestr(f"f{i}.txt", b"x")
    _refused(archive, "entries", tmp_path)


def test_missing_dbf_and_missing_shp(areas, tmp_path):
    shp = write_shapefile(toilet_frame(2), tmp_path / "s")
    shp.with_suffix(".dbf").unlink()
    _refused(shp, r"公厕\.dbf is missing", tmp_path)
    archive = zip_folder(shp.parent, tmp_path / "nodbf.zip")
    _refused(archive, r"\.dbf is missing", tmp_path)
    only_dbf = tmp_path / "onlydbf.zip"
    with zipfile.ZipFile(only_dbf, "w") as zf:
        zf.writestr("x.dbf", b"x")
    _refused(only_dbf, r"\.shp file is missing", tmp_path)


def test_garbage_bytes_empty_layers_and_wrong_types(areas, tmp_path):
    garbage = tmp_path / "x.gpkg"
    garbage.write_bytes(b"\x00garbage" * 100)
    _refused(garbage, "GeoPackage", tmp_path)
    not_zip = tmp_path / "y.zip"
    not_zip.write_bytes(b"PK\x03\x04 not really")
    _refused(not_zip, "zip", tmp_path)
    empty = tmp_path / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    _refused(empty, "no features", tmp_path)
    dwg = tmp_path / "plan.dwg"
    dwg.write_bytes(b"AC1027")
    _refused(dwg, "none of these", tmp_path)


def test_size_limits_come_from_settings(areas, tmp_path, settings):
    shp = write_shapefile(toilet_frame(2), tmp_path / "s")
    archive = zip_folder(shp.parent, tmp_path / "ok.zip")
    settings.GEOCM = {**settings.GEOCM, "IMPORT_MAX_UPLOAD_BYTES": 100}
    with pytest.raises(UnsafeFile, match="limit"):
        zip_check(path=archive)
    settings.GEOCM = {**settings.GEOCM, "IMPORT_MAX_UPLOAD_BYTES": 10**9, "IMPORT_MAX_FEATURES": 1}
    with pytest.raises(ReadError, match="at most 1"):
        import_file(layer_slug="toilets", path=archive)


def test_archive_limits_come_from_settings(tmp_path, settings):
    shp = write_shapefile(toilet_frame(2), tmp_path / "s")
    archive = zip_folder(shp.parent, tmp_path / "ok.zip")
    assert len(zip_check(path=archive)) >= 4  # .shp .shx .dbf .prj pass the defaults
    settings.GEOCM = {**settings.GEOCM, "IMPORT_MAX_ENTRIES": 3}
    with pytest.raises(UnsafeFile, match="at most 3"):
        zip_check(path=archive)
    settings.GEOCM = {
        **settings.GEOCM,
        "IMPORT_MAX_ENTRIES": 200,
        "IMPORT_MAX_UNCOMPRESSED_BYTES": 10,
    }
    with pytest.raises(UnsafeFile, match="the limit is 0 MB"):
        zip_check(path=archive)


def test_wrong_geometry_type_and_empty_geometry_are_row_errors(areas, tmp_path):
    path = tmp_path / "lines.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"编号": "A", "名称": "甲", "category": "city"},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[118.61, 32.01], [118.62, 32.02]],
                        },
                    },
                    {
                        "type": "Feature",
                        "properties": {"编号": "B", "名称": "乙", "category": "city"},
                        "geometry": None,
                    },
                    {
                        "type": "Feature",
                        "properties": {"编号": "C", "名称": "丙", "category": "city"},
                        "geometry": {"type": "Point", "coordinates": [118.61, 32.01, 12.5]},
                    },
                ],
            }  # fmt: skip
        ),
        encoding="utf-8",
    )
    record = import_file(layer_slug="toilets", path=path).record
    assert record.status == "rejected"
    assert [(p["row"], p["problem"][:10]) for p in record.report] == [
        (0, "The file h"),  # LineString into a point layer: said once for the whole file
        (1, "wrong geom"),
        (2, "empty geom"),
    ]
    assert not Toilet.objects.exists()


@override_settings(LANGUAGE_CODE="en")
def test_single_feature_kml_csv_and_xlsx_import(areas, tmp_path):
    feature = tmp_path / "one.geojson"
    feature.write_text(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"BH": "K1", "MC": "单个", "category": "city"},
                "geometry": {"type": "Point", "coordinates": [118.61, 32.01]},
            }
        )
    )
    assert import_file(layer_slug="toilets", path=feature).record.created == 1
    frame = toilet_frame(3, start=10)
    kml = tmp_path / "t.kml"
    frame.to_file(kml, driver="KML", engine="pyogrio")
    outcome = import_file(layer_slug="toilets", path=kml)
    assert outcome.source.driver == "KML" and outcome.record.created == 3, outcome.record.report
    Toilet.objects.filter(code__startswith="GC-").delete()
    csv_path = tmp_path / "t.csv"
    table = frame.drop(columns="geometry").assign(经度=frame.geometry.x, 纬度=frame.geometry.y)
    table.to_csv(csv_path, index=False, encoding="gbk")
    assert import_file(layer_slug="toilets", path=csv_path).record.created == 3
    xlsx = tmp_path / "t.xlsx"
    table.assign(编号=[f"X-{i}" for i in range(3)]).to_excel(xlsx, index=False)
    assert import_file(layer_slug="toilets", path=xlsx).record.created == 3
    assert Toilet.objects.get(code="GC-0010").name == "浦口公厕10号"
