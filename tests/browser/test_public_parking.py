"""The public shared-parking map in headless Chromium (a phone-sized window)."""

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from parking.models import SharingWindow
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def windows(areas, settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    night = factories.facility("TC-NIGHT", name="浦口实验小学夜间共享停车场")
    SharingWindow.objects.create(
        facility=night,
        weekdays=[1, 2, 3, 4, 5],
        start_time=dt.time(19),
        end_time=dt.time(7, 30),
        berths_shared=40,
        audience="public",
        price="2元/小时",
    )
    day = factories.facility("TC-DAY", name="区政务中心白天共享停车场", lon=118.69)
    SharingWindow.objects.create(
        facility=day,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        start_time=dt.time(8),
        end_time=dt.time(18),
        berths_shared=10,
        audience="public",
    )


def search(browser, at):
    browser.execute_script("document.getElementById('sp-at').value = arguments[0];", at)
    browser.find_element(By.CSS_SELECTOR, "#sp-form button[type=submit]").click()
    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script("return window.spState.loaded && !window.spState.failed")
    )
    return browser.execute_script("return window.spState.codes")


def test_22h_friday_shows_the_overnight_window_and_not_the_daytime_one(
    browser, live_server, windows
):
    browser.set_window_size(390, 844)
    browser.get(live_server.url + "/parking/")
    assert search(browser, "2023-11-10T22:00") == ["TC-NIGHT"]
    text = browser.find_element(By.ID, "sp-results").text
    assert "浦口实验小学" in text and "19:00–07:30" in text and "次日" in text
    assert "区政务中心" not in text
    links = [
        a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, "#sp-results .nav a")
    ]
    assert any("uri.amap.com" in h for h in links) and any("api.map.baidu.com" in h for h in links)
    assert search(browser, "2023-11-11T10:00") == ["TC-DAY"]
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert all(u.startswith(live_server.url) for u in urls), urls
