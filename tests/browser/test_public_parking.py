"""The public shared-parking map in headless Chromium (a phone-sized window)."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from parking.models import OccupancyReport, SharingWindow
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
    # Two car parks that share only with the residents around them, at the west and
    # east edges of the district: a visitor must not be sent there.
    for code, lon, lat in (("TC-RES1", 118.605, 32.005), ("TC-RES2", 118.695, 32.095)):
        residents = factories.facility(code, name=f"小区夜间共享{code}", lon=lon, lat=lat)
        SharingWindow.objects.create(
            facility=residents,
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            start_time=dt.time(20),
            end_time=dt.time(7),
            berths_shared=15,
            audience="residents",
        )
    return {"night": night, "day": day}


def wait_loaded(browser):
    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script("return window.spState.loaded && !window.spState.failed")
    )
    return browser.execute_script("return window.spState.codes")


def search(browser, at, audience=None):
    browser.execute_script("document.getElementById('sp-at').value = arguments[0];", at)
    if audience is not None:
        browser.execute_script(
            "document.getElementById('sp-audience').value = arguments[0];", audience
        )
    browser.find_element(By.CSS_SELECTOR, "#sp-form button[type=submit]").click()
    return wait_loaded(browser)


def open_page(browser, live_server):
    browser.set_window_size(390, 844)
    browser.get(live_server.url + "/parking/")
    wait_loaded(browser)


def markers_in_view(browser):
    """(markers on the map, markers inside the map's visible bounds)."""
    return browser.execute_script(
        """
        var map = window.spMap, all = 0, inside = 0, bounds = map.getBounds();
        map.eachLayer(function (l) {
          if (l instanceof L.CircleMarker && !(l.options.className || '').includes('sp-you')) {
            all += 1; if (bounds.contains(l.getLatLng())) inside += 1;
          }
        });
        return [all, inside];
        """
    )


def test_22h_friday_shows_the_overnight_window_and_not_the_daytime_one(
    browser, live_server, windows
):
    open_page(browser, live_server)
    assert search(browser, "2023-11-10T22:00") == ["TC-NIGHT"]
    text = browser.find_element(By.ID, "sp-results").text
    assert "浦口实验小学" in text and "19:00–07:30" in text and "次日" in text
    assert "区政务中心" not in text
    assert search(browser, "2023-11-11T10:00") == ["TC-DAY"]
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert all(u.startswith(live_server.url) for u in urls), urls


def test_the_default_answers_the_visitor_and_residents_only_is_unmistakable(
    browser, live_server, windows
):
    open_page(browser, live_server)
    # Default: what a visitor (general public) may park in; residents-only car parks are
    # not offered, and the summary says so in words a visitor understands.
    assert browser.find_element(By.ID, "sp-audience").get_attribute("value") == "public"
    assert search(browser, "2023-11-10T22:00") == ["TC-NIGHT"]
    summary = browser.find_element(By.ID, "sp-summary").text
    assert summary == "该时间您可停的停车场 1 个", summary
    assert browser.find_element(By.ID, "sp-hint").is_displayed() is False
    # At 06:00 on Sunday only the residents' windows are open: none for a visitor, and
    # the page says that residents-only offers exist instead of a bare "none".
    assert search(browser, "2023-11-12T06:00") == []
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "sp-hint").is_displayed())
    assert "另有 2 个停车场" in browser.find_element(By.ID, "sp-hint-text").text
    browser.find_element(By.ID, "sp-show-residents").click()
    assert sorted(wait_loaded(browser)) == ["TC-RES1", "TC-RES2"]
    items = browser.find_elements(By.CSS_SELECTOR, "#sp-results .sp-item")
    for li in items:
        assert "residents" in li.get_attribute("class").split()
        assert "仅限周边居民" in li.find_element(By.CSS_SELECTOR, ".sp-badge").text
        assert "访客不能在此停车" in li.text
        # Marked in another colour than public offers (orange, not blue).
        colour = li.value_of_css_property("border-left-color")
        assert colour == "rgba(230, 81, 0, 1)", colour
    assert "其中 2 个仅限周边居民" in browser.find_element(By.ID, "sp-summary").text


def test_navigation_buttons_start_a_named_route_and_are_thumb_sized(browser, live_server, windows):
    open_page(browser, live_server)
    search(browser, "2023-11-10T22:00")
    links = browser.find_elements(By.CSS_SELECTOR, "#sp-results .sp-nav a")
    assert [a.text for a in links] == ["高德地图导航", "百度地图导航"]
    for a in links:
        assert a.size["height"] >= 44 and a.size["width"] >= 44, a.size
    amap = urlsplit(links[0].get_attribute("href"))
    assert (amap.netloc, amap.path) == ("uri.amap.com", "/navigation")
    query = parse_qs(amap.query)
    assert query["to"][0].endswith(",浦口实验小学夜间共享停车场") and query["mode"] == ["car"]
    baidu = urlsplit(links[1].get_attribute("href"))
    assert (baidu.netloc, baidu.path) == ("api.map.baidu.com", "/direction")
    query = parse_qs(baidu.query)
    assert query["destination"][0].endswith("|name:浦口实验小学夜间共享停车场")
    assert query["mode"] == ["driving"]


