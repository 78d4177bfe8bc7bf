"""The overview map on vector tiles, in headless Chromium: tiles requested and drawn,
popups that fetch the one feature, clusters at low zoom, the legend, search, population
off by default."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from geo_cm.roles import roles_sync
from streets.models import StreetLight
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offline(settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    cache.clear()  # tiles are cached per data version; each test has a new database
    yield
    cache.clear()


@pytest.fixture
def demo(offline):
    call_command("load_demo", verbosity=0)
    roles_sync()


def login(browser, live_server, username):
    browser.get(live_server.url + "/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("pw-" + username)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(browser, 20).until(lambda d: "/accounts/login" not in d.current_url)


def staff_user(username="gis"):
    user = get_user_model().objects.create_user(username, password="pw-" + username, is_staff=True)
    user.groups.add(Group.objects.get(name="gis_staff"))
    return user


def resources(browser):
    return browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )


def wait_drawn(browser, slug, timeout=60):
    WebDriverWait(browser, timeout).until(
        lambda d: d.execute_script(
            "var t = (window.geocmTiles || {})[arguments[0]];"
            " return t && t.drawn > 0 && t.tiles > 0",
            slug,
        )
    )
    return browser.execute_script("return window.geocmTiles[arguments[0]]", slug)


def click_at(browser, lon, lat):
    """A real mouse click on the map where (lon, lat) is shown."""
    x, y = browser.execute_script(
        "var p = window.geocmMap.latLngToContainerPoint([arguments[1], arguments[0]]);"
        " return [p.x, p.y];",
        lon,
        lat,
    )
    element = browser.find_element(By.ID, "map")
    size = element.size
    ActionChains(browser).move_to_element_with_offset(
        element, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).click().perform()


def test_the_demo_overview_map_draws_lights_from_tiles(browser, live_server, demo):
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.get(live_server.url + "/")
    stats = wait_drawn(browser, "street-lights")
    counts = browser.execute_script("return window.geocmLayers")
    assert counts["street-lights"] == StreetLight.objects.count() == 2966
    # Lights come as tiles (a few dozen requests), never as GeoJSON pages.
    urls = resources(browser)
    light_tiles = [u for u in urls if "/collections/street-lights/tiles/WebMercatorQuad/" in u]
    assert light_tiles and stats["tiles"] >= 1
    assert not [u for u in urls if "/collections/street-lights/items" in u]
    # Small layers still come as one GeoJSON page each, with no next link followed.
    toilet_pages = [u for u in urls if "/collections/toilets/items" in u]
    assert len(toilet_pages) == 1 and counts["toilets"] == 150
    # Every resource is ours (no CDN): Leaflet and the vector-tile plugin are vendored.
    assert all(u.startswith(live_server.url) for u in urls), urls
    assert any(u.endswith("/protomaps-leaflet.js") for u in urls)
    # The legend is there, open on a desktop, with the tiled layer marked.
    legend = browser.find_element(By.ID, "legend-details")
    assert legend.get_attribute("open") is not None
    assert "路灯" in browser.find_element(By.ID, "layer-list").text
    assert browser.find_element(By.CSS_SELECTOR, "#layer-list .tiled").is_displayed()

    # A click on a light fetches that one feature for its popup.
    light = StreetLight.objects.order_by("pk").first()
    browser.execute_script(
        "window.geocmMap.setView([arguments[1], arguments[0]], 18, {animate: false});",
        light.geom.x,
        light.geom.y,
    )
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return window.geocmMap.getZoom()") == 18
    )
    wait_drawn(browser, "street-lights")
    # Wait for the zoom-18 tiles themselves (data zoom 16 holds the points themselves).
    WebDriverWait(browser, 30).until(
        lambda d: any("/WebMercatorQuad/16/" in u for u in resources(d))
    )
    WebDriverWait(browser, 30).until(
        lambda d: (
            click_at(d, light.geom.x, light.geom.y)
            or d.execute_script("return window.geocmPopupFeature")
        )
    )
    picked = browser.execute_script("return window.geocmPopupFeature")
    assert picked["slug"] == "street-lights"
    picked_light = StreetLight.objects.get(pk=picked["id"])
    assert picked_light.geom.distance(light.geom) < 1e-4  # the light clicked (or its twin)
    popup = browser.find_element(By.CSS_SELECTOR, ".leaflet-popup-content").text
    assert picked_light.code in popup and "路灯" in popup
    assert any(f"/collections/street-lights/items/{picked['id']}" in u for u in resources(browser))


def test_search_finds_a_record_by_code_and_shows_it(browser, live_server, demo):
    light = StreetLight.objects.order_by("-pk").first()
    browser.get(live_server.url + "/")
    wait_drawn(browser, "street-lights")
    box = browser.find_element(By.ID, "map-search-input")
    box.send_keys(light.code.lower())  # codes are found whatever their case
    WebDriverWait(browser, 30).until(
        lambda d: isinstance(d.execute_script("return window.geocmSearch"), int)
    )
    results = browser.find_elements(By.CSS_SELECTOR, "#map-search-results button")
    assert results and light.code in results[0].text and "路灯" in results[0].text
    results[0].click()
    WebDriverWait(browser, 30).until(
        lambda d: (d.execute_script("return window.geocmPopupFeature") or {}).get("id") == light.pk
    )
    assert browser.execute_script("return window.geocmMap.getZoom()") >= 17
    # Nothing matching says so.
    box.clear()
    box.send_keys("没有这个名字", Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return window.geocmSearch") == 0)
    assert browser.find_element(By.CSS_SELECTOR, "#map-search-results .none").text == "未找到。"


def test_staff_map_keeps_population_off_and_clusters_at_low_zoom(
    browser, live_server, demo, settings
):
    settings.GEOCM = {**settings.GEOCM, "TILE_MAX_POINTS": 200}
    staff_user()
    login(browser, live_server, "gis")
    browser.get(live_server.url + "/")
    wait_drawn(browser, "street-lights")
    # The population grid is offered but off: unticked, not on the map, no tile asked.
    box = browser.find_element(By.CSS_SELECTOR, "#layer-list input[data-layer='population']")
    assert not box.is_selected()
    assert not browser.execute_script(
        "return window.geocmMap.hasLayer(window.geocmGroups.population)"
    )
    assert not [u for u in resources(browser) if "/collections/population/" in u]
    # At district zoom the lights arrive as clusters: far fewer drawn than there are.
    stats = browser.execute_script("return window.geocmTiles['street-lights']")
    assert 0 < stats["drawn"] < 1500
    # A click on a cluster zooms in.
    zoom = browser.execute_script("return window.geocmMap.getZoom()")
    cluster = browser.execute_script("""
        var grid = window.geocmGroups['street-lights'];
        var map = window.geocmMap, size = map.getSize(), found = null;
        for (var x = 20; x < size.x - 300 && !found; x += 6) {
          for (var y = 20; y < size.y - 20 && !found; y += 6) {
            var ll = map.containerPointToLatLng([x, y]);
            var hits = grid.queryTileFeaturesDebug(ll.lng, ll.lat, 4).get('') || [];
            hits.forEach(function (h) {
              if ((h.feature.props.count || 0) > 5) found = [ll.lng, ll.lat];
            });
          }
        }
        return found;""")
    assert cluster, "no cluster drawn at district zoom"
    click_at(browser, *cluster)
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return window.geocmMap.getZoom()") == zoom + 2
    )
    # Ticking population draws it from tiles.
    box.click()
    wait_drawn(browser, "population")


def test_phone_legend_starts_folded_and_opens(browser, live_server, areas, offline):
    factories.toilet("GC-1")
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
    )
    browser.get(live_server.url + "/")
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return (window.geocmLayers || {}).toilets") == 1
    )
    legend = browser.find_element(By.ID, "legend-details")
    assert legend.get_attribute("open") is None
    assert not browser.find_element(By.ID, "layer-list").is_displayed()
    # The search box stays in reach with the legend folded; the summary opens it.
    assert browser.find_element(By.ID, "map-search-input").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "#legend-details summary").click()
    assert browser.find_element(By.ID, "layer-list").is_displayed()
    panel = browser.find_element(By.ID, "legend").rect
    assert panel["height"] <= 844 * 0.5  # never more than half the phone's screen


def test_tiled_small_layer_and_layer_parameter(browser, live_server, areas, offline, settings):
    """Any layer above MAP_TILED_ABOVE is tiled; ?layer= still shows it alone, zoomed in."""
    settings.GEOCM = {**settings.GEOCM, "MAP_TILED_ABOVE": 1}
    factories.toilet("GC-1", lon=118.62, lat=32.05)
    factories.toilet("GC-2", lon=118.63, lat=32.06, status="closed_for_repair")
    factories.road("DL-1")
    browser.get(live_server.url + "/?layer=toilets")
    wait_drawn(browser, "toilets")
    on_map = browser.execute_script(
        "return Object.keys(window.geocmGroups).filter(function (k) {"
        " return window.geocmMap.hasLayer(window.geocmGroups[k]); })"
    )
    assert on_map == ["toilets"]
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return window.geocmMap.getZoom()") >= 13
    )
    assert browser.execute_script("return window.geocmLayers.toilets") == 2
    assert any(
        "/collections/toilets/tiles/WebMercatorQuad?f=tilejson" in u for u in resources(browser)
    )
