"""Proposed sites say where they are: subdistrict and nearest named road."""

import pytest

from geo_cm.coverage.places import NEAR_ROAD_M, sites_place
from tests import factories

pytestmark = pytest.mark.django_db


def test_sites_get_their_subdistrict_and_nearest_road(areas):
    factories.road("DL-N", coords=((118.61, 32.05), (118.64, 32.05)), name="北路")
    factories.road("DL-S", coords=((118.61, 32.04), (118.64, 32.04)), name="南路")
    placed = sites_place(
        sites=[
            {"rank": 1, "lon": 118.62, "lat": 32.0491},  # about 100 m south of 北路
            {"rank": 2, "lon": 118.68, "lat": 32.07},  # east, no road within reach
            {"rank": 3, "lon": 118.80, "lat": 32.07},  # outside the district
        ]
    )
    assert [p["rank"] for p in placed] == [1, 2, 3]
    first, second, third = placed
    assert first["subdistrict"] == "320111004000" and first["subdistrict_name"] == "江浦街道"
    assert first["near_road"] == "北路" and 95 <= first["near_road_m"] <= 105
    assert second["subdistrict_name"] == "泰山街道" and second["near_road"] is None
    assert third["subdistrict"] is None and third["near_road"] is None
    assert NEAR_ROAD_M >= 100


def test_empty_list_needs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert sites_place(sites=[]) == []
