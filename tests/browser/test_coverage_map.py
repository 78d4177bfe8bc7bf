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
    assert "1000" in sites, browser.find_element(By.ID, "cov-status").text
    # Street lights: the unlit main road is drawn as a dark stretch.
    browser.execute_script("document.getElementById('cov-layer').value = 'street-lights';")
    browser.find_element(By.CSS_SELECTOR, "#cov-form button[type=submit]").click()
    until_computed(browser, "return window.covState.loaded", timeout=30)
    assert browser.execute_script("return window.covState.stats.dark_segments") == 1
