"""Items beyond Part 1's core: sortby, properties, feature links, errors, /ogc answering."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilities(areas):
    factories.facility("TC-A", name="甲", total_berths=50, lon=118.61)
    factories.facility("TC-B", name="乙", total_berths=200, lon=118.62)
    factories.facility("TC-C", name="丙", total_berths=50, lon=118.63)
    factories.facility("TC-D", name="丁", total_berths=120, lon=118.64)


def page(client, **params):
    response = client.get("/ogc/collections/parking-facilities/items", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_sortby_orders_the_page_and_keeps_paging_stable(anon_client, facilities):
    body = page(anon_client, sortby="-total_berths,code")
    assert [f["properties"]["code"] for f in body["features"]] == ["TC-B", "TC-D", "TC-A", "TC-C"]
    # "+" (or nothing) is ascending; a raw "+" in a URL arrives as a space.
    asc = page(anon_client, sortby="+total_berths")
    assert [f["properties"]["total_berths"] for f in asc["features"]] == [50, 50, 120, 200]
    # Ties are broken by id, so pages of a sorted list never overlap or skip.
    seen = []
    url = "/ogc/collections/parking-facilities/items?sortby=total_berths&limit=1"
    while url:
        one = anon_client.get(url).json()
        seen += [f["properties"]["code"] for f in one["features"]]
        url = next((lk["href"] for lk in one["links"] if lk["rel"] == "next"), None)
    assert sorted(seen) == ["TC-A", "TC-B", "TC-C", "TC-D"] and len(seen) == 4
    assert seen[-1] == "TC-B"


def test_sortby_a_foreign_key_sorts_by_the_code_shown(anon_client, areas):
    factories.segment("GW-1")
    from greenways.models import Route

    Route.objects.create(code="A-FIRST", name="甲线")
    factories.segment("GW-2", route=Route.objects.get(code="A-FIRST"))
    body = anon_client.get("/ogc/collections/greenways/items", {"sortby": "route"}).json()
    assert [f["properties"]["route"] for f in body["features"]] == ["A-FIRST", "R-T"]


def test_properties_selects_and_orders_what_is_returned(anon_client, facilities):
    body = page(anon_client, properties="total_berths,code", sortby="code", limit=1)
    feature = body["features"][0]
    assert list(feature["properties"]) == ["total_berths", "code"]
    assert feature["geometry"]["type"] == "Point"
    none = page(anon_client, properties="", limit=1)
    assert none["features"][0]["properties"] == {}


def test_single_feature_has_self_and_collection_links(anon_client, facilities):
    from parking.models import Facility

    pk = Facility.objects.get(code="TC-A").pk
    response = anon_client.get(f"/ogc/collections/parking-facilities/items/{pk}")
    body = response.json()
    links = {lk["rel"]: lk for lk in body["links"]}
    assert links["self"]["href"].endswith(f"/ogc/collections/parking-facilities/items/{pk}")
    assert links["self"]["type"] == "application/geo+json"
    assert links["collection"]["href"].endswith("/ogc/collections/parking-facilities")
    assert anon_client.get(links["collection"]["href"]).status_code == 200
    narrowed = anon_client.get(
        f"/ogc/collections/parking-facilities/items/{pk}", {"properties": "name"}
    ).json()
    assert narrowed["properties"] == {"name": "甲"}


def test_sorted_filtered_reprojected_page_is_still_two_queries(anon_client, facilities):
    params = {
        "filter": "total_berths >= 50 AND S_INTERSECTS(geometry, BBOX(118.6, 32, 118.7, 32.1))",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/4549",
        "sortby": "-name",
    }
    page(anon_client, **params)  # warm caches (permissions, content types)
    with CaptureQueriesContext(connection) as queries:
        body = page(anon_client, **params)
    assert body["numberReturned"] == 4
    # subdistrict codes, SET LOCAL jit, count, features
    assert len(queries) <= 4, [q["sql"][:80] for q in queries]


@pytest.mark.parametrize(
    "method, url, status, code",
    [
        ("get", "/ogc/collections/nope", 404, "NotFound"),
        ("get", "/ogc/collections/nope/items", 404, "NotFound"),
        ("get", "/ogc/collections/toilets/items/999999", 404, "NotFound"),
        ("get", "/ogc/collections/nope/queryables", 404, "NotFound"),
        ("get", "/ogc/collections/toilets/tiles/WebMercatorQuad/3/9/0", 404, "NotFound"),
        ("get", "/ogc/anything/else", 404, "NotFound"),
        ("get", "/ogc/collections/toilets/items?limit=x", 400, "InvalidParameterValue"),
        ("post", "/ogc/collections/toilets/items", 403, "Forbidden"),
        ("delete", "/ogc/collections/toilets", 405, "OperationNotSupported"),
        ("post", "/ogc/conformance", 405, "OperationNotSupported"),
    ],
)
def test_one_error_format_with_ogc_codes(client, areas, roles, method, url, status, code):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("reader", password="pw-reader")
    client.force_login(user)  # authenticated without write permissions: 403, not 401
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["description"]


def test_ogc_without_the_slash_answers_directly(anon_client):
    response = anon_client.get("/ogc")
    assert response.status_code == 200
    body = response.json()
    assert any(lk["rel"] == "conformance" for lk in body["links"])
    assert body == anon_client.get("/ogc/").json()


def test_a_collection_url_with_item_parameters_passes_them_to_its_items_link(anon_client, areas):
    """How GDAL 3.6 opens a filtered, re-projected layer (it repeats the URL's query)."""
    query = "crs=EPSG%3A4549&filter=accessible%3DTRUE"
    body = anon_client.get(f"/ogc/collections/toilets?{query}").json()
    items = next(lk for lk in body["links"] if lk["rel"] == "items")
    assert items["href"].endswith(f"/ogc/collections/toilets/items?{query}")
    # The same parameters are checked, not passed on blindly; unknown names stay refused.
    assert anon_client.get("/ogc/collections/toilets?filter=nope%3D1").status_code == 400
    assert anon_client.get("/ogc/collections/toilets?colour=red").status_code == 400
    # Metadata resources accept the names (GDAL sends them everywhere) and ignore them.
    for url in (
        "/ogc/",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/toilets/queryables",
    ):
        assert anon_client.get(f"{url}?{query}").status_code == 200, url
