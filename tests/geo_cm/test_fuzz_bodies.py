"""Odd request bodies on every write endpoint are 4xx, never a 500."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

BODIES = [
    [],
    [1, 2],
    "text",
    42,
    None,
    {},
    {"type": "Feature", "properties": [1], "geometry": None},
    {"type": "Feature", "properties": "x", "geometry": {"type": "Point"}},
    {"type": "FeatureCollection", "features": []},
    {
        "type": "Feature",
        "properties": {"code": ["a"], "name": {"x": 1}, "category": 5},
        "geometry": {"type": "Point", "coordinates": [118.62, 32.05]},
    },
    {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [[1, 2], [3]]},
    },
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_odd_bodies_are_client_errors(gis_client, areas, body):
    toilet = factories.toilet("GC-FZ")
    for method, url in (
        ("post", "/ogc/collections/toilets/items"),
        ("patch", f"/ogc/collections/toilets/items/{toilet.pk}"),
        ("put", f"/ogc/collections/toilets/items/{toilet.pk}"),
        ("post", f"/api/field/assets/toilets/{toilet.pk}/status"),
        ("post", "/api/parking/occupancy"),
    ):
        response = getattr(gis_client, method)(url, body, format="json", HTTP_IF_MATCH='"1"')
        assert 400 <= response.status_code < 500 or (
            # an empty PATCH changes nothing and is answered with the feature
            method == "patch" and response.status_code == 200 and not body
        ), (method, url, response.status_code)
