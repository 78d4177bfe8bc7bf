"""The public report API and list, the handling steps over HTTP (field app and desk), and
the planners' hotspots and demand signal."""

import hashlib
import io

import pytest
from django.contrib.gis.geos import Point
from PIL import Image
from rest_framework.test import APIClient

from geo_cm.models import ChangeRecord, StaffScope
from tests import factories
from workorders import services
from workorders.models import WorkOrder, WorkOrderPhoto

from .conftest import order


def jpeg(size=(64, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "p.jpg"
    return buffer


REPORT = {"category": "street_light", "lon": "118.62", "lat": "32.05",
          "description": "路灯不亮", "name": "李四", "phone": "138-0000-0000"}  # fmt: skip


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_citizen_reports_with_a_photo_and_no_login(anon_client, areas, media):
    response = anon_client.post("/api/workorders/reports", {**REPORT, "photos": [jpeg()]},
                                format="multipart")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "received" and body["subdistrict"] == "江浦街道"
    assert "phone" not in str(body) and "李四" not in str(body)
    made = WorkOrder.objects.get(code=body["code"])
    assert (made.channel, made.reporter_phone, made.source) == ("web", "138-0000-0000", "web")
    assert WorkOrderPhoto.objects.get(order=made).content_type == "image/jpeg"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"lon": "119.9"}, "lon"),  # outside the district
        ({"category": "ufo"}, "category"),
        ({"description": ""}, "description"),  # no words and no photo
        ({"phone": "call me"}, "phone"),
        ({"description": "坏了\\x00"}, "description"),
        ({"datum": "itrf"}, "datum"),
    ],
)
def test_bad_reports_are_refused_naming_the_field(anon_client, areas, change, field):
    body = {**REPORT, **change}
    body = {k: v.replace("\\x00", "\x00") for k, v in body.items()}
    response = anon_client.post("/api/workorders/reports", body, format="multipart")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not WorkOrder.objects.exists()


def test_reports_are_size_limited(anon_client, areas, settings, media):
    settings.GEOCM = {**settings.GEOCM, "REPORT_MAX_PHOTOS": 2, "REPORT_PHOTO_MAX_BYTES": 2000}
    three = {**REPORT, "photos": [jpeg(), jpeg(), jpeg()]}
    response = anon_client.post("/api/workorders/reports", three, format="multipart")
    assert response.status_code == 400 and "photos" in response.json()["errors"]
    large = {**REPORT, "photos": [jpeg((600, 600))]}
    response = anon_client.post("/api/workorders/reports", large, format="multipart")
    assert response.status_code == 400 and "MB" in response.json()["description"]
    not_image = io.BytesIO(b"%PDF-1.4 not a photo")
    not_image.name = "x.jpg"
    response = anon_client.post("/api/workorders/reports", {**REPORT, "photos": [not_image]},
                                format="multipart")  # fmt: skip
    assert response.status_code == 400 and "JPEG" in response.json()["description"]
    response = anon_client.post("/api/workorders/reports", REPORT, format="multipart",
                                CONTENT_LENGTH="50000000")  # fmt: skip
    assert response.status_code == 413
    assert not WorkOrder.objects.exists()


def test_reports_are_throttled_per_client_address(anon_client, areas, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "workorder_report": "2/hour"},
    }
    codes = [
        anon_client.post("/api/workorders/reports", REPORT, format="multipart").status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]
    other = APIClient(REMOTE_ADDR="10.0.0.9")
    assert other.post("/api/workorders/reports", REPORT, format="multipart").status_code == 201


def test_reports_near_me_show_status_and_no_personal_data(anon_client, areas):
    near = order(
        "2023-06-01 09:00", lon=118.62012345, lat=32.05012345, reporter_name="王五",
        reporter_phone="13900000000", address="某小区", replied="2023-06-01 10:00",
    )  # fmt: skip
    order("2023-06-01 09:00", lon=118.68, lat=32.05)  # ~5.7 km away
    body = anon_client.get("/api/workorders/near?near=118.62,32.05&radius=1000").json()
    [feature] = body["features"]
    assert feature["id"] == near.code
    assert feature["geometry"]["coordinates"] == [118.6201, 32.0501]
    props = feature["properties"]
    assert props["status"] == "replied" and props["distance_m"] == 18
    assert props["note"] == "已收到"
    text = str(body)
    for private in ("王五", "13900000000", "某小区", "测试"):
        assert private not in text
    assert anon_client.get("/api/workorders/near?near=118.62,32.05&radius=9000").status_code == 400
    assert anon_client.get("/api/workorders/near").status_code == 400


