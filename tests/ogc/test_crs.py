"""Part 2: features in CGCS2000 and its Gauss-Kruger zones, transformed by PostGIS.

Known answers come from the import fixtures: the same Nanjing district outlines as a WGS84
GeoJSON and as shapefiles already in EPSG:4549 and EPSG:4528 (derived with PROJ). A toilet
placed on a vertex of Pukou's WGS84 outline must come back, in each CRS, within a
millimetre of that vertex as the fixture stores it.
"""

import json
from pathlib import Path

import pyogrio
import pytest
from pyproj import Transformer

from geo_cm.crs import OFFERED
from tests import factories

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "imports" / "fixtures"
REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"
URI = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _pukou_vertex(index):
    """Vertex ``index`` of Pukou's outline: WGS84 (lon, lat) from the reference GeoJSON."""
    doc = json.loads((REFERENCE / "nanjing_districts_amap_wgs84.geojson").read_text())
    pukou = next(f for f in doc["features"] if f["properties"]["district_adcode"] == 320111)
    ring = pukou["geometry"]["coordinates"][0][0]
    return tuple(ring[index])


def _fixture_vertex(folder, index, encoding):
    """The same vertex as the fixture shapefile stores it (x = easting, y = northing)."""
    frame = pyogrio.read_dataframe(FIXTURES / folder / "nanjing_districts.shp", encoding=encoding)
    pukou = frame[frame["名称"] == "浦口区"].geometry.iloc[0]
    polygon = pukou.geoms[0] if hasattr(pukou, "geoms") else pukou
    return polygon.exterior.coords[index]


@pytest.fixture
def vertex_toilet(areas):
    lon, lat = _pukou_vertex(5)
    return factories.toilet("GC-V5", lon=lon, lat=lat)


def _get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response


@pytest.mark.parametrize(
    "epsg, folder, encoding",
    [
        (4549, "cgcs2000_gk_cm120e_epsg4549_gbk_cpg", "gbk"),
        (4528, "cgcs2000_gk_zone40_epsg4528_gbk_nocpg", "gbk"),
    ],
)
def test_gauss_kruger_positions_within_a_millimetre(
    anon_client, vertex_toilet, epsg, folder, encoding
):
    easting, northing = _fixture_vertex(folder, 5, encoding)
    response = _get(anon_client, "/ogc/collections/toilets/items", crs=f"{URI}{epsg}")
    assert response["Content-Crs"] == f"<{URI}{epsg}>"
    first, second = response.json()["features"][0]["geometry"]["coordinates"]
    # EPSG order for the Gauss-Kruger CRSs is X northing, Y easting.
    assert first == pytest.approx(northing, abs=0.001)
    assert second == pytest.approx(easting, abs=0.001)
    one = _get(
        anon_client, f"/ogc/collections/toilets/items/{vertex_toilet.pk}", crs=f"EPSG:{epsg}"
    ).json()
    assert one["geometry"]["coordinates"] == [first, second]


def test_cgcs2000_geographic_is_latitude_first_within_a_millimetre(anon_client, vertex_toilet):
    lon, lat = _pukou_vertex(5)
    lon_4490, lat_4490 = _fixture_vertex("cgcs2000_geographic_epsg4490_utf8_cpg", 5, "utf-8")
    coords = _get(anon_client, "/ogc/collections/toilets/items", crs=f"{URI}4490").json()[
        "features"
    ][0]["geometry"]["coordinates"]
    assert coords[0] == pytest.approx(lat_4490, abs=1e-8)  # 1e-8 degree is about 1 mm
    assert coords[1] == pytest.approx(lon_4490, abs=1e-8)
    assert coords == [pytest.approx(lat, abs=1e-8), pytest.approx(lon, abs=1e-8)]


def test_every_offered_crs_matches_pyproj(anon_client, vertex_toilet):
    """An independent PROJ binding (pyproj, authority axis order) agrees with PostGIS."""
    lon, lat = _pukou_vertex(5)
    for crs in OFFERED:
        body = _get(anon_client, "/ogc/collections/toilets/items", crs=crs.uri).json()
        got = body["features"][0]["geometry"]["coordinates"]
        target = "OGC:CRS84" if crs.uri == CRS84 else f"EPSG:{crs.srid}"
        want = Transformer.from_crs("OGC:CRS84", target).transform(lon, lat)
        tolerance = 1e-7 if crs.uri == CRS84 else (1e-8 if crs.srid in (4326, 4490) else 1e-3)
        assert got == [pytest.approx(w, abs=tolerance) for w in want], crs.uri


