"""Shared set-up of the plan tests: the planner's browser session and the berths targets."""

import pytest
from django.test import Client

from geo_cm.plans.models import Target


@pytest.fixture
def planner_web(planner_user):
    """The planner signed in with a session, as the pages and exports see them."""
    client = Client()
    client.force_login(planner_user)
    return client


def berth_targets(plan, west, **p1):
    """P1, 1000 new parking berths district-wide (``p1`` overrides its fields), and P1-W,
    400 of them allocated to the ``west`` subdistrict."""
    common = dict(unit="个", kind="metric", metric_key="parking.new_berths")
    Target.objects.create(
        plan=plan,
        **{"code": "P1", "title_zh": "新增停车泊位", "title_en": "New berths", "target_value": 1000,
           **common, **p1},
    )  # fmt: skip
    Target.objects.create(
        plan=plan, code="P1-W", title_zh="江浦街道新增停车泊位", title_en="New berths, Jiangpu",
        target_value=400, subdistrict=west, **common,
    )  # fmt: skip
