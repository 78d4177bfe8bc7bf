"""Part 3: CQL2 filters (text and JSON) on each layer's queryables, and the queryables."""

import datetime as dt
import json

import pytest
from pyproj import Transformer

from tests import factories

pytestmark = pytest.mark.django_db

URI = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture
def toilets(areas):
    """Four toilets with known attributes; west (118.60..118.65) or east of 118.65 E."""
    factories.toilet(
        "GC-W1",
        lon=118.62,
        lat=32.05,
        name="江浦公厕",
        accessible=True,
        completed_on=dt.date(2023, 3, 1),
        manager_phone="13900000001",
    )
    factories.toilet(
        "GC-W2",
        lon=118.63,
        lat=32.02,
        name="O'Brien 公厕",
        status="closed_for_repair",
        completed_on=dt.date(2024, 5, 1),
    )
    factories.toilet(
        "GC-E1",
        lon=118.68,
        lat=32.05,
        name="泰山公厕",
        accessible=True,
        category="scenic",
    )
    factories.toilet("GC-E2", lon=118.69, lat=32.08, name="Riverside WC", grade="1")


def codes(client, **params):
    response = client.get("/ogc/collections/toilets/items", params)
    assert response.status_code == 200, response.content
    return sorted(f["properties"]["code"] for f in response.json()["features"])


def test_spatial_and_attribute_condition_together(anon_client, toilets):
    west = "S_INTERSECTS(geometry, BBOX(118.60, 32.00, 118.65, 32.10))"
    assert codes(anon_client, filter=f"{west} AND accessible = TRUE") == ["GC-W1"]
    assert codes(anon_client, filter=f"{west} OR category = 'scenic'") == [
        "GC-E1",
        "GC-W1",
        "GC-W2",
    ]
    assert codes(anon_client, filter=f"NOT {west} AND grade <> '1'") == ["GC-E1"]


def test_cql2_json_says_the_same_as_cql2_text(anon_client, toilets):
    tree = {
        "op": "and",
        "args": [
            {
                "op": "s_intersects",
                "args": [
                    {"property": "geometry"},
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [118.6, 32.0],
                                [118.65, 32.0],
                                [118.65, 32.1],
                                [118.6, 32.1],
                                [118.6, 32.0],
                            ]
                        ],
                    },
                ],
            },
            {"op": "=", "args": [{"property": "accessible"}, True]},
        ],
    }
    assert codes(anon_client, filter=json.dumps(tree), **{"filter-lang": "cql2-json"}) == ["GC-W1"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("status = 'closed_for_repair'", ["GC-W2"]),
        ("name = 'O''Brien 公厕'", ["GC-W2"]),
        ("name LIKE '%公厕'", ["GC-E1", "GC-W1", "GC-W2"]),
        ("name NOT LIKE '%公厕'", ["GC-E2"]),
        ("CASEI(name) LIKE CASEI('riverside%')", ["GC-E2"]),
        ("CASEI(name) = 'riverside wc'", ["GC-E2"]),
        (
            "status IN ('open', 'closed_for_repair') AND category <> 'scenic'",
            ["GC-E2", "GC-W1", "GC-W2"],
        ),
        ("category NOT IN ('city')", ["GC-E1"]),
        ("completed_on >= DATE('2024-01-01')", ["GC-W2"]),
        ("completed_on BETWEEN DATE('2023-01-01') AND DATE('2023-12-31')", ["GC-W1"]),
        ("completed_on IS NULL", ["GC-E1", "GC-E2"]),
        ("completed_on IS NOT NULL", ["GC-W1", "GC-W2"]),
        ("DATE('2024-01-01') > completed_on", ["GC-W1"]),
        (
            "S_WITHIN(geometry, POLYGON((118.66 32.04, 118.70 32.04, 118.70 32.09, 118.66 32.09, "
            "118.66 32.04)))",
            ["GC-E1", "GC-E2"],
        ),
        (
            "S_CONTAINS(POLYGON((118.66 32.04, 118.70 32.04, 118.70 32.06, 118.66 32.06, "
            "118.66 32.04)), geometry)",
            ["GC-E1"],
        ),
        ("S_DISJOINT(geometry, BBOX(118.60, 32.00, 118.65, 32.10))", ["GC-E1", "GC-E2"]),
        ("S_EQUALS(geometry, POINT(118.68 32.05))", ["GC-E1"]),
        ("S_INTERSECTS(geometry, LINESTRING(118.62 32.00, 118.62 32.10))", ["GC-W1"]),
        ("S_INTERSECTS(geometry, MULTIPOINT((118.62 32.05), (118.69 32.08)))", ["GC-E2", "GC-W1"]),
        (
            "s_intersects(geometry, GEOMETRYCOLLECTION(POINT(118.62 32.05), POINT(118.68 32.05)))",
            ["GC-E1", "GC-W1"],
        ),
        ("subdistrict = '320192007000'", ["GC-E1", "GC-E2"]),
        ("TRUE", ["GC-E1", "GC-E2", "GC-W1", "GC-W2"]),
        ("NOT (accessible = TRUE OR grade = '1')", ["GC-W2"]),
        ('"accessible" = true and "free" = TRUE', ["GC-E1", "GC-W1"]),
    ],
)
def test_known_answers(gis_client, toilets, text, expected):
    # Staff: completed_on is a staff field of toilets (the public split is tested below).
    assert codes(gis_client, filter=text) == expected


