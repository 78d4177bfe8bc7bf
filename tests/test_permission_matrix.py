"""Roles x endpoints x own/other subdistrict: nobody reads or changes what they must not.

Each row states the expected HTTP status for one role; a write that must fail is also
checked to have left the database unchanged.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from geo_cm.models import StaffScope
from tests import factories
from toilets.models import Toilet

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "field_team", "planner", "gis_staff", "administrator", "parking_feed"]
# endpoint -> expected status per role (own subdistrict for the field team)
EXPECTED = {
    "read_public_layer": {
        "anonymous": 200,
        "field_team": 200,
        "planner": 200,
        "gis_staff": 200,
        "administrator": 200,
        "parking_feed": 200,
    },
    "read_staff_layer": {
        "anonymous": 404,
        "field_team": 200,
        "planner": 200,
        "gis_staff": 200,
        "administrator": 200,
        "parking_feed": 404,
    },
    "create": {
        "anonymous": 401,
        "field_team": 403,
        "planner": 403,
        "gis_staff": 201,
        "administrator": 201,
        "parking_feed": 403,
    },
    "change_status": {
        "anonymous": 401,
        "field_team": 200,
        "planner": 403,
        "gis_staff": 200,
        "administrator": 200,
        "parking_feed": 403,
    },
    "change_name": {
        "anonymous": 401,
        "field_team": 403,
        "planner": 403,
        "gis_staff": 200,
        "administrator": 200,
        "parking_feed": 403,
    },
    "delete": {
        "anonymous": 401,
        "field_team": 403,
        "planner": 403,
        "gis_staff": 204,
        "administrator": 204,
        "parking_feed": 403,
    },
    "field_status": {
        "anonymous": 401,
        "field_team": 200,
        "planner": 404,
        "gis_staff": 200,
        "administrator": 200,
        "parking_feed": 404,
    },
    "occupancy_feed": {
        "anonymous": 401,
        "field_team": 403,
        "planner": 403,
        "gis_staff": 201,
        "administrator": 201,
        "parking_feed": 201,
    },
    "admin_index": {
        "anonymous": 302,
        "field_team": 302,
        "planner": 200,
        "gis_staff": 200,
        "administrator": 200,
        "parking_feed": 302,
    },
}


def make_client(role, areas):
    client = APIClient()
    if role == "anonymous":
        return client
    user = get_user_model().objects.create_user(
        role,
        password="pw",
        is_staff=role in ("planner", "gis_staff", "administrator"),
        is_superuser=role == "administrator",
    )
    user.groups.add(Group.objects.get(name=role))
    if role == "field_team":
        StaffScope.objects.create(user=user).subdistricts.add(areas["west"])
    client.force_authenticate(user)
    client.force_login(user)
    return client


def call(client, endpoint, toilet, facility):
    item = f"/ogc/collections/toilets/items/{toilet.pk}"
    if endpoint == "read_public_layer":
        return client.get("/ogc/collections/toilets/items")
    if endpoint == "read_staff_layer":
        return client.get("/ogc/collections/lighting-retrofits/items")
    if endpoint == "create":
        return client.post(
            "/ogc/collections/toilets/items",
            {
                "type": "Feature",
                "properties": {"code": "GC-NEW", "name": "新", "category": "city"},
                "geometry": {"type": "Point", "coordinates": [118.62, 32.05]},
            },
            format="json",
        )
    if endpoint == "change_status":
        return client.patch(item, {"properties": {"status": "closed_for_repair"}}, format="json")
    if endpoint == "change_name":
        return client.patch(item, {"properties": {"name": "改"}}, format="json")
    if endpoint == "delete":
        return client.delete(item)
    if endpoint == "field_status":
        return client.post(
            f"/api/field/assets/toilets/{toilet.pk}/status",
            {"status": "closed_for_repair"},
            format="json",
            HTTP_IF_MATCH='"1"',
        )
    if endpoint == "occupancy_feed":
        return client.post(
            "/api/parking/occupancy",
            {"facility": facility.code, "free": 3, "observed_at": timezone.now().isoformat()},
            format="json",
        )
    if endpoint == "admin_index":
        return client.get("/admin/")
    raise AssertionError(endpoint)


def snapshot(toilet):
    row = Toilet.objects.filter(pk=toilet.pk).values("name", "status", "version").first()
    return row, Toilet.objects.count()


@pytest.mark.parametrize("endpoint", list(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_role_endpoint_matrix(role, endpoint, areas, roles):
    toilet = factories.toilet("GC-MX", lon=118.62)  # in the field team's subdistrict
    facility = factories.facility("TC-MX")
    client = make_client(role, areas)
    before = snapshot(toilet)
    response = call(client, endpoint, toilet, facility)
    assert response.status_code == EXPECTED[endpoint][role], (role, endpoint, response.content)
    if response.status_code >= 300 and endpoint not in ("admin_index",):
        assert snapshot(toilet) == before


@pytest.mark.parametrize("endpoint", ["change_status", "field_status"])
def test_field_team_is_refused_outside_its_subdistrict(endpoint, areas, roles):
    other = factories.toilet("GC-EAST", lon=118.68)
    facility = factories.facility("TC-MX2")
    client = make_client("field_team", areas)
    before = snapshot(other)
    response = call(client, endpoint, other, facility)
    assert response.status_code == 403
    assert snapshot(other) == before


def test_staff_only_fields_never_reach_roles_without_view(areas, roles):
    factories.toilet("GC-SEC", lon=118.62, manager_phone="13900000000")
    for role in ("anonymous", "parking_feed"):
        body = make_client(role, areas).get("/ogc/collections/toilets/items").content.decode()
        assert "13900000000" not in body and "manager_phone" not in body, role
