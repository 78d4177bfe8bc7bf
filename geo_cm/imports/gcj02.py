"""GCJ-02 (Amap, Tencent) and BD-09 (Baidu) to WGS84 (EPSG:4326), vectorised with numpy.

GCJ-02 is WGS84 plus a deliberate position-dependent shift (about 550 m in Pukou); BD-09
adds Baidu's shift on top of GCJ-02. PROJ knows neither, so the published forward formulas
are inverted here by fixed-point iteration ("exact" inverse: the residual is driven below
1e-10 degrees, about 0.01 mm), not by the one-step approximation that is off by up to 2 m.

Every function takes and returns longitude and latitude arrays in degrees. Points outside
China's rough box are returned unchanged (the shift does not apply there).
"""

import numpy as np
import shapely

# Krasovsky 1940 ellipsoid: the GCJ-02 formulas are defined on it.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_FACTOR = np.pi * 3000.0 / 180.0
# Residual (degrees) at which the iterative inverse stops: ~0.01 mm.
_TOLERANCE = 1e-10


def _in_china(lon, lat):
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _shift(lon, lat):
    x, y = lon - 105.0, lat - 35.0
    pi = np.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    wave = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = dlat + wave + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = dlon + wave + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """WGS84 -> GCJ-02 (the published forward shift), degrees in and out."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _shift(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 -> WGS84 by iterating the forward shift until it reproduces the input."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = flon - glon, flat - glat
        wlon, wlat = wlon - dlon, wlat - dlat
        if np.all(np.abs(dlon) < _TOLERANCE) and np.all(np.abs(dlat) < _TOLERANCE):
            break
    return wlon, wlat


def _bd09_to_gcj02_approx(blon, blat):
    x, y = blon - 0.0065, blat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_FACTOR)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_FACTOR)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon, lat):
    """BD-09 -> GCJ-02: Baidu's published inverse (off by ~0.1 m), refined by iterating
    the forward formula until it reproduces the input."""
    blon, blat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    glon, glat = _bd09_to_gcj02_approx(blon, blat)
    for _ in range(10):
        flon, flat = gcj02_to_bd09(glon, glat)
        dlon, dlat = flon - blon, flat - blat
        glon, glat = glon - dlon, glat - dlat
        if np.all(np.abs(dlon) < _TOLERANCE) and np.all(np.abs(dlat) < _TOLERANCE):
            break
    return glon, glat


def gcj02_to_bd09(lon, lat):
    """GCJ-02 -> BD-09, degrees in and out."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_FACTOR)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_FACTOR)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_wgs84(lon, lat):
    """BD-09 -> WGS84: Baidu's inverse, then the iterative GCJ-02 inverse."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# Declared source offsets -> a function on coordinate arrays (lon, lat) -> (lon, lat).
OFFSETS = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}


def geometries_to_wgs84(geoms: np.ndarray, *, offset: str) -> np.ndarray:
    """Apply the inverse of ``offset`` ("gcj02" or "bd09") to shapely geometries in degrees."""
    convert = OFFSETS[offset]

    def _apply(coords):
        lon, lat = convert(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, _apply)