def test_the_map_fits_the_results_draws_the_district_and_has_a_legend(
    browser, live_server, windows
):
    open_page(browser, live_server)
    # The results lie at opposite corners of the district: all must be in view.
    search(browser, "2023-11-10T22:00", audience="")
    assert sorted(browser.execute_script("return window.spState.codes")) == [
        "TC-NIGHT",
        "TC-RES1",
        "TC-RES2",
    ]
    assert markers_in_view(browser) == [3, 3]
    # The district outline (from /api/areas) is drawn under the markers.
    WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#sp-map path.sp-district")
    )
    legend = browser.find_element(By.CSS_SELECTOR, "#sp-map .sp-legend").text
    for words in ("对公众开放", "仅限周边居民", "您的位置", "浦口区界"):
        assert words in legend
    # A tap on a card shows that car park on the map, with its popup.
    card = browser.find_element(
        By.CSS_SELECTOR, "#sp-results .sp-item[data-code='TC-RES2'] .sp-head strong"
    )
    card.click()
    popup = WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#sp-map .leaflet-popup-content")
    )
    assert "小区夜间共享TC-RES2" in popup[0].get_attribute("textContent")
    # A single result far from the default view is in view too (the first-load case).
    search(browser, "2023-11-12T06:00", audience="")
    browser.execute_script("window.spMap.setView([31.5, 118.0], 15)")
    search(browser, "2023-11-12T06:00", audience="public")  # nothing: frame the district
    search(browser, "2023-11-10T22:00", audience="public")
    assert markers_in_view(browser) == [1, 1]


def test_near_me_marks_the_users_position_and_keeps_it_in_view(browser, live_server, windows):
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"permissions": ["geolocation"], "origin": live_server.url}
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": 32.02, "longitude": 118.62, "accuracy": 10},
    )
    open_page(browser, live_server)
    browser.execute_script("document.getElementById('sp-at').value = '2023-11-10T22:00';")
    browser.find_element(By.ID, "sp-near").click()
    WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#sp-map path.sp-you")
    )
    wait_loaded(browser)
    position = browser.execute_script(
        """var found = null; window.spMap.eachLayer(function (l) {
             if ((l.options.className || '').includes('sp-you')) found = l.getLatLng(); });
           return [found.lat, found.lng, window.spMap.getBounds().contains(found)];"""
    )
    assert position == [32.02, 118.62, True]
    assert markers_in_view(browser) == [1, 1]
    # The distance is geodesic from the phone's position (6.6 km to TC-NIGHT).
    assert browser.find_element(By.CSS_SELECTOR, "#sp-results .sp-meta").text == "6.6 公里"


def test_counts_show_their_age_in_shanghai_time(browser, live_server, windows):
    now = timezone.now()
    OccupancyReport.objects.create(
        facility=windows["night"],
        free_berths=7,
        source="t",
        observed_at=now - dt.timedelta(hours=2, minutes=5),
    )
    OccupancyReport.objects.create(
        facility=windows["day"],
        free_berths=4,
        source="t",
        observed_at=now - dt.timedelta(minutes=3),
    )
    open_page(browser, live_server)
    search(browser, "2023-11-10T22:00")
    stale = browser.find_element(By.CSS_SELECTOR, "#sp-results .sp-fresh").text
    observed = timezone.localtime(now - dt.timedelta(hours=2, minutes=5)).strftime("%H:%M")
    assert stale == f"最近一次统计 {observed}（2 小时前）：空余 7 个，可能已变化", stale
    search(browser, "2023-11-11T10:00")
    live = browser.find_element(By.CSS_SELECTOR, "#sp-results .sp-fresh").text
    assert live in ("空余 4 个 · 3 分钟前更新", "空余 4 个 · 4 分钟前更新"), live


def test_public_header_has_no_staff_links_and_english_counts_right(browser, live_server, windows):
    open_page(browser, live_server)
    nav = browser.find_element(By.CSS_SELECTOR, "header.topbar nav").text
    assert "API" not in nav and "管理后台" not in nav
    browser.get(live_server.url + "/parking/?lang=en")
    wait_loaded(browser)
    search(browser, "2023-11-10T22:00", audience="public")
    summary = browser.find_element(By.ID, "sp-summary").text
    assert summary == "1 car park you can use at this time", summary
    search(browser, "2023-11-10T22:00", audience="")
    summary = browser.find_element(By.ID, "sp-summary").text
    assert summary.startswith("3 car parks share berths") and "2 of them are" in summary
