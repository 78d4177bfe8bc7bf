"""Who may use which work-order endpoint: roles x endpoints, one expected status each."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from geo_cm.models import StaffScope

from .conftest import order

ROLES = ["anonymous", "field_team", "planner", "gis_staff", "administrator", "parking_feed",
         "report_client"]  # fmt: skip
# endpoint -> the status each role gets, in ROLES order.
EXPECTED = {
    "report_form": [201, 201, 201, 201, 201, 201, 201],  # the public form identifies nobody
    "reports_near": [200, 200, 200, 200, 200, 200, 200],
    "open311_read": [200, 200, 200, 200, 200, 200, 200],
    "open311_post": [403, 403, 403, 201, 201, 403, 201],
    "hotspots": [401, 200, 200, 200, 200, 403, 403],
    "team_list": [401, 200, 403, 200, 200, 403, 403],
    "reply": [401, 200, 403, 200, 200, 403, 403],
    "reject": [401, 403, 403, 200, 200, 403, 403],
}
CALLS = {
    "report_form": ("post", "/api/workorders/reports",
                    {"category": "toilet", "lon": "118.62", "lat": "32.05", "description": "脏"}),
    "reports_near": ("get", "/api/workorders/near?near=118.62,32.05", None),
    "open311_read": ("get", "/open311/v2/requests.json", None),
    "open311_post": ("post", "/open311/v2/requests.json",
                     {"service_code": "toilet", "lat": "32.05", "long": "118.62"}),
    "hotspots": ("get", "/api/workorders/hotspots?start=2023-01-01&end=2023-12-31", None),
    "team_list": ("get", "/api/workorders/field/nearby", None),
    "reply": ("post", "/api/workorders/{pk}/status", {"status": "replied", "note": "收到"}),
    "reject": ("post", "/api/workorders/{pk}/status", {"status": "rejected", "note": "不归口"}),
}  # fmt: skip


def _client(role, areas):
    client = APIClient()
    if role == "anonymous":
        return client
    staff = role in ("planner", "gis_staff")
    user = get_user_model().objects.create_user(username=role, password="pw", is_staff=staff)
    user.groups.add(Group.objects.get(name=role))
    if role == "administrator":
        user.is_superuser = True
        user.save()
    if role == "field_team":
        StaffScope.objects.create(user=user).subdistricts.add(areas["west"])
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_its_permissions_say(roles, areas, role):
    client = _client(role, areas)
    made = order("2023-06-01 09:00")
    for endpoint, statuses in EXPECTED.items():
        method, url, body = CALLS[endpoint]
        url = url.format(pk=made.pk)
        made.refresh_from_db()
        response = getattr(client, method)(url, body, HTTP_IF_MATCH=f'"{made.version}"')
        assert response.status_code == statuses[ROLES.index(role)], (endpoint, response.content)
