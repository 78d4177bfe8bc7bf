import datetime as dt
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from geo_cm import gcj02
from parking.models import OccupancyReport, SharingWindow
from tests import factories

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def shared(areas):
    night = factories.facility(
        "TC-NIGHT", address="文德路1号", public_phone="025-1", operator_contact="secret-operator"
    )
    SharingWindow.objects.create(
        facility=night,
        weekdays=[1, 2, 3, 4, 5],
        start_time=dt.time(19),
        end_time=dt.time(7, 30),
        berths_shared=40,
        audience="public",
        price="2元/小时",
    )
    day = factories.facility("TC-DAY", lon=118.69)
    SharingWindow.objects.create(
        facility=day,
        weekdays=[1, 2, 3, 4, 5],
        start_time=dt.time(8),
        end_time=dt.time(18),
        berths_shared=10,
        audience="residents",
    )
    return night, day


def test_open_at_friday_22h(anon_client, shared):
    body = anon_client.get("/api/parking/open", {"at": "2023-11-10T22:00"}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["TC-NIGHT"]
    props = body["features"][0]["properties"]
    assert props["berths_shared"] == 40 and props["windows"][0]["crosses_midnight"] is True
    assert "operator_contact" not in props and "secret-operator" not in str(body)


def test_navigation_links_start_a_route_to_the_named_facility(anon_client, shared):
    props = anon_client.get("/api/parking/open", {"at": "2023-11-10T22:00"}).json()["features"][0][
        "properties"
    ]
    amap = urlsplit(props["navigation"]["amap"])
    query = parse_qs(amap.query)
    assert (amap.netloc, amap.path) == ("uri.amap.com", "/navigation")
    glon, glat = gcj02.wgs84_to_gcj02(118.68, 32.05)
    assert query["to"] == [f"{glon:.6f},{glat:.6f},{props['name']}"]
    assert query["mode"] == ["car"] and query["coordinate"] == ["gaode"]
    assert "from" not in query  # no position given: the app routes from the phone's own
    baidu = urlsplit(props["navigation"]["baidu"])
    query = parse_qs(baidu.query)
    assert (baidu.netloc, baidu.path) == ("api.map.baidu.com", "/direction")
    blon, blat = gcj02.wgs84_to_bd09(118.68, 32.05)
    assert query["destination"] == [f"latlng:{blat:.6f},{blon:.6f}|name:{props['name']}"]
    assert query["coord_type"] == ["bd09ll"] and query["mode"] == ["driving"]
    assert query["output"] == ["html"] and query["src"]


def test_navigation_starts_from_the_visitors_position_when_known(anon_client, shared):
    body = anon_client.get(
        "/api/parking/open", {"at": "2023-11-10T22:00", "near": "118.61,32.01"}
    ).json()
    links = body["features"][0]["properties"]["navigation"]
    olon, olat = gcj02.wgs84_to_gcj02(118.61, 32.01)
    assert parse_qs(urlsplit(links["amap"]).query)["from"][0].startswith(f"{olon:.6f},{olat:.6f},")
    blon, blat = gcj02.wgs84_to_bd09(118.61, 32.01)
    assert parse_qs(urlsplit(links["baidu"]).query)["origin"][0].startswith(
        f"latlng:{blat:.6f},{blon:.6f}|name:"
    )


def test_separators_in_a_name_cannot_break_the_route(anon_client, shared):
    night = shared[0]
    night.name = "停车场,北区|东门"
    night.save(update_fields=["name"])
    props = anon_client.get("/api/parking/open", {"at": "2023-11-10T22:00"}).json()["features"][0][
        "properties"
    ]
    to = parse_qs(urlsplit(props["navigation"]["amap"]).query)["to"][0]
    assert to.split(",")[2] == "停车场，北区｜东门" and len(to.split(",")) == 3
    destination = parse_qs(urlsplit(props["navigation"]["baidu"]).query)["destination"][0]
    assert destination.endswith("|name:停车场，北区｜东门") and destination.count("|") == 1


def test_residents_only_offers_are_flagged(anon_client, shared):
    body = anon_client.get("/api/parking/open", {"at": "2023-11-10T10:00"}).json()
    props = body["features"][0]["properties"]
    assert props["code"] == "TC-DAY" and props["residents_only"] is True
    assert props["audiences"] == ["residents"]
    assert (
        anon_client.get(
            "/api/parking/open", {"at": "2023-11-10T10:00", "audience": "public"}
        ).json()["features"]
        == []
    )
    night = anon_client.get("/api/parking/open", {"at": "2023-11-10T22:00"}).json()
    assert night["features"][0]["properties"]["residents_only"] is False


def test_near_me_sorts_by_distance_in_metres(anon_client, shared):
    body = anon_client.get(
        "/api/parking/open", {"at": "2023-11-08T12:00", "near": "118.69,32.05"}
    ).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["TC-DAY"]
    assert body["features"][0]["properties"]["distance_m"] == 0


@pytest.mark.parametrize(
    "params, field",
    [
        ({"at": "tonight"}, "at"),
        ({"at": "2023-13-01T22:00"}, "at"),
        ({"audience": "aliens"}, "audience"),
        ({"near": "118.6"}, "near"),
        ({"near": "500,32"}, "near"),
        ({"x": "1"}, "x"),
    ],
)
def test_bad_parameters_are_400(anon_client, shared, params, field):
    response = anon_client.get("/api/parking/open", params)
    assert response.status_code == 400 and field in response.json()["errors"]


@pytest.fixture
def feed_client(roles):
    user = get_user_model().objects.create_user("gate-1")
    user.groups.add(Group.objects.get(name="parking_feed"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_feed_report_updates_the_public_map(feed_client, anon_client, shared):
    now = timezone.now()
    response = feed_client.post(
        "/api/parking/occupancy",
        {"facility": "TC-NIGHT", "observed_at": now.isoformat(), "free": 12},
        format="json",
    )
    assert response.status_code == 201, response.content
    at = timezone.localtime(now).strftime("%Y-%m-%dT%H:%M")
    body = anon_client.get("/api/parking/open", {"at": at}).json()
    props = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    if "TC-NIGHT" in props:  # only when "now" falls inside the overnight window
        assert props["TC-NIGHT"]["free_berths"] == 12 and props["TC-NIGHT"]["free_is_live"]
    assert OccupancyReport.objects.get().free_berths == 12


def test_stale_report_is_marked_not_live(feed_client, anon_client, shared, settings):
    settings.GEOCM = {**settings.GEOCM, "OCCUPANCY_LIVE_MINUTES": 15}
    night = shared[0]
    OccupancyReport.objects.create(
        facility=night,
        free_berths=3,
        source="t",
        observed_at=timezone.now() - dt.timedelta(hours=2),
    )
    at = timezone.localtime().replace(hour=22, minute=0)
    while at.isoweekday() > 5:
        at -= dt.timedelta(days=1)
    body = anon_client.get("/api/parking/open", {"at": at.strftime("%Y-%m-%dT%H:%M")}).json()
    props = body["features"][0]["properties"]
    assert props["free_berths"] == 3 and props["free_is_live"] is False
    # The stale count says when it was made, in local time, and how old it is.
    assert props["free_observed_at"].endswith("+08:00")
    assert 119 <= props["free_age_minutes"] <= 121


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"facility": "NOPE", "free": 1}, "facility"),
        ({"facility": "TC-NIGHT", "free": 101}, "free"),
        ({"facility": "TC-NIGHT", "free": -1}, "free"),
        ({"facility": "TC-NIGHT", "occupied": 500}, "occupied"),
        ({"facility": "TC-NIGHT"}, "free"),
        ({"facility": "TC-NIGHT", "free": "many"}, "free"),
        (
            {"facility": "TC-NIGHT", "free": 1, "observed_at": "2099-01-01T00:00:00+08:00"},
            "observed_at",
        ),
        (
            {"facility": "TC-NIGHT", "free": 1, "observed_at": "2001-01-01T00:00:00+08:00"},
            "observed_at",
        ),
        ({"facility": "TC-NIGHT", "free": 1, "observed_at": "yesterday"}, "observed_at"),
    ],
)
def test_feed_rejects_bad_reports_naming_the_field(feed_client, shared, payload, field):
    payload = {"observed_at": timezone.now().isoformat(), **payload}
    response = feed_client.post("/api/parking/occupancy", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not OccupancyReport.objects.exists()


def test_feed_needs_a_token_with_the_right(anon_client, planner_client, shared):
    body = {"facility": "TC-NIGHT", "free": 1, "observed_at": timezone.now().isoformat()}
    assert anon_client.post("/api/parking/occupancy", body, format="json").status_code == 401
    assert planner_client.post("/api/parking/occupancy", body, format="json").status_code == 403
    assert not OccupancyReport.objects.exists()


def test_malformed_body_is_400(feed_client, shared):
    response = feed_client.post("/api/parking/occupancy", "{oops", content_type="application/json")
    assert response.status_code == 400
