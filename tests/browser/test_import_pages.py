"""The GIS staff's import flow in headless Chromium: upload a GBK shapefile, see the preview
map, check the whole file, import in the background with a live progress bar, result."""

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from geo_cm.jobs.queue import jobs_drain
from tests.imports.conftest import toilet_frame, write_shapefile, zip_folder
from toilets.models import Toilet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _read_by_the_worker(browser, ready):
    """The inspection waits for the worker (its progress bar reloads the page when done):
    run the worker here until ``ready`` holds."""
    assert browser.find_elements(By.ID, "job-progress") or ready(browser)
    deadline = time.monotonic() + 60
    while not ready(browser) and time.monotonic() < deadline:
        jobs_drain()
        time.sleep(0.3)
    WebDriverWait(browser, 30).until(ready)


def _upload_page(browser, live_server):
    """Log in as GIS staff and open the upload form with the toilets layer chosen."""
    browser.get(live_server.url + "/accounts/login/?next=/imports/")
    browser.find_element(By.NAME, "username").send_keys("gis")
    browser.find_element(By.NAME, "password").send_keys("pw-gis")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "upload-form"))
    Select(browser.find_element(By.NAME, "layer")).select_by_value("toilets")


def test_import_a_shapefile_through_the_pages(
    browser, live_server, areas, gis_user, tmp_path, settings
):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    shp = write_shapefile(toilet_frame(6), tmp_path / "shp", epsg=4549, encoding="GBK", cpg=False)
    archive = zip_folder(shp.parent, tmp_path / "公厕.zip")

    _upload_page(browser, live_server)
    browser.find_element(By.NAME, "file").send_keys(str(archive))
    browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()

    # The file is read in the background; then the inspection: facts, readable Chinese
    # samples, the preview map with the six points.
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "job-progress"))
    _read_by_the_worker(browser, lambda d: d.execute_script("return window.impPreview"))
    assert browser.execute_script("return window.impPreview.count") == 6
    assert len(browser.find_elements(By.CSS_SELECTOR, "#preview-map path.leaflet-interactive")) >= 6
    facts = browser.find_element(By.ID, "inspection").text
    assert "EPSG:4549" in facts and "GB18030" in facts
    assert "浦口公厕1号" in browser.find_element(By.ID, "source-fields").text
    assert (
        Select(browser.find_element(By.NAME, "map__code")).first_selected_option.get_attribute(
            "value"
        )
        == "编号"
    )

    browser.find_element(By.ID, "validate-button").click()
    # The whole file is checked in the background; the page shows the report when done.
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "job-progress"))
    _read_by_the_worker(browser, lambda d: d.find_elements(By.ID, "commit-button"))
    status = browser.find_element(By.ID, "record-status")
    assert status.get_attribute("data-status") == "validated"
    assert Toilet.objects.count() == 0

    browser.find_element(By.ID, "commit-button").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "job-progress"))
    assert "/progress" in browser.current_url
    # The worker runs here; the page follows the job and moves on to the result.
    deadline = time.monotonic() + 60
    while "/imports/records/" not in browser.current_url and time.monotonic() < deadline:
        jobs_drain()
        time.sleep(0.3)
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "record-facts"))
    created = browser.find_element(By.CSS_SELECTOR, '[data-count="created"]').text
    assert created == "6"
    assert Toilet.objects.count() == 6
    browser.find_element(By.ID, "map-link").click()
    # The layer alone on the map, with the imported records.
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return (window.geocmLayers || {}).toilets") == 6
    )
    assert browser.execute_script(
        "return window.geocmMap.hasLayer(window.geocmGroups.toilets)"
        " && !window.geocmMap.hasLayer(window.geocmGroups.roads)"
    )


def test_a_survey_without_codes_with_one_value_for_every_row(
    browser, live_server, areas, gis_user, tmp_path, settings
):
    """The mapping's "one value for every row", and the codes and counts shown before the
    import button."""
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    survey = tmp_path / "公厕普查.csv"
    survey.write_text(
        "名称,类型,经度,纬度\n文德路公厕,城市公厕,118.612,32.021\n泰山公厕,农村公厕,118.671,32.052\n",
        encoding="utf-8-sig",
    )
    _upload_page(browser, live_server)
    browser.find_element(By.NAME, "file").send_keys(str(survey))
    browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.ID, "job-progress") or d.find_elements(By.ID, "mapping")
    )
    _read_by_the_worker(browser, lambda d: d.find_elements(By.ID, "mapping"))
    Select(browser.find_element(By.NAME, "map__status")).select_by_value("=")
    browser.find_element(By.NAME, "value__status").send_keys("open")
    browser.find_element(By.ID, "validate-button").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.ID, "job-progress") or d.find_elements(By.ID, "commit-button")
    )
    _read_by_the_worker(browser, lambda d: d.find_elements(By.ID, "commit-button"))
    assert browser.find_element(By.CSS_SELECTOR, '[data-count="created"]').text == "2"
    codes = browser.find_element(By.ID, "codes").text
    assert "GC-JP-0001" in codes and "GC-TS-0001" in codes
    assert "2" in browser.find_element(By.ID, "commit-plan").text
    assert Toilet.objects.count() == 0
