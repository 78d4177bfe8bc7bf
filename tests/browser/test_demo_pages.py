"""The overview map and the coverage map in headless Chromium with the Pukou demo data."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_cm.jobs.models import Job
from geo_cm.roles import roles_sync
from tests.browser.waiting import until_computed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    call_command("load_demo", verbosity=0)
    roles_sync()
    user = get_user_model().objects.create_user("planner", password="pw-planner", is_staff=True)
    user.groups.add(Group.objects.get(name="planner"))


def test_overview_map_draws_the_demo(browser, live_server, demo):
    browser.get(live_server.url + "/")
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return Object.keys(window.geocmLayers || {}).length") >= 6
    )
    counts = browser.execute_script("return window.geocmLayers")
    assert counts["toilets"] == 150 and counts["street-lights"] == 2966
    assert counts["roads"] == 200 and counts["parking-facilities"] == 62


def test_coverage_map_with_the_demo(browser, live_server, demo):
    # The refreshes the demo load queued (every layer, both modes) are not looked at here:
    # the worker computes only what the page asks for.
    Job.objects.filter(status=Job.Status.QUEUED).delete()
    browser.get(live_server.url + "/accounts/login/?next=/coverage/")
    browser.find_element(By.NAME, "username").send_keys("planner")
    browser.find_element(By.NAME, "password").send_keys("pw-planner")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    until_computed(browser, "return window.covState && window.covState.loaded", timeout=60)
    browser.execute_script("""
        document.getElementById('cov-layer').value = 'toilets';
        document.getElementById('cov-radius').value = '500';
        document.getElementById('cov-mode').value = 'network';""")
    browser.find_element(By.CSS_SELECTOR, "#cov-form button[type=submit]").click()
    until_computed(
        browser,
        "return window.covState.loaded && window.covState.stats"
        " && window.covState.stats.rule.distance_m === 500",
        timeout=60,
    )
    state = browser.execute_script("return window.covState")
    assert not state.get("failed")
    assert state["stats"]["network"]["edges"] > 1000
    assert 0 < state["stats"]["district"]["population_share"] < 1
    rows = browser.find_elements(By.CSS_SELECTOR, "#cov-table tr")
    assert len(rows) == 1 + 9 + 1  # header, nine subdistricts, district
    assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")
