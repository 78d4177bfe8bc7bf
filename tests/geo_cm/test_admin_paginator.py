"""Admin lists of tables that grow without end page without counting every row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories

pytestmark = pytest.mark.django_db
URL = "/admin/geo_cm/changerecord/"


@pytest.fixture
def history(areas):
    for i in range(6):
        factories.toilet(f"GC-{i}", lon=118.61 + i * 0.01)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE geo_cm_changerecord")


def _list(admin_client):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(URL)
    assert response.status_code == 200
    counts = [
        q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "changerecord" in q["sql"]
    ]
    return response.context["cl"], counts


def test_a_large_history_is_paged_on_the_planners_estimate(admin_client, history, settings):
    settings.GEOCM = {**settings.GEOCM, "API_EXACT_COUNT_MAX": 3}
    changelist, counts = _list(admin_client)
    assert counts == []  # no count(*) of the table, not even for the "show all" total
    assert changelist.paginator.count == 6  # ANALYZE saw every row of this small table
    assert len(changelist.result_list) == 6


def test_a_small_history_is_counted_exactly(admin_client, history, settings):
    settings.GEOCM = {**settings.GEOCM, "API_EXACT_COUNT_MAX": 1000}
    changelist, counts = _list(admin_client)
    assert changelist.paginator.count == 6 and len(counts) == 1


def test_occupancy_reports_use_the_same_paginator():
    from django.contrib import admin

    from geo_cm.admin import EstimatedCountPaginator
    from parking.models import OccupancyReport

    model_admin = admin.site._registry[OccupancyReport]
    assert model_admin.paginator is EstimatedCountPaginator
    assert model_admin.show_full_result_count is False
