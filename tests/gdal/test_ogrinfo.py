"""GDAL's own OGC API - Features client (the OAPIF driver) reads our API from a live server."""

import shutil
import subprocess

import pytest

from tests import factories

pytestmark = [pytest.mark.gdal, pytest.mark.django_db(transaction=True)]


def ogrinfo(*args):
    assert shutil.which("ogrinfo"), "ogrinfo (Debian gdal-bin) is required"
    result = subprocess.run(
        ["ogrinfo", "-ro", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"GDAL_HTTP_TIMEOUT": "30", "PATH": "/usr/bin"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def some_assets(areas):
    factories.toilet("GC-G1", lon=118.62)
    factories.toilet("GC-G2", lon=118.68, manager_phone="13900000000")
    factories.facility("TC-G1")
    factories.road("DL-G1")
    factories.segment("GW-G1")


def test_ogrinfo_lists_every_public_collection(live_server, some_assets):
    from geo_cm.registry import registry

    out = ogrinfo("-so", f"OAPIF:{live_server.url}/ogc/")
    public = [layer.slug for layer in registry.all() if layer.public]
    for slug in public:
        assert slug in out
    assert "parking-berths" not in out and "lighting-retrofits" not in out


def test_ogrinfo_reads_features_and_only_public_fields(live_server, some_assets):
    out = ogrinfo("-al", f"OAPIF:{live_server.url}/ogc/", "toilets")
    assert "Feature Count: 2" in out or out.count("OGRFeature(toilets)") == 2
    assert "GC-G1" in out and "GC-G2" in out
    assert "POINT (118.62 32.05)" in out
    assert "13900000000" not in out and "manager_phone" not in out


def test_ogrinfo_pages_through_next_links(live_server, areas, settings):
    settings.GEOCM = {**settings.GEOCM, "API_DEFAULT_LIMIT": 2, "API_MAX_LIMIT": 2}
    for i in range(5):
        factories.toilet(f"GC-P{i}", lon=118.61 + i * 0.01)
    out = ogrinfo("-al", "-oo", "PAGE_SIZE=2", f"OAPIF:{live_server.url}/ogc/", "toilets")
    assert out.count("OGRFeature(toilets)") == 5


def _points(out):
    """[(first, second), ...] from ogrinfo's POINT (a b) lines, in the order printed."""
    import re

    return [tuple(map(float, m)) for m in re.findall(r"POINT \(([-\d.e]+) ([-\d.e]+)\)", out)]


def test_ogrinfo_reads_a_filtered_reprojected_layer(live_server, areas):
    """A CQL2 filter (spatial and attribute) and crs=EPSG:4549 through GDAL's own client.

    GDAL 3.6 (Debian 12) has no CRS option for OAPIF: it repeats the connection URL's query
    on every request and follows the collection's items link, which carries it. It labels
    the layer WGS 84 whatever the Content-Crs, so the numbers are read as printed: EPSG
    order, northing first, within a millimetre of PROJ's own transformation.
    """
    from urllib.parse import urlencode

    from pyproj import Transformer

    factories.toilet("GC-F1", lon=118.62, lat=32.05, accessible=True)
    factories.toilet("GC-F2", lon=118.63, lat=32.06)  # west, not accessible
    factories.toilet("GC-F3", lon=118.68, lat=32.05, accessible=True)  # east
    query = urlencode(
        {
            "filter": "S_INTERSECTS(geometry, BBOX(118.60, 32.00, 118.65, 32.10)) "
            "AND accessible = TRUE",
            "crs": "http://www.opengis.net/def/crs/EPSG/0/4549",
        }
    )
    out = ogrinfo("-al", f"OAPIF:{live_server.url}/ogc/collections/toilets?{query}")
    assert "GC-F1" in out and "GC-F2" not in out and "GC-F3" not in out
    ((northing, easting),) = _points(out)
    want_n, want_e = Transformer.from_crs("OGC:CRS84", "EPSG:4549").transform(118.62, 32.05)
    assert abs(northing - want_n) < 0.001 and abs(easting - want_e) < 0.001

    cgcs = urlencode({"crs": "http://www.opengis.net/def/crs/EPSG/0/4490"})
    out = ogrinfo("-al", f"OAPIF:{live_server.url}/ogc/collections/toilets?{cgcs}")
    assert sorted(_points(out)) == sorted([(32.05, 118.62), (32.06, 118.63), (32.05, 118.68)])


def test_ogrinfo_where_is_answered_and_staff_read_staff_fields(live_server, gis_user, areas):
    factories.toilet("GC-S1", lon=118.62, manager_phone="13900000009", accessible=True)
    factories.toilet("GC-S2", lon=118.68)
    out = ogrinfo("-al", "-where", "accessible = 1", f"OAPIF:{live_server.url}/ogc/", "toilets")
    assert "GC-S1" in out and "GC-S2" not in out and "13900000009" not in out
    staff = ogrinfo("-al", "-oo", "USERPWD=gis:pw-gis", f"OAPIF:{live_server.url}/ogc/", "toilets")
    assert "13900000009" in staff
