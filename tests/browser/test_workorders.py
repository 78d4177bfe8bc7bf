"""Work orders in headless Chromium: a citizen reports on a phone (GPS, category, photo,
description; no login), then follows the report on the map of reports near them; a field
team resolves an order in the field app and fixes the dark light in the same step,
offline first, sent when the signal is back."""

import io

import pytest
from django.contrib.gis.geos import Point
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_cm.models import ChangeRecord, StaffScope
from tests import factories
from workorders import services
from workorders.models import WorkOrder, WorkOrderPhoto

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait(browser, script, timeout=30):
    return WebDriverWait(browser, timeout).until(lambda d: d.execute_script(script))


@pytest.fixture
def photo(tmp_path, settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "light.jpg"
    buffer = io.BytesIO()
    # Larger than the form sends: the page shrinks it to 1600 px before sending.
    Image.new("RGB", (2400, 1800), (30, 30, 60)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_a_citizen_reports_a_dark_light_on_a_phone(browser, live_server, areas, photo):
    factories.light("LD-PHONE", lon=118.6201, lat=32.0501, status="working")
    browser.set_window_size(390, 844)
    # The phone's GPS says it stands by the light.
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": live_server.url, "permissions": ["geolocation"]},
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": 32.05012, "longitude": 118.62008, "accuracy": 12},
    )
    browser.get(live_server.url + "/report/")
    assert "/accounts/login" not in browser.current_url
    # Sending with nothing chosen says what is missing, and sends nothing.
    browser.find_element(By.ID, "wo-submit").click()
    assert browser.find_element(By.ID, "wo-message").text
    browser.find_element(By.ID, "wo-locate").click()
    wait(browser, "return window.reportState.placed")
    assert "32.05012" in browser.find_element(By.ID, "wo-where").text
    browser.find_element(By.CSS_SELECTOR, "input[name=category][value=street_light]").click()
    browser.find_element(By.ID, "wo-description").send_keys("路灯连续两晚不亮")
    browser.find_element(By.ID, "wo-photos").send_keys(str(photo))
    wait(browser, "return window.reportState.photos === 1")
    browser.find_element(By.ID, "wo-phone").send_keys("13800000000")
    browser.find_element(By.ID, "wo-submit").click()
    wait(browser, "return window.reportState.sent !== null || window.reportState.error !== null")
    assert browser.execute_script("return window.reportState.error") is None
    code = browser.execute_script("return window.reportState.sent")
    assert code in browser.find_element(By.ID, "wo-done").text

    made = WorkOrder.objects.get(code=code)
    assert (made.channel, made.category, made.reporter_phone) == ("web", "street_light",
                                                                  "13800000000")  # fmt: skip
    assert made.geom.distance(Point(118.62008, 32.05012, srid=4326)) < 1e-7
    assert (made.subdistrict, made.asset_code) == (areas["west"], "LD-PHONE")
    sent = WorkOrderPhoto.objects.get(order=made)
    assert max(sent.width, sent.height) == 1600 and sent.content_type == "image/jpeg"

    # The confirmation links to the map of reports near it, where it shows with its status.
    browser.find_element(By.CSS_SELECTOR, "#wo-done a").click()
    wait(browser, "return window.nearState && window.nearState.loaded")
    assert code in browser.execute_script("return window.nearState.codes")
    listed = browser.find_element(By.CSS_SELECTOR, f"li[data-code='{code}']").text
    assert "13800000000" not in listed and "两晚" not in listed


@pytest.fixture
def dark_light(areas, field_user, photo):
    StaffScope.objects.create(user=field_user).subdistricts.add(areas["west"])
    light = factories.light("LD-DARK", lon=118.6201, lat=32.05, status="fault")
    order = services.workorder_create(
        category="street_light", channel="12345", point=Point(118.6202, 32.0501, srid=4326),
        description="路灯不亮",
    )  # fmt: skip
    # Another subdistrict's order: not this team's.
    east = Point(118.68, 32.05, srid=4326)
    services.workorder_create(category="toilet", channel="12345", point=east, description="公厕")
    return light, order


def test_a_field_team_resolves_an_order_and_the_light_together_offline_first(
    browser, live_server, dark_light
):
    light, order = dark_light
    browser.set_window_size(390, 844)
    browser.get(live_server.url + "/field/")
    browser.find_element(By.NAME, "username").send_keys("field")
    browser.find_element(By.NAME, "password").send_keys("pw-field")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    # The team's open orders are listed (and kept on the phone) as soon as it opens.
    wait(browser, "return window.fieldState && window.fieldState.tasks === 1")
    assert order.code in browser.find_element(By.ID, "f-tasks").text

    # No signal: the list and the order still open from the phone's copy.
    browser.set_network_conditions(
        offline=True, latency=0, download_throughput=0, upload_throughput=0
    )
    wait(browser, "return !navigator.onLine")
    browser.refresh()
    wait(browser, "return window.fieldState && window.fieldState.tasksFrom === 'cache'")
    browser.find_element(By.CSS_SELECTOR, "#f-tasks button").click()
    wait(browser, f"return document.getElementById('f-title').textContent.includes('{order.code}')")
    browser.find_element(By.CSS_SELECTOR, "#f-next input[value='resolved']").click()
    browser.find_element(By.CSS_SELECTOR, "#f-asset-next input[value='working']").click()
    browser.find_element(By.ID, "f-note").send_keys("更换光源")
    browser.find_element(By.ID, "f-submit").click()
    wait(browser, "return window.fieldState.queued === 1")
    order.refresh_from_db()
    assert order.status == "received"

    # Signal again: one step resolves the order and repairs the light.
    browser.delete_network_conditions()
    wait(browser, "return window.fieldState.queued === 0 && window.fieldState.sent.length === 1",
         timeout=40)  # fmt: skip
    order.refresh_from_db()
    light.refresh_from_db()
    assert (order.status, light.status) == ("resolved", "working")
    change = order.events.get(action="resolved").asset_change
    assert change == ChangeRecord.objects.get(object_code="LD-DARK", action="status")
    assert change.user.username == "field" and order.code in change.note
    wait(browser, "return window.fieldState.tasks === 0")
