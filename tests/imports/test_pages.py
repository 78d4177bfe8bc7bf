"""GIS staff's import pages: upload, inspection with preview and mapping, validation report
(page and CSV), commit as a background job, result. Refusals are 4xx pages that write
nothing."""

import csv
import io
import json
import re
import tempfile
import zipfile
from html import unescape as html_unescape
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from geo_cm.imports.models import ImportRecord, ImportUpload
from geo_cm.jobs.models import Job
from geo_cm.jobs.queue import jobs_drain
from tests import factories
from toilets.models import Toilet

from .conftest import FIXTURES, toilet_frame, write_shapefile, zip_folder

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def gis(gis_user):
    return _client(gis_user)


def _zip(tmp_path, frame=None, **kwargs):
    shp = write_shapefile(
        frame if frame is not None else toilet_frame(5), tmp_path / "shp", **kwargs
    )
    return zip_folder(shp.parent, tmp_path / "公厕.zip")


def _upload(client, path, **fields):
    """Upload ``path``, then let the worker read it (the page shows the result from then on)."""
    data = {"layer": "toilets", "file": SimpleUploadedFile(path.name, path.read_bytes())}
    data.update(fields)
    response = client.post("/imports/", data)
    jobs_drain()
    return response


def _read_then_get(client, url):
    """The page after the worker read the file with the options just chosen."""
    jobs_drain()
    return client.get(url)


