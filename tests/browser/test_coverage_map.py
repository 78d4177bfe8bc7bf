"""The planners' coverage map in headless Chromium."""

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_cm import services
from geo_cm.coverage.models import PopulationArea
from geo_cm.jobs.models import Job
from tests import factories
from tests.browser.waiting import until_computed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def data(areas, planner_user, settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    factories.toilet("GC-M1", lon=118.62, lat=32.05)
    factories.road("DL-M1", road_class="main")
    for i, (lon, lat) in enumerate(((118.62, 32.05), (118.68, 32.08))):
        services.asset_create(
            model=PopulationArea,
            values=dict(
                code=f"P{i}",
                name=f"小区{i}",
                kind="residential",
                population=1000,
                geom=MultiPolygon(
                    Polygon.from_bbox((lon, lat, lon + 0.002, lat + 0.002)), srid=4326
                ),
            ),
        )
    # The refreshes these writes queued (both modes) are not what these tests look at; a
    # network built by them would change the proposals' candidates (network nodes).
    Job.objects.filter(status=Job.Status.QUEUED).delete()


def test_coverage_map_shows_gaps_choropleth_and_proposals(browser, live_server, data):
    browser.get(live_server.url + "/accounts/login/?next=/coverage/")
    browser.find_element(By.NAME, "username").send_keys("planner")
    browser.find_element(By.NAME, "password").send_keys("pw-planner")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    until_computed(browser, "return window.covState && window.covState.loaded", timeout=30)
    browser.execute_script("document.getElementById('cov-layer').value = 'toilets';")
    browser.find_element(By.CSS_SELECTOR, "#cov-form button[type=submit]").click()
    # Not cached: the page shows the job's progress while nobody runs the worker.
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return window.covState.computing === true")
    )
    assert browser.find_element(By.ID, "cov-status").text.endswith("%")
    until_computed(
        browser,
        "return window.covState.loaded && window.covState.stats.rule.distance_m === 300"
        " && window.covState.stats.facilities === 1",
        timeout=30,
    )
    state = browser.execute_script("return window.covState")
    assert not state.get("failed") and state["features"] >= 2
    assert state["stats"]["district"]["population"] == 2000
    assert state["stats"]["district"]["covered_population"] == 1000
    table = browser.find_element(By.ID, "cov-table").text
    assert "江浦街道" in table and "泰山街道" in table
    assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")
    browser.find_element(By.ID, "cov-propose").click()
    until_computed(browser, "return window.covState.sites !== undefined", timeout=30)
    sites = browser.find_element(By.ID, "cov-sites").text
    assert "1,000" in sites and "泰山街道" in sites
    # Street lights: the unlit main road is drawn as a dark stretch.
    browser.execute_script("document.getElementById('cov-layer').value = 'street-lights';")
    browser.find_element(By.CSS_SELECTOR, "#cov-form button[type=submit]").click()
    until_computed(browser, "return window.covState.loaded", timeout=30)
    assert browser.execute_script("return window.covState.stats.dark_segments") == 1


@pytest.fixture
def two_sides(areas, planner_user, settings):
    """A toilet and a residential area in each subdistrict; the east one is served, the
    west one is not (its toilet is 3 km away)."""
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    factories.toilet("GC-W1", lon=118.605, lat=32.005)
    factories.toilet("GC-E1", lon=118.68, lat=32.05)
    factories.road("DL-W1", coords=((118.60, 32.08), (118.65, 32.08)), name="西环路")
    for code, (lon, lat), people in (("PW", (118.62, 32.08), 3000), ("PE", (118.68, 32.05), 1000)):
        services.asset_create(
            model=PopulationArea,
            values=dict(
                code=code,
                name=code,
                kind="residential",
                population=people,
                geom=MultiPolygon(
                    Polygon.from_bbox((lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)),
                    srid=4326,
                ),
            ),
        )


def _log_in(browser, live_server, url):
    browser.get(live_server.url + "/accounts/login/?next=" + url)
    browser.find_element(By.NAME, "username").send_keys("planner")
    browser.find_element(By.NAME, "password").send_keys("pw-planner")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()


def _analysed(browser, layer="toilets", subdistrict=""):
    browser.execute_script(
        "document.getElementById('cov-layer').value = arguments[0];"
        "document.getElementById('cov-layer').dispatchEvent(new Event('change'));"
        "var s = document.getElementById('cov-sub'); s.value = arguments[1];"
        "s.dispatchEvent(new Event('change'));",
        layer,
        subdistrict,
    )
    until_computed(
        browser,
        "return window.covState.loaded && window.covState.subdistrict === arguments[0]",
        subdistrict or None,
    )
    return browser.execute_script("return window.covState")


