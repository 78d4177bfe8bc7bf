"""The handling steps: state machine, what each step needs, scope, the concerned asset."""

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError

from geo_cm import gcj02
from geo_cm.models import ChangeRecord, StaffScope
from tests import factories
from workorders import services
from workorders.deadlines import overdue_flags
from workorders.models import WorkOrder, WorkOrderEvent

from .conftest import local, order


def test_location_converts_amap_and_baidu_positions_to_wgs84():
    for datum, forward in (("gcj02", gcj02.wgs84_to_gcj02), ("bd09", gcj02.wgs84_to_bd09)):
        lon, lat = forward(118.62, 32.05)
        point = services.workorder_location(lon=lon, lat=lat, datum=datum)
        assert (point.x, point.y) == pytest.approx((118.62, 32.05), abs=1e-7)
        assert point.srid == 4326
    with pytest.raises(ValidationError, match="datum"):
        services.workorder_location(lon=118.6, lat=32.0, datum="cgcs2000")


def test_a_report_gets_its_subdistrict_number_and_nearest_matching_asset(areas):
    factories.light("LD-NEAR", lon=118.6203, lat=32.05)  # ~28 m east
    factories.light("LD-GONE", lon=118.6201, lat=32.05, status="removed")
    factories.toilet("GC-NEXT", lon=118.62, lat=32.0501)  # nearer, but not a light
    made = order("2023-06-01 09:00", code=None)
    assert made.subdistrict == areas["west"]
    assert made.code.startswith("GD-20230601-")
    assert (made.asset_layer, made.asset_code, made.asset_confirmed) == (
        "street-lights", "LD-NEAR", False,
    )  # fmt: skip
    assert made.asset_distance_m == pytest.approx(28.3, abs=0.5)
    web = order("2023-06-01 10:00", channel="web", category="sanitation")
    assert web.code.startswith("WEB-") and web.asset_layer == ""
    assert [e.action for e in made.events.all()] == ["received"]
    assert ChangeRecord.objects.filter(object_code=made.code, action="create").exists()


def test_the_steps_set_their_times_and_keep_the_first_reply(areas):
    made = order("2023-06-01 09:00")
    made = services.workorder_dispatch(order=made, at=local("2023-06-01 09:10"))
    assert (made.status, made.team) == ("dispatched", areas["west"])
    made = services.workorder_reply(order=made, text="已派人", at=local("2023-06-01 10:00"))
    made = services.workorder_reply(order=made, text="明天修", at=local("2023-06-01 18:00"))
    assert made.replied_at == local("2023-06-01 10:00") and made.reply == "明天修"
    made = services.workorder_resolve(order=made, resolution="换灯", at=local("2023-06-02 10:00"))
    made = services.workorder_close(order=made, satisfaction="satisfied",
                                    at=local("2023-06-02 12:00"))  # fmt: skip
    assert (made.status, made.satisfaction, made.version) == ("closed", "satisfied", 6)
    made = services.workorder_reopen(order=made, reason="又不亮", at=local("2023-06-03 20:00"))
    assert (made.status, made.reopen_count, made.closed_at, made.satisfaction) == (
        "reopened", 1, None, "",
    )  # fmt: skip
    assert made.replied_at == local("2023-06-01 10:00")
    actions = list(made.events.values_list("action", "from_status", "to_status"))
    assert actions[-2:] == [("closed", "resolved", "closed"), ("reopened", "closed", "reopened")]
    # The rating given before the reopening is kept with its event.
    assert made.events.get(action="closed").satisfaction == "satisfied"


def test_resolving_unreplied_order_counts_as_its_reply(areas):
    made = order("2023-06-01 09:00", resolved="2023-06-01 20:00")
    assert made.replied_at == local("2023-06-01 20:00")


@pytest.mark.parametrize(
    "step, kwargs, field",
    [
        ("workorder_close", {"satisfaction": "happy"}, "satisfaction"),
        ("workorder_reject", {"reason": "  "}, "rejection_reason"),
        ("workorder_resolve", {"resolution": ""}, "resolution"),
        ("workorder_reply", {"text": ""}, "reply"),
        ("workorder_reopen", {"reason": "再看看"}, "status"),  # received cannot be reopened
    ],
)
def test_a_step_without_what_it_needs_is_refused_and_changes_nothing(areas, step, kwargs, field):
    made = order("2023-06-01 09:00")
    with pytest.raises(ValidationError) as caught:
        getattr(services, step)(order=made, **kwargs)
    assert field in caught.value.message_dict
    made.refresh_from_db()
    assert (made.status, made.version, made.events.count()) == ("received", 1, 1)


