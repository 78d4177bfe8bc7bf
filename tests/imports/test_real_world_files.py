"""The files GIS staff really receive, made here the way they arrive: survey lists without
codes, Amap exports in GCJ-02, light surveys without lamp data, zones declared wrongly,
district polygons offered to a point layer, GeoPackages and KML with several layers."""

import json
from io import StringIO

import geopandas as gpd
import pytest
import shapely
from django.core.management import CommandError, call_command

from geo_cm import gcj02
from geo_cm.imports.models import ImportRecord
from geo_cm.models import ChangeRecord
from parking.models import Facility
from streets.models import StreetLight
from toilets.models import Toilet

from .conftest import write_shapefile

pytestmark = pytest.mark.django_db


def _cli(*args):
    out, err = StringIO(), StringIO()
    call_command("import_layer", *map(str, args), stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def _survey_csv(tmp_path, rows=None):
    """A toilet survey list as typed in Excel: name, type, hours, position; no code."""
    rows = rows or [
        ("文德路公厕", "城市公厕", "06:00-22:00", 118.612, 32.021),
        ("江浦老街公厕", "城市公厕", "24小时", 118.623, 32.034),
        ("泰山新村公厕", "农村公厕", "06:00-20:00", 118.671, 32.052),
    ]
    path = tmp_path / "公厕普查.csv"
    lines = ["名称,类型,开放时间,经度,纬度"] + [",".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def test_a_survey_without_codes_gets_readable_codes_shown_before_writing(areas, tmp_path):
    path = _survey_csv(tmp_path)
    out, err = _cli("toilets", path, "--mode", "create", "--set", "status=open", "--dry-run")
    assert "create 3, update 0, leave 0 unchanged and delete 0" in out
    assert not Toilet.objects.exists()
    check = ImportRecord.objects.get()
    notes = {(p["row"], p["value"]) for p in check.report if p["severity"] == "info"}
    # Prefix of the layer, letters of the subdistrict (west JP, east TS), a sequence.
    assert notes == {(1, "GC-JP-0001"), (2, "GC-JP-0002"), (3, "TS" and "GC-TS-0001")}
    assert "GC-JP-0001" in err

    out, _err = _cli("toilets", path, "--mode", "create", "--set", "status=open")
    assert "3 created" in out
    toilet = Toilet.objects.get(code="GC-JP-0002")
    assert (toilet.name, toilet.category, toilet.opening_hours) == (
        "江浦老街公厕",
        "city",
        "24小时",
    )
    assert toilet.status == "open" and toilet.subdistrict == areas["west"]


def test_the_same_survey_again_matches_its_records(areas, tmp_path):
    path = _survey_csv(tmp_path)
    _cli("toilets", path, "--set", "status=open")
    history = ChangeRecord.objects.count()
    out, _err = _cli("toilets", path, "--set", "status=open")
    assert "0 created, 0 updated, 3 unchanged" in out
    assert ChangeRecord.objects.count() == history
    # In create mode the same rows are refused as duplicates, naming the existing code.
    with pytest.raises(CommandError, match="3 of 3 rows have errors"):
        _cli("toilets", path, "--mode", "create", "--set", "status=open")
    report = ImportRecord.objects.latest("pk").report
    assert "GC-JP-0001 has the same name and location" in report[0]["problem"]
    # A new survey row continues the sequence; codes already given are kept.
    bigger = _survey_csv(tmp_path, rows=[
        ("文德路公厕", "城市公厕", "06:00-22:00", 118.612, 32.021),
        ("新建公厕", "城市公厕", "06:00-22:00", 118.615, 32.041),
    ])  # fmt: skip
    out, _err = _cli("toilets", bigger, "--set", "status=open")
    assert "1 created, 0 updated, 1 unchanged" in out
    assert Toilet.objects.filter(name="新建公厕", code="GC-JP-0003").exists()


def test_an_amap_export_of_car_parks_with_name_and_berths_imports(areas, tmp_path):
    wgs = [(118.615, 32.02), (118.68, 32.06)]
    features = []
    for i, (lon, lat) in enumerate(wgs, start=1):
        glon, glat = gcj02.wgs84_to_gcj02(lon, lat)
        features.append(
            {
                "type": "Feature",
                "properties": {"name": f"停车场{i}", "berths": 50 * i, "adcode": "320111"},
                "geometry": {"type": "Point", "coordinates": [glon, glat]},
            }
        )
    path = tmp_path / "amap_parking.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    out, _err = _cli("parking-facilities", path, "--from-gcj02", "--set", "status=open")
    assert "2 created" in out
    first = Facility.objects.get(name="停车场1")
    assert first.code == "TC-JP-0001" and first.total_berths == 50
    assert (first.kind, first.ownership, first.status) == ("unknown", "unknown", "open")
    # Converted back to WGS 84: within a metre of where the car park is.
    assert abs(first.geom.x - 118.615) < 1e-5 and abs(first.geom.y - 32.02) < 1e-5


def _lights(n=4, **extra):
    rows = [
        {"BH": f"LD-{i:04d}", **extra, "geometry": shapely.Point(118.61 + 0.01 * i, 32.05)}
        for i in range(1, n + 1)
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def test_street_lights_with_code_and_position_only_import_with_lamp_data_unknown(areas, tmp_path):
    shp = write_shapefile(_lights(), tmp_path / "a", name="路灯")
    out, _err = _cli("street-lights", shp)
    assert "4 created" in out
    light = StreetLight.objects.get(code="LD-0001")
    assert (light.lamp_type, light.power_w, light.status) == ("unknown", None, "working")
    assert light.get_lamp_type_display() == "unknown"


def test_constants_and_defaults_from_a_mapping_file(areas, tmp_path):
    frame = _lights(3, 功率=100)
    frame.loc[2, "功率"] = None
    shp = write_shapefile(frame, tmp_path / "b", name="路灯")
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps(
            {
                "code": "BH",
                "lamp_type": {"constant": "LED"},
                "power_w": {"column": "功率", "default": 60},
            }  # fmt: skip
        ),
        "utf-8",
    )
    out, _err = _cli("street-lights", shp, "--mapping", mapping)
    assert "3 created" in out
    assert set(StreetLight.objects.values_list("lamp_type", flat=True)) == {"led"}
    assert sorted(StreetLight.objects.values_list("power_w", flat=True)) == [60, 100, 100]
    # A constant that is not a value of the field is one error naming it, before any row.
    with pytest.raises(CommandError, match="lamp_type"):
        _cli("street-lights", shp, "--set", "lamp_type=candle")


def test_a_zone_mix_up_is_an_error_naming_the_zone_that_fits(areas, tmp_path):
    shp = write_shapefile(_lights(), tmp_path / "z", name="路灯", epsg=4549)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CommandError, match=r"EPSG:4548.*fit EPSG:4549"):
        _cli("street-lights", shp, "--crs", "4548")
    assert not StreetLight.objects.exists()
    out, _err = _cli("street-lights", shp, "--crs", "4549")
    assert "4 created" in out


def test_degrees_declared_as_metres_and_swapped_axes_are_named(areas, tmp_path):
    shp = write_shapefile(_lights(), tmp_path / "d", name="路灯", epsg=4490)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CommandError, match="degrees, not metres: they fit EPSG:4490"):
        _cli("street-lights", shp, "--crs", "4549")
    table = tmp_path / "swapped.csv"
    table.write_text("BH,lon,lat\nLD-1,32.05,118.62\nLD-2,32.06,118.63\n", "utf-8")
    with pytest.raises(CommandError, match="x and y swapped"):
        _cli("street-lights", table)


