"""The planners' dashboard in headless Chromium with the Pukou demo and the 2023 plan."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_cm.plans.svg import number
from geo_cm.roles import roles_sync

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = "2023-12-31"


@pytest.fixture
def demo_plan(settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    call_command("load_demo", verbosity=0)
    call_command("load_plan_2023", verbosity=0)
    roles_sync()
    user = get_user_model().objects.create_user("planner", password="pw-planner", is_staff=True)
    user.groups.add(Group.objects.get(name="planner"))


def log_in(browser, live_server, next_url):
    browser.get(f"{live_server.url}/accounts/login/?next={next_url}")
    browser.find_element(By.NAME, "username").send_keys("planner")
    browser.find_element(By.NAME, "password").send_keys("pw-planner")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()


def fetch_json(browser, url):
    """GET ``url`` with the browser's session, as the page's scripts would."""
    return browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'})"
        ".then(function (r) { return r.json(); }).then(done);",
        url,
    )


def test_dashboard_matches_the_api_and_opens_the_map(browser, live_server, demo_plan):
    log_in(browser, live_server, f"/plans/2023/?today={TODAY}")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "subdistrict-table"))
    api = fetch_json(browser, f"/api/plans/2023/progress?today={TODAY}")
    targets = {t["code"]: t for t in api["targets"]}
    assert len(targets) == 16

    # A card per target, with the API's figures and status.
    cards = browser.find_elements(By.CSS_SELECTOR, "article.target-card")
    assert {c.get_attribute("data-code") for c in cards} == set(targets)
    for card in cards:
        target = targets[card.get_attribute("data-code")]
        assert card.get_attribute("data-actual") == number(target["actual"])
        assert card.get_attribute("data-status") == target["status"]
        assert card.find_element(By.CSS_SELECTOR, ".actual").text == number(target["actual"])
    metric = [t for t in targets.values() if t["kind"] == "metric"]
    assert len(metric) == 7
    # The demo's assets are there: something was built for every measured target.
    assert all(t["actual"] > 0 for t in metric)

    # An SVG chart per measured target, its points the API's cumulative series.
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.progress-chart")
    assert len(charts) == 7
    for target in metric:
        points = browser.find_elements(
            By.CSS_SELECTOR, f"#target-{target['code']} circle.actual-point"
        )
        assert [p.get_attribute("data-value") for p in points] == [
            number(m["cumulative"]) for m in target["monthly"]
        ]
        assert points[-1].rect["height"] > 0  # drawn, not just present

    # The subdistrict table: nine subdistricts, each cell the API's breakdown.
    table = browser.find_element(By.ID, "subdistrict-table")
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 9
    columns = [
        th.get_attribute("data-code") for th in table.find_elements(By.CSS_SELECTOR, "thead th")[1:]
    ]
    # Every district-wide metric target, and the reported indicators computed from records
    # (R7-R9 from the work orders), has a column.
    assert set(columns) == {t["code"] for t in targets.values() if t.get("by_subdistrict")}
    assert {t["code"] for t in metric} < set(columns) and {"R7", "R8", "R9"} < set(columns)
    for i, row in enumerate(rows):
        cells = row.find_elements(By.TAG_NAME, "td")
        for code, cell in zip(columns, cells, strict=True):
            expected = targets[code]["by_subdistrict"][i]
            assert row.get_attribute("data-subdistrict") == expected["subdistrict_code"]
            assert cell.get_attribute("data-actual") == number(expected["actual"])
    # The per-subdistrict actuals add up to the district's (counts of the demo's records).
    p1 = targets["P1"]
    assert sum(r["actual"] for r in p1["by_subdistrict"]) == p1["actual"]

    # The map link opens the overview map with the records of P1 highlighted.
    records = fetch_json(browser, f"/api/plans/2023/targets/P1?today={TODAY}")["records"]
    assert records["features"]
    browser.find_element(By.CSS_SELECTOR, "#target-P1 a.map-link").click()
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return window.geocmHighlight") is not None
    )
    assert browser.execute_script("return window.geocmHighlight") == len(records["features"])
    drawn = browser.execute_script("return window.geocmHighlightGroup.getLayers().length")
    assert drawn == len(records["features"])
    assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-highlight-pane canvas")
    note = browser.find_element(By.CSS_SELECTOR, ".highlight-note").text
    assert note.startswith("P1 ") and str(len(records["features"])) in note
    # The map zoomed in to the records and still draws every layer.
    assert browser.execute_script("return window.geocmMap.getZoom()") > 11
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return Object.keys(window.geocmLayers || {}).length") >= 6
    )
