"""The public "open at" answer: cached per data version, with an ETag and Cache-Control."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from parking.models import OccupancyReport, SharingWindow
from tests import factories

pytestmark = pytest.mark.django_db
AT = {"at": "2023-11-10T22:00"}  # a Friday evening


@pytest.fixture
def night(areas):
    cache.clear()
    facility = factories.facility("TC-NIGHT")
    SharingWindow.objects.create(
        facility=facility,
        weekdays=[1, 2, 3, 4, 5],
        start_time=dt.time(19),
        end_time=dt.time(7, 30),
        berths_shared=40,
        audience="public",
    )
    return facility


def test_a_repeated_question_costs_one_small_query(anon_client, night, django_assert_num_queries):
    first = anon_client.get("/api/parking/open", AT)
    assert first.status_code == 200
    # The data version only; the facilities and windows come from the cache.
    with django_assert_num_queries(1):
        again = anon_client.get("/api/parking/open", AT)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"] and first["ETag"].startswith('"')
    assert first["Cache-Control"] == "public, max-age=10"


def test_if_none_match_gives_304_without_a_body(anon_client, night):
    etag = anon_client.get("/api/parking/open", AT)["ETag"]
    response = anon_client.get("/api/parking/open", AT, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response.content == b""
    assert response["ETag"] == etag
    stale = anon_client.get("/api/parking/open", AT, HTTP_IF_NONE_MATCH='"other"')
    assert stale.status_code == 200


def test_a_write_is_seen_on_the_next_request(anon_client, night):
    before = anon_client.get("/api/parking/open", AT).json()["features"][0]["properties"]
    assert before["berths_shared"] == 40
    SharingWindow.objects.filter(facility=night).update(berths_shared=25)
    after = anon_client.get("/api/parking/open", AT).json()["features"][0]["properties"]
    assert after["berths_shared"] == 25
    # A new occupancy report, too (the count shown beside the facility).
    OccupancyReport.objects.create(
        facility=night, observed_at=timezone.now(), free_berths=7, source="t"
    )
    latest = anon_client.get("/api/parking/open", AT).json()["features"][0]["properties"]
    assert latest["free_berths"] == 7


def test_different_questions_are_different_answers(anon_client, night):
    evening = anon_client.get("/api/parking/open", AT).json()
    noon = anon_client.get("/api/parking/open", {"at": "2023-11-10T12:00"}).json()
    assert [f["properties"]["code"] for f in evening["features"]] == ["TC-NIGHT"]
    assert noon["features"] == []
    residents = anon_client.get("/api/parking/open", {**AT, "audience": "residents"}).json()
    assert residents["features"] == []


def test_caching_can_be_turned_off(anon_client, night, settings, django_assert_num_queries):
    settings.GEOCM = {**settings.GEOCM, "PUBLIC_ANSWER_SECONDS": 0}
    anon_client.get("/api/parking/open", AT)
    with django_assert_num_queries(2):  # facilities, then their open windows
        response = anon_client.get("/api/parking/open", AT)
    assert response["Cache-Control"] == "no-cache"
