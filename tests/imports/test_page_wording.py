"""What the import pages say: geometry types and allowed values as labels, the layer's
title, the counts of the check, and ?lang=en kept across the steps' redirects."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from geo_cm.imports.models import ImportUpload
from geo_cm.jobs.queue import jobs_drain

from .test_pages import _form

pytestmark = pytest.mark.django_db
REFERENCE = Path(__file__).resolve().parents[2] / "data/reference"
NANJING = REFERENCE / "nanjing_districts_amap_wgs84.geojson"


@pytest.fixture
def gis_zh(gis_user):
    client = Client()
    client.force_login(gis_user)
    return client  # no language chosen: Chinese


def _upload(client, name, content, url="/imports/"):
    """Upload, then let the worker read the file (the page shows its result from then on)."""
    data = {"layer": "toilets", "file": SimpleUploadedFile(name, content)}
    response = client.post(url, data)
    jobs_drain()
    return response


def _validate(client, url, form):
    """Ask for the whole-file check and let the worker run it."""
    response = client.post(url, form)
    jobs_drain()
    return response


def test_polygons_offered_to_a_point_layer_are_refused_at_once(areas, gis_zh):
    response = _upload(gis_zh, "南京市.geojson", NANJING.read_bytes())
    assert response.status_code == 302
    html = gis_zh.get(response["Location"]).content.decode()
    # Before any check: the file's polygons do not fit the point layer, said in labels.
    assert 'id="geometry-mismatch"' in html
    assert "文件中是多面、面；图层“公共厕所”存放的是点" in html
    assert "在每条线或每个面内取一点" in html
    assert '<dd data-fact="geometry">多面、面</dd>' in html
    assert "MultiPolygon" not in html.split('id="geometry-mismatch"')[1].split("</div>")[0]
    # The check names each row's type in words, and the file's error too.
    response = _validate(gis_zh, response["Location"], {**_form(html), "action": "validate"})
    report = gis_zh.get(response["Location"]).content.decode()
    assert "几何类型不正确（多面）；该图层要求点" in report
    assert "文件中是 多面、面 几何；图层“公共厕所”存放的是点" in report
    # Choosing a point inside each shape removes the warning.
    upload = ImportUpload.objects.get()
    upload.centroids = True
    upload.save(update_fields=["centroids"])
    jobs_drain()
    html = gis_zh.get(f"/imports/uploads/{upload.pk}/").content.decode()
    assert 'id="geometry-mismatch"' not in html


def test_allowed_values_are_listed_as_labels(areas, gis_zh):
    survey = "名称,类型,经度,纬度\n文德路公厕,城里,118.612,32.021\n".encode("utf-8-sig")
    response = _upload(gis_zh, "survey.csv", survey)
    page = gis_zh.get(response["Location"]).content.decode()
    response = _validate(gis_zh, response["Location"], {**_form(page), "action": "validate"})
    report = gis_zh.get(response["Location"]).content.decode()
    assert "不是允许的值（城市公厕、景区公厕、农村公厕" in report
    assert "city, scenic" not in report
    # A rejected check says why no counts are shown.
    assert 'id="check-summary"' in report and "检查发现 1 处错误" in report


def test_check_counts_progress_title_and_the_language_kept(areas, gis_zh):
    survey = "名称,类型,经度,纬度\n文德路公厕,城市公厕,118.612,32.021\n".encode("utf-8-sig")
    response = _upload(gis_zh, "survey.csv", survey, url="/imports/?lang=en")
    inspect = response["Location"]
    assert inspect.endswith("?lang=en")
    page = gis_zh.get(inspect).content.decode()
    assert "Inspect and map fields" in page
    form = {**_form(page), "map__status": "=", "value__status": "open", "action": "validate"}
    response = _validate(gis_zh, inspect, form)
    assert response["Location"].endswith("/report?lang=en")
    report = gis_zh.get(response["Location"]).content.decode()
    summary = report.split('id="check-summary"')[1].split("</div>\n  </div>")[0]
    assert "<strong>1</strong>to create" in summary and "<strong>0</strong>to update" in summary
    assert "<strong>0</strong>to leave unchanged" in summary
    upload = ImportUpload.objects.get()
    response = gis_zh.post(f"/imports/uploads/{upload.pk}/commit?lang=en")
    assert response["Location"] == f"/imports/uploads/{upload.pk}/progress?lang=en"
    progress = gis_zh.get(response["Location"]).content.decode()
    assert '<span id="layer-title">Public toilets</span>' in progress
    progress_zh = gis_zh.get(f"/imports/uploads/{upload.pk}/progress").content.decode()
    assert '<span id="layer-title">公共厕所</span>' in progress_zh
    assert "→ toilets" not in progress_zh


def test_language_is_not_added_to_machine_endpoints(areas, gis_zh):
    response = gis_zh.get("/imports/export", {"layer": "toilets", "format": "csv", "lang": "en"})
    assert response.status_code == 302 and "lang" not in response["Location"]
    assert gis_zh.get(response["Location"]).status_code == 200
