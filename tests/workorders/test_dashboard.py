"""The plan dashboard shows R7-R9 computed from the work orders, with their definitions."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from geo_cm.plans.models import ReportedValue, Target

from .conftest import order


@pytest.fixture
def planner_web(planner_user):
    client = Client()
    client.force_login(planner_user)
    return client


def _card(html, code):
    return re.search(rf'<article class="target-card[^"]*" id="target-{code}".*?</article>', html,
                     re.S).group(0)  # fmt: skip


def test_the_dashboard_shows_the_hotline_rates_computed_from_orders(planner_web, areas):
    call_command("load_plan_2023", verbosity=0)
    order("2023-06-01 09:00", replied="2023-06-01 10:00", closed="2023-06-02 10:00",
          satisfaction="satisfied")  # fmt: skip
    order("2023-06-02 09:00", replied="2023-06-03 12:00", closed="2023-06-04 10:00",
          satisfaction="unsatisfied", lon=118.68)  # fmt: skip
    html = planner_web.get("/plans/2023/?today=2023-06-30").content.decode()
    r7, r8, r9 = (_card(html, code) for code in ("R7", "R8", "R9"))
    assert 'data-actual="50"' in r7  # one of two replied within 24 h
    assert 'data-actual="100"' in r8
    assert 'data-actual="50"' in r9
    for card in (r7, r8, r9):
        assert 'data-source="records"' in card
        assert "2 条记录" in card  # computed from the two orders
        assert "计算口径" in card and "退单不计" in card  # the definition, shown with it
    assert 'class="definition-mark" title="回复率 =' in r7
    # The table by subdistrict has the rates per subdistrict.
    table = re.search(r'<table id="subdistrict-table">.*?</table>', html, re.S).group(0)
    assert 'data-code="R7"' in table
    west = re.search(r'<tr data-subdistrict="320111004000">.*?</tr>', table, re.S).group(0)
    assert 'data-actual="100"' in west  # the west order was replied on time


def test_without_orders_the_readings_stand(planner_web, areas):
    call_command("load_plan_2023", verbosity=0)
    html = planner_web.get("/plans/2023/?today=2023-06-30").content.decode()
    assert 'data-source=""' in _card(html, "R7")  # no orders and no reading: no value
    target = Target.objects.get(plan__year=2023, code="R7")
    ReportedValue.objects.create(target=target, value=Decimal("98.5"),
                                 measured_on=dt.date(2023, 5, 31))  # fmt: skip
    card = _card(planner_web.get("/plans/2023/?today=2023-06-30").content.decode(), "R7")
    assert 'data-source="reading"' in card and 'data-actual="98.5"' in card
