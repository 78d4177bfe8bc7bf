"""Every file in shared/data/messy (copied to fixtures/ with its SOURCE notes) and its outcome.

No layer holds district outlines, so the polygons are imported as parking berths (a layer
whose geometry column takes any type): what is tested is that the geometry and names land
where the WGS84 original says.
"""

import json
import math
from pathlib import Path

import pytest
import shapely
from django.core.management import CommandError, call_command

from geo_cm.imports.commit import import_commit
from geo_cm.imports.models import ImportRecord
from geo_cm.imports.readers import ReadError, source_read
from geo_cm.imports.validate import import_validate
from geo_cm.registry import registry
from parking.models import Berth, Facility
from tests import factories

from .conftest import FIXTURES, REFERENCE

pytestmark = pytest.mark.django_db


def _reference():
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return {
        f["properties"]["district_name"]: shapely.from_geojson(json.dumps(f["geometry"]))
        for f in data["features"]
    }


def _metres(deg):
    return deg * 111_320  # an upper bound for Hausdorff distances in degrees at 32°N


def _centroid_gap_m(a, b):
    ca, cb = shapely.centroid(a), shapely.centroid(b)
    return math.hypot((ca.x - cb.x) * 111_320 * math.cos(math.radians(32)), (ca.y - cb.y) * 110_574)


def _import_as_berths(path: Path, *, code_col, tmp_path, crs=None, offset=None, repair=False):
    facility = Facility.objects.filter(code="TC-FIX").first() or factories.facility(code="TC-FIX")
    source = source_read(path=path, workdir=tmp_path, crs=crs)
    source.frame["facility"] = facility.code
    layer = registry.get("parking-berths")
    validated = import_validate(
        layer=layer,
        source=source,
        mapping={"code": code_col, "facility": "facility"},
        offset=offset,
        repair=repair,
    )
    record = None
    if validated.ok:
        record = ImportRecord.objects.create(
            layer=layer.slug, file_name=path.name, sha256="-", mode="upsert", status="failed"
        )
        import_commit(validated=validated, record=record)
    return source, validated, record


@pytest.mark.parametrize(
    "folder,code_col,epsg,encoding",
    [
        ("cgcs2000_gk_cm120e_epsg4549_gbk_cpg", "行政代码", 4549, "CP936"),
        ("cgcs2000_gk_zone40_epsg4528_gbk_nocpg", "行政代码", 4528, "GB18030"),
        ("cgcs2000_geographic_epsg4490_utf8_cpg", "代码", 4490, "UTF-8"),
    ],
)
def test_cgcs2000_files_land_within_a_metre_of_the_wgs84_original(
    areas, tmp_path, folder, code_col, epsg, encoding
):
    path = FIXTURES / folder / "nanjing_districts.shp"
    source, validated, record = _import_as_berths(path, code_col=code_col, tmp_path=tmp_path)
    assert source.crs.epsg == epsg and source.encoding.name == encoding
    names = list(source.frame["名称"])
    assert "浦口区" in names and "玄武区" in names  # readable Chinese, not mojibake
    assert record.created == 11
    reference = _reference()
    for name, code in zip(names, source.frame[code_col], strict=False):
        stored = Berth.objects.get(code=str(code)).geom
        gap = shapely.hausdorff_distance(shapely.from_wkb(bytes(stored.wkb)), reference[name])
        assert _metres(gap) < 1.0, name
    # The districts other than the test square are flagged as outside the district.
    assert validated.outside_district >= 9


def test_noprj_nocpg_gcj02_shapefile(areas, tmp_path):
    path = FIXTURES / "nanjing_districts_noprj_nocpg_gcj02" / "南京市.shp"
    with pytest.raises(ReadError, match="--crs"):
        source_read(path=path, workdir=tmp_path)
    with pytest.raises(CommandError, match="no coordinate system"):
        call_command("import_layer", "toilets", str(path), verbosity=0)
    source, validated, record = _import_as_berths(
        path, code_col="adcode", tmp_path=tmp_path, crs="4326", offset="gcj02"
    )
    assert source.encoding.name == "UTF-8"
    assert "浦口区" in list(source.frame["name"])
    assert record.created == 11
    reference = _reference()
    for name, code in zip(source.frame["name"], source.frame["adcode"], strict=False):
        raw = source.geoms[list(source.frame["adcode"]).index(code)]
        stored = shapely.from_wkb(bytes(Berth.objects.get(code=code).geom.wkb))
        # Unconverted, GCJ-02 is ~550 m off; converted, what is left is outline detail.
        assert _centroid_gap_m(raw, reference[name]) > 400
        assert _centroid_gap_m(stored, reference[name]) < 100


def test_datav_self_intersections_are_rejected_unless_repaired(areas, tmp_path):
    path = FIXTURES / "datav_gcj02_selfintersect" / "320100.json"
    source, validated, record = _import_as_berths(
        path, code_col="adcode", tmp_path=tmp_path, offset="gcj02"
    )
    assert record is None and validated.error_rows == 2
    bad = {(p.row, p.field) for p in validated.problems if p.severity == "error"}
    names = list(source.frame["name"])
    assert bad == {
        (names.index("雨花台区") + 1, "geometry"),
        (names.index("高淳区") + 1, "geometry"),
    }
    assert all("Self-intersection" in p.value for p in validated.problems if p.severity == "error")
    assert not Berth.objects.exists()
    # list/dict properties arrive as JSON text, not as errors
    assert json.loads(source.frame["center"][0]) == [118.792199, 32.050678]

    source, validated, record = _import_as_berths(
        path, code_col="adcode", tmp_path=tmp_path, offset="gcj02", repair=True
    )
    assert record.created == 11
    assert sum(p.problem.startswith("invalid geometry, repaired") for p in validated.problems) == 2
    assert all(b.geom.valid for b in Berth.objects.all())


def test_datav_bare_geometry_is_one_feature(tmp_path):
    path = FIXTURES / "datav_gcj02_selfintersect" / "cnmaps_320111_bare_geometry.geojson"
    source = source_read(path=path, workdir=tmp_path)
    assert source.count == 1 and source.geometry_types == ["MultiPolygon"]
    from geo_cm.gcj02 import geometries_to_wgs84

    converted = geometries_to_wgs84(source.geoms, offset="gcj02")[0]
    assert _centroid_gap_m(source.geoms[0], _reference()["浦口区"]) > 400
    assert _centroid_gap_m(converted, _reference()["浦口区"]) < 100
