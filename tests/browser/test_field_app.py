"""The field app in headless Chromium: log in, change a status with a photo, work offline."""

import io

import pytest
from django.utils import timezone
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
    # Labels, not codes; the time in Asia/Shanghai.
    changed_at = ChangeRecord.objects.filter(object_code="LD-FIELD").order_by("-at").first().at
    local = timezone.localtime(changed_at).strftime("%Y-%m-%d %H:%M")
    assert f"{local} · gis · 状态: 正常 → 故障 · 巡查发现不亮" in box, box
    assert "working" not in box and "fault" not in box
    browser.find_element(By.ID, "f-redo").click()
    wait(browser, "return document.getElementById('f-note').value === '开始维修'")
    browser.find_element(By.ID, "f-submit").click()
    wait(browser, "return window.fieldState.sent.length === 1")
    light.refresh_from_db()
    assert light.status == "under_repair"
    # The refused change was kept until redone, then dropped: nothing waits, nothing lost.
    wait(browser, "return window.fieldState.refused === 0 && window.fieldState.queued === 0")


@pytest.fixture
def border(setup, areas):
    """Beside the field user's west work area: a toilet across the line in the east
    subdistrict (not theirs) and a population grid cell (not a field asset at all)."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geo_cm.coverage.models import PopulationArea

    factories.toilet("GC-EAST", lon=118.6508, lat=32.05)
    factories.toilet("GC-WEST", lon=118.6492, lat=32.05, open_24h=True)
    cell = Polygon.from_bbox((118.6490, 32.0495, 118.6500, 32.0505))
    PopulationArea.objects.create(
        code="RK-CELL", kind="grid", population=120, geom=MultiPolygon(cell, srid=4326)
    )
    return setup


def list_near(browser, lat, lon):
    browser.execute_script("window.fieldState.listed = -1;")
    browser.execute_script(f"window.fieldListNear({lat}, {lon});")
    wait(browser, "return window.fieldState.listed >= 0")
    return {
        b.text.split()[1]: b.text for b in browser.find_elements(By.CSS_SELECTOR, "#f-list button")
    }


def open_listed(browser, code):
    # Found and clicked in one script: the list may be drawn again (from the phone's cache,
    # then from the network) between a lookup and a click made from here.
    clicked = browser.execute_script(
        "var code = arguments[0];"
        "var b = Array.from(document.querySelectorAll('#f-list button'))"
        ".find(function (x) { return x.textContent.includes(code); });"
        "if (b) b.click(); return !!b;",
        code,
    )
    assert clicked, f"{code} is not listed"
    wait(browser, f"return document.getElementById('f-title').textContent.includes('{code}')")


def test_only_field_assets_and_the_scope_is_shown_before_editing(browser, live_server, border):
    log_in(browser, live_server)
    listed = list_near(browser, 32.05, 118.65)
    assert "RK-CELL" not in " ".join(listed.values())  # population cells are not assets
    assert {"GC-EAST", "GC-WEST"} <= set(listed)
    assert "只读" in listed["GC-EAST"] and "泰山街道" in listed["GC-EAST"]
    assert "只读" not in listed["GC-WEST"] and "江浦街道" in listed["GC-WEST"]

    open_listed(browser, "GC-EAST")
    scope = browser.find_element(By.ID, "f-scope")
    assert scope.text == "不在您的责任区（泰山街道）：只读。请联系该街道的队伍。"
    assert not browser.find_element(By.ID, "f-form").is_displayed()  # nothing to edit
    # Submitting anyway (a stale form, a script) is refused before anything is queued.
    browser.execute_script("document.getElementById('f-form').requestSubmit();")
    assert browser.execute_script("return window.fieldState.queued") == 0

    browser.find_element(By.ID, "f-back").click()
    wait(browser, "return window.fieldState.listed > 0")
    open_listed(browser, "GC-WEST")
    scope = browser.find_element(By.ID, "f-scope")
    assert scope.text == "在您的责任区（江浦街道）：可以修改。"
    form = browser.find_element(By.ID, "f-form")
    assert form.is_displayed() and scope.location["y"] < form.location["y"]
    # Labels, not codes: booleans read 是/否, times are local, statuses are words.
    props = browser.find_element(By.ID, "f-props").text
    assert "24小时开放\n是" in props or "是" in props.split("\n")
    assert "true" not in props.lower() and "false" not in props.lower()
    assert browser.find_element(By.ID, "f-status").text == "开放"


def test_history_in_shanghai_time_with_labels_and_saved_toast_in_view(
    browser, live_server, setup, gis_user
):
    from geo_cm import services

    toilet = Toilet.objects.get(code="GC-FIELD")
    services.asset_set_status(asset=toilet, status="closed_for_repair", by=gis_user, note="检修")
    log_in(browser, live_server)
    open_first(browser, "GC-FIELD")
    record = ChangeRecord.objects.get(object_code="GC-FIELD", action="status")
    local = timezone.localtime(record.at).strftime("%Y-%m-%d %H:%M")
    history = browser.find_element(By.ID, "f-history").text
    assert f"{local} · gis · 状态变更 · 状态: 开放 → 维修关闭 · 检修" in history, history
    assert "closed_for_repair" not in history and "T" not in history.split(" · ")[0]

    # A change saved from the bottom of the page: "已保存。" is shown in the phone's view.
    choose(browser, "open", "修好了")
    submit = browser.find_element(By.ID, "f-submit")
    browser.execute_script("arguments[0].scrollIntoView({block: 'end'});", submit)
    submit.click()
    wait(browser, "return window.fieldState.sent.length === 1")
    toast = browser.find_element(By.ID, "f-message")
    assert toast.text == "已保存。" and toast.is_displayed()
    top, bottom = browser.execute_script(
        "var r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom];", toast
    )
    assert 0 <= top and bottom <= 844 - 60, (top, bottom)


def test_a_queued_change_refused_on_sync_keeps_its_note_and_photo(browser, live_server, setup):
    log_in(browser, live_server)
    open_first(browser, "GC-FIELD")
    browser.set_network_conditions(
        offline=True, latency=0, download_throughput=0, upload_throughput=0
    )
    wait(browser, "return !navigator.onLine")
    choose(browser, "closed_for_repair", "门锁损坏，已拍照")
    browser.find_element(By.ID, "f-photos").send_keys(str(setup))
    browser.find_element(By.ID, "f-submit").click()
    wait(browser, "return window.fieldState.queued === 1")
    # Meanwhile the work area is changed: the asset is no longer the user's.
    StaffScope.objects.get(user__username="field").subdistricts.clear()
    browser.delete_network_conditions()
    wait(browser, "return window.fieldState.refused === 1", timeout=40)
    assert Toilet.objects.get(code="GC-FIELD").status == "open"
    refused = browser.find_element(By.ID, "f-refused")
    assert refused.is_displayed()
    text = refused.text
    assert "门锁损坏，已拍照" in text and "照片 1 张已保留" in text and "不在" in text, text
    assert browser.execute_script("return window.fieldState.queued") == 0
    # Kept until the user discards it.
    refused.find_element(By.CSS_SELECTOR, "button.discard").click()
    wait(browser, "return window.fieldState.refused === 0")


def test_assets_are_listed_after_a_reload_without_signal(browser, live_server, border):
    log_in(browser, live_server)
    wait(browser, "return navigator.serviceWorker.ready.then(() => true)")
    listed = list_near(browser, 32.05, 118.65)
    assert {"GC-WEST", "GC-EAST"} <= set(listed)
    # The list and the details of the user's own assets are kept on the phone.
    wait(
        browser,
        """return new Promise(function (resolve) {
             var open = indexedDB.open('geocm-field');
             open.onsuccess = function () {
               var get = open.result.transaction('cache').objectStore('cache')
                 .get('/api/field/assets/toilets/' + arguments[0]);
               get.onsuccess = function () { resolve(!!get.result); };
             }.bind(null, null);
           });""".replace(
            "'/api/field/assets/toilets/' + arguments[0]",
            f"'/api/field/assets/toilets/{Toilet.objects.get(code='GC-WEST').pk}'",
        ),
    )
    browser.set_network_conditions(
        offline=True, latency=0, download_throughput=0, upload_throughput=0
    )
    browser.refresh()
    wait(browser, "return !!window.fieldState && window.fieldState.listFrom === 'cache'")
    assert browser.execute_script("return !!navigator.serviceWorker.controller")
    codes = [b.text.split()[1] for b in browser.find_elements(By.CSS_SELECTOR, "#f-list button")]
    # Only the user's own work area is kept: the east toilet is not.
    assert codes == ["GC-WEST"]
    note = browser.find_element(By.ID, "f-cached").text
    assert note.startswith("无信号：显示") and ("刚刚" in note or "分钟前" in note), note
    open_listed(browser, "GC-WEST")
    assert "本机保存于" in browser.find_element(By.ID, "f-cached-detail").text
    assert browser.find_element(By.ID, "f-form").is_displayed()
