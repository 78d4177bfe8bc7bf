"""Dark roads on the Pukou demo: the index-friendly query finds exactly what the previous
query (kept in benchmarks/darkroads_bench.py as the reference) found."""

import importlib.util
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import connection, transaction

from geo_cm.coverage import engine
from geo_cm.demo import load_areas, load_assets

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "darkroads_bench.py"


def _reference():
    spec = importlib.util.spec_from_file_location("darkroads_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_dark_rows


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module, rolled back afterwards (nothing persists)."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_areas()
        load_assets(seed=2023)
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_dark_stretches_equal_the_previous_query_on_the_demo(demo):
    layer = engine.registry.get("street-lights")
    rule = engine.rule_for(layer_slug="street-lights")
    ours = engine.spacing_coverage(layer=layer, rule=rule)
    with connection.cursor() as cursor:
        reference = _reference()(cursor, rule.default_m)
    assert len(reference) > 50  # the demo has dark stretches to compare
    assert ours["stats"]["dark_segments"] == len(reference)
    assert ours["stats"]["dark_length_m"] == pytest.approx(sum(r[1] for r in reference), abs=0.5)
    by_road, expected = defaultdict(float), defaultdict(float)
    for feature in ours["geojson"]["features"]:
        by_road[feature["properties"]["road"]] += feature["properties"]["length_m"]
    for code, dark_m in reference:
        expected[code] += dark_m
    assert by_road.keys() == expected.keys()
    for code, dark_m in expected.items():
        assert by_road[code] == pytest.approx(dark_m, abs=0.1 * len(reference))
