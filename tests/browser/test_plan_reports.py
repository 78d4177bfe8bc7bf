"""The folium map report opened from disk in headless Chromium with the network cut off."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client
from selenium.webdriver.support.ui import WebDriverWait

from geo_cm.plans.models import Plan
from geo_cm.plans.selectors import target_records_geojson

from .conftest import chromium, chromium_quit

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def offline_browser():
    """Headless Chromium that resolves no host name, offline, logging every request."""
    driver, profile = chromium(
        "--host-resolver-rules=MAP * ~NOTFOUND",
        capabilities={"goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"}},
    )
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    yield driver
    chromium_quit(driver, profile)


@pytest.fixture
def map_report(settings, planner_user, tmp_path):
    """The 2023 map report of the Pukou demo (no basemap: offline), saved as a file."""
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    call_command("load_demo", verbosity=0)
    client = Client()
    client.force_login(planner_user)
    response = client.get("/plans/2023/map-report.html?today=2023-12-31&download=1")
    assert response.status_code == 200
    path = tmp_path / "plan-2023-map.html"
    path.write_bytes(response.content)
    plan = Plan.objects.get(year=2023)
    features = {}
    for target in plan.targets.filter(kind="metric"):
        data = json.loads(target_records_geojson(target, today=dt.date(2023, 12, 31)))
        features[target.code] = [f["geometry"]["type"] for f in data["features"]]
    return path, features


def test_map_report_renders_offline_from_a_file(offline_browser, map_report):
    path, features = map_report
    offline_browser.get_log("performance")  # drop the start page's requests
    offline_browser.get(path.as_uri())
    WebDriverWait(offline_browser, 30).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && typeof L !== 'undefined'"
        )
    )
    state = offline_browser.execute_script(
        """
        const map = window[document.querySelector('.folium-map').id];
        let points = 0, lines = 0, polygons = 0;
        map.eachLayer(l => {
            if (l instanceof L.CircleMarker) points++;
            else if (l instanceof L.Polygon) polygons++;
            else if (l instanceof L.Polyline) lines++;
        });
        const b = map.getBounds();
        return {
            points, lines, polygons,
            tiles: document.querySelectorAll('.leaflet-tile').length,
            paths: document.querySelectorAll('.leaflet-overlay-pane path').length,
            overlays: Array.from(
                document.querySelectorAll('.leaflet-control-layers-overlays label')
            ).map(l => l.textContent.trim()),
            panel: document.getElementById('geocm-report-panel').innerText,
            centre: [b.getCenter().lat, b.getCenter().lng],
        };
        """
    )
    wanted_points = sum(
        kinds.count("Point") + kinds.count("MultiPoint") for kinds in features.values()
    )
    # Every point record of every target is drawn as a circle marker (no image icons).
    assert wanted_points > 20
    assert state["points"] == wanted_points
    assert state["lines"] > 0 and state["polygons"] >= 10  # district + 9 subdistricts
    assert state["paths"] >= state["points"] + state["lines"]
    assert state["tiles"] == 0  # basemap "none"
    assert len(state["overlays"]) == 2 + len(features)
    assert any("P1 新增停车泊位 (" in o for o in state["overlays"])
    assert "浦口区2023年城市管理工作实施意见" in state["panel"]
    assert 31.9 < state["centre"][0] < 32.3 and 118.4 < state["centre"][1] < 118.9

    # Nothing was fetched from anywhere: no request but the file itself, no failure.
    events = [json.loads(e["message"])["message"] for e in offline_browser.get_log("performance")]
    urls = [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]
    assert urls and all(u.startswith(("file:", "data:")) for u in urls), urls
    assert not [e for e in events if e["method"] == "Network.loadingFailed"]
    severe = [e for e in offline_browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
