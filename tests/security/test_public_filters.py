"""Filters act only on what the reader may read: a staff-only date cannot be searched by
anonymous users (else repeated searches would recover it), staff can."""

import datetime as dt

import pytest

from tests import factories

ITEMS = "/ogc/collections/{}/items"


@pytest.fixture
def hidden_dates(areas):
    # Street lights show anonymous users code, lamp type, status and subdistrict only:
    # installed_on (the layer's date) is staff-only. Toilets hide completed_on.
    factories.light("LD-OLD", installed_on=dt.date(2009, 4, 1))
    factories.light("LD-NEW", lon=118.66, installed_on=dt.date(2021, 8, 9))
    factories.toilet("GC-OLD", completed_on=dt.date(2010, 1, 1))
    factories.segment("GW-1")  # completed_on 2023-05-01, public on greenways


@pytest.mark.parametrize(
    "slug, params",
    [
        ("street-lights", {"datetime": "2009-01-01/2009-12-31"}),
        ("street-lights", {"datetime": "2021-08-09"}),
        ("street-lights", {"year": "2009"}),
        ("toilets", {"datetime": "../2011-01-01"}),
        ("toilets", {"year": "2010"}),
    ],
)
def test_anonymous_filters_on_a_hidden_date_are_refused(hidden_dates, anon_client, slug, params):
    response = anon_client.get(ITEMS.format(slug), params)
    assert response.status_code == 400
    body = response.json()
    name = next(iter(params))
    assert body["code"] == "InvalidParameterValue" and name in body["errors"]


def test_a_refusal_says_nothing_about_the_hidden_value(hidden_dates, anon_client):
    # Searching the year it is and a year it is not give the very same answer.
    hit = anon_client.get(ITEMS.format("street-lights"), {"year": "2009"})
    miss = anon_client.get(ITEMS.format("street-lights"), {"year": "2015"})
    assert hit.status_code == miss.status_code == 400
    assert hit.json() == {**miss.json(), "description": hit.json()["description"]}
    assert hit.json()["description"] == miss.json()["description"].replace("2015", "2009")


def test_staff_filter_on_the_date_they_can_read(hidden_dates, gis_client):
    body = gis_client.get(ITEMS.format("street-lights"), {"datetime": "2009-01-01/2009-12-31"})
    assert body.status_code == 200
    assert [f["properties"]["code"] for f in body.json()["features"]] == ["LD-OLD"]
    body = gis_client.get(ITEMS.format("toilets"), {"year": "2010"}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["GC-OLD"]


def test_anonymous_users_filter_on_a_public_date(hidden_dates, anon_client):
    body = anon_client.get(ITEMS.format("greenways"), {"datetime": "2023-05-01"})
    assert body.status_code == 200 and [
        f["properties"]["code"] for f in body.json()["features"]
    ] == ["GW-1"]
    body = anon_client.get(ITEMS.format("greenways"), {"year": "2022"}).json()
    assert body["features"] == []


def test_public_status_and_subdistrict_filters_still_work(hidden_dates, anon_client, areas):
    body = anon_client.get(
        ITEMS.format("street-lights"), {"status": "working", "subdistrict": "320111004000"}
    ).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["LD-OLD"]


def test_cql2_and_sorting_on_a_hidden_date_are_refused_too(hidden_dates, anon_client):
    url = ITEMS.format("street-lights")
    assert anon_client.get(url, {"filter": "installed_on < DATE('2010-01-01')"}).status_code == 400
    assert anon_client.get(url, {"sortby": "installed_on"}).status_code == 400
    queryables = anon_client.get("/ogc/collections/street-lights/queryables").json()
    assert "installed_on" not in queryables["properties"]
