"""GIS staff's export buttons in headless Chromium: every format downloads, in the CRS
chosen from the list, and the files read back with GDAL."""

import time
import zipfile

import pyogrio
import pytest
from pyproj import Transformer
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LON, LAT = 118.6234567, 32.0512345
EXPECTED = {
    "geojson": "toilets-EPSG4549.geojson",
    "gpkg": "toilets-EPSG4549.gpkg",
    "shp": "toilets-EPSG4549.zip",
    "csv": "toilets-EPSG4549.csv",
    "xlsx": "toilets-EPSG4549.xlsx",
}


def _downloaded(folder, name, timeout=30):
    path = folder / name
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded; the folder holds {list(folder.iterdir())}")


def test_export_buttons_download_every_format(browser, live_server, areas, gis_user, tmp_path):
    factories.toilet("GC-K1", lon=LON, lat=LAT)
    factories.toilet("GC-K2", lon=118.68, lat=32.06)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    browser.get(live_server.url + "/accounts/login/?next=/imports/")
    browser.find_element(By.NAME, "username").send_keys("gis")
    browser.find_element(By.NAME, "password").send_keys("pw-gis")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "export-form"))
    # Choices are labels: the CRS list names each system, and nothing else is offered.
    crs = Select(browser.find_element(By.ID, "export-crs"))
    assert [o.get_attribute("value") for o in crs.options] == [
        "EPSG:4326", "EPSG:4490", "EPSG:4549", "EPSG:4548", "EPSG:4528", "EPSG:4527",
    ]  # fmt: skip
    assert "CGCS2000" in crs.options[1].text
    buttons = browser.find_elements(By.CSS_SELECTOR, "#export-form button[name=format]")
    assert [b.get_attribute("value") for b in buttons] == list(EXPECTED)

    east, north = Transformer.from_crs(4326, 4549, always_xy=True).transform(LON, LAT)
    for fmt, name in EXPECTED.items():
        Select(browser.find_element(By.ID, "export-layer")).select_by_value("toilets")
        Select(browser.find_element(By.ID, "export-crs")).select_by_value("EPSG:4549")
        browser.find_element(By.CSS_SELECTOR, f"#export-form button[value={fmt}]").click()
        path = _downloaded(downloads, name)
        if fmt == "shp":
            with zipfile.ZipFile(path) as zf:
                assert "fields.csv" in zf.namelist()
            read = f"/vsizip/{path}/toilets-EPSG4549.shp"
        elif fmt in ("csv", "xlsx"):
            text = path.read_bytes()
            assert len(text) > 100
            if fmt == "csv":
                header = text.decode("utf-8-sig").splitlines()[0]
                assert header.endswith("easting,northing")
            continue
        else:
            read = str(path)
        assert pyogrio.read_info(read)["crs"] == "EPSG:4549"
        frame = pyogrio.read_dataframe(read)
        point = frame.geometry[frame["code"] == "GC-K1"].iloc[0]
        assert abs(point.x - east) < 1 and abs(point.y - north) < 1
        # The page is still the imports page (a download does not navigate away).
        assert browser.find_elements(By.ID, "export-form")


def test_a_subdistrict_export_and_a_bad_choice(browser, live_server, areas, gis_user, tmp_path):
    factories.toilet("GC-W", lon=118.62, lat=32.05)
    factories.toilet("GC-E", lon=118.68, lat=32.05)
    downloads = tmp_path / "dl"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    browser.get(live_server.url + "/accounts/login/?next=/imports/%3Flang%3Den")
    browser.find_element(By.NAME, "username").send_keys("gis")
    browser.find_element(By.NAME, "password").send_keys("pw-gis")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "export-form"))
    assert "Export a layer" in browser.find_element(By.ID, "export").text
    Select(browser.find_element(By.ID, "export-layer")).select_by_value("toilets")
    Select(browser.find_element(By.ID, "export-subdistrict")).select_by_value("320192007000")
    browser.find_element(By.CSS_SELECTOR, "#export-form button[value=geojson]").click()
    path = _downloaded(downloads, "toilets.geojson")
    assert list(pyogrio.read_dataframe(path)["code"]) == ["GC-E"]
    # A hand-made URL with a CRS off the list is refused with a sentence, not passed on.
    browser.get(live_server.url + "/imports/export?layer=toilets&format=shp&crs=EPSG:3857&lang=en")
    assert "crs must be one of" in browser.find_element(By.ID, "export-error").text
