"""Coverage analysis on constructed data with known answers."""

import math

import numpy as np
import pytest
import shapely
from django.contrib.gis.geos import MultiPolygon, Polygon
from pyproj import Transformer

from geo_cm import services
from geo_cm.coverage import engine
from geo_cm.coverage.models import CoverageRule, PopulationArea
from tests import factories

pytestmark = pytest.mark.django_db
TO_UTM = Transformer.from_crs(4326, 32650, always_xy=True)
TO_WGS = Transformer.from_crs(32650, 4326, always_xy=True)
# Area of a buffer drawn with 8 segments per quarter circle (a 32-gon), relative to pi r^2.
POLYGON_32 = 16 * math.sin(2 * math.pi / 32) / math.pi


def cell(code, x, y, half=50, people=100, kind="grid"):
    """A square population area centred on the UTM point (x, y), ``half`` metres wide."""
    corners = [
        TO_WGS.transform(x + dx, y + dy)
        for dx, dy in ((-half, -half), (half, -half), (half, half), (-half, half), (-half, -half))
    ]
    return services.asset_create(
        model=PopulationArea,
        values=dict(
            code=code,
            name=code,
            kind=kind,
            population=people,
            geom=MultiPolygon(Polygon(corners, srid=4326), srid=4326),
        ),
        source="test",
    )


def utm(lon, lat):
    return TO_UTM.transform(lon, lat)


def wgs(x, y):
    return TO_WGS.transform(x, y)


def test_one_facility_in_a_square_district_covers_its_circle(areas):
    factories.toilet("GC-C", lon=118.65, lat=32.05)
    result = engine.coverage_get(layer_slug="toilets", mode="straight")
    district_m2 = shapely.transform(
        shapely.from_wkt(areas["district"].geom.wkt),
        lambda xy: np.column_stack(TO_UTM.transform(xy[:, 0], xy[:, 1])),
    ).area
    expected = math.pi * 500**2 * POLYGON_32 / district_m2
    assert result.stats["district"]["area_share"] == pytest.approx(expected, rel=1e-3)
    assert result.stats["rule"]["distance_m"] == 500


def test_closed_toilets_do_not_count(areas):
    factories.toilet("GC-X", lon=118.65, lat=32.05, status="closed_for_repair")
    result = engine.coverage_get(layer_slug="toilets", mode="straight")
    assert result.stats["district"]["area_share"] == 0
    assert result.stats["facilities"] == 0


def test_population_grid_with_a_known_uncovered_count(areas):
    factories.toilet("GC-P", lon=118.65, lat=32.05)
    x, y = utm(118.65, 32.05)
    cell("near-1", x + 100, y, people=200)
    cell("near-2", x - 200, y + 100, people=300, kind="residential")
    cell("far", x + 2000, y, people=100, kind="residential")
    stats = engine.coverage_get(layer_slug="toilets", mode="straight").stats
    assert stats["district"]["population"] == 600
    assert stats["district"]["covered_population"] == 500
    assert [r["code"] for r in stats["uncovered_residential"]] == ["far"]
    gaps = engine.coverage_get(layer_slug="toilets").geojson
    assert '"kind": "gap"' in gaps


def test_busy_places_use_the_shorter_radius(areas):
    factories.toilet("GC-B", lon=118.65, lat=32.05)
    x, y = utm(118.65, 32.05)
    cell("square", x + 400, y, half=20, people=1000, kind="public_place")  # 400 m > 300 m
    cell("homes", x - 400, y, half=20, people=10)  # 400 m < 500 m
    stats = engine.coverage_get(layer_slug="toilets").stats
    assert stats["district"]["covered_population"] == 10
    CoverageRule.objects.create(
        layer="toilets", area_kind="public_place", distance_m=450, standard="local rule"
    )
    stats = engine.coverage_get(layer_slug="toilets").stats  # the rule change is a new version
    assert stats["district"]["covered_population"] == 1010


