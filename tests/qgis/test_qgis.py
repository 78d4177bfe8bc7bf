"""QGIS (Debian's python3-qgis, headless) lists and reads the layers, anonymously and as staff.

QGIS 3.22's OGC API - Features provider reads (Part 1) but cannot edit: its provider offers
no add/change/delete capability, which the last test records. Editing is tried with the
standard's own examples instead (tests/ogc/test_part4.py).
"""

import json
import subprocess
from pathlib import Path

import pytest

from tests import factories

pytestmark = [pytest.mark.qgis, pytest.mark.django_db(transaction=True)]

CLIENT = Path(__file__).with_name("qgis_client.py")
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module", autouse=True)
def qgis_installed():
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True, timeout=60
    )
    assert probe.returncode == 0, (
        "QGIS's Python bindings are required: `make test` installs Debian's python3-qgis "
        f"(import failed: {probe.stderr.strip()[-300:]})"
    )


def qgis(tmp_path, *args):
    """Run QGIS in a subprocess with a private profile (settings and network cache)."""
    result = subprocess.run(
        [SYSTEM_PYTHON, str(CLIENT), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "QT_QPA_PLATFORM": "offscreen",
            "QGIS_CUSTOM_CONFIG_PATH": str(tmp_path / "qgis"),
            "XDG_RUNTIME_DIR": str(tmp_path),
        },
    )
    assert result.stdout, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.fixture
def assets(areas, gis_user):
    factories.toilet("GC-Q1", lon=118.62, lat=32.05, accessible=True, manager_phone="13900000007")
    factories.toilet("GC-Q2", lon=118.68, lat=32.05)
    factories.facility("TC-Q1")


def test_qgis_lists_the_public_layers_anonymously_and_all_as_staff(live_server, assets, tmp_path):
    from geo_cm.registry import registry

    # Without the trailing slash: QGIS does not follow a redirect, so /ogc must answer.
    anonymous = qgis(tmp_path / "anon", "list", f"{live_server.url}/ogc")["layers"]
    listed = {layer["uri"].split("typename='")[1].split("'")[0] for layer in anonymous}
    assert listed == {layer.slug for layer in registry.all() if layer.public}
    assert "公共厕所" in {layer["title"] for layer in anonymous}
    staff = qgis(tmp_path / "staff", "list", f"{live_server.url}/ogc/", "gis", "pw-gis")["layers"]
    listed = {layer["uri"].split("typename='")[1].split("'")[0] for layer in staff}
    assert listed == {layer.slug for layer in registry.all()}


def test_qgis_reads_public_fields_anonymously_and_staff_fields_as_staff(
    live_server, assets, tmp_path
):
    anonymous = qgis(tmp_path / "anon", "read", f"{live_server.url}/ogc", "toilets")
    assert anonymous["valid"] and anonymous["crs"] == "EPSG:4326"
    by_code = {f["attributes"]["code"]: f for f in anonymous["features"]}
    assert set(by_code) == {"GC-Q1", "GC-Q2"}
    assert by_code["GC-Q1"]["wkt"] == "Point (118.62 32.05)"
    assert "manager_phone" not in anonymous["fields"]
    assert "13900000007" not in json.dumps(anonymous)

    staff = qgis(tmp_path / "staff", "read", f"{live_server.url}/ogc/", "toilets", "gis", "pw-gis")
    assert "manager_phone" in staff["fields"]
    phones = {f["attributes"]["code"]: f["attributes"]["manager_phone"] for f in staff["features"]}
    assert phones["GC-Q1"] == "13900000007"

    berths = qgis(tmp_path / "anon2", "read", f"{live_server.url}/ogc", "parking-berths")
    assert berths["features"] == []  # a staff-only layer: nothing for an anonymous reader


def test_qgis_subset_string_and_no_editing_in_322(live_server, assets, tmp_path):
    subset = qgis(
        tmp_path / "subset",
        "read",
        f"{live_server.url}/ogc",
        "toilets",
        "",
        "",
        "accessible = true",
    )
    assert [f["attributes"]["code"] for f in subset["features"]] == ["GC-Q1"]
    # QGIS 3.22's OAPIF provider has no editing; newer QGIS reads Part 4 from /conformance.
    staff = qgis(tmp_path / "staff", "read", f"{live_server.url}/ogc", "toilets", "gis", "pw-gis")
    assert staff["editable"] is False
