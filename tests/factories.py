"""Small builders for assets through the services (the way real writes happen).

Each takes keyword overrides for any model field.
"""

import datetime as dt

from django.contrib.gis.geos import LineString, MultiLineString, Point

from geo_cm import services
from greenways.models import Route, Segment
from parking.models import Facility
from streets.models import Road, StreetLight
from toilets.models import Toilet


def _create(model, defaults, extra):
    return services.asset_create(model=model, values={**defaults, **extra}, source="test")


def line(*coords):
    return MultiLineString(LineString(*coords, srid=4326), srid=4326)


def toilet(code="GC-T1", lon=118.62, lat=32.05, **extra):
    defaults = dict(
        code=code,
        name=f"测试公厕{code}",
        category="city",
        status="open",
        manager_phone="025-0000",
        geom=Point(lon, lat, srid=4326),
    )
    return _create(Toilet, defaults, extra)


def facility(code="TC-T1", lon=118.68, lat=32.05, **extra):
    defaults = dict(
        code=code,
        name=f"测试停车场{code}",
        kind="surface",
        ownership="public",
        total_berths=100,
        status="open",
        operator_contact="internal-only",
        geom=Point(lon, lat, srid=4326),
    )
    return _create(Facility, defaults, extra)


def road(code="DL-T1", coords=((118.61, 32.05), (118.64, 32.05)), **extra):
    defaults = dict(
        code=code,
        name=f"测试路{code}",
        road_class="branch",
        status="in_service",
        geom=line(*coords),
    )
    return _create(Road, defaults, extra)


def light(code="LD-T1", lon=118.62, lat=32.05, **extra):
    defaults = dict(
        code=code, lamp_type="led", power_w=100, status="working", geom=Point(lon, lat, srid=4326)
    )
    return _create(StreetLight, defaults, extra)


def segment(code="GW-T1", coords=((118.61, 32.05), (118.62, 32.05)), **extra):
    route, _ = Route.objects.get_or_create(code="R-T", defaults={"name": "测试绿道"})
    defaults = dict(
        code=code,
        route=route,
        name=f"测试段{code}",
        status="completed",
        completed_on=dt.date(2023, 5, 1),
        geom=line(*coords),
    )
    return _create(Segment, defaults, extra)