def test_filter_crs_reads_geometry_literals_in_gauss_kruger_order(anon_client, toilets):
    to_gk = Transformer.from_crs("OGC:CRS84", "EPSG:4549")  # -> (northing, easting)
    n1, e1 = to_gk.transform(118.61, 32.04)
    n2, e2 = to_gk.transform(118.625, 32.06)
    text = f"S_INTERSECTS(geometry, BBOX({n1}, {e1}, {n2}, {e2}))"
    assert codes(anon_client, filter=text, **{"filter-crs": f"{URI}4549"}) == ["GC-W1"]
    n, e = to_gk.transform(118.68, 32.05)
    ring = ", ".join(
        f"{n + dn} {e + de}" for dn, de in ((-5, -5), (-5, 5), (5, 5), (5, -5), (-5, -5))
    )
    square = f"S_WITHIN(geometry, POLYGON(({ring})))"  # 10 m around GC-E1, northing first
    assert codes(anon_client, filter=square, **{"filter-crs": "EPSG:4549"}) == ["GC-E1"]


def test_filter_combines_with_other_parameters(anon_client, toilets):
    assert codes(anon_client, filter="accessible = TRUE", bbox="118.60,32.00,118.65,32.10") == [
        "GC-W1"
    ]
    assert codes(anon_client, filter="accessible = TRUE", status="open") == ["GC-E1", "GC-W1"]


