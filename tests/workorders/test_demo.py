"""The demo's year of work orders: labelled, repeatable, and R7-R9 near the plan's targets."""

import datetime as dt
import hashlib
import random

import pytest
from django.db import transaction

from geo_cm.demo import load_areas, load_assets
from workorders import demo
from workorders.models import WorkOrder, WorkOrderEvent
from workorders.selectors import hotline_rates


@pytest.fixture(scope="module")
def demo_orders(django_db_setup, django_db_blocker):
    """The demo's areas, assets and orders, loaded once for this module and rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_areas()
        load_assets(seed=2023)

        class Context:
            rng = random.Random("2023/workorders.demo")
            force = False
            messages = []
            progress = messages.append

        demo.demo_build(Context)
        yield Context
        transaction.set_rollback(True)


def _fingerprint(built) -> str:
    digest = hashlib.sha256()
    for order in built.orders:
        digest.update(f"{order.code}|{order.geom.wkt}|{order.status}|{order.received_at}".encode())
    return digest.hexdigest()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_orders(demo_orders):
    first = demo.build_orders(random.Random("x"), count=300)
    again = demo.build_orders(random.Random("x"), count=300)
    assert _fingerprint(first) == _fingerprint(again)
    assert _fingerprint(demo.build_orders(random.Random("y"), count=300)) != _fingerprint(first)


@pytest.mark.django_db
def test_demo_orders_are_labelled_complete_and_consistent(demo_orders):
    orders = WorkOrder.objects.filter(source=demo.DEMO_SOURCE)
    assert 3800 <= orders.count() <= 4000
    assert not orders.exclude(code__startswith="DEMO-2023").exists()
    assert not orders.exclude(description__contains="演示").exists()
    assert not orders.filter(subdistrict__isnull=True).exists()
    assert {o.received_at.year for o in orders.only("received_at")[:500]} == {2023}
    # Each order passes the model's own rules, and its events tell its story.
    for order in orders.order_by("?")[:200]:
        order.full_clean()
        events = list(order.events.order_by("at", "id"))
        assert events[0].action == "received" and events[-1].to_status == order.status
        assert [e.order_version for e in events] == list(range(1, len(events) + 1))
    assert WorkOrderEvent.objects.filter(action="reopened").exists()
    assert orders.exclude(asset_layer="").filter(category="street_light").exists()
    assert "Demo work orders exist" in (demo.demo_build(demo_orders) or demo_orders.messages[-1])


@pytest.mark.django_db
def test_the_hotline_rates_come_out_near_the_plans_thresholds(demo_orders):
    rates = hotline_rates(start=dt.date(2023, 1, 1), end=dt.date(2023, 12, 31))
    assert 98.0 <= rates.reply_rate < 100.0  # target 100 %
    assert 93.5 <= rates.close_rate <= 98.0  # target 95 %
    assert 88.0 <= rates.satisfaction_rate <= 94.0  # target 90 %
    assert rates.reopened > 0 and rates.overdue > 0
