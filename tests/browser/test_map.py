"""The overview map in headless Chromium: every visible layer is drawn, nothing from a CDN."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_cm.registry import registry
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offline_map(settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}


@pytest.fixture
def assets(areas):
    factories.toilet("GC-B1", lon=118.62)
    factories.toilet("GC-B2", lon=118.66, status="closed_for_repair")
    factories.facility("TC-B1")
    factories.road("DL-B1")
    factories.segment("GW-B1")


def wait_for_layers(browser, expected):
    WebDriverWait(browser, 30).until(
        lambda d: (
            d.execute_script("return Object.keys(window.geocmLayers || {}).length") == expected
        )
    )
    return browser.execute_script("return window.geocmLayers")


def test_map_draws_every_public_layer_from_local_assets(browser, live_server, assets, offline_map):
    browser.get(live_server.url + "/")
    public = [layer.slug for layer in registry.all() if layer.public]
    counts = wait_for_layers(browser, len(public))
    assert counts["toilets"] == 2
    assert counts["parking-facilities"] == 1
    assert counts["roads"] == 1 and counts["greenways"] == 1
    assert all(n >= 0 for n in counts.values()), counts
    # Drawn: Leaflet's canvas renderer is in the overlay pane, the legend lists the layers.
    assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane canvas")
    legend = browser.find_element(By.ID, "layer-list").text
    assert "公共厕所" in legend and "停车场" in legend and "维修" in legend
    # Offline intranet: every resource the page loaded came from our own server.
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert urls and all(u.startswith(live_server.url) for u in urls), urls


def test_anonymous_map_hides_staff_layers(browser, live_server, assets, offline_map):
    browser.get(live_server.url + "/")
    public = [layer.slug for layer in registry.all() if layer.public]
    counts = wait_for_layers(browser, len(public))
    assert "parking-berths" not in counts and "lighting-retrofits" not in counts


def test_map_speaks_english_on_request(browser, live_server, assets, offline_map):
    browser.get(live_server.url + "/")
    browser.add_cookie({"name": "django_language", "value": "en"})
    browser.get(live_server.url + "/")
    wait_for_layers(browser, len([lay for lay in registry.all() if lay.public]))
    legend = browser.find_element(By.ID, "layer-list").text
    assert "Public toilets" in legend and "closed for repair" in legend


def test_popup_shows_labelled_public_fields_only(browser, live_server, areas, offline_map):
    factories.toilet("GC-POP", lon=118.62, manager_phone="13900000000", opening_hours="6-22")
    browser.get(live_server.url + "/")
    wait_for_layers(browser, len([lay for lay in registry.all() if lay.public]))
    browser.execute_script("window.geocmGroups.toilets.eachLayer(function (l) { l.openPopup(); });")
    popup = WebDriverWait(browser, 10).until(
        lambda d: d.execute_script(
            "const p = document.querySelector('.leaflet-popup-content');"
            " return p && p.textContent.includes('GC-POP') ? p.textContent : null;"
        )
    )
    assert "GC-POP" in popup and "城市公厕" in popup and "6-22" in popup
    assert "13900000000" not in popup


def test_layer_parameter_shows_that_layer_alone_zoomed_to_it(
    browser, live_server, assets, offline_map
):
    browser.get(live_server.url + "/?layer=toilets")
    wait_for_layers(browser, len([lay for lay in registry.all() if lay.public]))
    on_map = browser.execute_script(
        "return Object.keys(window.geocmGroups).filter(function (k) {"
        " return window.geocmMap.hasLayer(window.geocmGroups[k]); })"
    )
    assert on_map == ["toilets"]
    boxes = browser.execute_script(
        "return Array.from(document.querySelectorAll('#layer-list input'))"
        ".filter(function (b) { return b.checked; }).map(function (b) { return b.dataset.layer; })"
    )
    assert boxes == ["toilets"]
    # Zoomed to the two toilets (118.62 and 118.66), not the whole district.
    assert browser.execute_script("return window.geocmMap.getZoom()") >= 13
    # Ticking another layer brings it back.
    browser.find_element(By.CSS_SELECTOR, "#layer-list input[data-layer='roads']").click()
    assert browser.execute_script("return window.geocmMap.hasLayer(window.geocmGroups.roads)")
