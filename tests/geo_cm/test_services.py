import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from geo_cm import services
from geo_cm.models import ChangeRecord
from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db


def test_subdistrict_comes_from_the_location(areas):
    west = factories.toilet("GC-W", lon=118.62)
    east = factories.toilet("GC-E", lon=118.68)
    outside = factories.toilet("GC-O", lon=118.80)
    assert west.subdistrict == areas["west"]
    assert east.subdistrict == areas["east"]
    assert outside.subdistrict is None


def test_moving_an_asset_moves_its_subdistrict(areas):
    toilet = factories.toilet("GC-M", lon=118.62)
    moved = services.asset_update(asset=toilet, values={"geom": Point(118.69, 32.05, srid=4326)})
    assert moved.subdistrict == areas["east"]


def test_line_takes_the_subdistrict_of_a_point_on_it(areas):
    road = factories.road("DL-E", coords=((118.66, 32.02), (118.69, 32.02)))
    assert road.subdistrict == areas["east"]


def test_bulk_assignment_is_one_statement(areas, django_assert_num_queries):
    for i in range(5):
        factories.toilet(f"GC-B{i}", lon=118.61 + i * 0.015)
    Toilet.objects.update(subdistrict=None)
    with django_assert_num_queries(1):
        count = services.assets_assign_subdistrict(model=Toilet)
    assert count == 5
    assert Toilet.objects.filter(subdistrict__isnull=True).count() == 0


def test_create_records_history_with_user_and_values(areas, gis_user):
    toilet = services.asset_create(
        model=Toilet,
        by=gis_user,
        source="test",
        note="new",
        values=dict(
            code="GC-H", name="历史", category="city", geom=Point(118.62, 32.05, srid=4326)
        ),
    )
    record = ChangeRecord.objects.get(object_code="GC-H")
    assert record.action == "create" and record.user == gis_user and record.note == "new"
    assert record.changes["name"] == [None, "历史"]
    assert toilet.status == Toilet.status_machine.initial


def test_status_change_follows_the_machine_and_is_recorded(areas, gis_user):
    toilet = factories.toilet("GC-S", status="open")
    changed = services.asset_set_status(
        asset=toilet, status="closed_for_repair", by=gis_user, note="水管爆裂"
    )
    assert changed.status == "closed_for_repair" and changed.version == 2
    record = ChangeRecord.objects.filter(object_code="GC-S", action="status").get()
    assert record.changes == {"status": ["open", "closed_for_repair"]}
    assert record.note == "水管爆裂" and record.user == gis_user


def test_forbidden_transition_changes_nothing(areas):
    toilet = factories.toilet("GC-F", status="removed")
    with pytest.raises(ValidationError):
        services.asset_update(asset=toilet, values={"status": "open", "name": "改名"})
    toilet.refresh_from_db()
    assert toilet.status == "removed" and toilet.name != "改名" and toilet.version == 1
    assert not ChangeRecord.objects.filter(object_code="GC-F", action="update").exists()


def test_update_without_effect_records_nothing(areas):
    toilet = factories.toilet("GC-N")
    same = services.asset_update(asset=toilet, values={"name": toilet.name})
    assert same.version == 1
    assert ChangeRecord.objects.filter(object_code="GC-N").count() == 1


def test_version_conflict_is_detected(areas):
    toilet = factories.toilet("GC-V")
    services.asset_update(asset=toilet, values={"name": "A"}, expected_version=1)
    with pytest.raises(services.VersionConflict) as info:
        services.asset_update(asset=toilet, values={"name": "B"}, expected_version=1)
    assert info.value.current_version == 2
    toilet.refresh_from_db()
    assert toilet.name == "A"


def test_invalid_values_are_refused_before_writing(areas):
    with pytest.raises(ValidationError) as info:
        services.asset_create(
            model=Toilet,
            values=dict(
                code="GC-X", name="x", category="palace", geom=Point(118.62, 32.05, srid=4326)
            ),
        )
    assert "category" in info.value.message_dict
    assert not Toilet.objects.filter(code="GC-X").exists()


def test_delete_keeps_the_last_values_in_history(areas):
    toilet = factories.toilet("GC-D")
    services.asset_delete(asset=toilet)
    assert not Toilet.objects.filter(code="GC-D").exists()
    record = ChangeRecord.objects.get(object_code="GC-D", action="delete")
    assert record.changes["name"][0] == toilet.name


def test_delete_of_a_referenced_asset_is_refused_with_names(areas):
    road = factories.road("DL-R")
    from streets.models import LightingRetrofit

    services.asset_create(
        model=LightingRetrofit,
        values=dict(
            code="GZ-1",
            road=road,
            year=2023,
            lamps=10,
            power_before_w=2500,
            power_after_w=1000,
            geom=road.geom,
        ),
    )
    with pytest.raises(ValidationError, match="GZ-1"):
        services.asset_delete(asset=road)
    assert type(road).objects.filter(code="DL-R").exists()
