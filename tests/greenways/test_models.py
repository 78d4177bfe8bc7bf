import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from pyproj import Geod

from geo_cm import services
from tests import factories

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")


def test_length_is_geodesic_metres_from_the_geometry(areas):
    coords = ((118.61, 32.01), (118.63, 32.03), (118.64, 32.03))
    seg = factories.segment("GW-L", coords=coords)
    lons, lats = zip(*coords, strict=True)
    assert seg.length_m == pytest.approx(GEOD.line_length(lons, lats), abs=0.01)


def test_length_follows_a_geometry_change(areas):
    seg = factories.segment("GW-C", coords=((118.61, 32.05), (118.62, 32.05)))
    longer = MultiLineString(LineString((118.61, 32.05), (118.63, 32.05), srid=4326), srid=4326)
    seg = services.asset_update(asset=seg, values={"geom": longer})
    assert seg.length_m == pytest.approx(
        GEOD.line_length([118.61, 118.63], [32.05, 32.05]), abs=0.01
    )


def test_length_is_not_writable(areas):
    from greenways.models import Segment

    assert not Segment._meta.get_field("length_m").editable
