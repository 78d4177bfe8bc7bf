"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium."""

import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def chromium(*extra_flags, capabilities=None):
    """Headless Chromium with its own throw-away profile; returns (driver, profile dir)."""
    profile = tempfile.mkdtemp(prefix="geocm-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1280,900",
        *extra_flags,
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    for name, value in (capabilities or {}).items():
        options.set_capability(name, value)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver, profile


def chromium_quit(driver, profile):
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def csp_refusals(driver):
    """Messages of the console that report something the Content-Security-Policy refused."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


@pytest.fixture
def browser():
    """A headless Chromium; the test fails if the page's CSP refused anything it ran."""
    driver, profile = chromium(capabilities={"goog:loggingPrefs": {"browser": "ALL"}})
    try:
        yield driver
        refused = csp_refusals(driver)
    finally:
        chromium_quit(driver, profile)
    assert not refused, f"the Content-Security-Policy refused: {refused}"
