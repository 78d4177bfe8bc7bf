"""GCJ-02/BD-09 converters against the golden points; CRS allow-list; encoding detection."""

import csv
import math

import numpy as np
import pytest

from geo_cm import gcj02
from geo_cm.imports.crs import CRSError, crs_from_authority, crs_from_prj, crs_from_user
from geo_cm.imports.encoding import EncodingError, encoding_detect_dbf, encoding_normalise

from .conftest import FIXTURES


def _metres(lon1, lat1, lon2, lat2):
    dx = (lon1 - lon2) * 111320 * math.cos(math.radians(lat1))
    return math.hypot(dx, (lat1 - lat2) * 110574)


def _golden():
    with (FIXTURES / "gcj02_to_wgs84_reference_points.csv").open() as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def test_gcj02_inverse_lands_within_a_metre_of_every_golden_point():
    rows = _golden()
    assert len(rows) == 40
    lon, lat = gcj02.gcj02_to_wgs84([r["gcj_lon"] for r in rows], [r["gcj_lat"] for r in rows])
    worst = max(
        _metres(lo, la, r["wgs_lon_exact"], r["wgs_lat_exact"])
        for lo, la, r in zip(lon, lat, rows, strict=False)
    )
    assert worst < 1.0
    # And it is the exact inverse: shifting back gives the GCJ-02 input to ~1 mm.
    glon, glat = gcj02.wgs84_to_gcj02(lon, lat)
    assert (
        max(
            _metres(a, b, r["gcj_lon"], r["gcj_lat"])
            for a, b, r in zip(glon, glat, rows, strict=False)
        )
        < 0.001
    )


def test_bd09_round_trip():
    lon, lat = np.array([118.63]), np.array([32.06])
    blon, blat = gcj02.gcj02_to_bd09(*gcj02.wgs84_to_gcj02(lon, lat))
    assert _metres(blon[0], blat[0], lon[0], lat[0]) > 500  # Baidu is far off WGS84
    wlon, wlat = gcj02.bd09_to_wgs84(blon, blat)
    assert _metres(wlon[0], wlat[0], lon[0], lat[0]) < 0.01


@pytest.mark.parametrize(
    "folder,epsg",
    [
        ("cgcs2000_gk_cm120e_epsg4549_gbk_cpg", 4549),
        ("cgcs2000_gk_zone40_epsg4528_gbk_nocpg", 4528),
        ("cgcs2000_geographic_epsg4490_utf8_cpg", 4490),
    ],
)
def test_esri_prj_is_matched_against_the_allow_list(folder, epsg):
    text = (FIXTURES / folder / "nanjing_districts.prj").read_text()
    assert crs_from_prj(text).epsg == epsg


def test_xian80_is_accepted_with_a_warning():
    wkt = (
        'PROJCS["Xian_1980_3_Degree_GK_CM_120E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",'
        'SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],'
        'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
        'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
        'PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],'
        'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
    )
    crs = crs_from_prj(wkt)
    assert crs.epsg == 2385
    assert "no official datum shift" in crs.warning


@pytest.mark.parametrize(
    "value", ["+proj=longlat +datum=WGS84", "4547", "EPSG:3857", "file:///etc/passwd", "4549; DROP"]
)
def test_user_crs_strings_outside_the_allow_list_are_refused(value):
    with pytest.raises(CRSError):
        crs_from_user(value)


def test_user_crs_spellings():
    assert crs_from_user("EPSG:4549").epsg == 4549
    assert crs_from_user(" 4528 ").epsg == 4528
    assert crs_from_user("CGCS2000").epsg == 4490
    assert crs_from_authority("urn:ogc:def:crs:OGC:1.3:CRS84").epsg == 4326
    assert crs_from_authority("urn:ogc:def:crs:EPSG::4490").epsg == 4490


def test_mercator_prj_is_refused():
    wkt = (
        'PROJCS["WGS_1984_Web_Mercator",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",'
        'SPHEROID["WGS_1984",6378137.0,298.257223563]]],PROJECTION["Mercator_Auxiliary_Sphere"],'
        'PARAMETER["False_Easting",0.0],PARAMETER["Central_Meridian",0.0],UNIT["Meter",1.0]]'
    )
    with pytest.raises(CRSError):
        crs_from_prj(wkt)


def test_encoding_from_cpg_and_detected_gbk_and_utf8():
    cpg = encoding_detect_dbf(
        dbf=FIXTURES / "cgcs2000_gk_cm120e_epsg4549_gbk_cpg/nanjing_districts.dbf"
    )
    assert cpg.name == "CP936"
    gbk = encoding_detect_dbf(
        dbf=FIXTURES / "cgcs2000_gk_zone40_epsg4528_gbk_nocpg/nanjing_districts.dbf"
    )
    assert gbk.name == "GB18030"
    utf8 = encoding_detect_dbf(dbf=FIXTURES / "nanjing_districts_noprj_nocpg_gcj02/南京市.dbf")
    assert utf8.name == "UTF-8"
    assert encoding_normalise("gbk") == "CP936"
    with pytest.raises(EncodingError):
        encoding_normalise("klingon")