def test_polygons_into_a_point_layer_are_refused_unless_points_inside_are_asked_for(
    areas, tmp_path
):
    blocks = gpd.GeoDataFrame(
        {
            "名称": ["甲区", "乙区"],
            "geometry": [
                shapely.box(118.61, 32.01, 118.63, 32.03),
                shapely.box(118.66, 32.05, 118.69, 32.08),
            ],
        },  # fmt: skip
        crs=4326,
    )
    path = tmp_path / "districts.geojson"
    blocks.to_file(path, driver="GeoJSON")
    with pytest.raises(CommandError, match="holds points") as info:
        _cli("toilets", path, "--set", "category=city")
    assert "--centroids" in str(info.value)
    assert not Toilet.objects.exists()
    out, err = _cli("toilets", path, "--set", "category=city", "--centroids")
    assert "2 created" in out and "2 shapes were replaced by a point inside each" in err
    first = Toilet.objects.get(name="甲区")
    assert shapely.box(118.61, 32.01, 118.63, 32.03).contains(shapely.Point(first.geom.coords))


def test_a_geopackage_with_several_layers_is_listed_and_read_by_choice(areas, tmp_path):
    path = tmp_path / "survey.gpkg"
    _lights(2).to_file(path, layer="路灯", driver="GPKG")
    _lights(3).to_file(path, layer="路灯_2024", driver="GPKG")
    with pytest.raises(CommandError, match="holds 2 layers") as info:
        _cli("street-lights", path)
    assert "路灯_2024 (Point, 3 features)" in str(info.value)
    out, _err = _cli("street-lights", path, "--list-layers")
    assert out.splitlines() == ["路灯 (Point, 2 features)", "路灯_2024 (Point, 3 features)"]
    out, _err = _cli("street-lights", path, "--source-layer", "路灯_2024")
    assert "3 created" in out
    assert ImportRecord.objects.latest("pk").source_layer == "路灯_2024"