def test_default_is_crs84_and_collections_list_the_crs(anon_client, vertex_toilet):
    response = _get(anon_client, "/ogc/collections/toilets/items")
    assert response["Content-Crs"] == f"<{CRS84}>"
    collection = _get(anon_client, "/ogc/collections/toilets").json()
    assert collection["storageCrs"] == f"{URI}4326"
    assert set(collection["crs"]) == {c.uri for c in OFFERED}
    assert {f"{URI}4490", f"{URI}4549", f"{URI}4527", f"{URI}4528", f"{URI}3857"} <= set(
        collection["crs"]
    )


def test_bbox_crs_in_gauss_kruger_selects_the_same_features(anon_client, areas):
    factories.toilet("GC-IN", lon=118.62, lat=32.05)
    factories.toilet("GC-OUT", lon=118.68, lat=32.05)
    to_gk = Transformer.from_crs("OGC:CRS84", "EPSG:4549")  # -> (northing, easting)
    n1, e1 = to_gk.transform(118.61, 32.04)
    n2, e2 = to_gk.transform(118.63, 32.06)
    body = _get(
        anon_client,
        "/ogc/collections/toilets/items",
        **{"bbox": f"{n1},{e1},{n2},{e2}", "bbox-crs": f"{URI}4549"},
    ).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["GC-IN"]
    lat_first = _get(
        anon_client,
        "/ogc/collections/toilets/items",
        **{"bbox": "32.04,118.61,32.06,118.63", "bbox-crs": "[EPSG:4326]"},
    ).json()
    assert [f["properties"]["code"] for f in lat_first["features"]] == ["GC-IN"]


@pytest.mark.parametrize(
    "params, name",
    [
        ({"crs": "EPSG:2385"}, "crs"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/999999"}, "crs"),
        ({"bbox": "118.61,32.04,118.63,32.06", "bbox-crs": f"{URI}4549"}, "bbox"),
        ({"bbox": "3550000,900000000,3560000,900000001", "bbox-crs": f"{URI}4549"}, "bbox"),
        ({"bbox": "3560000,640000,3550000,650000", "bbox-crs": f"{URI}4549"}, "bbox"),
    ],
)
def test_bad_crs_and_bbox_are_400(anon_client, areas, params, name):
    response = anon_client.get("/ogc/collections/toilets/items", params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and name in body["errors"]


def test_write_with_content_crs_reads_back_unchanged(gis_client, areas):
    """Part 2 + Part 4: a feature posted in EPSG:4549 reads back at the same millimetre."""
    to_gk = Transformer.from_crs("OGC:CRS84", "EPSG:4549")
    northing, easting = to_gk.transform(118.62, 32.05)
    northing, easting = round(northing, 3), round(easting, 3)
    body = {
        "type": "Feature",
        "properties": {"code": "GC-GK", "name": "高斯点", "category": "city"},
        "geometry": {"type": "Point", "coordinates": [northing, easting]},
    }
    created = gis_client.post(
        f"/ogc/collections/toilets/items?crs={URI}4549",
        json.dumps(body),
        content_type="application/geo+json",
        HTTP_CONTENT_CRS=f"<{URI}4549>",
    )
    assert created.status_code == 201, created.content
    assert created["Content-Crs"] == f"<{URI}4549>"
    assert created.json()["geometry"]["coordinates"] == [northing, easting]
    stored = created.json()["properties"]["subdistrict"]
    assert stored == "320111004000"  # the west square: the point landed where it should
    wgs = gis_client.get(created["Location"]).json()["geometry"]["coordinates"]
    assert wgs == [pytest.approx(118.62, abs=1e-7), pytest.approx(32.05, abs=1e-7)]


def test_write_with_an_unknown_content_crs_is_400_and_writes_nothing(gis_client, areas):
    from toilets.models import Toilet

    response = gis_client.post(
        "/ogc/collections/toilets/items",
        {
            "type": "Feature",
            "properties": {"code": "GC-X", "name": "x", "category": "city"},
            "geometry": {"type": "Point", "coordinates": [3550000, 640000]},
        },
        format="json",
        HTTP_CONTENT_CRS="<http://www.opengis.net/def/crs/EPSG/0/2385>",
    )
    assert response.status_code == 400 and "Content-Crs" in response.json()["errors"]
    assert not Toilet.objects.filter(code="GC-X").exists()
