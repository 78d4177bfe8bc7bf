"""Open311 GeoReport v2 at /open311/v2/, checked field by field against the specification:
the element names and their order, both formats, the error format, the filters."""

import datetime as dt
import json
from xml.etree import ElementTree as ET

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from geo_cm import gcj02
from workorders import services
from workorders.models import WorkOrder

from .conftest import local, order

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"]  # fmt: skip
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description",
                    "order", "description", "values"]  # fmt: skip
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
]  # fmt: skip
POST_ANSWER_FIELDS = ["service_request_id", "service_notice", "account_id"]
ISO_LOCAL = "%Y-%m-%dT%H:%M:%S%z"


@pytest.fixture
def api_key(roles):
    user = get_user_model().objects.create_user(username="app")
    user.groups.add(Group.objects.get(name="report_client"))
    return Token.objects.create(user=user).key


def xml(response):
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own server's answer


def error_of(response, fmt="json"):
    """GeoReport's error body: one error with a code equal to the HTTP status."""
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        [error] = list(root)
        assert error.tag == "error" and [c.tag for c in error] == ["code", "description"]
        assert int(error.find("code").text) == response.status_code
        return error.find("description").text
    [error] = response.json()
    assert list(error) == ["code", "description"] and error["code"] == response.status_code
    return error["description"]


def test_service_list_in_both_formats(anon_client):
    services_json = anon_client.get("/open311/v2/services.json").json()
    assert [s["service_code"] for s in services_json][:2] == ["street_light", "toilet"]
    for service in services_json:
        assert list(service) == SERVICE_FIELDS
        assert service["type"] in ("realtime", "batch", "blackbox")
        assert service["metadata"] is True
    root = xml(anon_client.get("/open311/v2/services.xml"))
    assert root.tag == "services" and {c.tag for c in root} == {"service"}
    first = root[0]
    assert [c.tag for c in first] == SERVICE_FIELDS
    assert first.find("metadata").text == "true"
    assert first.find("service_code").text == "street_light"


def test_service_definition_lists_the_optional_attributes(anon_client):
    body = anon_client.get("/open311/v2/services/street_light.json").json()
    assert list(body) == ["service_code", "attributes"]
    for attribute in body["attributes"]:
        assert list(attribute) == ATTRIBUTE_FIELDS
        assert attribute["datatype"] == "singlevaluelist"
        assert all(list(v) == ["key", "name"] for v in attribute["values"])
    assert [a["code"] for a in body["attributes"]] == ["channel", "datum"]
    root = xml(anon_client.get("/open311/v2/services/toilet.xml"))
    assert root.tag == "service_definition"
    attribute = root.find("attributes/attribute")
    assert [c.tag for c in attribute] == ATTRIBUTE_FIELDS
    assert attribute.find("values/value/key").text == "12345"
    missing = anon_client.get("/open311/v2/services/ufo.json")
    assert missing.status_code == 404 and "ufo" in error_of(missing)


