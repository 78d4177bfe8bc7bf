"""The asset-write module: one set of rules for one record and for a staging table."""

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied
from django.db import connection

from geo_cm import assets
from geo_cm.assets import BulkWrite, copy_cells
from geo_cm.models import ChangeRecord, StaffScope
from streets.models import StreetLight
from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db


def _bulk(model, rows, *, fields, by=None, mode="upsert", new_values=None):
    """Write ``rows`` (dicts of field -> value, with "geom" as a Point) with BulkWrite."""
    named = [model._meta.get_field(n) for n in fields]
    writer = BulkWrite(
        model=model, fields=named, mode=mode, by=by, source="test:bulk",
        new_values=new_values or {},
    )  # fmt: skip
    with connection.cursor() as cursor:
        writer.begin(cursor)
        writer.add(
            cursor,
            rn=list(range(1, len(rows) + 1)),
            cells={
                f.name: copy_cells([r.get(f.name) for r in rows], f.get_internal_type())
                for f in named
            },
            wkb=[bytes(r["geom"].wkb).hex() for r in rows],
        )
        return writer.finish(cursor)


def test_one_record_and_a_staging_table_write_the_same_history(areas):
    import datetime as dt

    values = {
        "name": "同一公厕",
        "category": "city",
        "status": "open",
        "completed_on": dt.date(2023, 5, 1),
        "open_24h": True,
    }
    one = assets.asset_create(
        model=Toilet, values={**values, "code": "A-1", "geom": Point(118.62, 32.05, srid=4326)}
    )
    _bulk(
        Toilet,
        [{**values, "code": "A-2", "geom": Point(118.62, 32.05, srid=4326)}],
        fields=["code", *values],
    )
    single = ChangeRecord.objects.get(object_code="A-1").changes
    bulk = ChangeRecord.objects.get(object_code="A-2").changes
    single.pop("code"), bulk.pop("code")
    geom_single, geom_bulk = single.pop("geom"), bulk.pop("geom")
    assert single == bulk
    assert geom_single[0] is None and geom_bulk[0] is None
    assert geom_single[1]["type"] == geom_bulk[1]["type"] == "Point"
    assert geom_single[1]["coordinates"] == pytest.approx(geom_bulk[1]["coordinates"], abs=1e-9)
    # The same subdistrict rule and first version.
    two = Toilet.objects.get(code="A-2")
    assert (one.subdistrict_id, one.version) == (two.subdistrict_id, two.version)


def test_a_point_on_the_shared_border_goes_to_the_lowest_id_either_way(areas):
    border = Point(118.65, 32.05, srid=4326)
    one = factories.toilet(code="B-1", lon=118.65, lat=32.05)
    _bulk(Toilet, [{"code": "B-2", "name": "乙", "category": "city", "geom": border}],
          fields=["code", "name", "category"])  # fmt: skip
    low = min(areas["west"].pk, areas["east"].pk)
    assert one.subdistrict_id == low == Toilet.objects.get(code="B-2").subdistrict_id


def test_a_status_change_can_link_its_history_to_the_object_that_caused_it(areas, gis_user):
    light = factories.light(code="LD-1")
    order = factories.toilet(code="CAUSE-1")  # any saved object (a work order in practice)
    fixed = assets.asset_set_status(
        asset=light, status="fault", by=gis_user, note="不亮", source="workorders",
        related=order,
    )  # fmt: skip
    assert fixed.status == "fault" and fixed.version == light.version + 1
    change = ChangeRecord.objects.get(object_code="LD-1", action="status")
    assert change.related == order and change.source == "workorders"
    assert change.changes == {"status": ["working", "fault"]}


def test_subscribers_hear_of_every_write_once(areas):
    heard = []

    def receiver(sender, **kwargs):
        heard.append((sender, kwargs["action"], kwargs["count"]))

    assets.assets_changed.connect(receiver)
    try:
        toilet = factories.toilet(code="S-1")
        assets.asset_update(asset=toilet, values={"name": "改"})
        _bulk(Toilet, [{"code": f"S-{i}", "name": "甲", "category": "city",
                        "geom": Point(118.61, 32.02, srid=4326)} for i in (2, 3)],
              fields=["code", "name", "category"])  # fmt: skip
        assets.asset_delete(asset=Toilet.objects.get(code="S-2"))
    finally:
        assets.assets_changed.disconnect(receiver)
    assert heard == [
        (Toilet, "create", 1),
        (Toilet, "update", 1),
        (Toilet, "bulk", 2),
        (Toilet, "delete", 1),
    ]


def test_a_field_team_may_not_bulk_write_outside_its_fields_or_area(areas, field_user):
    StaffScope.objects.create(user=field_user).subdistricts.set([areas["west"]])
    light = factories.light(code="LD-9", lon=118.68, lat=32.05)  # east
    with pytest.raises(PermissionDenied, match="power_w"):
        _bulk(StreetLight, [{"code": "LD-9", "power_w": 60, "geom": light.geom}],
              fields=["code", "power_w"], by=field_user)  # fmt: skip
    with pytest.raises(PermissionDenied, match="LD-9"):
        _bulk(StreetLight, [{"code": "LD-9", "status": "fault", "geom": light.geom}],
              fields=["code", "status"], by=field_user)  # fmt: skip
    assert StreetLight.objects.get(code="LD-9").status == "working"


def test_the_demo_writes_through_the_same_bulk_create(areas):
    rows = [Toilet(code=f"D-{i}", name="演示", category="city", status="open",
                   geom=Point(118.61 + i / 100, 32.05, srid=4326)) for i in range(3)]  # fmt: skip
    assert assets.assets_bulk_create(model=Toilet, rows=rows, source="demo", note="n") == 3
    history = ChangeRecord.objects.filter(source="demo", action="create")
    assert history.count() == 3 and history.first().changes["name"] == [None, "演示"]
    assert set(Toilet.objects.values_list("subdistrict_id", flat=True)) == {areas["west"].pk}