def _config(response) -> dict:
    match = re.search(
        r'<script id="imp-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    # Strict, as the browser's JSON.parse: NaN or Infinity would stop the page's script.
    return json.loads(match.group(1), parse_constant=lambda name: pytest.fail(name))


def _selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return chosen.group(1) if chosen else None


def _form(html: str) -> dict:
    """The options form's current values, as the browser would post them."""
    form = re.search(
        r'<form method="post" class="imp-form" id="options-form">(.*?)</form>', html, re.S
    )
    data = {}
    for name in re.findall(r'<select name="([^"]+)"', form.group(1)):
        data[name] = _selected(form.group(1), name) or ""
    for name in ("repair", "centroids"):
        if re.search(rf'name="{name}"[^>]*checked', form.group(1)):
            data[name] = "on"
    for name, value in re.findall(r'<input type="text" name="([^"]+)"(?: value="([^"]*)")?',
                                  form.group(1)):  # fmt: skip
        data[name] = html_unescape(value)
    return data


def test_upload_inspect_validate_commit_in_the_background(areas, gis, gis_user, tmp_path):
    archive = _zip(tmp_path, epsg=4549, encoding="GBK", cpg=False)
    response = _upload(gis, archive)
    assert response.status_code == 302
    upload = ImportUpload.objects.get()
    assert response["Location"] == f"/imports/uploads/{upload.pk}/"
    assert Toilet.objects.count() == 0  # nothing written by the upload

    page = gis.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "GB18030" in html and "EPSG:4549" in html
    assert '<dd data-fact="count">5</dd>' in html
    assert "浦口公厕1号" in html  # sample values, readable
    assert _selected(html, "map__code") == "编号"
    assert _selected(html, "map__name") == "名称"
    preview = _config(page)["preview"]
    assert len(preview["features"]) == 5
    lon, lat = preview["features"][0]["geometry"]["coordinates"]
    assert abs(lon - 118.62) < 1e-5 and abs(lat - 32.01) < 1e-5  # back in WGS 84

    form = _form(html)
    response = gis.post(page.request["PATH_INFO"], {**form, "action": "validate"})
    assert response.status_code == 302
    assert response["Location"] == f"/imports/uploads/{upload.pk}/report"
    waiting = gis.get(response["Location"])  # the worker checks the file; the page follows
    check = Job.objects.get(name="imports.validate")
    assert waiting.status_code == 202 and _config(waiting)["job"] == f"/api/jobs/{check.pk}"
    assert gis.post(f"/imports/uploads/{upload.pk}/commit").status_code == 409  # not yet
    jobs_drain()
    report = gis.get(response["Location"])
    assert report.status_code == 200
    assert 'data-status="validated"' in report.content.decode()
    assert 'id="commit-form"' in report.content.decode()
    assert Toilet.objects.count() == 0  # validation is a dry run

    response = gis.post(f"/imports/uploads/{upload.pk}/commit")
    assert response.status_code == 302
    assert response["Location"] == f"/imports/uploads/{upload.pk}/progress"
    job = Job.objects.get(name="imports.commit")
    assert job.status == Job.Status.QUEUED and job.requested_by == gis_user
    # A second click queues nothing new.
    gis.post(f"/imports/uploads/{upload.pk}/commit")
    assert Job.objects.filter(name="imports.commit").count() == 1
    progress = gis.get(response["Location"])
    assert _config(progress)["job"] == f"/api/jobs/{job.pk}"

    jobs_drain()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    upload.refresh_from_db()
    record = upload.result
    assert job.result == {"record": record.pk, "status": "committed"}
    assert record.created == 5 and record.user == gis_user
    assert not upload.parts.exists() and bytes(upload.content) == b""  # the layer holds it now
    assert Toilet.objects.get(code="GC-0001").source == f"import:{record.pk}"

    api = gis.get(f"/api/jobs/{job.pk}")
    assert api.json()["progress"] == 1.0 and api.json()["result"]["record"] == record.pk
    result = gis.get(f"/imports/records/{record.pk}/")
    html = result.content.decode()
    assert '<dd data-count="created">5</dd>' in html
    assert f'href="/?layer=toilets&amp;import={record.pk}"' in html  # highlighted, framed
    # The inspection of an imported upload leads to its result.
    assert gis.get(f"/imports/uploads/{upload.pk}/")["Location"] == f"/imports/records/{record.pk}/"
    assert "公厕.zip" in gis.get("/imports/").content.decode()


def test_the_mapping_editor_decides_what_is_written(areas, gis, tmp_path):
    _upload(gis, _zip(tmp_path))
    upload = ImportUpload.objects.get()
    form = _form(gis.get(f"/imports/uploads/{upload.pk}/").content.decode())
    assert form["map__address"] == "地址"
    form.update({"map__address": "", "map__name": "地址", "action": "validate"})
    assert gis.post(f"/imports/uploads/{upload.pk}/", form).status_code == 302
    jobs_drain()  # the worker checks the whole file
    upload.refresh_from_db()
    assert upload.mapping["name"] == "地址" and "address" not in upload.mapping
    gis.post(f"/imports/uploads/{upload.pk}/commit")
    jobs_drain()
    toilet = Toilet.objects.get(code="GC-0002")
    assert toilet.name == "江浦街道文德路2号" and toilet.address == ""


def test_row_errors_are_reported_on_the_page_and_as_csv_and_block_the_commit(areas, gis, tmp_path):
    frame = toilet_frame(4)
    frame.loc[2, "编号"] = "GC-0001"  # a duplicate code
    frame.loc[3, "completed_on"] = "2023-13-45"  # not a date
    _upload(gis, _zip(tmp_path, frame))
    upload = ImportUpload.objects.get()
    form = _form(gis.get(f"/imports/uploads/{upload.pk}/").content.decode())
    response = gis.post(f"/imports/uploads/{upload.pk}/", {**form, "action": "validate"})
    jobs_drain()  # the worker checks the whole file
    report = gis.get(response["Location"])
    html = report.content.decode()
    assert 'data-status="rejected"' in html
    assert 'id="commit-form"' not in html
    assert "GC-0001" in html and "2023-13-45" in html
    record = upload.validation if upload.validation else ImportUpload.objects.get().validation
    csv_response = gis.get(f"/imports/records/{record.pk}/report.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "field", "value", "problem", "severity"]
    problems = {(r[0], r[1]) for r in rows[1:]}
    assert ("3", "code") in problems and ("4", "completed_on") in problems
    refused = gis.post(f"/imports/uploads/{upload.pk}/commit")
    assert refused.status_code == 409
    assert "Check the whole file first" in refused.content.decode()
    assert not Job.objects.filter(name="imports.commit").exists()
    assert Toilet.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("tool.exe", b"MZ\x90\x00", "Upload a zipped shapefile"),
        ("garbage.zip", b"PK\x03\x04 this is not a zip at all", "zip"),
    ],
)
def test_refused_uploads_are_400_pages_and_nothing_is_kept(areas, gis, name, content, expected):
    response = gis.post(
        "/imports/", {"layer": "toilets", "file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    message = re.search(r'data-field="file">(.*?)</div>', response.content.decode(), re.S)
    assert message and expected.lower() in message.group(1).lower()
    assert not ImportUpload.objects.exists()
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.geojson", b'{"type": "FeatureCollection", "features": []}', "no features"),
        ("broken.geojson", b"{not json", "not valid JSON"),
        (
            "deep.geojson",
            b'{"type": "Feature", "properties": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            "nested more than",
        ),  # fmt: skip
    ],
)
def test_unreadable_files_are_read_by_the_worker_and_say_why_on_a_400_page(
    areas, gis, name, content, expected
):
    response = gis.post(
        "/imports/", {"layer": "toilets", "file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302  # kept: the request only stores the bytes
    waiting = gis.get(response["Location"])
    assert waiting.status_code == 202 and 'id="job-progress"' in waiting.content.decode()
    page = _read_then_get(gis, response["Location"])
    assert page.status_code == 400
    error = re.search(r'id="import-error">(.*?)</div>', page.content.decode(), re.S).group(1)
    assert expected.lower() in error.lower()
    assert not Toilet.objects.exists()


def test_a_shapefile_without_prj_needs_a_crs_and_takes_one_from_the_form(areas, gis, tmp_path):
    archive = _zip(tmp_path, prj=False)
    kept = _upload(gis, archive)
    refused = gis.get(kept["Location"])
    assert refused.status_code == 400
    assert ".prj" in refused.content.decode()
    accepted = _upload(gis, archive, crs="4549")
    assert accepted.status_code == 302
    assert "EPSG:4549" in gis.get(accepted["Location"]).content.decode()


def test_bad_option_values_name_the_field(areas, gis, tmp_path):
    bad = _upload(gis, _zip(tmp_path), crs="9999")
    assert bad.status_code == 400
    assert 'data-field="crs"' in bad.content.decode()
    _upload(gis, _zip(tmp_path))
    upload = ImportUpload.objects.get()
    form = _form(gis.get(f"/imports/uploads/{upload.pk}/").content.decode())
    response = gis.post(
        f"/imports/uploads/{upload.pk}/", {**form, "map__code": "无此列", "action": "validate"}
    )
    assert response.status_code == 400
    assert 'data-field="map__code"' in response.content.decode()
    response = gis.post(
        f"/imports/uploads/{upload.pk}/", {**form, "mode": "replace", "action": "validate"}
    )
    assert response.status_code == 400
    assert 'data-field="subdistrict"' in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_reading_again_with_another_encoding_proposes_the_mapping_afresh(areas, gis, tmp_path):
    _upload(gis, _zip(tmp_path, encoding="GBK", cpg=False))
    upload = ImportUpload.objects.get()
    form = _form(gis.get(f"/imports/uploads/{upload.pk}/").content.decode())
    gis.post(f"/imports/uploads/{upload.pk}/", {**form, "map__address": "", "action": "reread"})
    upload.refresh_from_db()
    assert upload.mapping is not None and "address" not in upload.mapping
    response = gis.post(
        f"/imports/uploads/{upload.pk}/", {**form, "encoding": "UTF-8", "action": "reread"}
    )
    # GBK bytes are not UTF-8: once read, the page says so and offers the options again.
    assert response.status_code == 302
    page = _read_then_get(gis, response["Location"])
    assert page.status_code == 400
    error = re.search(r'id="import-error">(.*?)</div>', page.content.decode()).group(1)
    assert "UTF-8" in error
    upload.refresh_from_db()
    assert upload.encoding == "UTF-8" and upload.mapping is None
    response = gis.post(
        f"/imports/uploads/{upload.pk}/",
        {"encoding": "GB18030", "crs": "", "offset": "", "mode": "upsert", "action": "reread"},
    )
    page = _read_then_get(gis, response["Location"])
    assert page.status_code == 200 and _selected(page.content.decode(), "map__name") == "名称"


def test_a_commit_whose_data_changed_since_the_check_writes_nothing_and_says_why(
    areas, gis, tmp_path
):
    _upload(gis, _zip(tmp_path, toilet_frame(3)))
    upload = ImportUpload.objects.get()
    form = _form(gis.get(f"/imports/uploads/{upload.pk}/").content.decode())
    gis.post(f"/imports/uploads/{upload.pk}/", {**form, "mode": "create", "action": "validate"})
    jobs_drain()  # the worker checks the whole file
    gis.post(f"/imports/uploads/{upload.pk}/commit")
    # Between the check and the commit someone creates one of the codes.
    factories.toilet(code="GC-0002")
    jobs_drain()
    job = Job.objects.get(name="imports.commit")
    assert job.status == Job.Status.DONE and job.result["status"] == "rejected"
    assert list(Toilet.objects.values_list("code", flat=True)) == ["GC-0002"]
    upload.refresh_from_db()
    assert upload.result is None and upload.parts.exists()  # still there to try again
    assert upload.validation.pk == job.result["record"]
    page = gis.get(f"/imports/records/{job.result['record']}/").content.decode()
    assert 'data-status="rejected"' in page and "GC-0002" in page


def test_only_importers_see_the_pages_and_only_their_own_uploads(
    areas, gis, planner_user, field_user, tmp_path, django_user_model
):
    assert Client().get("/imports/").status_code == 302  # to the login page
    assert _client(field_user).get("/imports/").status_code == 403
    assert _client(planner_user).get("/imports/").status_code == 403
    _upload(gis, _zip(tmp_path))
    upload = ImportUpload.objects.get()
    other = django_user_model.objects.create_user("gis2", password="x", is_staff=True)
    other.groups.set(upload.user.groups.all())
    assert _client(other).get(f"/imports/uploads/{upload.pk}/").status_code == 404
    assert _client(other).post(f"/imports/uploads/{upload.pk}/commit").status_code == 404


def test_zip_bombs_are_refused_before_extraction(areas, gis, tmp_path, settings):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.shp", b"\0" * 50_000_000)
    # The pages' own folders (tests in other processes make geocm-import-* meanwhile).
    before = set(Path(tempfile.gettempdir()).glob("geocm-upload-*"))
    response = _upload(gis, bomb)
    assert response.status_code == 400
    message = re.search(r'data-field="file">(.*?)</div>', response.content.decode()).group(1)
    assert "zip bomb" in message
    assert not ImportUpload.objects.exists()
    # Nothing unpacked is left behind (the checks run before extracting).
    assert set(Path(tempfile.gettempdir()).glob("geocm-upload-*")) == before


def test_the_preview_of_amap_points_is_in_wgs84_when_the_offset_is_declared(areas, gis, tmp_path):
    golden = list(csv.DictReader((FIXTURES / "gcj02_to_wgs84_reference_points.csv").open()))[:3]
    table = tmp_path / "amap.csv"
    lines = ["编号,名称,lng,lat"] + [
        f"GC-A{i},高德点{i},{g['gcj_lon']},{g['gcj_lat']}" for i, g in enumerate(golden)
    ]
    table.write_text("\n".join(lines), encoding="utf-8")
    response = _upload(gis, table, crs="4326", offset="gcj02")
    assert response.status_code == 302
    features = _config(gis.get(response["Location"]))["preview"]["features"]
    for feature, g in zip(features, golden, strict=True):
        lon, lat = feature["geometry"]["coordinates"]
        # Within a metre of the reference (1e-5 degrees is about 1 m here).
        assert abs(lon - float(g["wgs_lon_exact"])) < 1e-5
        assert abs(lat - float(g["wgs_lat_exact"])) < 1e-5


def _checked(gis, tmp_path, frame=None, **choices):
    """An upload checked clean with ``choices`` (mode, subdistrict...) and its commit queued."""
    _upload(gis, _zip(tmp_path, frame if frame is not None else toilet_frame(3)))
    upload = ImportUpload.objects.get()
    form = _form(gis.get(f"/imports/uploads/{upload.pk}/").content.decode())
    gis.post(f"/imports/uploads/{upload.pk}/", {**form, **choices, "action": "validate"})
    jobs_drain()  # the worker checks the whole file
    assert gis.post(f"/imports/uploads/{upload.pk}/commit").status_code == 302
    return upload, form


def test_choices_are_frozen_once_the_commit_is_queued(areas, gis, tmp_path):
    factories.toilet(code="OLD-1", lon=118.615, lat=32.015)  # in the west subdistrict
    upload, form = _checked(gis, tmp_path)
    # Another tab tries to switch to "replace" (which would delete OLD-1): refused.
    refused = gis.post(
        f"/imports/uploads/{upload.pk}/",
        {**form, "mode": "replace", "subdistrict": areas["west"].code, "action": "validate"},
    )
    assert refused.status_code == 409
    assert gis.get(f"/imports/uploads/{upload.pk}/")["Location"].endswith("/progress")
    # Even a change behind the pages' back does not reach the job: it has what was checked.
    ImportUpload.objects.filter(pk=upload.pk).update(mode="replace", subdistrict=areas["west"].code)
    jobs_drain()
    assert Toilet.objects.filter(code="OLD-1").exists()
    assert Toilet.objects.count() == 4
    assert ImportUpload.objects.get(pk=upload.pk).result.mode == "upsert"


def test_a_commit_job_run_again_finds_the_import_done(areas, gis, tmp_path):
    upload, _form_values = _checked(gis, tmp_path, mode="create")
    jobs_drain()
    job = Job.objects.get(name="imports.commit")
    first = job.result
    assert first["status"] == "committed"
    # The worker died after the commit (the job looks stale and running): it runs again.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
    jobs_drain()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result == first
    assert ImportRecord.objects.filter(status="committed").count() == 1
    assert Toilet.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_progress_moves_while_the_import_writes(areas, gis_user, tmp_path, monkeypatch):
    """The steps inside the import's transaction are visible to the page meanwhile."""
    import threading

    from django.db import connections

    from geo_cm.imports import tasks

    gis = _client(gis_user)
    upload, _form_values = _checked(gis, tmp_path)
    seen = {}
    real_report = tasks.job_report

    def report_and_look(job, *, progress, message=""):
        real_report(job, progress=progress, message=message)

        def look():  # what another connection (the progress page) reads now
            seen[message] = (progress, Job.objects.get(pk=job.pk).progress)
            connections.close_all()

        reader = threading.Thread(target=look)
        reader.start()
        reader.join()

    monkeypatch.setattr(tasks, "job_report", report_and_look)
    jobs_drain()
    # The rows were written inside the import's transaction; the bar moved meanwhile.
    reported, read_elsewhere = seen["rows"]
    assert tasks.ROWS_FROM < reported <= tasks.ROWS_TO and read_elsewhere == reported
    assert seen["read"][1] == tasks.READ_PROGRESS
    assert ImportUpload.objects.get(pk=upload.pk).result.created == 3


def test_absurd_coordinates_are_left_out_of_the_preview(areas, gis, tmp_path):
    table = tmp_path / "points.csv"
    table.write_text("编号,名称,lng,lat\nGC-1,甲,118.62,32.05\nGC-2,乙,1e308,1e308\n", "utf-8")
    response = _upload(gis, table, crs="4326", offset="bd09")
    page = gis.get(response["Location"])
    preview = _config(page)["preview"]  # parsed as strict JSON: no NaN or Infinity
    assert [f["id"] for f in preview["features"]] == [1]


def test_report_csv_cells_never_become_formulas(areas, gis, tmp_path):
    frame = toilet_frame(2)
    frame.loc[1, "编号"] = '=HYPERLINK("http://x")'
    frame.loc[0, "completed_on"] = "@SUM(1)"
    _upload(gis, _zip(tmp_path, frame))
    upload = ImportUpload.objects.get()
    form = _form(gis.get(f"/imports/uploads/{upload.pk}/").content.decode())
    gis.post(f"/imports/uploads/{upload.pk}/", {**form, "action": "validate"})
    jobs_drain()  # the worker checks the whole file
    upload.refresh_from_db()
    body = gis.get(f"/imports/records/{upload.validation.pk}/report.csv").content.decode(
        "utf-8-sig"
    )
    values = [row[2] for row in csv.reader(io.StringIO(body))][1:]
    assert "'@SUM(1)" in values
    assert not any(v.startswith(("=", "@", "+", "-")) for v in values)


def test_control_characters_in_the_file_name_are_dropped(areas, gis, tmp_path):
    archive = _zip(tmp_path)
    data = {
        "layer": "toilets",
        "file": SimpleUploadedFile("公厕\x00\x07.zip", archive.read_bytes()),
    }
    assert gis.post("/imports/", data).status_code == 302
    assert ImportUpload.objects.get().file_name == "公厕.zip"


def test_a_geopackage_with_several_layers_asks_which_one(areas, gis, tmp_path):
    path = tmp_path / "survey.gpkg"
    for name, n in (("公厕", 2), ("公厕_新建", 3)):
        toilet_frame(n).to_file(path, layer=name, driver="GPKG")
    response = _upload(gis, path)
    assert response.status_code == 302  # kept: the next page asks for the layer
    page = gis.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 400 and "holds 2 layers" in html
    assert "公厕_新建 (Point, 3 features)" in html
    form = _form(html)
    assert "source_layer" in form
    chosen = gis.post(
        response["Location"], {**form, "source_layer": "公厕_新建", "action": "reread"}
    )
    assert chosen.status_code == 302
    page = _read_then_get(gis, response["Location"])
    assert page.status_code == 200
    assert '<dd data-fact="count">3</dd>' in page.content.decode()
    assert ImportUpload.objects.get().source_layer == "公厕_新建"


def test_one_value_for_every_row_and_generated_codes_are_shown_before_the_import(
    areas, gis, tmp_path
):
    frame = toilet_frame(3).drop(columns=["编号", "category", "status"])
    response = _upload(gis, _zip(tmp_path, frame))
    page = gis.get(response["Location"])
    html = page.content.decode()
    assert "(name) *" in html and "(address) *" not in html  # a new toilet needs a name
    form = _form(page.content.decode())
    assert form["map__code"] == ""  # no code column: codes will be generated
    form.update({"map__status": "=", "value__status": "开放", "map__category": "=",
                 "value__category": "城市公厕"})  # fmt: skip
    response = gis.post(page.request["PATH_INFO"], {**form, "action": "validate"})
    jobs_drain()  # the worker checks the whole file
    assert response.status_code == 302, response.content.decode()[:2000]
    report = gis.get(response["Location"]).content.decode()
    assert "create 3, update 0, leave 0 unchanged and delete 0" in report
    assert '<dd data-count="created">3</dd>' in report
    assert "GC-JP-0001" in report and "GC-JP-0003" in report
    upload = ImportUpload.objects.get()
    assert upload.mapping["status"] == {"constant": "开放"}
    gis.post(f"/imports/uploads/{upload.pk}/commit")
    jobs_drain()
    assert sorted(Toilet.objects.values_list("code", "status", "category")) == [
        (f"GC-JP-{i:04d}", "open", "city") for i in (1, 2, 3)
    ]


def test_a_constant_without_a_value_is_a_form_error_naming_the_field(areas, gis, tmp_path):
    response = _upload(gis, _zip(tmp_path))
    page = gis.get(response["Location"])
    form = {**_form(page.content.decode()), "map__category": "=", "value__category": ""}
    refused = gis.post(page.request["PATH_INFO"], {**form, "action": "validate"})
    assert refused.status_code == 400
    assert 'data-field="value__category"' in refused.content.decode()


def test_a_zone_mix_up_is_shown_on_the_inspection_page(areas, gis, tmp_path):
    response = _upload(gis, _zip(tmp_path, epsg=4549), crs="4548")
    html = gis.get(response["Location"]).content.decode()
    assert 'id="crs-fit"' in html and "EPSG:4549" in html


def test_the_upload_request_reads_nothing_and_the_inspection_is_read_once(
    areas, gis, tmp_path, monkeypatch
):
    """The request stores the bytes and queues the inspection; the worker reads the file
    once per set of read options, and every view shows the kept result."""
    from geo_cm.imports import uploads

    reads = []
    real_read = uploads.source_read
    monkeypatch.setattr(uploads, "source_read", lambda **kw: reads.append(kw) or real_read(**kw))
    response = gis.post(
        "/imports/",
        {"layer": "toilets", "file": SimpleUploadedFile("公厕.zip", _zip(tmp_path).read_bytes())},
    )
    assert response.status_code == 302 and reads == []
    job = Job.objects.get(name="imports.inspect")
    assert job.status == Job.Status.QUEUED
    waiting = gis.get(response["Location"])
    assert waiting.status_code == 202
    assert _config(waiting) == {"job": f"/api/jobs/{job.pk}", "reload": True}
    assert Job.objects.filter(name="imports.inspect").count() == 1  # the view queued nothing new
    jobs_drain()
    for _view in range(3):
        page = gis.get(response["Location"])
        assert page.status_code == 200 and '<dd data-fact="count">5</dd>' in page.content.decode()
    assert len(reads) == 1
    # Other read options: read again, once; back to the first ones: the kept result.
    upload = ImportUpload.objects.get()
    form = _form(page.content.decode())
    gis.post(response["Location"], {**form, "crs": "4548", "action": "reread"})
    _read_then_get(gis, response["Location"])
    gis.post(response["Location"], {**form, "crs": "", "action": "reread"})
    assert gis.get(response["Location"]).status_code == 200
    assert len(reads) == 2 and upload.inspections.count() == 2


def test_uploads_not_imported_expire(areas, gis, tmp_path, settings):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from geo_cm.imports.uploads import uploads_purge
    from geo_cm.jobs.queue import periodic_due

    old, imported, fresh = (_upload(gis, _zip(tmp_path / str(i))) for i in range(3))
    ids = [int(r["Location"].rstrip("/").split("/")[-1]) for r in (old, imported, fresh)]
    eight_days_ago = timezone.now() - dt.timedelta(days=8)
    ImportUpload.objects.filter(pk__in=ids[:2]).update(created_at=eight_days_ago)
    record = ImportRecord.objects.create(layer="toilets", file_name="x", sha256="", mode="upsert",
                                         status="committed")  # fmt: skip
    ImportUpload.objects.filter(pk=ids[1]).update(result=record)
    assert uploads_purge() == 1
    assert sorted(ImportUpload.objects.values_list("pk", flat=True)) == ids[1:]
    assert gis.get(f"/imports/uploads/{ids[0]}/").status_code == 404
    # The worker queues the purge once per period; the command purges on demand.
    assert periodic_due() == ["imports.purge_uploads"] and periodic_due() == []
    assert Job.objects.filter(name="imports.purge_uploads", status="queued").count() == 1
    ImportUpload.objects.filter(pk=ids[2]).update(created_at=timezone.now() - dt.timedelta(days=2))
    out = io.StringIO()
    call_command("purge_uploads", "--days", "1", stdout=out)
    assert " 1 " in out.getvalue()  # "1 uploads ... were deleted" (the command speaks Chinese)
    assert list(ImportUpload.objects.values_list("pk", flat=True)) == [ids[1]]
    jobs_drain()
    assert Job.objects.get(name="imports.purge_uploads").result == {"deleted": 0}


def test_a_check_the_worker_refuses_says_why_and_a_stale_check_is_not_kept(areas, gis, tmp_path):
    response = _upload(gis, _zip(tmp_path))
    upload = ImportUpload.objects.get()
    form = _form(gis.get(response["Location"]).content.decode())
    bad = {**form, "map__category": "=", "value__category": "不存在的类别", "action": "validate"}
    assert gis.post(response["Location"], bad).status_code == 302
    jobs_drain()
    page = gis.get(f"/imports/uploads/{upload.pk}/report")
    assert page.status_code == 400
    error = re.search(r'id="import-error">(.*?)</p>', page.content.decode(), re.S).group(1)
    assert "category" in error and "不存在的类别" in html_unescape(error)
    # A check queued with choices changed before it ran is not kept as the validation.
    gis.post(response["Location"], {**form, "action": "validate"})
    ImportUpload.objects.filter(pk=upload.pk).update(mode="create")
    jobs_drain()
    job = Job.objects.filter(name="imports.validate").latest("pk")
    assert job.result == {"status": "stale"}
    upload.refresh_from_db()
    assert upload.validation is None
    assert gis.get(f"/imports/uploads/{upload.pk}/report")["Location"].endswith(f"/{upload.pk}/")


def test_a_large_shapefile_is_inspected_from_its_first_rows_with_its_whole_extent(
    areas, gis, tmp_path, monkeypatch
):
    from geo_cm.imports import readers

    monkeypatch.setattr(readers, "LAZY_HEAD", 3)  # a "large" file: more rows than the head
    frame = toilet_frame(8)  # rows 1..7 in the first row of points, 8 one step north
    response = _upload(gis, _zip(tmp_path, frame))
    page = gis.get(response["Location"])
    html = page.content.decode()
    assert '<dd data-fact="count">8</dd>' in html  # the count from the header
    assert len(_config(page)["preview"]["features"]) == 3  # the preview from the first rows
    inspection = ImportUpload.objects.get().inspections.get().result
    assert inspection["partial"] is True
    west, south, east, north = inspection["extent"]
    # The whole file's (the first three rows reach 32.01 N and 118.64 E): the bounds of the
    # header's EPSG:4549 box, a little wider than the points once in degrees.
    assert 32.015 < north < 32.022 and 118.675 < east < 118.682
