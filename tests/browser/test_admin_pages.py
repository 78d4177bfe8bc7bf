"""The admin in headless Chromium: GeoCM's name, labels and local times in the history."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from geo_cm.models import ChangeRecord
from tests import factories
from toilets.models import Toilet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_user(roles, areas, settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    factories.toilet("GC-ADM", status="planned")
    return get_user_model().objects.create_superuser("root", password="pw-root")


def test_status_change_with_a_reason_reads_in_labels_and_local_time(
    browser, live_server, admin_user
):
    browser.set_window_size(1440, 900)
    # The admin's own log-in sends to the site's one log-in page, which comes back.
    browser.get(live_server.url + "/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys("root")
    browser.find_element(By.NAME, "password").send_keys("pw-root")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.ID, "site-name"))
    assert "GeoCM 管理" in browser.find_element(By.ID, "site-name").text
    toilet = Toilet.objects.get(code="GC-ADM")
    url = f"{live_server.url}/admin/toilets/toilet/{toilet.pk}/change/"
    browser.get(url)
    # Not allowed from 规划中: the refusal names the statuses in words.
    Select(browser.find_element(By.ID, "id_status")).select_by_value("open")
    browser.find_element(By.NAME, "_continue").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".errorlist"))
    error = browser.find_element(By.CSS_SELECTOR, ".field-status .errorlist").text
    assert "“规划中”改为“开放”" in error and "open" not in error
    # Allowed, with a reason: kept in the history, shown with the local time.
    Select(browser.find_element(By.ID, "id_status")).select_by_value("under_construction")
    browser.find_element(By.ID, "id_change_note").send_keys("按年度计划开工")
    browser.find_element(By.NAME, "_continue").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".messagelist"))
    record = ChangeRecord.objects.filter(object_code="GC-ADM").order_by("-at").first()
    assert record.note == "按年度计划开工"
    history = browser.find_element(By.CSS_SELECTOR, ".field-history").text
    local = timezone.localtime(record.at).strftime("%Y-%m-%d %H:%M")
    assert f"{local} · " in history and "状态: 规划中 → 在建 按年度计划开工" in history, history
