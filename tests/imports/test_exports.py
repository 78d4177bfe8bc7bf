"""Exports per layer and format, and the round trip: an export imported back is the same."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point

from geo_cm import services
from geo_cm.imports.services import import_file
from geo_cm.registry import registry
from greenways.models import Segment
from parking.models import Berth
from streets.models import BackAlleyProject, LightingRetrofit
from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db
FORMATS = ["geojson", "gpkg", "shp", "csv", "xlsx"]
SUFFIX = {"geojson": "geojson", "gpkg": "gpkg", "shp": "zip", "csv": "csv", "xlsx": "xlsx"}
LAYERS = [
    "toilets",
    "parking-facilities",
    "parking-berths",
    "roads",
    "back-alleys",
    "street-lights",
    "lighting-retrofits",
    "greenways",
]


@pytest.fixture
def every_layer(areas):
    """Two records per layer, with Chinese text, dates, decimals, booleans and foreign keys."""
    factories.toilet("GC-1", name="江浦公厕·一", completed_on=dt.date(2021, 3, 4), open_24h=True)
    factories.toilet("GC-2", lon=118.68, address="泰山街道", project="renovated")
    facility = factories.facility("TC-1", ev_berths=3, opened_on=dt.date(2020, 1, 2))
    factories.facility("TC-2", lon=118.62, fee_summary="首小时免费, 之后 2 元/时")
    for code, geom in (
        ("BW-1", Point(118.681, 32.051, srid=4326)),
        ("BW-2", Point(118.682, 32.052, srid=4326)),
    ):
        services.asset_create(
            model=Berth, values={"code": code, "facility": facility, "geom": geom, "level": -1}
        )
    road = factories.road("DL-1", name="文德路")
    factories.road("DL-2", coords=((118.66, 32.06), (118.69, 32.07), (118.695, 32.08)))
    for code in ("BJ-1", "BJ-2"):
        services.asset_create(
            model=BackAlleyProject,
            values={
                "code": code,
                "name": f"小巷{code}",
                "plan_year": 2024,
                "boutique": code == "BJ-1",
                "budget_wan_yuan": Decimal("12.50"),
                "geom": factories.line((118.62, 32.02), (118.63, 32.025)),
            },
        )
    factories.light("LD-1", road=road, installed_on=dt.date(2019, 9, 9))
    factories.light("LD-2", lon=118.66, smart_controller=True)
    for code in ("GZ-1", "GZ-2"):
        services.asset_create(
            model=LightingRetrofit,
            values={
                "code": code,
                "road": road,
                "year": 2023,
                "lamps": 10,
                "power_before_w": 2500,
                "power_after_w": 1000,
                "geom": factories.line((118.61, 32.05), (118.63, 32.05)),
            },
        )
    factories.segment("GW-1", width_m=Decimal("3.50"), surface="asphalt")
    factories.segment("GW-2", coords=((118.66, 32.03), (118.68, 32.04)))


def _export(client, slug, fmt, **params):
    response = client.get(f"/api/export/{slug}", {"format": fmt, **params})
    assert response.status_code == 200, response.content[:300]
    return response


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("slug", LAYERS)
def test_round_trip_leaves_every_record_unchanged(every_layer, gis_client, tmp_path, slug, fmt):
    model = registry.get(slug).model
    before = list(model.objects.order_by("code").values())
    response = _export(gis_client, slug, fmt)
    path = tmp_path / f"export.{SUFFIX[fmt]}"
    path.write_bytes(response.content)
    outcome = import_file(layer_slug=slug, path=path)
    record = outcome.record
    assert record.status == "committed", record.report
    assert (record.created, record.updated, record.unchanged) == (0, 0, 2)
    assert list(model.objects.order_by("code").values()) == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_deleted_records_come_back_the_same(every_layer, gis_client, tmp_path, fmt):
    fields = [
        "code",
        "name",
        "address",
        "category",
        "open_24h",
        "completed_on",
        "project",
        "status",
    ]
    before = list(Toilet.objects.order_by("code").values_list(*fields))
    geoms = [t.geom.coords for t in Toilet.objects.order_by("code")]
    path = tmp_path / f"t.{SUFFIX[fmt]}"
    path.write_bytes(_export(gis_client, "toilets", fmt).content)
    Toilet.objects.all().delete()
    record = import_file(layer_slug="toilets", path=path).record
    assert record.created == 2
    assert list(Toilet.objects.order_by("code").values_list(*fields)) == before
    for (x, y), toilet in zip(geoms, Toilet.objects.order_by("code"), strict=False):
        assert abs(toilet.geom.x - x) < 1e-9 and abs(toilet.geom.y - y) < 1e-9


def test_line_layer_deleted_and_reimported_from_shapefile(every_layer, gis_client, tmp_path):
    path = tmp_path / "g.zip"
    path.write_bytes(_export(gis_client, "greenways", "shp").content)
    before = list(
        Segment.objects.order_by("code").values_list(
            "code", "name", "width_m", "surface", "completed_on"
        )
    )
    Segment.objects.all().delete()
    assert import_file(layer_slug="greenways", path=path).record.created == 2
    assert (
        list(
            Segment.objects.order_by("code").values_list(
                "code", "name", "width_m", "surface", "completed_on"
            )
        )
        == before
    )


def test_anonymous_export_has_public_fields_only(every_layer, anon_client):
    response = _export(anon_client, "toilets", "csv")
    header = response.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert "manager_phone" not in header and "name" in header
    assert anon_client.get("/api/export/parking-berths", {"format": "csv"}).status_code == 404


def test_gbk_shapefile_export_has_a_cpg_and_gbk_text(every_layer, gis_client):
    response = _export(gis_client, "toilets", "shp", encoding="gbk")
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        names = zf.namelist()
        assert "toilets.cpg" in names
        assert "江浦公厕·一".encode("gbk") in zf.read("toilets.dbf")


def test_filters_and_bad_parameters(every_layer, gis_client):
    east = _export(gis_client, "toilets", "csv", subdistrict="320192007000").content.decode(
        "utf-8-sig"
    )
    assert "GC-2" in east and "GC-1" not in east
    west = _export(gis_client, "toilets", "geojson", bbox="118.60,32.00,118.65,32.10")
    assert west["X-Feature-Count"] == "1"
    assert _export(gis_client, "toilets", "csv", status="planned")["X-Feature-Count"] == "0"
    for params, name in (
        ({"format": "dwg"}, "format"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"status": "exploded"}, "status"),
        ({"subdistrict": "999"}, "subdistrict"),
        ({"encoding": "latin9", "format": "shp"}, "encoding"),
        ({"colour": "red"}, "colour"),
    ):
        response = gis_client.get("/api/export/toilets", params)
        assert response.status_code == 400 and name in response.content.decode(), params
    assert gis_client.get("/api/export/nope").status_code == 404


def test_export_command_writes_the_file_and_says_how_many(every_layer, tmp_path):
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    target = tmp_path / "toilets.geojson"
    call_command("export_layer", "toilets", str(target), stdout=out)
    assert "2 features written to" in out.getvalue()
    assert target.read_bytes().startswith(b"{")
    with pytest.raises(CommandError, match="There is no layer nope"):
        call_command("export_layer", "nope", str(target))
    with pytest.raises(CommandError, match="Give --format"):
        call_command("export_layer", "toilets", str(tmp_path / "toilets.dwg"))
