"""The OGC API - Features shaped API over the layer registry."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pyproj import Geod

from geo_cm.models import ChangeRecord
from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db


def items(client, slug, **params):
    return client.get(f"/ogc/collections/{slug}/items", params)


def test_landing_page_links(anon_client):
    body = anon_client.get("/ogc/").json()
    rels = {link["rel"]: link for link in body["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    spec = anon_client.get(rels["service-desc"]["href"])
    assert spec.status_code == 200
    doc = json.loads(spec.content)
    assert doc["openapi"].startswith("3.0")
    assert "/ogc/collections/{collection_id}/items" in doc["paths"]


def test_conformance(anon_client):
    body = anon_client.get("/ogc/conformance").json()
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in body["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in body["conformsTo"]


def test_anonymous_sees_only_public_collections(anon_client, gis_client):
    public = {c["id"] for c in anon_client.get("/ogc/collections").json()["collections"]}
    staff = {c["id"] for c in gis_client.get("/ogc/collections").json()["collections"]}
    assert {"toilets", "parking-facilities", "greenways", "roads"} <= public
    assert "parking-berths" not in public and "lighting-retrofits" not in public
    assert {"parking-berths", "lighting-retrofits"} <= staff
    assert anon_client.get("/ogc/collections/parking-berths/items").status_code == 404
    assert gis_client.get("/ogc/collections/parking-berths/items").status_code == 200


def test_items_are_geojson_with_counts_and_extent(anon_client, areas):
    factories.toilet("GC-1", lon=118.62)
    factories.toilet("GC-2", lon=118.68)
    response = items(anon_client, "toilets")
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == 2 and body["numberReturned"] == 2
    feature = body["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [118.62, 32.05]}
    assert feature["properties"]["subdistrict"] == "320111004000"
    collection = anon_client.get("/ogc/collections/toilets").json()
    assert collection["extent"]["spatial"]["bbox"][0] == pytest.approx(
        [118.62, 32.05, 118.68, 32.05]
    )


def test_staff_only_fields_never_reach_anonymous_users(anon_client, gis_client, areas):
    factories.toilet("GC-P", manager_phone="13900000000", managing_unit="环卫所")
    public = items(anon_client, "toilets").json()["features"][0]["properties"]
    assert "manager_phone" not in public and "managing_unit" not in public
    assert "source" not in public
    assert "13900000000" not in items(anon_client, "toilets").content.decode()
    one = anon_client.get(f"/ogc/collections/toilets/items/{Toilet.objects.get().pk}")
    assert "13900000000" not in one.content.decode()
    staff = items(gis_client, "toilets").json()["features"][0]["properties"]
    assert staff["manager_phone"] == "13900000000"


def test_public_properties_are_exactly_the_allow_list(anon_client, areas):
    from geo_cm.registry import registry

    factories.facility("TC-1")
    props = items(anon_client, "parking-facilities").json()["features"][0]["properties"]
    assert set(props) == set(registry.get("parking-facilities").public_fields)
    assert "operator_contact" not in props


def test_paging_with_next_links(anon_client, areas):
    for i in range(5):
        factories.toilet(f"GC-{i}", lon=118.61 + i * 0.01)
    first = items(anon_client, "toilets", limit=2).json()
    assert first["numberMatched"] == 5 and first["numberReturned"] == 2
    codes = [f["properties"]["code"] for f in first["features"]]
    next_url = next(link["href"] for link in first["links"] if link["rel"] == "next")
    while next_url:
        page = anon_client.get(next_url).json()
        codes += [f["properties"]["code"] for f in page["features"]]
        next_url = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
    assert sorted(codes) == [f"GC-{i}" for i in range(5)]


def test_bbox_status_subdistrict_and_year_filters(anon_client, gis_client, areas):
    import datetime as dt

    factories.toilet("GC-W", lon=118.62, status="open", completed_on=dt.date(2023, 3, 1))
    factories.toilet(
        "GC-E", lon=118.68, status="closed_for_repair", completed_on=dt.date(2024, 3, 1)
    )

    def codes(client=anon_client, **params):
        return {
            f["properties"]["code"] for f in items(client, "toilets", **params).json()["features"]
        }

    assert codes(bbox="118.60,32.00,118.65,32.10") == {"GC-W"}
    assert codes(status="closed_for_repair") == {"GC-E"}
    assert codes(status="open,closed_for_repair") == {"GC-W", "GC-E"}
    assert codes(subdistrict="320192007000") == {"GC-E"}
    assert codes(subdistrict="320111001000") == {"GC-E"}  # the former code works too
    # A toilet's date (completed_on) is staff-only: staff filter by it, the public cannot
    # (tests/security/test_public_filters.py).
    assert codes(gis_client, year="2023") == {"GC-W"}
    assert codes(gis_client, datetime="2024-01-01/..") == {"GC-E"}
    assert codes(gis_client, datetime="../2023-12-31") == {"GC-W"}
    assert items(anon_client, "toilets", year="2023").status_code == 400


@pytest.mark.parametrize(
    "params, field",
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "118.7,32.0,118.6,32.1"}, "bbox"),
        ({"bbox": "nan,32,118.7,32.1"}, "bbox"),
        ({"bbox": "118,32,200,33"}, "bbox"),
        ({"bbox": "inf,32,118.7,32.1"}, "bbox"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"status": "exploded"}, "status"),
        ({"subdistrict": "999999999999"}, "subdistrict"),
        ({"year": "twenty"}, "year"),
        ({"year": "1066"}, "year"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "2024-01-01/2023-01-01"}, "datetime"),
        ({"datetime": "../.."}, "datetime"),
        ({"colour": "red"}, "colour"),
        ({"bbox-crs": "EPSG:2385"}, "bbox-crs"),
        ({"crs": "+proj=longlat"}, "crs"),
        ({"filter": "name ="}, "filter"),
        ({"filter-lang": "ecql"}, "filter-lang"),
        ({"sortby": "geometry"}, "sortby"),
        ({"properties": "nope"}, "properties"),
        ({"f": "xml"}, "f"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(anon_client, areas, params, field):
    response = items(anon_client, "toilets", **params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"] and body["description"].startswith(field)


def test_limit_above_maximum_is_capped(anon_client, areas, settings):
    settings.GEOCM = {**settings.GEOCM, "API_MAX_LIMIT": 3}
    for i in range(5):
        factories.toilet(f"GC-{i}", lon=118.61 + i * 0.01)
    body = items(anon_client, "toilets", limit=1000).json()
    assert body["numberReturned"] == 3


def test_unknown_collection_and_feature_are_404(anon_client, areas):
    assert anon_client.get("/ogc/collections/nope/items").status_code == 404
    assert anon_client.get("/ogc/collections/toilets/items/999999").status_code == 404
    assert anon_client.get("/ogc/collections/toilets/items/abc").status_code == 404
    assert anon_client.get("/ogc/collections/toilets/items/99999999999999999999").status_code == 404
    assert anon_client.get("/ogc/collections/toilets/items/-1").status_code == 404


def test_item_list_query_count_does_not_grow_with_rows(anon_client, areas):
    for i in range(3):
        factories.toilet(f"GC-{i}", lon=118.61 + i * 0.01)
    with CaptureQueriesContext(connection) as few:
        items(anon_client, "toilets")
    for i in range(3, 30):
        factories.toilet(f"GC-{i}", lon=118.61 + (i % 9) * 0.01, lat=32.01 + i * 0.002)
    with CaptureQueriesContext(connection) as many:
        body = items(anon_client, "toilets").json()
    assert body["numberReturned"] == 30
    assert len(many) == len(few) <= 4


def feature(props, geometry):
    return {"type": "Feature", "properties": props, "geometry": geometry}


POINT = {"type": "Point", "coordinates": [118.62, 32.05]}


def test_staff_create_update_and_delete_through_the_collection(gis_client, areas):
    created = gis_client.post(
        "/ogc/collections/toilets/items",
        feature(
            {"code": "GC-NEW", "name": "新公厕", "category": "city", "status": "planned"}, POINT
        ),
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created["Content-Type"] == "application/geo+json"
    body = created.json()
    assert body["properties"]["subdistrict"] == "320111004000"
    url = created["Location"]
    patched = gis_client.patch(
        url,
        {"properties": {"status": "under_construction"}},
        format="json",
        HTTP_X_CHANGE_NOTE="开工",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["properties"]["status"] == "under_construction"
    assert ChangeRecord.objects.filter(object_code="GC-NEW", action="status", note="开工").exists()
    assert gis_client.delete(url).status_code == 204
    assert not Toilet.objects.filter(code="GC-NEW").exists()


def test_forbidden_status_jump_is_400_and_changes_nothing(gis_client, areas):
    toilet = factories.toilet("GC-J", status="planned")
    response = gis_client.patch(
        f"/ogc/collections/toilets/items/{toilet.pk}",
        {"properties": {"status": "open"}},
        format="json",
    )
    assert response.status_code == 400
    assert "status" in response.json()["errors"]
    toilet.refresh_from_db()
    assert toilet.status == "planned"


def test_if_match_with_a_stale_version_is_412(gis_client, areas):
    toilet = factories.toilet("GC-E1")
    url = f"/ogc/collections/toilets/items/{toilet.pk}"
    etag = gis_client.get(url)["ETag"]
    ok = gis_client.patch(url, {"properties": {"name": "甲"}}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and ok["ETag"] != etag
    stale = gis_client.patch(url, {"properties": {"name": "乙"}}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    toilet.refresh_from_db()
    assert toilet.name == "甲"


@pytest.mark.parametrize(
    "geometry, words",
    [
        (
            {"type": "LineString", "coordinates": [[118.62, 32.05], [118.63, 32.05]]},
            "Wrong geometry",
        ),
        ({"type": "Point", "coordinates": [500000.0, 3550000.0]}, "out of range"),
        ({"type": "Point", "coordinates": [118.62, 32.05, 10.0]}, "3D"),
        ({"type": "Point", "coordinates": "here"}, ""),
        ({"type": "Blob", "coordinates": [1, 2]}, ""),
        (None, ""),
    ],
)
def test_bad_geometry_is_400(gis_client, areas, geometry, words):
    gis_client.cookies["django_language"] = "en"  # the assertions read English text
    response = gis_client.post(
        "/ogc/collections/toilets/items",
        feature({"code": "GC-BAD", "name": "x", "category": "city"}, geometry),
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "geom" in json.dumps(response.json())
    assert words in json.dumps(response.json(), ensure_ascii=False)
    assert not Toilet.objects.filter(code="GC-BAD").exists()


def test_self_intersecting_polygon_is_400(gis_client, areas):
    from tests.factories import facility

    fac = facility("TC-G")
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[118.6, 32.0], [118.61, 32.01], [118.61, 32.0], [118.6, 32.01], [118.6, 32.0]]
        ],
    }
    response = gis_client.post(
        "/ogc/collections/parking-berths/items",
        feature({"code": "B-1", "facility": fac.code}, bowtie),
        format="json",
    )
    assert response.status_code == 400
    assert "Self-intersection" in response.json()["errors"]["geom"][0]


def test_single_line_is_promoted_to_multi(gis_client, areas):
    from greenways.models import Route

    Route.objects.create(code="R1", name="滨江绿道")
    response = gis_client.post(
        "/ogc/collections/greenways/items",
        feature(
            {"code": "GW-1", "route": "R1", "name": "一段", "status": "planned"},
            {"type": "LineString", "coordinates": [[118.61, 32.05], [118.62, 32.05]]},
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["geometry"]["type"] == "MultiLineString"
    # Known answer from an independent geodesic implementation (pyproj's Geod, WGS84).
    expected = Geod(ellps="WGS84").line_length([118.61, 118.62], [32.05, 32.05])
    assert body["properties"]["length_m"] == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(
    "props, field",
    [
        ({"name": "x", "category": "city"}, "code"),
        ({"code": "GC-1", "name": "x", "category": "palace"}, "category"),
        ({"code": "GC-1", "name": "x", "category": "city", "status": "bogus"}, "status"),
        ({"code": "GC-DUP", "name": "x", "category": "city"}, "code"),
    ],
)
def test_bad_properties_are_400_naming_the_field(gis_client, areas, props, field):
    factories.toilet("GC-DUP")
    response = gis_client.post(
        "/ogc/collections/toilets/items", feature(props, POINT), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_unknown_foreign_code_is_400(gis_client, areas):
    response = gis_client.post(
        "/ogc/collections/greenways/items",
        feature(
            {"code": "GW-9", "route": "NOPE", "name": "x"},
            {"type": "LineString", "coordinates": [[118.61, 32.05], [118.62, 32.05]]},
        ),
        format="json",
    )
    assert response.status_code == 400 and "route" in response.json()["errors"]


def test_malformed_json_body_is_400(gis_client, areas):
    response = gis_client.post(
        "/ogc/collections/toilets/items", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_writes_need_permissions(anon_client, planner_client, areas):
    body = feature({"code": "GC-Z", "name": "x", "category": "city"}, POINT)
    assert anon_client.post("/ogc/collections/toilets/items", body, format="json").status_code in (
        401,
        403,
    )
    assert (
        planner_client.post("/ogc/collections/toilets/items", body, format="json").status_code
        == 403
    )
    toilet = factories.toilet("GC-Y")
    assert planner_client.delete(f"/ogc/collections/toilets/items/{toilet.pk}").status_code == 403
    assert Toilet.objects.filter(code="GC-Y").exists()


def test_areas_endpoint(anon_client, areas):
    body = anon_client.get("/api/areas").json()
    levels = [f["properties"]["level"] for f in body["features"]]
    assert levels.count("district") == 1 and levels.count("subdistrict") == 2


def test_errors_speak_chinese_by_default(gis_client, areas):
    response = gis_client.post(
        "/ogc/collections/toilets/items",
        feature(
            {"code": "GC-ZH", "name": "x", "category": "city"},
            {"type": "Point", "coordinates": [118.62, 32.05, 5.0]},
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "三维" in response.json()["description"]


def test_lang_parameter_switches_titles(anon_client, areas):
    en = anon_client.get("/ogc/collections/toilets", {"lang": "en"}).json()
    zh = anon_client.get("/ogc/collections/toilets").json()
    assert en["title"] == "Public toilets" and zh["title"] == "公共厕所"
