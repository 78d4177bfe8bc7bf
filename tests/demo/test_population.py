"""The demo's demand layer and the coverage figures it gives."""

import pytest
from django.db import connection, transaction
from django.db.models import Count

from geo_cm.coverage import engine
from geo_cm.coverage.models import PopulationArea
from geo_cm.demo import load_areas, load_assets


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_areas()
        load_assets(seed=2023)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def db_demo(demo, django_db_blocker):
    with django_db_blocker.unblock():
        yield


def test_every_kind_of_demand_is_there(db_demo):
    kinds = dict(PopulationArea.objects.values_list("kind").annotate(n=Count("pk")))
    assert kinds["residential"] >= 50 and kinds["grid"] >= 3000 and kinds["public_place"] >= 5
    assert PopulationArea.objects.filter(subdistrict__isnull=True).count() == 0


def test_blocks_and_grid_cells_do_not_overlap(db_demo):
    """A resident is counted once: grid cells leave out the residential blocks."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM coverage_populationarea r JOIN coverage_populationarea g
            ON r.kind = 'residential' AND g.kind = 'grid'
            AND ST_Area(ST_Intersection(r.geom, g.geom)::geography) > 1""")
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("layer", ["toilets", "parking-facilities", "greenways"])
def test_demo_coverage_is_computed_for_every_radius_layer(db_demo, layer):
    straight = engine.coverage_get(layer_slug=layer, mode="straight").stats
    network = engine.coverage_get(layer_slug=layer, mode="network").stats
    for stats in (straight, network):
        share = stats["district"]["population_share"]
        assert 0 < share < 1
        assert len(stats["subdistricts"]) == 9
    # Walking distance never reaches further than a straight line.
    assert network["district"]["covered_population"] <= straight["district"]["covered_population"]


def test_demo_has_dark_stretches(db_demo):
    stats = engine.coverage_get(layer_slug="street-lights").stats
    assert stats["dark_segments"] > 0 and 0 < stats["dark_share"] < 1