def test_post_with_an_api_key_creates_a_request(anon_client, areas, api_key):
    glon, glat = gcj02.wgs84_to_gcj02(118.62, 32.05)
    response = anon_client.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "street_light",
            "lat": f"{glat:.7f}",
            "long": f"{glon:.7f}",
            "attribute[datum]": "gcj02",
            "attribute[channel]": "12345",
            "description": "路灯不亮",
            "address_string": "浦珠路",
            "first_name": "张",
            "last_name": "三",
            "phone": "13800000000",
            "email": "z@example.com",
            "media_url": "https://example.com/p.jpg",
        },
    )
    assert response.status_code == 201
    [answer] = response.json()
    assert list(answer) == POST_ANSWER_FIELDS
    made = WorkOrder.objects.get(code=answer["service_request_id"])
    assert (made.channel, made.reported_datum, made.category) == ("12345", "gcj02", "street_light")
    # GCJ-02 in, WGS84 stored: back within a centimetre of the point converted.
    assert made.geom.x == pytest.approx(118.62, abs=1e-6)
    assert made.geom.y == pytest.approx(32.05, abs=1e-6)
    assert (made.reporter_name, made.reporter_phone) == ("张 三", "13800000000")
    assert made.subdistrict == areas["west"] and made.source.startswith("open311:")
    # The same in XML.
    response = anon_client.post(
        "/open311/v2/requests.xml",
        {"api_key": api_key, "service_code": "toilet", "lat": "32.05", "long": "118.68"},
    )
    assert response.status_code == 201
    root = xml(response)
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == POST_ANSWER_FIELDS


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"service_code": "toilet", "lat": "32.05", "long": "118.62"}, 403, "api_key"),
        ({"api_key": "nope", "service_code": "toilet", "lat": "32.05", "long": "118.62"}, 403,
         "api_key"),
        ({"service_code": "ufo", "lat": "32.05", "long": "118.62"}, 400, "ufo"),
        ({"service_code": "toilet", "address_string": "浦珠路"}, 400, "lat 和 long"),
        ({"service_code": "toilet", "lat": "north", "long": "118.62"}, 400, "十进制"),
        ({"service_code": "toilet", "lat": "32.05", "long": "119.9"}, 400, "lat/long"),
        ({"service_code": "toilet", "lat": "32.05", "long": "118.62",
          "attribute[channel]": "110"}, 400, "attribute[channel]"),
        ({"service_code": "toilet", "lat": "32.05", "long": "118.62",
          "media_url": "file:///etc/passwd"}, 400, "media_url"),
        ({"service_code": "toilet", "lat": "32.05", "long": "118.62",
          "description": "x" * 4001}, 400, "description"),
        ({"service_code": "toilet", "lat": "32.05", "long": "118.62",
          "jurisdiction_id": "110000"}, 404, "jurisdiction_id"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_errors_name_the_field_in_the_spec_format(
    anon_client, areas, api_key, body, status, words, fmt
):
    if "api_key" not in body and status != 403:
        body = {**body, "api_key": api_key}
    before = WorkOrder.objects.count()
    response = anon_client.post(f"/open311/v2/requests.{fmt}", body)
    assert response.status_code == status
    assert words in error_of(response, fmt)
    assert WorkOrder.objects.count() == before


@pytest.fixture
def requests_made(areas):
    opened = order("2023-06-01 09:00", category="sanitation", address="某小区3栋",
                   lon=118.6234567, lat=32.0512345)  # fmt: skip
    closed = order("2023-06-02 09:00", replied="2023-06-02 10:00", resolved="2023-06-02 15:00",
                   closed="2023-06-03 09:00", lon=118.68)  # fmt: skip
    rejected = order("2023-06-03 09:00", category="toilet")
    services.workorder_reject(order=rejected, reason="不属于城管职责", at=local("2023-06-03 10:00"))
    order("2023-01-02 09:00", category="toilet")  # outside the default 90 days
    return {"open": opened, "closed": closed, "rejected": rejected}


def test_get_requests_field_by_field_for_the_public(anon_client, requests_made):
    query = "start_date=2023-05-15T00:00:00%2B08:00&end_date=2023-06-30T00:00:00%2B08:00"
    records = anon_client.get(f"/open311/v2/requests.json?{query}").json()
    assert [r["service_request_id"] for r in records] == [
        requests_made[k].code for k in ("rejected", "closed", "open")
    ]
    for record in records:
        assert list(record) == REQUEST_FIELDS
        dt.datetime.strptime(record["requested_datetime"], ISO_LOCAL)
        dt.datetime.strptime(record["updated_datetime"], ISO_LOCAL)
        # No personal data for the public: no description, address or photo link.
        assert record["description"] is None and record["address"] is None
        assert record["media_url"] is None
    rejected, closed, opened = records
    assert rejected["status"] == "closed" and rejected["status_notes"] == "不属于城管职责"
    assert closed["status"] == "closed" and closed["expected_datetime"] is None
    assert closed["status_notes"] == "已修复" and closed["agency_responsible"] == "泰山街道"
    assert opened["status"] == "open" and opened["service_code"] == "sanitation"
    assert opened["requested_datetime"] == "2023-06-01T09:00:00+08:00"
    assert opened["expected_datetime"] == "2023-06-02T09:00:00+08:00"  # sanitation: 1 day
    # A report that may be at a home is shown to about 100 m.
    assert (opened["lat"], opened["long"]) == (32.051, 118.623)
    root = xml(anon_client.get(f"/open311/v2/requests.xml?{query}"))
    assert root.tag == "service_requests" and len(root) == 3
    request = root[2]
    assert request.tag == "request" and [c.tag for c in request] == REQUEST_FIELDS
    assert request.find("status").text == "open" and request.find("description").text is None


def test_get_requests_in_full_for_staff(gis_client, requests_made):
    code = requests_made["open"].code
    [record] = gis_client.get(f"/open311/v2/requests/{code}.json").json()
    assert record["description"] == "测试" and record["address"] == "某小区3栋"
    assert (record["lat"], record["long"]) == (32.0512345, 118.6234567)


def test_get_requests_filters(anon_client, requests_made):
    window = "start_date=2023-05-15&end_date=2023-06-30"

    def codes(query):
        response = anon_client.get(f"/open311/v2/requests.json?{window}&{query}")
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    made = {k: v.code for k, v in requests_made.items()}
    assert codes("status=open") == {made["open"]}
    assert codes("status=closed") == {made["closed"], made["rejected"]}
    assert codes("status=open,closed") == set(made.values())
    assert codes("service_code=toilet,sanitation") == {made["open"], made["rejected"]}
    # service_request_id overrides every other filter (the January order is found too).
    january = WorkOrder.objects.get(received_at__month=1).code
    assert codes(f"service_request_id={january},{made['open']}&status=closed") == {
        january,
        made["open"],
    }
    # Without dates: the 90 days up to now (the 2023 orders are older).
    assert anon_client.get("/open311/v2/requests.json").json() == []


@pytest.mark.parametrize(
    "query, status, words",
    [
        ("start_date=2023-01-01&end_date=2023-06-30", 400, "90 天"),
        ("start_date=yesterday", 400, "start_date"),
        ("start_date=2023-06-30&end_date=2023-06-01", 400, "end_date"),
        ("status=pending", 400, "status"),
        ("service_code=ufo", 400, "ufo"),
        ("jurisdiction_id=310000", 404, "jurisdiction_id"),
    ],
)
def test_get_requests_errors(anon_client, requests_made, query, status, words):
    response = anon_client.get(f"/open311/v2/requests.xml?{query}")
    assert response.status_code == status
    assert words in error_of(response, "xml")


def test_one_request_and_a_missing_one(anon_client, requests_made):
    code = requests_made["closed"].code
    body = anon_client.get(f"/open311/v2/requests/{code}.json").json()
    assert len(body) == 1 and body[0]["service_request_id"] == code
    root = xml(anon_client.get(f"/open311/v2/requests/{code}.xml"))
    assert root.find("request/service_request_id").text == code
    missing = anon_client.get("/open311/v2/requests/GD-0.json")
    assert missing.status_code == 404 and "GD-0" in error_of(missing)


def test_discovery_names_the_specification(anon_client):
    body = anon_client.get("/open311/v2/discovery.json").json()
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert json.loads(anon_client.get("/open311/v2/").content) == body
