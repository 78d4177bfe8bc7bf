"""Demo demand for coverage analysis: where people live and gather (synthetic).

Three kinds of PopulationArea, EPSG:4326, generated in EPSG:32650 metres:
- residential areas (小区): ~70 blocks of 150-300 m around the urban 街道 centres, each with
  the people who live there;
- a 500 m grid of the people who live scattered outside those blocks (villages, farms),
  denser near every town centre and thin in the forest and farmland;
- busy public places (squares, stations, markets) with their daily crowd.
The residents of a block are not also counted in the grid, so the kinds add up. The
totals are plausible for Pukou, not census figures.
"""

import math

import numpy as np
import shapely
from shapely.geometry import box

from geo_cm.coverage.models import PopulationArea

from .areas import TOWNS, town_seeds_metric
from .common import DEMO_SOURCE, rng_for
from .geo import django_geom, inner_metric
from .names import NamePool

CELL_M = 500.0
RESIDENTIAL_PER_URBAN_TOWN = 12
RESIDENTIAL_PER_RURAL_TOWN = 3
SUFFIXES = ("花园", "小区", "家园", "新村", "苑", "雅居", "公寓", "名邸")
PLACES = ("文化广场", "汽车站", "农贸市场", "体育公园", "商业街", "地铁站", "医院", "中学")


def _grid_density(x, y, seeds):
    """People per km² of scattered (non-block) population at (x, y), metres."""
    density = 40.0  # farmland and forest
    for town in TOWNS:
        seed = seeds[town.name]
        d = math.hypot(x - seed.x, y - seed.y)
        peak, spread = (1800.0, 3000.0) if town.urban else (900.0, 2000.0)
        density += peak * math.exp(-((d / spread) ** 2))
    return density


def build_population(seed: int) -> list:
    """Unsaved PopulationArea rows for ``seed`` (residential blocks, grid cells, places)."""
    rng = rng_for(seed, "population")
    seeds = town_seeds_metric()
    inner = inner_metric()
    names = NamePool()
    rows, blocks = [], []
    for town in TOWNS:
        count = RESIDENTIAL_PER_URBAN_TOWN if town.urban else RESIDENTIAL_PER_RURAL_TOWN
        spread = 2200.0 if town.urban else 900.0
        centre = seeds[town.name]
        placed = 0
        while placed < count:
            angle, dist = rng.uniform(0, 2 * math.pi), abs(rng.gauss(0, spread))
            w, h = rng.uniform(150, 300), rng.uniform(150, 300)
            x, y = centre.x + dist * math.cos(angle), centre.y + dist * math.sin(angle)
            block = box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            if not inner.contains(block) or any(block.intersects(b) for b in blocks):
                continue
            blocks.append(block)
            placed += 1
            # High-rise compounds in the urban 街道, low-rise ones elsewhere (people per km²).
            density = rng.uniform(60000, 120000) if town.urban else rng.uniform(15000, 30000)
            people = int(block.area / 1e6 * density)
            rows.append(
                PopulationArea(
                    code=f"RK-R-{len(blocks):03d}",
                    name=names.root(rng, rng.choice(SUFFIXES)),
                    kind="residential",
                    population=people,
                    year=2023,
                    status="current",
                    source=DEMO_SOURCE,
                    geom=django_geom(shapely.MultiPolygon([block])),
                )
            )
    blocks_union = shapely.union_all(blocks)
    minx, miny, maxx, maxy = inner.bounds
    xs = np.arange(math.floor(minx / CELL_M) * CELL_M, maxx, CELL_M)
    ys = np.arange(math.floor(miny / CELL_M) * CELL_M, maxy, CELL_M)
    n = 0
    for x in xs:
        for y in ys:
            cell = box(x, y, x + CELL_M, y + CELL_M).intersection(inner)
            cell = cell.difference(blocks_union) if cell.intersects(blocks_union) else cell
            if cell.is_empty or cell.area < 2000:
                continue
            polygons = [p for p in shapely.get_parts(cell) if p.geom_type == "Polygon"]
            if not polygons:
                continue
            centre = cell.centroid
            people = int(
                _grid_density(centre.x, centre.y, seeds) * cell.area / 1e6 * rng.uniform(0.7, 1.3)
            )
            if people == 0:
                continue
            n += 1
            rows.append(
                PopulationArea(
                    code=f"RK-G-{n:05d}",
                    name="",
                    kind="grid",
                    population=people,
                    year=2023,
                    status="current",
                    source=DEMO_SOURCE,
                    geom=django_geom(shapely.MultiPolygon(polygons)),
                )
            )
    for i, town in enumerate(t for t in TOWNS if t.urban):
        for j in range(2):
            centre = seeds[town.name]
            x = centre.x + rng.uniform(-1500, 1500)
            y = centre.y + rng.uniform(-1500, 1500)
            place = box(x - 60, y - 60, x + 60, y + 60)
            if not inner.contains(place) or place.intersects(blocks_union):
                continue
            rows.append(
                PopulationArea(
                    code=f"RK-P-{i * 2 + j + 1:02d}",
                    name=town.name[:2] + rng.choice(PLACES),
                    kind="public_place",
                    population=rng.randint(800, 4000),
                    year=2023,
                    status="current",
                    source=DEMO_SOURCE,
                    geom=django_geom(shapely.MultiPolygon([place])),
                )
            )
    return rows


# A core builder, after the apps' assets and before what is placed among the people
# (work orders); the summary line ends with the population areas.
DEMO_ORDER = 50
DEMO_PURE = True


def demo_build(ctx) -> None:
    """The demand the coverage analysis measures against."""
    ctx.add(build_population(ctx.seed), summary="population areas")
