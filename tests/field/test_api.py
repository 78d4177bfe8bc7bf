"""The field app's API: nearby assets, detail, status changes with photos and versions."""

import hashlib
import io

import pytest
from PIL import Image
from rest_framework.test import APIClient

from geo_cm.models import ChangePhoto, ChangeRecord, StaffScope
from tests import factories

pytestmark = pytest.mark.django_db


def jpeg(size=(40, 30), colour=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def field_client(field_user, areas):
    scope = StaffScope.objects.create(user=field_user)
    scope.subdistricts.add(areas["west"])
    client = APIClient()
    client.force_authenticate(field_user)
    return client


def post_status(
    client, asset, layer="toilets", version=1, key=None, photos=(), sums=None, **fields
):
    data = {
        "status": fields.pop("status", "closed_for_repair"),
        "note": "井盖破损",
        "lon": "118.6201",
        "lat": "32.0501",
        **fields,
    }
    files = [io.BytesIO(p) for p in photos]
    for i, f in enumerate(files):
        f.name = f"p{i}.jpg"
    if photos:
        data["photos"] = files
        data["photo_sha256"] = (
            sums if sums is not None else [hashlib.sha256(p).hexdigest() for p in photos]
        )
    headers = {"HTTP_IF_MATCH": f'"{version}"'} if version is not None else {}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(
        f"/api/field/assets/{layer}/{asset.pk}/status", data, format="multipart", **headers
    )


def test_nearby_lists_changeable_assets_by_geodesic_distance(field_client):
    factories.toilet("GC-NEAR", lon=118.6201, lat=32.05)
    factories.toilet("GC-FAR", lon=118.63, lat=32.05)
    factories.toilet("GC-OUT", lon=118.68, lat=32.05)  # 5.7 km away: outside 1 km
    body = field_client.get("/api/field/nearby", {"near": "118.62,32.05"}).json()
    codes = [a["code"] for a in body["assets"]]
    assert codes == ["GC-NEAR", "GC-FAR"]
    far = body["assets"][1]
    assert far["distance_m"] == pytest.approx(944.4, abs=1.0)  # 0.01 deg of longitude at 32.05N


def test_status_change_with_photo_and_position(field_client):
    toilet = factories.toilet("GC-PH", lon=118.62)
    photo = jpeg()
    response = post_status(field_client, toilet, photos=[photo])
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    record = ChangeRecord.objects.get(object_code="GC-PH", action="status")
    assert record.note == "井盖破损"
    assert record.reported_from.x == pytest.approx(118.6201)
    stored = ChangePhoto.objects.get(change=record)
    assert stored.sha256 == hashlib.sha256(photo).hexdigest()
    assert stored.image.read() == photo and (stored.width, stored.height) == (40, 30)
    history = response.json()["history"]
    assert history[0]["photos"] and history[0]["note"] == "井盖破损"


def test_damaged_upload_is_refused_and_nothing_changes(field_client):
    toilet = factories.toilet("GC-CS", lon=118.62)
    response = post_status(field_client, toilet, photos=[jpeg()], sums=["0" * 64])
    assert response.status_code == 400 and "photos" in response.json()["errors"]
    toilet.refresh_from_db()
    assert toilet.status == "open" and not ChangePhoto.objects.exists()


@pytest.mark.parametrize(
    "payload, words",
    [
        (b"not an image at all", "not a readable"),
        (b"", "empty"),
    ],
)
def test_bad_photos_are_400(field_client, payload, words):
    field_client.cookies["django_language"] = "en"  # the assertions read English text
    toilet = factories.toilet("GC-BP", lon=118.62)
    response = post_status(field_client, toilet, photos=[payload])
    assert response.status_code == 400 and words in response.json()["description"]


def test_too_many_pixels_is_400(field_client, settings):
    field_client.cookies["django_language"] = "en"  # the assertions read English text
    settings.GEOCM = {**settings.GEOCM, "PHOTO_MAX_PIXELS": 1000}
    toilet = factories.toilet("GC-PX", lon=118.62)
    response = post_status(field_client, toilet, photos=[jpeg(size=(50, 50))])
    assert response.status_code == 400 and "megapixels" in response.json()["description"]


def test_gif_is_not_accepted(field_client):
    field_client.cookies["django_language"] = "en"  # the assertions read English text
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "GIF")
    toilet = factories.toilet("GC-GIF", lon=118.62)
    response = post_status(field_client, toilet, photos=[buffer.getvalue()])
    assert response.status_code == 400 and "GIF" in response.json()["description"]


def test_missing_if_match_is_428(field_client):
    toilet = factories.toilet("GC-428", lon=118.62)
    assert post_status(field_client, toilet, version=None).status_code == 428


def test_stale_version_is_412_with_what_changed(field_client, gis_client):
    toilet = factories.toilet("GC-412", lon=118.62)
    gis_client.patch(
        f"/ogc/collections/toilets/items/{toilet.pk}",
        {"properties": {"status": "closed_for_repair"}},
        format="json",
        HTTP_X_CHANGE_NOTE="别人先修了",
    )
    response = post_status(field_client, toilet, version=1, status="closed_for_repair")
    assert response.status_code == 412
    body = response.json()
    assert body["current"] == {
        "status": "closed_for_repair",
        "status_label": body["current"]["status_label"],
        "version": 2,
    }
    assert body["changes_since"][0]["changes"] == {"status": ["open", "closed_for_repair"]}
    assert body["changes_since"][0]["note"] == "别人先修了"


def test_same_key_five_times_is_one_change(field_client):
    toilet = factories.toilet("GC-5X", lon=118.62)
    answers = [
        post_status(field_client, toilet, key="outbox-42", photos=[jpeg()]) for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [200] * 5
    assert all(a.json()["version"] == 2 for a in answers)
    assert ChangeRecord.objects.filter(object_code="GC-5X", action="status").count() == 1
    assert ChangePhoto.objects.count() == 1


def test_forbidden_transition_is_400(field_client):
    toilet = factories.toilet("GC-FT", lon=118.62, status="removed")
    response = post_status(field_client, toilet, status="open")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_other_subdistrict_is_403(field_client):
    toilet = factories.toilet("GC-OS", lon=118.68)
    response = post_status(field_client, toilet)
    assert response.status_code == 403
    toilet.refresh_from_db()
    assert toilet.status == "open"


def test_anonymous_is_refused(anon_client, areas):
    toilet = factories.toilet("GC-AN", lon=118.62)
    assert post_status(anon_client, toilet).status_code in (401, 403)
    assert anon_client.get("/api/field/nearby", {"near": "118.62,32.05"}).status_code in (401, 403)
    assert anon_client.get("/field/").status_code == 302


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"near": "x"},
        {"near": "118.62,32.05", "radius": "0"},
        {"near": "118.62,32.05", "radius": "a"},
    ],
)
def test_bad_nearby_parameters_are_400(field_client, params):
    assert field_client.get("/api/field/nearby", params).status_code == 400


def test_the_photo_is_shown_in_the_admin(field_client, client):
    from django.contrib.auth import get_user_model

    toilet = factories.toilet("GC-ADM", lon=118.62)
    post_status(field_client, toilet, photos=[jpeg()])
    record = ChangeRecord.objects.get(object_code="GC-ADM", action="status")
    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    page = client.get(f"/admin/geo_cm/changerecord/{record.pk}/change/").content.decode()
    assert record.photos.get().image.url in page


def test_unknown_or_huge_ids_are_404(field_client):
    for pk in ("99999999999999999999", "0", "x"):
        assert field_client.get(f"/api/field/assets/toilets/{pk}").status_code == 404
