"""The WebMercatorQuad tile matrix set (OGC 17-083r4, EPSG:3857, 256 × 256 tiles).

Only arithmetic and the standard's JSON document: tile (z, row, col) -> bounds in metres
(EPSG:3857) and degrees (EPSG:4326). Rows count from the top (north), as in XYZ tiles.
"""

import math

ID = "WebMercatorQuad"
URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS = "http://www.opengis.net/def/crs/EPSG/0/3857"
# Half the width of the projected world, in metres (pi times the WGS84 semi-major axis).
HALF = math.pi * 6378137.0
MAX_ZOOM = 24
TILE_SIZE = 256
# Scale denominator of zoom 0 (a 256-pixel tile of 0.28 mm pixels covering the world).
SCALE_0 = 2 * HALF / TILE_SIZE / 0.00028


def matrix_size(z: int) -> int:
    """Tiles along each axis at zoom ``z``."""
    return 1 << z


def tile_bounds_3857(z: int, row: int, col: int, margin: float = 0.0):
    """(xmin, ymin, xmax, ymax) in EPSG:3857 metres; ``margin`` as a fraction of the width."""
    size = 2 * HALF / matrix_size(z)
    pad = size * margin
    xmin = -HALF + col * size
    ymax = HALF - row * size
    return (xmin - pad, ymax - size - pad, xmin + size + pad, ymax + pad)


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:3857 metres -> (longitude, latitude) in degrees (latitude clamped to the TMS)."""
    x = max(-HALF, min(HALF, x))
    y = max(-HALF, min(HALF, y))
    lon = x / HALF * 180.0
    lat = math.degrees(math.atan(math.sinh(y / HALF * math.pi)))
    return lon, lat


def tile_bounds_4326(z: int, row: int, col: int, margin: float = 0.0):
    """(minLon, minLat, maxLon, maxLat) of the tile (a rectangle in both CRSs)."""
    xmin, ymin, xmax, ymax = tile_bounds_3857(z, row, col, margin)
    lon0, lat0 = mercator_to_lonlat(xmin, ymin)
    lon1, lat1 = mercator_to_lonlat(xmax, ymax)
    return (lon0, lat0, lon1, lat1)


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """(row, col) of the tile holding a WGS84 position at zoom ``z``."""
    n = matrix_size(z)
    col = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(max(-85.0511287798, min(85.0511287798, lat)))
    row = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(row, 0), n - 1), min(max(col, 0), n - 1)


def document() -> dict:
    """The tile matrix set as OGC 2D TMS JSON (17-083r4)."""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        n = matrix_size(z)
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": SCALE_0 / n,
                "cellSize": 2 * HALF / TILE_SIZE / n,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF, HALF],
                "tileWidth": TILE_SIZE,
                "tileHeight": TILE_SIZE,
                "matrixWidth": n,
                "matrixHeight": n,
            }
        )
    return {
        "id": ID,
        "title": "Google Maps Compatible for the World",
        "uri": URI,
        "crs": CRS,
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }
