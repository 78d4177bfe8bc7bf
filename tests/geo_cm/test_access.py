"""Object and field permissions, API tokens, idempotent and concurrent writes."""

import base64
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from geo_cm.models import ChangeRecord, StaffScope
from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db


@pytest.fixture
def field_client(field_user, areas):
    scope = StaffScope.objects.create(user=field_user)
    scope.subdistricts.add(areas["west"])
    client = APIClient()
    client.force_authenticate(field_user)
    return client


def patch(client, toilet, props, **headers):
    return client.patch(
        f"/ogc/collections/toilets/items/{toilet.pk}",
        {"properties": props},
        format="json",
        **headers,
    )


def test_field_team_changes_status_in_its_own_subdistrict(field_client):
    mine = factories.toilet("GC-MINE", lon=118.62)
    response = patch(field_client, mine, {"status": "closed_for_repair"})
    assert response.status_code == 200, response.content
    mine.refresh_from_db()
    assert mine.status == "closed_for_repair"


def test_field_team_cannot_touch_another_subdistrict(field_client):
    other = factories.toilet("GC-OTHER", lon=118.68)
    response = patch(field_client, other, {"status": "closed_for_repair"})
    assert response.status_code == 403
    assert "GC-OTHER" in response.json()["description"]
    other.refresh_from_db()
    assert other.status == "open"


def test_field_team_cannot_change_other_fields(field_client):
    mine = factories.toilet("GC-F1", lon=118.62)
    response = patch(field_client, mine, {"name": "改名", "status": "closed_for_repair"})
    assert response.status_code == 403 and "name" in response.json()["description"]
    mine.refresh_from_db()
    assert mine.name != "改名" and mine.status == "open"


def test_field_team_cannot_create_or_delete(field_client):
    mine = factories.toilet("GC-F2", lon=118.62)
    assert field_client.delete(f"/ogc/collections/toilets/items/{mine.pk}").status_code == 403
    created = field_client.post(
        "/ogc/collections/toilets/items",
        {
            "type": "Feature",
            "properties": {"code": "GC-F3", "name": "x", "category": "city"},
            "geometry": {"type": "Point", "coordinates": [118.62, 32.05]},
        },
        format="json",
    )
    assert created.status_code == 403
    assert Toilet.objects.filter(code__in=["GC-F2"]).count() == 1


def test_gis_staff_is_not_scoped(gis_client, areas):
    other = factories.toilet("GC-G", lon=118.68)
    assert patch(gis_client, other, {"name": "新名"}).status_code == 200


def test_token_authenticates_a_machine_client_and_revoking_stops_it(gis_user, areas):
    toilet = factories.toilet("GC-TOK")
    token = Token.objects.create(user=gis_user)
    client = APIClient()
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert patch(client, toilet, {"name": "甲"}, **auth).status_code == 200
    token.delete()
    assert patch(client, toilet, {"name": "乙"}, **auth).status_code == 401
    toilet.refresh_from_db()
    assert toilet.name == "甲"


def test_same_idempotency_key_five_times_makes_one_change(gis_client, areas):
    toilet = factories.toilet("GC-IDEM")
    answers = [
        patch(
            gis_client,
            toilet,
            {"status": "closed_for_repair"},
            HTTP_IDEMPOTENCY_KEY="phone-1-update-7",
        )
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [200] * 5
    assert [a.get("Idempotent-Replayed") for a in answers] == [None] + ["true"] * 4
    assert len({a["ETag"] for a in answers}) == 1
    assert ChangeRecord.objects.filter(object_code="GC-IDEM", action="status").count() == 1
    toilet.refresh_from_db()
    assert toilet.version == 2


def test_reusing_a_key_for_another_request_is_422(gis_client, areas):
    toilet = factories.toilet("GC-IDEM2")
    patch(gis_client, toilet, {"name": "甲"}, HTTP_IDEMPOTENCY_KEY="k1")
    response = patch(gis_client, toilet, {"name": "乙"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    toilet.refresh_from_db()
    assert toilet.name == "甲"


def test_failed_write_does_not_consume_the_key(gis_client, areas):
    toilet = factories.toilet("GC-IDEM3", status="planned")
    bad = patch(gis_client, toilet, {"status": "open"}, HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 400
    toilet.refresh_from_db()
    assert toilet.status == "planned"


def _live_patch(url, auth, body, headers):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="PATCH",
        headers={"Content-Type": "application/json", "Authorization": auth, **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.django_db(transaction=True)
def test_two_racing_updates_from_the_same_version_one_wins(live_server, gis_user, areas):
    toilet = factories.toilet("GC-RACE")
    url = f"{live_server.url}/ogc/collections/toilets/items/{toilet.pk}"
    auth = "Basic " + base64.b64encode(b"gis:pw-gis").decode()
    with ThreadPoolExecutor(2) as pool:
        codes = sorted(
            pool.map(
                lambda name: _live_patch(
                    url, auth, {"properties": {"name": name}}, {"If-Match": '"1"'}
                ),
                ["甲", "乙"],
            )
        )
    assert codes == [200, 412]
    toilet.refresh_from_db()
    assert toilet.version == 2


@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_key_make_one_change(live_server, gis_user, areas):
    toilet = factories.toilet("GC-RACE2")
    url = f"{live_server.url}/ogc/collections/toilets/items/{toilet.pk}"
    auth = "Basic " + base64.b64encode(b"gis:pw-gis").decode()
    body = {"properties": {"status": "closed_for_repair"}}
    with ThreadPoolExecutor(4) as pool:
        codes = list(
            pool.map(
                lambda _: _live_patch(url, auth, body, {"Idempotency-Key": "race-1"}), range(4)
            )
        )
    assert codes == [200] * 4
    assert ChangeRecord.objects.filter(object_code="GC-RACE2", action="status").count() == 1
