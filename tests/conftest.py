"""Shared fixtures. Tests run against a real PostGIS (the private cluster or DATABASE_URL)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.geos import MultiPolygon, Polygon
from rest_framework.test import APIClient

from geo_cm.models import District, Subdistrict
from geo_cm.roles import roles_sync

# A constructed district: the square 118.60..118.70 E, 32.00..32.10 N, split at 118.65 E
# into a west and an east subdistrict. Known answers are easy to reason about.
WEST = (118.60, 32.00, 118.65, 32.10)
EAST = (118.65, 32.00, 118.70, 32.10)


def square(bbox):
    return MultiPolygon(Polygon.from_bbox(bbox), srid=4326)


@pytest.fixture
def areas(db):
    district = District.objects.create(
        code="320111",
        name="浦口区",
        geom=square((118.60, 32.00, 118.70, 32.10)),
        boundary_source="test square",
    )
    west = Subdistrict.objects.create(
        district=district,
        code="320111004000",
        name="江浦街道",
        abbreviation="JP",
        geom=square(WEST),
    )
    east = Subdistrict.objects.create(
        district=district,
        code="320192007000",
        code_old="320111001000",
        name="泰山街道",
        abbreviation="TS",
        geom=square(EAST),
    )
    return {"district": district, "west": west, "east": east}


@pytest.fixture
def roles(db):
    roles_sync()


def _user(username, group, staff=False):
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, is_staff=staff
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def gis_user(roles):
    return _user("gis", "gis_staff", staff=True)


@pytest.fixture
def planner_user(roles):
    return _user("planner", "planner", staff=True)


@pytest.fixture
def field_user(roles):
    return _user("field", "field_team")


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def gis_client(gis_user):
    client = APIClient()
    client.force_authenticate(gis_user)
    return client


@pytest.fixture
def planner_client(planner_user):
    client = APIClient()
    client.force_authenticate(planner_user)
    return client


@pytest.fixture(autouse=True)
def _api_throttles_off(request, settings):
    """The suite's clients send hundreds of requests from one address: the per-address and
    per-user API rates are off unless a test is marked ``throttled`` (the scoped rates of
    the report form and Open311 stay, their tests count on them). Log-in lockout stays on:
    its counters are rows that each test's transaction rolls back."""
    if request.node.get_closest_marker("throttled"):
        return
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "anon": None, "user": None},
    }
