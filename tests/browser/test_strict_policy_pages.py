"""Pages with third-party scripts work under the Content-Security-Policy in Chromium.

The `browser` fixture fails a test when the console reports a refusal, so reaching the
rendered widget below means the policy let everything it needs run and nothing else.
"""

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_under_the_policy(browser, live_server):
    browser.get(live_server.url + "/api/docs/")
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title")
    )
    assert "GeoCM API" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text


def test_the_admin_map_widget_runs_with_its_nonce(browser, live_server, areas, settings):
    settings.GEOCM = {**settings.GEOCM, "BASEMAP": "none"}
    get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    browser.get(live_server.url + "/admin/login/?next=/admin/toilets/toilet/add/")
    browser.find_element(By.NAME, "username").send_keys("root")
    browser.find_element(By.NAME, "password").send_keys("pw-root")
    # The admin's log-in page sends to the site's (geo_cm/accounts.py), keeping `next`.
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    # django-leaflet's inline start-up script (nonce) builds the map with its draw controls.
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-container .leaflet-draw")
    )