def test_a_river_without_a_bridge_separates_the_banks(areas):
    # Two east-west streets 222 m apart (a river between them) and a toilet on the south one.
    factories.road("DL-S", coords=((118.63, 32.050), (118.67, 32.050)))
    factories.road("DL-N", coords=((118.63, 32.052), (118.67, 32.052)))
    factories.toilet("GC-R", lon=118.65, lat=32.0501)
    sx, sy = utm(118.65, 32.0498)
    nx, ny = utm(118.65, 32.0522)
    cell("south", sx, sy, half=20, people=100)
    cell("north", nx, ny, half=20, people=100)
    straight = engine.coverage_get(layer_slug="toilets", mode="straight").stats
    assert straight["district"]["covered_population"] == 200
    network = engine.coverage_get(layer_slug="toilets", mode="network").stats
    assert network["district"]["covered_population"] == 100
    # A footbridge 95 m east: 95 + 222 + 95 m is within the 500 m walk.
    factories.road("DL-BRIDGE", coords=((118.651, 32.050), (118.651, 32.052)))
    bridged = engine.coverage_get(layer_slug="toilets", mode="network").stats
    assert bridged["district"]["covered_population"] == 200


def test_a_dark_spot_of_known_length(areas):
    road = factories.road("DL-L", coords=((118.61, 32.05), (118.62, 32.05)), road_class="main")
    x0, y0 = utm(118.61, 32.05)
    x1, y1 = utm(118.62, 32.05)
    line = shapely.LineString([(x0, y0), (x1, y1)])
    stations = [*range(0, 301, 30), *range(450, int(line.length) + 1, 30)]
    for i, m in enumerate(stations):
        p = line.interpolate(m)
        factories.light(f"LD-{i:03d}", *wgs(p.x, p.y), road=road)
    tail = line.length - stations[-1]
    stats = engine.coverage_get(layer_slug="street-lights").stats
    # Lights 150 m apart, each lighting 20 m on either side: 110 m dark. The end of the road
    # is within half a spacing of the last light, so nothing else is dark.
    assert tail <= 20
    assert stats["dark_segments"] == 1
    assert stats["dark_length_m"] == pytest.approx(110.0, abs=0.5)


def test_a_broken_light_makes_a_dark_spot(areas):
    road = factories.road("DL-K", coords=((118.61, 32.05), (118.611, 32.05)), road_class="main")
    x0, y0 = utm(118.61, 32.05)
    lights = [
        factories.light(f"LD-K{i}", *wgs(x0 + m, y0), road=road)
        for i, m in enumerate((0, 30, 60, 90))
    ]
    before = engine.coverage_get(layer_slug="street-lights").stats["dark_length_m"]
    services.asset_set_status(asset=lights[1], status="fault")
    after = engine.coverage_get(layer_slug="street-lights").stats["dark_length_m"]
    assert after == pytest.approx(before + 20.0, abs=0.5)  # 60 m apart: 20 m dark


def test_the_obvious_site_is_proposed_first(areas):
    x, y = utm(118.66, 32.06)
    for i in range(4):
        cell(f"town-{i}", x + (i % 2) * 100, y + (i // 2) * 100, people=250)
    cx, cy = utm(118.62, 32.02)
    cell("hamlet", cx, cy, people=10)
    proposal = engine.sites_propose(layer_slug="toilets", k=2, mode="straight")
    first, second = proposal["sites"]
    fx, fy = utm(first["lon"], first["lat"])
    assert math.hypot(fx - (x + 50), fy - (y + 50)) < 500
    assert first["added_people"] == 1000 and second["added_people"] == 10
    assert proposal["covered_after"] == 1010


def test_unknown_layer_or_mode_is_refused(areas):
    with pytest.raises(engine.CoverageError):
        engine.coverage_get(layer_slug="roads")
    with pytest.raises(engine.CoverageError):
        engine.coverage_get(layer_slug="toilets", mode="teleport")


def test_result_is_cached_until_an_asset_changes(areas, django_assert_max_num_queries):
    toilet = factories.toilet("GC-CACHE", lon=118.65, lat=32.05)
    first = engine.coverage_get(layer_slug="toilets")
    again = engine.coverage_get(layer_slug="toilets")
    assert again.pk == first.pk and again.computed_at == first.computed_at
    services.asset_set_status(asset=toilet, status="closed_for_repair")
    changed = engine.coverage_get(layer_slug="toilets")
    assert changed.data_version != first.data_version
    assert changed.stats["district"]["area_share"] == 0