def test_a_kml_with_several_folders_is_read_one_or_all(areas, tmp_path):
    folders = "".join(
        f"<Folder><name>{name}</name>"
        + "".join(
            f"<Placemark><name>{name}{i}</name><Point><coordinates>{118.61 + i / 100},"
            f"32.05</coordinates></Point></Placemark>"
            for i in range(1, n + 1)
        )
        + "</Folder>"
        for name, n in (("江浦", 2), ("泰山", 1))
    )
    path = tmp_path / "toilets.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{folders}</Document></kml>",
        "utf-8",
    )
    with pytest.raises(CommandError, match=r"holds 2 layers.*Choose \* to import all"):
        _cli("toilets", path)
    out, _err = _cli("toilets", path, "--source-layer", "泰山", "--dry-run")
    assert "create 1," in out
    out, _err = _cli("toilets", path, "--source-layer", "*", "--set", "category=city")
    assert "3 created" in out


def test_a_dry_run_counts_what_replace_would_create_update_keep_and_delete(areas, tmp_path):
    first = _lights(4)
    write_shapefile(first, tmp_path / "one", name="路灯")
    _cli("street-lights", tmp_path / "one" / "路灯.shp")
    second = _lights(3)
    second.loc[0, "geometry"] = shapely.Point(118.615, 32.06)  # moved
    second.loc[3] = {"BH": "LD-0009", "geometry": shapely.Point(118.64, 32.07)}  # new
    shp = write_shapefile(second, tmp_path / "two", name="路灯")
    out, _err = _cli(
        "street-lights", shp, "--mode", "replace", "--subdistrict", "320111004000", "--dry-run"
    )
    # LD-0004 (118.65) lies on the border: the lower id (west) holds it, and the file does
    # not: replacing the west would delete it.
    assert "create 1, update 1, leave 2 unchanged and delete 1" in out
    record = ImportRecord.objects.latest("pk")
    assert (record.created, record.updated, record.unchanged, record.deleted) == (1, 1, 2, 1)
    assert StreetLight.objects.count() == 4
    bigger = _lights(2)
    shp = write_shapefile(bigger, tmp_path / "three", name="路灯")
    out, _err = _cli(
        "street-lights", shp, "--mode", "replace", "--subdistrict", "320111004000", "--dry-run"
    )
    assert "create 0, update 0, leave 2 unchanged and delete 2" in out
