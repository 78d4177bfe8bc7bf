"""The coordinate reference systems the platform offers, as a closed allow-list.

Data are stored in EPSG:4326 (PostGIS x = longitude, y = latitude). Clients may ask for
any CRS below (OGC API - Features Part 2, ``crs=``, ``bbox-crs=``, ``filter-crs=`` and the
``Content-Crs`` header of a write); anything else is refused. A client's string is only
ever matched against this table: it never reaches GDAL or PROJ, which receive the SRID
integer of the matched entry (PostGIS ``ST_Transform``).

Axis order is the one the EPSG registry defines, as Part 2 requires (Part 1's CRS84 is the
only exception, longitude first by definition):

| CRS | axes (first, second) |
|---|---|
| CRS84 | longitude east, latitude north |
| EPSG:4326 WGS 84 | latitude north, longitude east |
| EPSG:4490 CGCS2000 | latitude north, longitude east |
| EPSG:4549 / 4548 CGCS2000 3-degree Gauss-Kruger CM 120E / 117E | X northing, Y easting |
| EPSG:4528 / 4527 the same, zones 40 / 39 (easting with the zone prefix) | X northing, Y easting |
| EPSG:3857 WGS 84 / Pseudo-Mercator | X easting, Y northing |

PostGIS always keeps x = east, so north-first systems are flipped with
``ST_FlipCoordinates`` on the way out and swapped back on the way in.

Decimals: CRS84 keeps 7 (about 1 cm, the web-map default, compact); explicitly requested
geographic systems get 9 (about 0.1 mm), projected ones 3 (1 mm), so survey staff reading
CGCS2000 get positions within a millimetre of the stored ones.
"""

import json
import math
from dataclasses import dataclass

from django.contrib.gis.db.models.functions import GeoFunc
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

OGC_CRS = "http://www.opengis.net/def/crs/"


@dataclass(frozen=True)
class Crs:
    """One offered CRS: its URI (how the API names it), PostGIS SRID and axis conventions.

    ``north_first``: the first coordinate is latitude or northing (EPSG order).
    ``bounds``: (min_first, min_second, max_first, max_second) in the CRS's own axis order;
    coordinates outside are refused before PROJ sees them.
    """

    uri: str
    srid: int
    name: str
    north_first: bool
    decimals: int
    bounds: tuple[float, float, float, float]

    @property
    def curie(self) -> str:
        authority, _version, code = self.uri.removeprefix(OGC_CRS).split("/")
        return f"{authority}:{code}"

    @property
    def header(self) -> str:
        """The ``Content-Crs`` header value: the URI in angle brackets."""
        return f"<{self.uri}>"

    def to_xy(self, first: float, second: float) -> tuple[float, float]:
        """A coordinate pair in this CRS's axis order as PostGIS (x east, y north)."""
        return (second, first) if self.north_first else (first, second)

    def contains(self, first: float, second: float) -> bool:
        lo1, lo2, hi1, hi2 = self.bounds
        return (
            math.isfinite(first)
            and math.isfinite(second)
            and lo1 <= first <= hi1
            and lo2 <= second <= hi2
        )


def _epsg(code: int, name: str, *, north_first: bool, decimals: int, bounds) -> Crs:
    return Crs(f"{OGC_CRS}EPSG/0/{code}", code, name, north_first, decimals, bounds)


# Gauss-Kruger zones cover China (latitude 16..54 N): northing 1.7e6..6.0e6 m; eastings
# stay within about 1,000 km of the false easting even for data far off the zone.
_GK = (1_000_000.0, 0.0, 7_000_000.0, 1_000_000.0)
CRS84 = Crs(f"{OGC_CRS}OGC/1.3/CRS84", 4326, "WGS 84 (CRS84)", False, 7, (-180, -90, 180, 90))
OFFERED = (
    CRS84,
    _epsg(4326, "WGS 84", north_first=True, decimals=9, bounds=(-90, -180, 90, 180)),
    _epsg(4490, "CGCS2000", north_first=True, decimals=9, bounds=(-90, -180, 90, 180)),
    _epsg(
        4549, "CGCS2000 / 3-degree Gauss-Kruger CM 120E", north_first=True, decimals=3, bounds=_GK
    ),
    _epsg(
        4548, "CGCS2000 / 3-degree Gauss-Kruger CM 117E", north_first=True, decimals=3, bounds=_GK
    ),
    _epsg(
        4528,
        "CGCS2000 / 3-degree Gauss-Kruger zone 40",
        north_first=True,
        decimals=3,
        bounds=(1_000_000.0, 40_000_000.0, 7_000_000.0, 41_000_000.0),
    ),
    _epsg(
        4527,
        "CGCS2000 / 3-degree Gauss-Kruger zone 39",
        north_first=True,
        decimals=3,
        bounds=(1_000_000.0, 39_000_000.0, 7_000_000.0, 40_000_000.0),
    ),
    _epsg(
        3857,
        "WGS 84 / Pseudo-Mercator",
        north_first=False,
        decimals=3,
        bounds=(-20037508.3428, -20048966.1, 20037508.3428, 20048966.1),
    ),
)
STORAGE = OFFERED[1]  # EPSG:4326, in PostGIS's lon/lat order
_BY_NAME = {}
for _crs in OFFERED:
    _BY_NAME[_crs.uri] = _crs
    _BY_NAME[_crs.curie.upper()] = _crs
    _BY_NAME[f"[{_crs.curie.upper()}]"] = _crs  # a safe CURIE


def crs_lookup(value: str) -> Crs | None:
    """The offered CRS named by ``value`` (its URI, ``EPSG:4549`` or ``[EPSG:4549]``), or None."""
    text = value.strip()
    return _BY_NAME.get(text) or _BY_NAME.get(text.upper())


class FlipCoordinates(GeoFunc):
    """ST_FlipCoordinates: swap x and y (to write north-first CRSs in their EPSG order)."""

    arity = 1


def geometry_to_storage(*, geom: GEOSGeometry, crs: Crs) -> dict:
    """``geom`` (coordinates in ``crs`` and its axis order) as a GeoJSON dict in EPSG:4326.

    The transformation runs in PostGIS (``ST_Transform``), the same PROJ pipeline that
    serves reads, so a feature written in EPSG:4549 reads back in EPSG:4549 unchanged.
    Raises ValueError when a coordinate lies outside the CRS's range.
    """
    xmin, ymin, xmax, ymax = geom.extent
    if not (crs.contains(xmin, ymin) and crs.contains(xmax, ymax)):
        raise ValueError(crs.uri)
    flip = "ST_FlipCoordinates" if crs.north_first else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ST_AsGeoJSON(ST_Transform({flip}(ST_SetSRID(ST_GeomFromEWKB(%s), %s)), "
            "4326), 15)",
            [memoryview(geom.ewkb), crs.srid],
        )
        return json.loads(cursor.fetchone()[0])
