"""Subdistrict assignment at scale: the set-based UPDATE gives every record the subdistrict
the per-record rule (``subdistrict_sql``) gives it, on the Pukou demo."""

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, transaction

from geo_cm.assets import assets_assign_subdistrict, subdistrict_sql
from geo_cm.assets.rules import ASSIGN_ONE_BY_ONE_MAX
from geo_cm.demo import load_areas, load_assets
from parking.models import Facility
from streets.models import Road, StreetLight
from toilets.models import Toilet


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module, rolled back afterwards (nothing persists)."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_areas()
        load_assets(seed=2023)
        yield
        transaction.set_rollback(True)


def _by_rule(model) -> dict:
    """id -> subdistrict id by the per-record rule, computed row by row."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.id, {subdistrict_sql('t.geom')} FROM {table} t")  # noqa: S608
        return dict(cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.parametrize("model", [StreetLight, Road, Toilet, Facility])
def test_set_based_assignment_equals_the_per_record_rule(demo, model):
    expected = _by_rule(model)
    model.objects.update(subdistrict=None)
    written = assets_assign_subdistrict(model=model)
    assert written == sum(1 for v in expected.values() if v is not None)
    got = dict(model.objects.values_list("pk", "subdistrict_id"))
    assert got == expected
    # Run again: nothing changes, nothing is written.
    assert assets_assign_subdistrict(model=model) == 0


@pytest.mark.django_db
def test_a_large_set_of_records_and_one_outside_the_district(demo):
    lights = list(StreetLight.objects.order_by("pk").values_list("pk", flat=True))
    chosen = lights[: ASSIGN_ONE_BY_ONE_MAX + 100]
    outside = StreetLight.objects.get(pk=chosen[0])
    StreetLight.objects.filter(pk=outside.pk).update(geom=Point(100.0, 20.0, srid=4326))
    expected = _by_rule(StreetLight)
    assert expected[outside.pk] is None
    StreetLight.objects.update(subdistrict=None)
    assets_assign_subdistrict(model=StreetLight, pks=chosen)
    got = dict(StreetLight.objects.values_list("pk", "subdistrict_id"))
    assert {pk: got[pk] for pk in chosen} == {pk: expected[pk] for pk in chosen}
    assert all(got[pk] is None for pk in lights[len(chosen) :])
