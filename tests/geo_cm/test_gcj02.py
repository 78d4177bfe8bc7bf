import csv
from pathlib import Path

import pytest
from pyproj import Geod

from geo_cm import gcj02

GOLDEN = Path(__file__).parent / "fixtures" / "gcj02_to_wgs84_reference_points.csv"
GEOD = Geod(ellps="WGS84")


def rows():
    with GOLDEN.open() as fh:
        return list(csv.DictReader(fh))


def metres(a, b):
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


@pytest.mark.parametrize("row", rows(), ids=lambda r: f"{r['gcj_lon']},{r['gcj_lat']}")
def test_inverse_lands_within_a_metre_of_the_golden_points(row):
    got = gcj02.gcj02_to_wgs84(float(row["gcj_lon"]), float(row["gcj_lat"]))
    expected = (float(row["wgs_lon_exact"]), float(row["wgs_lat_exact"]))
    assert metres(got, expected) < 1.0


def test_the_shift_in_pukou_is_about_550_m():
    wgs = (118.62, 32.06)
    assert 450 < metres(wgs, gcj02.wgs84_to_gcj02(*wgs)) < 650


def test_round_trips():
    wgs = (118.62, 32.06)
    assert metres(wgs, gcj02.gcj02_to_wgs84(*gcj02.wgs84_to_gcj02(*wgs))) < 0.01
    assert metres(wgs, gcj02.bd09_to_wgs84(*gcj02.wgs84_to_bd09(*wgs))) < 0.5


def test_outside_china_nothing_moves():
    assert gcj02.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