@pytest.fixture
def field_team(areas, field_user):
    StaffScope.objects.create(user=field_user).subdistricts.add(areas["west"])
    client = APIClient()
    client.force_authenticate(field_user)
    return client


def test_a_field_team_resolves_an_order_and_fixes_the_light_in_one_step(field_team, media):
    light = factories.light("LD-OUT", lon=118.6201, lat=32.05, status="fault")
    made = order("2023-06-01 21:00")
    detail = field_team.get(f"/api/workorders/{made.pk}/field").json()
    assert [s["value"] for s in detail["next_statuses"]] == ["replied", "resolved"]
    assert detail["asset"]["code"] == "LD-OUT" and detail["asset"]["status"] == "fault"
    assert "working" in [s["value"] for s in detail["asset"]["next_statuses"]]
    photo = jpeg().getvalue()
    response = field_team.post(
        detail["action_url"],
        {"status": "resolved", "note": "更换镇流器", "asset_status": "working", "lon": "118.6201",
         "lat": "32.0501", "photos": [io.BytesIO(photo)],
         "photo_sha256": hashlib.sha256(photo).hexdigest()},
        format="multipart", HTTP_IF_MATCH=f'"{detail["version"]}"', HTTP_IDEMPOTENCY_KEY="k-1",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    light.refresh_from_db()
    made.refresh_from_db()
    assert (made.status, light.status) == ("resolved", "working")
    change = ChangeRecord.objects.get(object_code="LD-OUT", action="status")
    assert change.source == f"workorder:{made.code}" and change.photos.count() == 1
    assert made.events.get(action="resolved").asset_change == change
    assert response.json()["asset"]["status"] == "working"
    # The same request again (a retry after a lost answer) changes nothing twice.
    again = field_team.post(detail["action_url"], {"status": "resolved", "note": "x"},
                            HTTP_IF_MATCH=f'"{detail["version"]}"',
                            HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip
    assert again.status_code == 422  # the key was used for a different request


def test_steps_need_if_match_and_stale_ones_get_what_changed(field_team, gis_client):
    made = order("2023-06-01 21:00")
    url = f"/api/workorders/{made.pk}/status"
    assert field_team.post(url, {"status": "replied", "note": "x"}).status_code == 428
    services.workorder_dispatch(order=made)
    stale = field_team.post(url, {"status": "replied", "note": "x"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["changes_since"][0]["changes"] == {"status": ["received", "dispatched"]}
    # The field team may not reject; the desk (GIS staff) may.
    denied = field_team.post(url, {"status": "rejected", "note": "no"}, HTTP_IF_MATCH='"2"')
    assert denied.status_code == 403
    done = gis_client.post(url, {"status": "rejected", "note": "属供电部门"}, HTTP_IF_MATCH='"2"')
    assert done.status_code == 200 and done.json()["status"] == "rejected"


def test_the_team_list_is_its_area_soonest_deadline_first(field_team, areas):
    late = order("2023-06-01 09:00", category="sanitation")  # due 2 June
    soon = order("2023-06-01 08:00", category="toilet")  # due 3 June
    order("2023-06-01 07:00", lon=118.68)  # the east: another team's
    done = order("2023-06-01 06:00", replied="2023-06-01 07:00", closed="2023-06-01 09:00")
    tasks = field_team.get("/api/workorders/field/nearby").json()["tasks"]
    assert [t["code"] for t in tasks] == [late.code, soon.code]
    assert all(t["overdue"] for t in tasks) and done.code not in str(tasks)
    nearby = field_team.get("/api/workorders/field/nearby?near=118.62,32.05&radius=100")
    assert [t["distance_m"] for t in nearby.json()["tasks"]] == [0.0, 0.0]
    assert nearby.json()["tasks"][0]["action_url"].endswith(f"/{late.pk}/status")


def test_hotspots_count_orders_per_grid_square(planner_client, areas):
    for lon in (118.6201, 118.6202, 118.6203):
        order("2023-06-01 09:00", lon=lon, lat=32.0501)
    order("2023-06-02 09:00", category="toilet", lon=118.6202, lat=32.0502)
    order("2023-06-02 09:00", lon=118.68, lat=32.05)
    order("2022-06-02 09:00", lon=118.68, lat=32.05)  # outside the period
    url = "/api/workorders/hotspots?start=2023-01-01&end=2023-12-31&cell=500"
    body = planner_client.get(url).json()
    assert (body["total"], body["max"]) == (5, 4)
    top = body["features"][0]["properties"]
    assert top == {"count": 4, "by_category": {"street_light": 3, "toilet": 1}}
    only = planner_client.get(url + "&category=toilet").json()
    assert only["total"] == 1
    assert planner_client.get(url + "&category=ufo").status_code == 400
    assert APIClient().get(url).status_code in (401, 403)


def test_toilet_complaints_outside_every_toilets_service_area(planner_client, areas):
    factories.toilet("GC-S1", lon=118.62, lat=32.05)
    inside = order("2023-06-01 09:00", category="toilet", lon=118.6210, lat=32.05)  # ~95 m
    order("2023-06-01 09:00", category="toilet", lon=118.6400, lat=32.05)  # ~1.9 km
    order("2023-06-01 09:00", category="toilet", lon=118.6401, lat=32.0501)
    order("2023-06-01 09:00", category="street_light", lon=118.64, lat=32.05)  # other category
    body = planner_client.get(
        "/api/workorders/signal?layer=toilets&start=2023-01-01&end=2023-12-31"
    ).json()
    assert body["kind"] == "outside_service_area"
    assert body["stats"]["total"] == 3 and body["stats"]["signalled"] == 2
    [cell] = body["features"]["features"]
    assert cell["properties"]["count"] == 2
    assert inside.code not in str(body)
    assert planner_client.get("/api/workorders/signal?layer=roads").status_code == 404


def test_light_complaints_along_dark_stretches(planner_client, areas):
    factories.road("DL-D", coords=((118.61, 32.05), (118.64, 32.05)))
    factories.light("LD-1", lon=118.6100, lat=32.05)
    factories.light("LD-2", lon=118.6104, lat=32.05)  # lit start, then ~2.8 km dark
    order("2023-06-01 21:00", lon=118.6300, lat=32.0501)  # ~11 m off the dark stretch
    order("2023-06-01 21:00", lon=118.6300, lat=32.0600)  # ~1.1 km off the road
    body = planner_client.get(
        "/api/workorders/signal?layer=street-lights&start=2023-01-01&end=2023-12-31"
    ).json()
    assert body["kind"] == "along_dark"
    assert (body["stats"]["total"], body["stats"]["signalled"]) == (2, 1)


def test_field_layers_leave_work_orders_to_the_task_list(field_team, areas):
    order("2023-06-01 09:00")
    factories.toilet("GC-F", lon=118.62, lat=32.05)
    assets = field_team.get("/api/field/nearby?near=118.62,32.05").json()["assets"]
    assert [a["layer"] for a in assets] == ["toilets"]
    assert Point(118.62, 32.05, srid=4326)


def test_the_desk_confirms_the_proposed_asset_or_another(gis_client, areas):
    factories.light("LD-P", lon=118.6201, lat=32.05)
    factories.light("LD-Q", lon=118.6210, lat=32.05)
    made = order("2023-06-01 21:00")
    url = f"/api/workorders/{made.pk}/asset"
    assert gis_client.post(url, {}).status_code == 428
    body = gis_client.post(url, {}, HTTP_IF_MATCH='"1"').json()
    assert (body["asset"]["code"], body["asset"]["confirmed"]) == ("LD-P", True)
    other = gis_client.post(url, {"layer": "street-lights", "code": "LD-Q"}, HTTP_IF_MATCH='"2"')
    assert other.json()["asset"]["code"] == "LD-Q"
    wrong = gis_client.post(url, {"layer": "toilets", "code": "LD-Q"}, HTTP_IF_MATCH='"3"')
    assert wrong.status_code == 400 and "asset_layer" in wrong.json()["errors"]
    none = gis_client.post(url, {"none": "1"}, HTTP_IF_MATCH='"3"').json()
    assert none["asset"] is None
