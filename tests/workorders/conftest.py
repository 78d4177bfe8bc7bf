"""Work orders built through the services at given local times (known answers)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from workorders import services

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Fixed deadlines for the tests: (reply within hours, resolve within days).
DEADLINES = {
    "street_light": (24, 3),
    "toilet": (12, 2),
    "parking": (24, 5),
    "road": (24, 7),
    "alley": (24, 7),
    "greenway": (24, 5),
    "sanitation": (12, 1),
    "other": (24, 5),
}


def local(text: str) -> dt.datetime:
    """'2023-06-01 09:00' in Shanghai time, as an aware instant."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _deadlines(settings):
    settings.GEOCM = {**settings.GEOCM, "WORKORDER_DEADLINES": DEADLINES}


def order(
    received: str,
    *,
    category="street_light",
    channel="12345",
    lon=118.62,
    lat=32.05,
    replied=None,
    resolved=None,
    closed=None,
    satisfaction="satisfied",
    code=None,
    description="测试",
    **extra,
):
    """One order received at ``received`` (local), then replied, resolved and closed at the
    given local times (each step optional)."""
    made = services.workorder_create(
        category=category,
        channel=channel,
        point=Point(lon, lat, srid=4326),
        description=description,
        received_at=local(received),
        code=code,
        **extra,
    )
    if replied:
        made = services.workorder_reply(order=made, text="已收到", at=local(replied))
    if resolved:
        made = services.workorder_resolve(order=made, resolution="已修复", at=local(resolved))
    if closed:
        made = services.workorder_close(order=made, satisfaction=satisfaction, at=local(closed))
    return made