def test_closed_orders_cannot_be_replied_to_again(areas):
    made = order("2023-06-01 09:00", replied="2023-06-01 10:00", closed="2023-06-02 10:00")
    with pytest.raises(ValidationError) as caught:
        services.workorder_reply(order=made, text="again")
    assert "status" in caught.value.message_dict


def test_a_stale_version_is_a_conflict(areas):
    made = order("2023-06-01 09:00")
    services.workorder_dispatch(order=made)
    with pytest.raises(services.VersionConflict):
        services.workorder_reply(order=made, text="x", expected_version=made.version)


def test_field_teams_reply_and_resolve_in_their_area_only(areas, field_user):
    StaffScope.objects.create(user=field_user).subdistricts.add(areas["west"])
    mine = order("2023-06-01 09:00")
    theirs = order("2023-06-01 09:00", lon=118.68)
    services.workorder_reply(order=mine, text="收到", by=field_user)
    with pytest.raises(PermissionDenied, match="工作区域"):
        services.workorder_reply(order=theirs, text="收到", by=field_user)
    with pytest.raises(PermissionDenied, match="答复和处置"):
        services.workorder_reject(order=mine, reason="不归我们", by=field_user)
    # Dispatched to the west team, an east order is theirs to handle.
    theirs = services.workorder_dispatch(order=theirs, team=areas["west"])
    services.workorder_resolve(order=theirs, resolution="已处理", by=field_user)


def test_resolving_fixes_the_light_in_the_same_step_with_linked_history(areas, field_user):
    StaffScope.objects.create(user=field_user).subdistricts.add(areas["west"])
    light = factories.light("LD-DARK", lon=118.6201, lat=32.05, status="fault")
    made = order("2023-06-01 21:00", description="路灯不亮")
    assert made.asset_code == "LD-DARK"
    made = services.workorder_resolve(
        order=made, resolution="更换光源", asset_status="working", by=field_user,
        reported_from=Point(118.6201, 32.0501, srid=4326),
    )  # fmt: skip
    light.refresh_from_db()
    assert light.status == "working" and made.status == "resolved" and made.asset_confirmed
    event = made.events.get(action="resolved")
    change = event.asset_change
    assert (change.object_code, change.action, change.changes) == (
        "LD-DARK", "status", {"status": ["fault", "working"]},
    )  # fmt: skip
    assert change.source == f"workorder:{made.code}" and made.code in change.note
    assert change.user == field_user and event.user == field_user


def test_an_asset_change_the_machine_refuses_leaves_the_order_unresolved(areas):
    factories.light("LD-GONE2", lon=118.6201, lat=32.05, status="fault")
    made = order("2023-06-01 21:00")
    with pytest.raises(ValidationError) as caught:
        services.workorder_resolve(order=made, resolution="x", asset_status="planned")
    assert "asset_status" in caught.value.message_dict
    made.refresh_from_db()
    assert made.status == "received" and not WorkOrderEvent.objects.filter(action="resolved")


def test_overdue_is_computed_from_the_category_deadlines(areas):
    made = order("2023-06-01 09:00", category="toilet")  # reply 12 h, resolve 2 days
    flags = overdue_flags(made, now=local("2023-06-01 20:00"))
    assert not flags["reply_overdue"] and not flags["resolve_overdue"]
    flags = overdue_flags(made, now=local("2023-06-03 10:00"))
    assert flags["reply_overdue"] and flags["resolve_overdue"]
    made = services.workorder_reply(order=made, text="好", at=local("2023-06-01 22:00"))
    assert overdue_flags(made, now=local("2023-06-01 23:00"))["reply_overdue"]  # late


def test_confirming_another_asset_of_the_category_layers(areas):
    factories.light("LD-A", lon=118.6201, lat=32.05)
    factories.light("LD-B", lon=118.6230, lat=32.05)
    factories.toilet("GC-X", lon=118.6202, lat=32.05)
    made = order("2023-06-01 09:00")
    made = services.workorder_asset_confirm(order=made, layer_slug="street-lights",
                                            asset_code="LD-B")  # fmt: skip
    assert (made.asset_code, made.asset_confirmed) == ("LD-B", True)
    with pytest.raises(ValidationError, match="不能关联"):
        services.workorder_asset_confirm(order=made, layer_slug="toilets", asset_code="GC-X")
    made = services.workorder_asset_confirm(order=made, layer_slug=None, asset_code=None)
    assert made.asset_layer == "" and made.asset_confirmed
    assert WorkOrder.objects.get(pk=made.pk).events.filter(action="asset").count() == 2
