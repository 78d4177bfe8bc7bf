"""The feature API at a city's size: count estimates, keyset paging, ETags, gzip, extents.

Each behaviour is switched on small data by lowering its threshold in the settings, so the
paths taken at a million rows are the ones tested here, on the real PostGIS.
"""

import gzip
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db
ITEMS = "/ogc/collections/toilets/items"


@pytest.fixture
def toilets(areas):
    made = [factories.toilet(f"GC-{i:02d}", lon=118.605 + i * 0.01) for i in range(7)]
    # The planner's statistics, as autovacuum would have them on a real table.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE toilets_toilet")
    return made


@pytest.fixture
def geocm(settings):
    """settings.GEOCM as a copy the test may change (restored afterwards)."""
    settings.GEOCM = dict(settings.GEOCM)
    return settings.GEOCM


def _next(body):
    return next((lk["href"] for lk in body["links"] if lk["rel"] == "next"), None)


def _walk(client, url):
    codes, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        codes += [f["properties"]["code"] for f in body["features"]]
        pages += 1
        url = _next(body)
    return codes, pages


def test_number_matched_is_exact_below_the_threshold_and_left_out_above(
    anon_client, toilets, geocm
):
    geocm["API_EXACT_COUNT_MAX"] = 100
    body = anon_client.get(ITEMS, {"limit": 2}).json()
    assert body["numberMatched"] == 7 and "numberMatchedEstimate" not in body

    geocm["API_EXACT_COUNT_MAX"] = 3
    body = anon_client.get(ITEMS, {"limit": 2}).json()
    assert "numberMatched" not in body
    assert body["numberMatchedEstimate"] == 7  # ANALYZE saw every row of a small table
    assert body["numberReturned"] == 2 and len(body["features"]) == 2
    # A filter the planner expects to match few rows is counted exactly again.
    Toilet.objects.filter(code="GC-03").update(status="closed_for_repair")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE toilets_toilet")
    few = anon_client.get(ITEMS, {"status": "closed_for_repair"}).json()
    assert few["numberMatched"] == 1


def test_keyset_next_links_walk_every_feature_exactly_once(anon_client, toilets, geocm):
    expected = sorted(t.code for t in toilets)
    first = anon_client.get(ITEMS, {"limit": 3}).json()
    query = parse_qs(urlsplit(_next(first)).query)
    assert query["cursor"] == [str(max(t.pk for t in toilets[:3]))] and "offset" not in query
    codes, pages = _walk(anon_client, f"{ITEMS}?limit=3")
    assert codes == expected and pages == 3
    # Without an exact count, full pages are followed until one comes back short/empty.
    geocm["API_EXACT_COUNT_MAX"] = 0
    codes, pages = _walk(anon_client, f"{ITEMS}?limit=7")
    assert codes == expected and pages == 2
    # Filters ride along with the cursor.
    codes, _ = _walk(anon_client, f"{ITEMS}?limit=2&bbox=118.60,32.00,118.64,32.10")
    assert codes == ["GC-00", "GC-01", "GC-02", "GC-03"]
    # A small offset still works and leads on with a cursor.
    body = anon_client.get(ITEMS, {"limit": 2, "offset": 4}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["GC-04", "GC-05"]
    assert "cursor=" in _next(body) and "offset=" not in _next(body)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "-3"}, "cursor"),
        ({"cursor": "5", "offset": "2"}, "offset"),
        ({"cursor": "5", "sortby": "name"}, "cursor"),
        ({"offset": "100001"}, "offset"),
    ],
)
def test_paging_parameters_are_checked(anon_client, areas, params, field):
    response = anon_client.get(ITEMS, params)
    assert response.status_code == 400
    assert field in response.json()["description"]


def test_a_deep_offset_is_allowed_for_sorted_pages(anon_client, areas):
    response = anon_client.get(ITEMS, {"offset": "200000", "sortby": "name"})
    assert response.status_code == 200 and response.json()["features"] == []


def test_public_pages_carry_an_etag_and_answer_304_until_the_layer_changes(
    anon_client, gis_client, toilets
):
    first = anon_client.get(ITEMS, {"limit": 3})
    etag = first["ETag"]
    assert etag.startswith('W/"') and "public" in first["Cache-Control"]
    again = anon_client.get(ITEMS, {"limit": 3}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    # Another question about the same data has another tag.
    other = anon_client.get(ITEMS, {"limit": 4})
    assert other["ETag"] != etag
    # A change through the API invalidates it.
    feature = toilets[0]
    response = gis_client.patch(
        f"{ITEMS}/{feature.pk}",
        data=json.dumps({"properties": {"name": "新名字"}}),
        content_type="application/merge-patch+json",
    )
    assert response.status_code == 200, response.content
    changed = anon_client.get(ITEMS, {"limit": 3}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "新名字" in changed.content.decode()
    # A new feature (any write through geo_cm.assets) does too.
    factories.toilet("GC-NEW", lon=118.69)
    assert anon_client.get(ITEMS, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 200


def test_staff_answers_are_private_and_carry_no_shared_etag(gis_client, toilets):
    response = gis_client.get(ITEMS)
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response


def test_json_is_gzipped_for_clients_that_ask_html_is_not(anon_client, client, toilets):
    plain = anon_client.get(ITEMS)
    zipped = anon_client.get(ITEMS, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert len(zipped.content) < len(plain.content)
    assert json.loads(gzip.decompress(zipped.content)) == plain.json()
    # Two answers to the same question differ in length (random bytes against BREACH).
    sizes = {len(anon_client.get(ITEMS, HTTP_ACCEPT_ENCODING="gzip").content) for _ in range(6)}
    assert len(sizes) > 1
    page = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200 and "Content-Encoding" not in page


def test_collection_extents_are_computed_once_per_data_version(anon_client, toilets):
    def collections():
        with CaptureQueriesContext(connection) as queries:
            body = anon_client.get("/ogc/collections").json()
        extents = sum("ST_Extent" in q["sql"] for q in queries)
        bbox = next(c for c in body["collections"] if c["id"] == "toilets")["extent"]
        return bbox["spatial"]["bbox"][0], extents

    first, computed = collections()
    assert computed >= 1
    assert first == pytest.approx([118.605, 32.05, 118.665, 32.05])
    again, computed = collections()
    assert computed == 0 and again == first
    factories.toilet("GC-FAR", lon=118.695, lat=32.09)
    grown, computed = collections()
    assert computed == 1
    assert grown == pytest.approx([118.605, 32.05, 118.695, 32.09])
