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

    # The map link says how many records count, and opens the overview map with the
    # records of P1 highlighted.
    records = fetch_json(browser, f"/api/plans/2023/targets/P1?today={TODAY}")["records"]
    assert records["features"]
    link = browser.find_element(By.CSS_SELECTOR, "#target-P1 a.map-link")
    assert link.get_attribute("data-records") == str(len(records["features"]))
    assert str(len(records["features"])) in link.text
    link.click()
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return window.geocmHighlight") is not None
    )
    assert browser.execute_script("return window.geocmHighlight") == len(records["features"])
    drawn = browser.execute_script("return window.geocmHighlightGroup.getLayers().length")
    assert drawn == len(records["features"])
    assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-highlight-pane canvas")
    note = browser.find_element(By.CSS_SELECTOR, ".highlight-note").text
    assert note.startswith("P1 ") and str(len(records["features"])) in note
    # The map zoomed in to the records and shows only P1's layer: no population grid, no
    # other assets under the highlighted records.
    assert browser.execute_script("return window.geocmMap.getZoom()") > 11
    _only_layer_shown(browser, "parking-facilities")


def _only_layer_shown(browser, slug):
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#layer-list input[data-layer]'))"
        ".filter(function (b) { return b.checked; }).map(function (b) { return b.dataset.layer; })"
    )
    assert shown == [slug]


def test_a_past_plan_is_judged_at_year_end_and_links_one_layer(browser, live_server, demo_plan):
    # No ?today=: the 2023 plan is over, so it is judged on 2023-12-31, not on today.
    log_in(browser, live_server, "/plans/")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "subdistrict-table"))
    assert "/plans/2023/" in browser.current_url and "today=" not in browser.current_url
    assert browser.find_element(By.NAME, "today").get_attribute("value") == "2023-12-31"
    assert browser.find_element(By.ID, "judged-note").is_displayed()
    api = fetch_json(browser, "/api/plans/2023/progress")
    assert api["today"] == "2023-12-31"
    statuses = {t["code"]: t["status"] for t in api["targets"]}
    assert "behind" not in statuses.values() and "at_risk" not in statuses.values()
    for card in browser.find_elements(By.CSS_SELECTOR, "article.target-card"):
        assert card.get_attribute("data-status") == statuses[card.get_attribute("data-code")]
    # Reported indicators have no map link; every measured target has one with its count.
    assert not browser.find_elements(By.CSS_SELECTOR, ".kind-reported a.map-link")
    link = browser.find_element(By.CSS_SELECTOR, "#target-A1 a.map-link")
    count = int(link.get_attribute("data-records"))
    assert count > 0 and "layer=back-alleys" in link.get_attribute("href")
    link.click()
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return window.geocmHighlight") is not None
    )
    assert browser.execute_script("return window.geocmHighlight") == count
    _only_layer_shown(browser, "back-alleys")
