"""GCJ-02 (Amap, Tencent) and BD-09 (Baidu) offsets for coordinates in mainland China.

Our data is WGS84 (EPSG:4326). GCJ-02 is WGS84 plus a deliberate, position-dependent
shift of about 550 m in Pukou; BD-09 adds Baidu's own shift on top of GCJ-02. They are not
CRSs PROJ knows: the forward formulas below are the published obfuscation, and the
inverses are solved by fixed-point iteration until the forward formula reproduces the
input to 1e-10 degrees (about 0.01 mm), not by the one-step approximation that is off by
up to 2 m.

Every function takes longitude and latitude in degrees, as numbers or as arrays (numpy,
vectorised: an import converts 100,000 points at once), and returns the same kind: two
floats for two numbers (the parking map's links), two arrays otherwise. Points outside
China's rough box are returned unchanged (the shift does not apply there).
"""

import numpy as np
import shapely

# Krasovsky 1940 ellipsoid, which the GCJ-02 formulas are built on.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_FACTOR = np.pi * 3000.0 / 180.0
# Residual (degrees) at which the iterative inverses stop: ~0.01 mm.
TOLERANCE = 1e-10


def _arrays(lon, lat):
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _like_input(lon_in, lat_in, lon, lat):
    """Two floats when the caller gave two numbers, else the two arrays."""
    if np.ndim(lon_in) == 0 and np.ndim(lat_in) == 0:
        return float(lon), float(lat)
    return lon, lat


def in_china(lon, lat):
    """The rough box in which the offset applies (outside it GCJ-02 equals WGS84)."""
    lon, lat = _arrays(lon, lat)
    inside = (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)
    return bool(inside) if inside.ndim == 0 else inside


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


def _wgs84_to_gcj02(lon, lat):
    dlon, dlat = _shift(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _gcj02_to_bd09(lon, lat):
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_FACTOR)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_FACTOR)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(forward, lon, lat, first_guess, *, tolerance, rounds):
    """Solve forward(w) = (lon, lat) for w by fixed-point iteration from ``first_guess``."""
    wlon, wlat = first_guess
    for _ in range(rounds):
        flon, flat = forward(wlon, wlat)
        dlon, dlat = flon - lon, flat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if np.all(np.abs(dlon) < tolerance) and np.all(np.abs(dlat) < tolerance):
            break
    return wlon, wlat


def wgs84_to_gcj02(lon, lat):
    """WGS84 -> GCJ-02 (the published forward shift), degrees in and out."""
    return _like_input(lon, lat, *_wgs84_to_gcj02(*_arrays(lon, lat)))


def gcj02_to_wgs84(lon, lat, *, tolerance: float = TOLERANCE):
    """GCJ-02 -> WGS84 by iterating the forward shift until it reproduces the input."""
    glon, glat = _arrays(lon, lat)
    out = _invert(_wgs84_to_gcj02, glon, glat, (glon, glat), tolerance=tolerance, rounds=30)
    return _like_input(lon, lat, *out)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 -> BD-09 (Baidu's published formula), degrees in and out."""
    return _like_input(lon, lat, *_gcj02_to_bd09(*_arrays(lon, lat)))


def bd09_to_gcj02(lon, lat, *, tolerance: float = TOLERANCE):
    """BD-09 -> GCJ-02: Baidu's published inverse (off by ~0.1 m), refined by iterating
    the forward formula until it reproduces the input."""
    blon, blat = _arrays(lon, lat)
    x, y = blon - 0.0065, blat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_FACTOR)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_FACTOR)
    guess = (z * np.cos(theta), z * np.sin(theta))
    out = _invert(_gcj02_to_bd09, blon, blat, guess, tolerance=tolerance, rounds=10)
    return _like_input(lon, lat, *out)


def wgs84_to_bd09(lon, lat):
    """WGS84 -> BD-09 (GCJ-02, then Baidu's shift)."""
    return _like_input(lon, lat, *_gcj02_to_bd09(*_wgs84_to_gcj02(*_arrays(lon, lat))))


def bd09_to_wgs84(lon, lat):
    """BD-09 -> WGS84: the BD-09 inverse, then the GCJ-02 inverse."""
    return _like_input(lon, lat, *gcj02_to_wgs84(*bd09_to_gcj02(*_arrays(lon, lat))))


# Declared source offsets of an import -> the inverse on coordinate arrays.
OFFSETS = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}


def geometries_to_wgs84(geoms: np.ndarray, *, offset: str) -> np.ndarray:
    """Apply the inverse of ``offset`` ("gcj02" or "bd09") to shapely geometries in degrees."""
    convert = OFFSETS[offset]

    def _apply(coords):
        lon, lat = convert(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, _apply)
