"""The field app in headless Chromium: log in, change a status with a photo, work offline."""

import io

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_cm.models import ChangePhoto, ChangeRecord, StaffScope
from tests import factories
from toilets.models import Toilet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(areas, field_user, settings, tmp_path):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    settings.MEDIA_ROOT = tmp_path / "media"
    scope = StaffScope.objects.create(user=field_user)
    scope.subdistricts.add(areas["west"])
    factories.toilet("GC-FIELD", lon=118.6201, lat=32.05)
    factories.light("LD-FIELD", lon=118.6205, lat=32.0502)
    photo = tmp_path / "fault.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    return photo


def wait(browser, script, timeout=30):
    return WebDriverWait(browser, timeout).until(lambda d: d.execute_script(script))


def log_in(browser, live_server):
    browser.set_window_size(390, 844)
    browser.get(live_server.url + "/field/")
    assert "/accounts/login/" in browser.current_url
    browser.find_element(By.NAME, "username").send_keys("field")
    browser.find_element(By.NAME, "password").send_keys("pw-field")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait(browser, "return location.pathname === '/field/' && !!window.fieldState")


def open_first(browser, code):
    browser.execute_script("window.fieldListNear(32.05, 118.62);")
    wait(browser, "return window.fieldState.listed > 0")
    buttons = browser.find_elements(By.CSS_SELECTOR, "#f-list button")
    next(b for b in buttons if code in b.text).click()
    wait(browser, f"return document.getElementById('f-title').textContent.includes('{code}')")


def choose(browser, status, note):
    browser.find_element(By.CSS_SELECTOR, f"#f-next input[value='{status}']").click()
    browser.find_element(By.ID, "f-note").send_keys(note)


def test_status_change_with_photo_then_an_offline_update_applied_once(browser, live_server, setup):
    log_in(browser, live_server)
    open_first(browser, "GC-FIELD")
    choose(browser, "closed_for_repair", "水箱漏水")
    browser.find_element(By.ID, "f-photos").send_keys(str(setup))
    browser.find_element(By.ID, "f-submit").click()
    wait(browser, "return window.fieldState.sent.length === 1")
    toilet = Toilet.objects.get(code="GC-FIELD")
    assert toilet.status == "closed_for_repair"
    record = ChangeRecord.objects.get(object_code="GC-FIELD", action="status")
    assert record.note == "水箱漏水" and record.user.username == "field"
    assert ChangePhoto.objects.filter(change=record).count() == 1
    wait(browser, "return document.querySelectorAll('#f-history img').length === 1")

    # No signal: the next update waits on the phone.
    browser.set_network_conditions(
        offline=True, latency=0, download_throughput=0, upload_throughput=0
    )
    wait(browser, "return !navigator.onLine")
    choose(browser, "open", "已修复")
    browser.find_element(By.ID, "f-submit").click()
    wait(browser, "return window.fieldState.queued === 1")
    assert "1" in browser.find_element(By.ID, "f-outbox").text
    assert Toilet.objects.get(code="GC-FIELD").status == "closed_for_repair"

    # Signal again: it is sent by itself, once.
    browser.delete_network_conditions()
    wait(
        browser,
        "return window.fieldState.queued === 0 && window.fieldState.sent.length === 2",
        timeout=40,
    )
    toilet.refresh_from_db()
    assert toilet.status == "open" and toilet.version == 3
    assert ChangeRecord.objects.filter(object_code="GC-FIELD", action="status").count() == 2


def test_a_stale_update_shows_the_other_change_and_can_be_redone(
    browser, live_server, setup, gis_user
):
    from geo_cm import services

    log_in(browser, live_server)
    open_first(browser, "LD-FIELD")
    light = factories.light.__globals__["StreetLight"].objects.get(code="LD-FIELD")
    services.asset_set_status(asset=light, status="fault", by=gis_user, note="巡查发现不亮")
    choose(browser, "under_repair", "开始维修")
    browser.find_element(By.ID, "f-submit").click()
    wait(browser, "return window.fieldState.conflicts.length === 1")
    box = browser.find_element(By.ID, "f-conflict").text
    assert "巡查发现不亮" in box and "working → fault" in box
    browser.find_element(By.ID, "f-redo").click()
    wait(browser, "return document.getElementById('f-note').value === '开始维修'")
    browser.find_element(By.ID, "f-submit").click()
    wait(browser, "return window.fieldState.sent.length === 1")
    light.refresh_from_db()
    assert light.status == "under_repair"
