"""Exports in CGCS2000 and its Gauss-Kruger zones, read back by GDAL (ogrinfo, pyogrio):
the file says its CRS and a known point lands within 1 m of where PROJ puts it."""

import csv
import io
import subprocess
import zipfile

import pyogrio
import pytest
from openpyxl import load_workbook
from pyproj import Transformer

from geo_cm.imports.exports import EXPORT_CRS, FIELD_MAP_NAME
from tests import factories

pytestmark = pytest.mark.django_db
LON, LAT = 118.6234567, 32.0512345  # the known point (EPSG:4326)
GIS_FILES = {"geojson": "geojson", "gpkg": "gpkg", "shp": "zip"}


@pytest.fixture
def toilet(areas):
    return factories.toilet("GC-K1", lon=LON, lat=LAT, name="已知点公厕")


def expected_xy(srid):
    """The known point in ``srid``, x = east, by PROJ itself (not by the code under test)."""
    return Transformer.from_crs(4326, srid, always_xy=True).transform(LON, LAT)


def _get(client, **params):
    response = client.get("/api/export/toilets", params)
    assert response.status_code == 200, response.content[:300]
    return response


def _file(tmp_path, response, fmt):
    name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    path = tmp_path / name
    path.write_bytes(response.content)
    if fmt != "shp":
        return path
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path / "unzipped")
    return next((tmp_path / "unzipped").glob("*.shp"))


def _close(x, y, srid):
    ex, ey = expected_xy(srid)
    if srid in (4326, 4490):  # degrees: 1 m is about 1e-5 degrees here
        return abs(x - ex) < 1e-5 and abs(y - ey) < 1e-5
    return abs(x - ex) < 1.0 and abs(y - ey) < 1.0


@pytest.mark.parametrize("fmt", list(GIS_FILES))
@pytest.mark.parametrize("srid", EXPORT_CRS)
def test_gis_files_say_their_crs_and_land_within_a_metre(toilet, gis_client, tmp_path, srid, fmt):
    response = _get(gis_client, format=fmt, crs=f"EPSG:{srid}")
    assert response["Content-Crs"] == f"<http://www.opengis.net/def/crs/EPSG/0/{srid}>"
    path = _file(tmp_path, response, fmt)
    if srid != 4326:
        assert f"EPSG{srid}" in path.name
    info = pyogrio.read_info(path)
    assert info["crs"] == f"EPSG:{srid}"
    frame = pyogrio.read_dataframe(path)
    point = frame.geometry[frame["code"] == "GC-K1"].iloc[0]
    assert _close(point.x, point.y, srid), (point.x, point.y, expected_xy(srid))
    # GDAL's own tool reads the same CRS (the .prj, the GeoPackage's srs table, the crs member).
    text = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True
    ).stdout
    names = {
        4326: "WGS 84",
        4490: "China Geodetic Coordinate System 2000",
        4549: "CM 120E",
        4548: "CM 117E",
        4528: "zone 40",
        4527: "zone 39",
    }
    assert names[srid] in text


@pytest.mark.parametrize("srid", (4326, 4490, 4549, 4528))
def test_tables_carry_coordinates_in_the_crs(toilet, gis_client, srid):
    text = _get(gis_client, format="csv", crs=f"EPSG:{srid}").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    x_name, y_name = ("lon", "lat") if srid in (4326, 4490) else ("easting", "northing")
    row = next(r for r in rows if r["code"] == "GC-K1")
    assert _close(float(row[x_name]), float(row[y_name]), srid)
    book = load_workbook(io.BytesIO(_get(gis_client, format="xlsx", crs=f"EPSG:{srid}").content))
    values = list(book.worksheets[0].iter_rows(values_only=True))
    header = list(values[0])
    row = next(r for r in values[1:] if r[0] == "GC-K1")
    assert _close(row[header.index(x_name)], row[header.index(y_name)], srid)


def test_zone_eastings_carry_the_zone_number(toilet, gis_client, tmp_path):
    path = _file(tmp_path, _get(gis_client, format="shp", crs="EPSG:4528"), "shp")
    x = pyogrio.read_dataframe(path).geometry.iloc[0].x
    assert 40_000_000 < x < 41_000_000


def test_shapefile_zip_has_a_field_name_map(toilet, gis_client, tmp_path):
    response = _get(gis_client, format="shp", crs="EPSG:4549")
    dbf_columns = set(pyogrio.read_info(_file(tmp_path, response, "shp"))["fields"])
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        assert FIELD_MAP_NAME in zf.namelist()
        text = zf.read(FIELD_MAP_NAME).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["dbf_name", "field", "label_zh", "label_en"]
    mapping = {r[1]: r for r in rows[1:]}
    # Names longer than 10 characters are cut in the DBF; the map gives them back.
    assert mapping["opening_hours"][0] == "opening_ho"
    assert mapping["opening_hours"][2] == "开放时间" and mapping["opening_hours"][3]
    assert mapping["subdistrict"][0] == "subdistric" and mapping["subdistrict"][2] == "街道"
    assert all(len(r[0]) <= 10 for r in rows[1:])
    assert {r[0] for r in rows[1:]} == dbf_columns  # one row per column of the .dbf


@pytest.mark.parametrize(
    "value",
    ["EPSG:3857", "EPSG:4547", "+proj=longlat +datum=WGS84", "4549; DROP", "EPSG:99999"],
)
def test_a_crs_off_the_list_is_a_400_naming_it(toilet, gis_client, value):
    response = gis_client.get("/api/export/toilets", {"format": "geojson", "crs": value})
    assert response.status_code == 400
    body = response.json()
    assert "crs" in body["description"] and "EPSG:4549" in body["description"]


def test_crs_by_number_and_uri(toilet, gis_client):
    for value in ("4549", "http://www.opengis.net/def/crs/EPSG/0/4549", "epsg:4549"):
        response = _get(gis_client, format="geojson", crs=value)
        assert response["Content-Crs"].endswith("/4549>"), value


def test_export_command_takes_a_crs(toilet, tmp_path):
    from django.core.management import call_command

    target = tmp_path / "t.gpkg"
    call_command("export_layer", "toilets", str(target), "--crs", "EPSG:4549", stdout=io.StringIO())
    assert pyogrio.read_info(target)["crs"] == "EPSG:4549"
    point = pyogrio.read_dataframe(target).geometry.iloc[0]
    assert _close(point.x, point.y, 4549)