def test_legend_colours_and_rule_text(browser, live_server, two_sides):
    _log_in(browser, live_server, "/coverage/")
    until_computed(browser, "return window.covState.loaded")
    state = _analysed(browser)
    assert not state.get("failed")
    # A legend on the map names every colour drawn: the shading classes, the service
    # area, the gaps, the facilities and the boundaries.
    keys = browser.execute_script(
        "return Array.from(document.querySelectorAll('#cov-legend [data-key]'))"
        ".map(function (e) { return e.dataset.key; })"
    )
    assert {"share-0", "share-4", "service", "gap", "facilities", "boundaries"} <= set(keys)
    legend = browser.find_element(By.ID, "cov-legend")
    assert legend.tag_name == "details" and legend.get_attribute("open") is not None
    assert "服务空白" in legend.text and "人口覆盖率" in legend.text
    # Gaps are hatched, the subdistricts shaded in blues: never the same colour.
    fills = browser.execute_script(
        "var out = {gap: [], shade: []};"
        "document.querySelectorAll('.leaflet-overlay-pane path').forEach(function (p) {"
        "  if ((p.getAttribute('fill') || '').indexOf('cov-gap-hatch') !== -1) out.gap.push(1); });"
        "document.querySelectorAll('.leaflet-cov-shade-pane path').forEach(function (p) {"
        "  out.shade.push(p.getAttribute('fill')); });"
        "return out;"
    )
    assert fills["gap"], "gaps are drawn with the hatching"
    assert len(fills["shade"]) == 2
    blues = {"#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c", "#d9d9d9"}
    assert set(fills["shade"]) <= blues
    # The rule reads as one statement and its source, not "800 m · …（…，300 m）".
    rule = browser.find_element(By.ID, "cov-rule").text
    assert "服务半径 500 米" in rule and "人流密集场所 300 米" in rule
    assert "依据: GB/T 50337-2018" in rule and "300 m" not in rule
    browser.find_element(By.ID, "cov-radius").clear()
    browser.find_element(By.ID, "cov-radius").send_keys("800")
    browser.find_element(By.CSS_SELECTOR, "#cov-form button[type=submit]").click()
    until_computed(
        browser, "return window.covState.loaded && window.covState.stats.rule.distance_m === 800"
    )
    rule = browser.find_element(By.ID, "cov-rule").text
    assert "服务半径 800 米（自定；规则为 500 米）" in rule and "人流密集场所" not in rule


def test_choosing_a_subdistrict_zooms_and_keeps_the_district_row(browser, live_server, two_sides):
    _log_in(browser, live_server, "/coverage/")
    until_computed(browser, "return window.covState.loaded")
    whole = _analysed(browser)
    assert whole["facilities"] == 2
    district_people = whole["district"]["covered_population"]
    assert district_people == 1000  # only the east area is within 500 m of a toilet
    whole_zoom = browser.execute_script("return geocmCoverageMap.getZoom()")

    west = "320111004000"
    state = _analysed(browser, subdistrict=west)
    # Only the west subdistrict's facility is drawn, and the map frames the subdistrict.
    assert state["facilities"] == 1
    assert browser.execute_script("return geocmCoverageMap.getZoom()") >= whole_zoom
    centre = browser.execute_script("return geocmCoverageMap.getCenter().lng")
    assert abs(centre - 118.625) < 0.003  # the west subdistrict's middle, not the district's
    bounds = browser.execute_script(
        "var b = geocmCoverageMap.getBounds();"
        "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]"
    )
    assert bounds[0] < 118.60 and 118.65 < bounds[2]  # the whole subdistrict is in view
    assert state["stats"]["district"]["population"] == 3000  # the west analysis
    # The table keeps every subdistrict and the district's own figures; the chosen row
    # is marked.
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#cov-table tr[data-code]'))"
        ".map(function (r) { return [r.dataset.code, r.className, r.cells[2].textContent]; })"
    )
    by_code = {code: (cls, people) for code, cls, people in rows}
    assert by_code["district"][1] == "25.0%"  # 1000 of 4000 people, the district's share
    assert by_code[west][0] == "chosen" and by_code[west][1] == "0.0%"
    assert by_code["320192007000"][1] == "100.0%"
    assert "江浦街道" in browser.find_element(By.ID, "cov-focus").text


def test_proposed_sites_are_numbered_with_their_place(browser, live_server, two_sides):
    _log_in(browser, live_server, "/coverage/")
    until_computed(browser, "return window.covState.loaded")
    _analysed(browser, subdistrict="320111004000")
    browser.find_element(By.ID, "cov-k").clear()
    browser.find_element(By.ID, "cov-k").send_keys("1")
    browser.find_element(By.ID, "cov-propose").click()
    until_computed(browser, "return window.covState.sites !== undefined", timeout=60)
    markers = browser.find_elements(By.CSS_SELECTOR, ".leaflet-marker-pane .cov-site")
    assert [m.text for m in markers] == ["1"]
    item = browser.find_element(By.CSS_SELECTOR, "#cov-sites li")
    assert item.find_element(By.CSS_SELECTOR, ".site-num").text == "1"
    # Where it is in words (subdistrict, nearest road), and what it adds; no bare
    # coordinates in the list.
    assert "江浦街道" in item.text and "西环路" in item.text and "3,000" in item.text
    assert "118." not in item.text and "32.0" not in item.text
    keys = browser.execute_script(
        "return Array.from(document.querySelectorAll('#cov-legend [data-key]'))"
        ".map(function (e) { return e.dataset.key; })"
    )
    assert "sites" in keys


def test_english_names_units_and_rule(browser, live_server, two_sides):
    from geo_cm.models import Subdistrict

    Subdistrict.objects.filter(code="320111004000").update(name_en="Jiangpu")
    _log_in(browser, live_server, "/coverage/%3Flang%3Den")
    until_computed(browser, "return window.covState.loaded")
    _analysed(browser)
    table = browser.find_element(By.ID, "cov-table").text
    assert "Jiangpu" in table and "District" in table
    rule = browser.find_element(By.ID, "cov-rule").text
    assert "Service radius 500 m" in rule and "busy public place 300 m" in rule
    assert "urban sanitation" in rule
    legend = browser.find_element(By.ID, "cov-legend").text
    assert "Service gap" in legend
