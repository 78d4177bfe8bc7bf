"""The import result page's map link in headless Chromium: the overview map with the
imported records highlighted above their layer (drawn as GeoJSON or from tiles), and the
map framed on them, not on the layer, whichever of the two loads last."""

import time
from pathlib import Path
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_cm.imports.models import ImportRecord
from geo_cm.imports.services import import_file
from tests import factories
from tests.imports.conftest import toilet_frame, write_shapefile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at (var/ is not committed).
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def imported(tmp_path, areas, gis_user, settings):
    """Toilets far from each other made by hand, then an import of five close together
    (around 118.62–118.66, 32.01) by the GIS staff member."""
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    factories.toilet("GC-8001", lon=118.695, lat=32.095)
    factories.toilet("GC-8002", lon=118.605, lat=32.095)
    shp = write_shapefile(toilet_frame(5), tmp_path / "shp", epsg=4326, encoding="UTF-8", cpg=True)
    record = import_file(layer_slug="toilets", path=shp, by=gis_user).record
    assert record.status == ImportRecord.Status.COMMITTED
    return record


def _log_in(browser, live_server, next_url):
    browser.get(f"{live_server.url}/accounts/login/?next={quote(next_url)}")
    browser.find_element(By.NAME, "username").send_keys("gis")
    browser.find_element(By.NAME, "password").send_keys("pw-gis")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()


def _open_from_the_result_page(browser, live_server, record):
    _log_in(browser, live_server, f"/imports/records/{record.pk}/")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "map-link"))
    link = browser.find_element(By.ID, "map-link")
    assert f"import={record.pk}" in link.get_attribute("href")
    link.click()
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return window.geocmHighlight") is not None
    )


def _settled(browser):
    """The layer and the highlight have both loaded (and the layer's framing was asked)."""
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            "return window.geocmLayers.toilets > 0 && window.geocmFramedBy !== null"
        )
    )
    # The zoom animation has ended (a screenshot would catch scaled tiles otherwise).
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script(
            "return !document.querySelector('#map.leaflet-zoom-anim')"
            " && !window.geocmMap._animatingZoom"
        )
    )
    time.sleep(0.5)


def _framing(browser):
    """Whether the map's bounds hold every highlighted record and none of the two hand-made
    toilets far away (which a framing on the whole layer would show)."""
    return browser.execute_script(
        "var b = window.geocmMap.getBounds();"
        "var inside = window.geocmHighlightGroup.getLayers().every(function (l) {"
        "  return b.contains(l.getLatLng()); });"
        "return {inside: inside, far: [[32.095, 118.695], [32.095, 118.605]].filter("
        "  function (p) { return b.contains(p); }).length, by: window.geocmFramedBy,"
        # Not hidden under the legend that floats over the map.
        "  uncovered: window.geocmHighlightGroup.getLayers().every(function (l) {"
        "    var m = document.getElementById('map').getBoundingClientRect();"
        "    var g = document.getElementById('legend').getBoundingClientRect();"
        "    var p = window.geocmMap.latLngToContainerPoint(l.getLatLng());"
        "    var x = p.x + m.left, y = p.y + m.top;"
        "    return x < g.left || x > g.right || y < g.top || y > g.bottom; }),"
        "  zoom: window.geocmMap.getZoom()};"
    )


@pytest.mark.parametrize("tiled", [False, True], ids=["geojson", "tiles"])
def test_the_result_pages_link_highlights_and_frames_the_import(
    browser, live_server, imported, settings, tiled
):
    if tiled:
        settings.GEOCM = {**settings.GEOCM, "MAP_TILED_ABOVE": 1}
    browser.set_window_size(1440, 900)
    _open_from_the_result_page(browser, live_server, imported)
    assert browser.execute_script("return window.geocmHighlight") == 5
    assert browser.execute_script("return window.geocmHighlightCount") == 5
    assert browser.execute_script("return window.geocmHighlightGroup.getLayers().length") == 5
    assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-highlight-pane canvas")
    # Its layer alone, under the highlight; the layer keeps all its seven records.
    _settled(browser)
    assert browser.execute_script("return window.geocmLayers.toilets") == 7
    assert browser.execute_script(
        "return window.geocmMap.hasLayer(window.geocmGroups.toilets)"
        " && !window.geocmMap.hasLayer(window.geocmGroups.roads)"
    )
    note = browser.find_element(By.CSS_SELECTOR, ".highlight-note")
    assert note.is_displayed()
    assert note.text == "本次导入的 5 条记录"
    framing = _framing(browser)
    assert framing == {
        "inside": True,
        "far": 0,
        "by": "highlight",
        "uncovered": True,
        "zoom": framing["zoom"],
    }
    assert framing["zoom"] >= 12

    SHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "tiles" if tiled else "geojson"
    browser.save_screenshot(str(SHOTS / f"import-highlight-{suffix}-1440.png"))
    browser.set_window_size(390, 844)
    browser.refresh()
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return window.geocmHighlight") == 5
    )
    _settled(browser)
    # On a phone the legend starts folded; what is highlighted is still said.
    assert browser.find_element(By.CSS_SELECTOR, ".highlight-note").is_displayed()
    framing = _framing(browser)
    assert framing["inside"] and framing["uncovered"] and framing["by"] == "highlight"
    browser.save_screenshot(str(SHOTS / f"import-highlight-{suffix}-390.png"))


def test_english_and_a_capped_import(browser, live_server, imported, settings):
    """In English; and when the import holds more than the map draws, the note says both."""
    settings.GEOCM = {**settings.GEOCM, "IMPORT_HIGHLIGHT_LIMIT": 3}
    _log_in(browser, live_server, f"/?layer=toilets&import={imported.pk}&lang=en")
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return window.geocmHighlight") is not None
    )
    assert browser.execute_script("return window.geocmHighlight") == 3
    assert browser.execute_script("return window.geocmHighlightCount") == 5
    note = browser.find_element(By.CSS_SELECTOR, ".highlight-note").text
    assert note == "5 records of this import (the first 3 drawn)"
    _settled(browser)
    # Framed on the extent of all five, not only the three drawn.
    assert browser.execute_script(
        "var b = window.geocmMap.getBounds();"
        "return b.contains([32.01, 118.62]) && b.contains([32.01, 118.66]);"
    )
