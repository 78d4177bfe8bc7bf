import pytest
from django.core.exceptions import ValidationError

from geo_cm import services
from streets.models import LightingRetrofit
from tests import factories

pytestmark = pytest.mark.django_db


def test_retrofit_must_save_power(areas):
    road = factories.road("DL-P")
    with pytest.raises(ValidationError):
        services.asset_create(
            model=LightingRetrofit,
            values=dict(
                code="GZ-X",
                road=road,
                year=2023,
                lamps=10,
                power_before_w=1000,
                power_after_w=2000,
                geom=road.geom,
            ),
        )
    assert not LightingRetrofit.objects.exists()


def test_street_light_repair_cycle(areas):
    light = factories.light("LD-1")
    for status in ("fault", "under_repair", "working"):
        light = services.asset_set_status(asset=light, status=status, note=status)
    assert light.status == "working" and light.version == 4
    removed = services.asset_set_status(asset=light, status="removed")
    with pytest.raises(ValidationError):
        services.asset_set_status(asset=removed, status="working")


def test_alley_stages_in_order(areas):
    from django.contrib.gis.geos import LineString, MultiLineString

    from streets.models import BackAlleyProject

    alley = services.asset_create(
        model=BackAlleyProject,
        values=dict(
            code="BJ-1",
            name="兴浦路背街",
            plan_year=2023,
            boutique=True,
            geom=MultiLineString(
                LineString((118.62, 32.05), (118.623, 32.05), srid=4326), srid=4326
            ),
        ),
    )
    assert alley.status == "planned"
    with pytest.raises(ValidationError):
        services.asset_set_status(asset=alley, status="completed")
    for stage in ("design", "construction", "completed", "accepted"):
        alley = services.asset_set_status(asset=alley, status=stage)
    assert alley.status == "accepted"