def test_anonymous_filter_on_a_staff_field_is_400(anon_client, gis_client, toilets):
    response = anon_client.get(
        "/ogc/collections/toilets/items", {"filter": "manager_phone = '13900000001'"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and "filter" in body["errors"]
    assert "manager_phone" in body["description"]
    # The refusal does not reveal the value, and staff may filter on the field.
    assert "13900000001" not in response.content.decode()
    assert codes(gis_client, filter="manager_phone = '13900000001'") == ["GC-W1"]


def test_anonymous_cannot_sort_or_select_staff_fields(anon_client, toilets):
    for params in ({"sortby": "manager_phone"}, {"properties": "code,manager_phone"}):
        response = anon_client.get("/ogc/collections/toilets/items", params)
        assert response.status_code == 400, params


@pytest.mark.parametrize(
    "params, words",
    [
        ({"filter": "nope = 1"}, "nope"),
        ({"filter": "name = 1"}, "name"),
        ({"filter": "accessible = 'yes'"}, "accessible"),
        ({"filter": "completed_on > '2023-01-01'"}, "completed_on"),
        ({"filter": "name = code"}, ""),
        ({"filter": "geometry = 'x'"}, "S_INTERSECTS"),
        ({"filter": "S_INTERSECTS(name, POINT(1 2))"}, "name"),
        ({"filter": "S_INTERSECTS(geometry, POINT(1 2 3))"}, "2D"),
        ({"filter": "S_INTERSECTS(geometry, POINT(32.05 118.62))"}, ""),  # lat/lon swapped
        ({"filter": "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))"}, "invalid"),
        ({"filter": "S_INTERSECTS(geometry, BBOX(1, 2, 3))"}, "BBOX"),
        ({"filter": "T_BEFORE(completed_on, DATE('2023-01-01'))"}, "T_BEFORE"),
        ({"filter": "name = 'unterminated"}, ""),
        ({"filter": "completed_on = DATE('2023-02-30')"}, "DATE"),
        ({"filter": "updated_at > TIMESTAMP('2023-01-01T00:00:00')"}, "TIMESTAMP"),
        ({"filter": "((" * 50 + "code = 'x'" + "))" * 50}, "nested"),
        ({"filter": "{not json", "filter-lang": "cql2-json"}, "JSON"),
        ({"filter": '{"op": "=", "args": [1]}', "filter-lang": "cql2-json"}, "2"),
        ({"filter": '{"op": "t_after", "args": []}', "filter-lang": "cql2-json"}, "t_after"),
        ({"filter": "code = 'x'", "filter-lang": "cql-text"}, "cql-text"),
        ({"filter": "code = 'x'", "filter-crs": "EPSG:2385"}, "EPSG:2385"),
        ({"filter-lang": "cql2-text"}, "filter"),
        ({"filter": ""}, ""),
    ],
)
def test_bad_filters_are_400_with_a_sentence(anon_client, toilets, params, words):
    anon_client.cookies["django_language"] = "en"  # the assertions read English text
    response = anon_client.get("/ogc/collections/toilets/items", params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert words in body["description"], body["description"]


def test_queryables_are_json_schema_per_audience(anon_client, gis_client, toilets):
    response = anon_client.get("/ogc/collections/toilets/queryables")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/schema+json")
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/ogc/collections/toilets/queryables")
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["geometry"]["format"] == "geometry-point"
    assert props["status"]["enum"] == [
        "planned",
        "under_construction",
        "open",
        "closed_for_repair",
        "removed",
    ]
    assert props["accessible"]["type"] == "boolean"
    assert "manager_phone" not in props and "completed_on" not in props
    staff = gis_client.get("/ogc/collections/toilets/queryables").json()["properties"]
    assert staff["manager_phone"]["type"] == "string"
    assert staff["completed_on"] == {"title": "完工日期", "type": "string", "format": "date"}
    assert staff["updated_at"]["format"] == "date-time"
    numbers = anon_client.get("/ogc/collections/parking-facilities/queryables").json()
    assert numbers["properties"]["total_berths"]["type"] == "integer"
    roads = anon_client.get("/ogc/collections/roads/queryables").json()["properties"]
    assert roads["length_m"]["type"] == "number"
    assert roads["geometry"]["format"] == "geometry-multilinestring"
    assert anon_client.get("/ogc/collections/parking-berths/queryables").status_code == 404


def test_queryables_link_from_the_collection(anon_client, toilets):
    links = anon_client.get("/ogc/collections/toilets").json()["links"]
    rel = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
    link = next(lk for lk in links if lk["rel"] == rel)
    assert link["type"] == "application/schema+json"
    assert anon_client.get(link["href"]).status_code == 200


def test_filters_on_foreign_keys_and_generated_lengths(anon_client, areas):
    factories.segment("GW-A", coords=((118.61, 32.05), (118.62, 32.05)))
    factories.segment("GW-B", coords=((118.61, 32.06), (118.64, 32.06)))

    def got(text):
        body = anon_client.get("/ogc/collections/greenways/items", {"filter": text}).json()
        return sorted(f["properties"]["code"] for f in body["features"])

    assert got("route = 'R-T' AND length_m > 2000") == ["GW-B"]
    assert got("length_m < 2000") == ["GW-A"]
    assert got("route = 'NOPE'") == []


def test_integer_comparison_with_a_fraction_is_exact(anon_client, areas):
    factories.facility("TC-1", total_berths=1)
    factories.facility("TC-2", total_berths=2, lon=118.69)
    body = anon_client.get(
        "/ogc/collections/parking-facilities/items", {"filter": "total_berths > 1.5"}
    ).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["TC-2"]
    none = anon_client.get(
        "/ogc/collections/parking-facilities/items", {"filter": "total_berths = 1.5"}
    ).json()
    assert none["numberMatched"] == 0
