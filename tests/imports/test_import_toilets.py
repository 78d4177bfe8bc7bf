"""End-to-end imports into a real layer (toilets): GBK shapefiles from ArcGIS, CLI, modes."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from geo_cm.imports.commit import CommitError
from geo_cm.imports.models import ImportRecord
from geo_cm.imports.services import import_file
from geo_cm.models import ChangeRecord
from toilets.models import Toilet

from .conftest import toilet_frame, write_shapefile, zip_folder

pytestmark = pytest.mark.django_db


def _cli(*args):
    out, err = StringIO(), StringIO()
    call_command("import_layer", *map(str, args), stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def test_gbk_shapefile_without_cpg_in_cgcs2000_gk_imports_readable_and_in_place(areas, tmp_path):
    shp = write_shapefile(toilet_frame(5), tmp_path / "shp", epsg=4549, encoding="GBK", cpg=False)
    archive = zip_folder(shp.parent, tmp_path / "公厕.zip")
    out, _err = _cli("toilets", archive)
    assert "5 created" in out
    record = ImportRecord.objects.get()
    assert record.encoding == "GB18030" and record.crs == "EPSG:4549"
    assert record.mapping["code"] == "编号" and record.mapping["name"] == "名称"
    toilet = Toilet.objects.get(code="GC-0001")
    assert toilet.name == "浦口公厕1号"
    assert toilet.address == "江浦街道文德路1号"
    assert toilet.open_24h is True
    assert toilet.source == f"import:{record.pk}"
    assert toilet.status == "open"
    assert toilet.subdistrict == areas["west"]
    # Within 1 m of where it was drawn (WGS84 -> 4549 -> WGS84).
    assert abs(toilet.geom.x - 118.62) < 1e-5 and abs(toilet.geom.y - 32.01) < 1e-5
    assert ChangeRecord.objects.filter(action="create", source=f"import:{record.pk}").count() == 5
    change = ChangeRecord.objects.get(object_code="GC-0001")
    assert change.changes["name"] == [None, "浦口公厕1号"]


def test_reimporting_the_same_file_changes_nothing(areas, toilet_shp):
    _cli("toilets", toilet_shp)
    before = list(Toilet.objects.order_by("code").values())
    history = ChangeRecord.objects.count()
    out, _err = _cli("toilets", toilet_shp)
    assert "0 created, 0 updated, 5 unchanged" in out
    assert list(Toilet.objects.order_by("code").values()) == before
    assert ChangeRecord.objects.count() == history


def test_upsert_updates_only_changed_rows_with_history(areas, tmp_path):
    write_shapefile(toilet_frame(3), tmp_path / "a")
    _cli("toilets", tmp_path / "a" / "公厕.shp")
    frame = toilet_frame(4)
    frame.loc[1, "名称"] = "改名公厕"
    write_shapefile(frame, tmp_path / "b")
    out, _err = _cli("toilets", tmp_path / "b" / "公厕.shp")
    assert "1 created, 1 updated, 2 unchanged" in out
    toilet = Toilet.objects.get(code="GC-0002")
    assert toilet.name == "改名公厕" and toilet.version == 2
    change = ChangeRecord.objects.get(object_code="GC-0002", action="update")
    assert change.changes == {"name": ["浦口公厕2号", "改名公厕"]}


def test_no_prj_is_refused_asking_for_crs_then_accepted_with_it(areas, tmp_path):
    shp = write_shapefile(toilet_frame(2), tmp_path / "s", epsg=4490, prj=False)
    with pytest.raises(CommandError, match="--crs"):
        _cli("toilets", shp)
    assert not Toilet.objects.exists()
    out, _err = _cli("toilets", shp, "--crs", "4490")
    assert "2 created" in out


def test_duplicate_codes_are_row_errors_and_nothing_is_written(areas, tmp_path):
    frame = toilet_frame(4)
    frame.loc[3, "编号"] = "GC-0001"
    shp = write_shapefile(frame, tmp_path / "d")
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="1 of 4 rows have errors"):
        _cli("toilets", shp, "--report", report)
    assert not Toilet.objects.exists() and not ChangeRecord.objects.exists()
    text = report.read_text(encoding="utf-8-sig")
    assert "4,code,GC-0001,duplicate code: row 1 has it too" in text
    assert ImportRecord.objects.get().status == "rejected"


def test_bad_values_name_row_and_field(areas, tmp_path):
    frame = toilet_frame(3)
    frame.loc[0, "completed_on"] = "2023-02-30"
    frame.loc[1, "category"] = "palace"
    frame.loc[2, "open_24h"] = "maybe"
    shp = write_shapefile(frame, tmp_path / "v")
    with pytest.raises(CommandError):
        _cli("toilets", shp)
    report = ImportRecord.objects.get().report
    assert {(p["row"], p["field"]) for p in report} == {
        (1, "completed_on"),
        (2, "category"),
        (3, "open_24h"),
    }
    assert not Toilet.objects.exists()


def test_a_database_refusal_writes_nothing(areas, tmp_path):
    """A row the database refuses rolls back the rows before it."""
    shp = write_shapefile(toilet_frame(3), tmp_path / "x")
    from django.db import connection

    with connection.cursor() as cursor:  # a rule only the third row breaks
        cursor.execute(
            "ALTER TABLE toilets_toilet ADD CONSTRAINT demo_rule CHECK (code <> 'GC-0003')"
        )
    with pytest.raises(CommitError, match="demo_rule"):
        import_file(layer_slug="toilets", path=shp)
    assert not Toilet.objects.exists() and not ChangeRecord.objects.exists()
    assert ImportRecord.objects.get().status == "failed"


def test_create_mode_refuses_existing_codes(areas, toilet_shp):
    _cli("toilets", toilet_shp)
    with pytest.raises(CommandError):
        _cli("toilets", toilet_shp, "--mode", "create")
    assert "already exists" in ImportRecord.objects.latest("id").report[0]["problem"]


def test_replace_mode_deletes_a_subdistricts_records_missing_from_the_file(areas, tmp_path):
    write_shapefile(toilet_frame(6), tmp_path / "all")
    _cli("toilets", tmp_path / "all" / "公厕.shp")
    west = set(Toilet.objects.filter(subdistrict=areas["west"]).values_list("code", flat=True))
    keep = toilet_frame(6)
    keep = keep[keep["编号"].isin(sorted(west)[:2])]
    write_shapefile(keep, tmp_path / "keep")
    out, _err = _cli(
        "toilets",
        tmp_path / "keep" / "公厕.shp",
        "--mode",
        "replace",
        "--subdistrict",
        "320111004000",
    )
    assert f"{len(west) - 2} deleted" in out
    assert set(
        Toilet.objects.filter(subdistrict=areas["west"]).values_list("code", flat=True)
    ) == set(sorted(west)[:2])
    assert Toilet.objects.filter(subdistrict=areas["east"]).exists()
    assert ChangeRecord.objects.filter(action="delete").count() == len(west) - 2


def test_dry_run_writes_nothing(areas, toilet_shp):
    out, _err = _cli("toilets", toilet_shp, "--dry-run")
    assert "Dry run" in out
    assert not Toilet.objects.exists()


def test_mapping_file_and_outside_district_warning(areas, tmp_path):
    frame = toilet_frame(2).rename(columns={"名称": "厕所叫法"})
    frame.loc[1, "geometry"] = frame.loc[1, "geometry"].__class__(119.5, 31.5)
    shp = write_shapefile(frame, tmp_path / "m")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {"code": "编号", "name": "厕所叫法", "category": "category", "status": "status"}
        ),
        encoding="utf-8",
    )
    out, err = _cli("toilets", shp, "--mapping", mapping)
    assert "2 created" in out
    assert "outside the district" in err
    assert Toilet.objects.get(code="GC-0001").name == "浦口公厕1号"


def test_unknown_layer_and_bad_mapping_are_one_sentence(areas, toilet_shp, tmp_path):
    with pytest.raises(CommandError, match="There is no layer"):
        _cli("nope", toilet_shp)
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"code": "编号", "colour": "名称"}))
    with pytest.raises(CommandError, match="colour"):
        _cli("toilets", toilet_shp, "--mapping", mapping)
