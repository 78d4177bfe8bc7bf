"""Small builders for assets through the services (the way real writes happen)."""

import datetime as dt

from django.contrib.gis.geos import LineString, MultiLineString, Point

from geo_cm import services
from greenways.models import Route, Segment
from parking.models import Facility
from streets.models import Road, StreetLight
from toilets.models import Toilet


def toilet(code="GC-T1", lon=118.62, lat=32.05, status="open", **extra):
    extra.setdefault("manager_phone", "025-0000")
    values = dict(code=code, name=f"测试公厕{code}", category="city", status=status,
                  geom=Point(lon, lat, srid=4326), **extra)
    return services.asset_create(model=Toilet, values=values, source="test")


def facility(code="TC-T1", lon=118.68, lat=32.05, **extra):
    extra.setdefault("operator_contact", "internal-only")
    values = dict(code=code, name=f"测试停车场{code}", kind="surface", ownership="public",
                  total_berths=100, status="open", geom=Point(lon, lat, srid=4326), **extra)
    return services.asset_create(model=Facility, values=values, source="test")


def line(*coords):
    return MultiLineString(LineString(*coords, srid=4326), srid=4326)


def road(code="DL-T1", coords=((118.61, 32.05), (118.64, 32.05)), **extra):
    values = dict(code=code, name=f"测试路{code}", road_class="branch", status="in_service",
                  geom=line(*coords), **extra)
    return services.asset_create(model=Road, values=values, source="test")


def light(code="LD-T1", lon=118.62, lat=32.05, road_obj=None, **extra):
    values = dict(code=code, road=road_obj, lamp_type="led", power_w=100,
                  geom=Point(lon, lat, srid=4326), status="working", **extra)
    return services.asset_create(model=StreetLight, values=values, source="test")


def segment(code="GW-T1", coords=((118.61, 32.05), (118.62, 32.05)), status="completed",
            completed_on=dt.date(2023, 5, 1), **extra):
    route, _ = Route.objects.get_or_create(code="R-T", defaults={"name": "测试绿道"})
    values = dict(code=code, route=route, name=f"测试段{code}", status=status,
                  completed_on=completed_on, geom=line(*coords), **extra)
    return services.asset_create(model=Segment, values=values, source="test")
