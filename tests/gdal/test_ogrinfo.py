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
