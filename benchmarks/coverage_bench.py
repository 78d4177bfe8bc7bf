"""Coverage benchmark: straight-line and walking-distance coverage on a district-sized grid.

Builds a scratch database (geocm_bench_coverage) next to the development one, fills it with
a 28.8 km x 28.8 km street grid (160 + 160 streets, ~51,000 street edges between junctions),
a 250 m population grid and 3,000 toilets, then times our path and a reference in the same
run: for straight-line coverage, PostGIS's union of geography buffers; for network coverage,
the bare pgr_drivingDistance call that our path builds on. Prints a table with the ratio.

    make bench            (or: .venv/bin/python benchmarks/coverage_bench.py)
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

import dj_database_url
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")

BENCH_DB = "geocm_bench_coverage"
SIZE_M, STEP_M, CELL_M = 28_800, 180, 250
ORIGIN = (118.45, 31.92)  # south-west corner, WGS84


def _admin_sql(url, *statements):
    """Run statements on the cluster's maintenance database, outside any transaction."""
    cfg = dj_database_url.parse(url)
    admin = psycopg2.connect(
        dbname="postgres",
        user=cfg["USER"],
        password=cfg["PASSWORD"],
        host=cfg["HOST"],
        port=cfg["PORT"],
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        admin.close()


def scratch_database_url():
    base = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    _admin_sql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}", f"CREATE DATABASE {BENCH_DB}")
    return base.rsplit("/", 1)[0] + "/" + BENCH_DB


def drop_database(url):
    _admin_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB}")


def median_time(fn, runs=3):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    url = scratch_database_url()
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon
    from django.core.management import call_command
    from django.db import connection
    from pyproj import Transformer

    from geo_cm.assets import assets_assign_subdistrict
    from geo_cm.coverage import engine, network
    from geo_cm.coverage.models import PopulationArea
    from geo_cm.models import District, Subdistrict
    from streets.models import Road
    from toilets.models import Toilet

    try:
        call_command("migrate", verbosity=0)
        to_wgs = Transformer.from_crs(32650, 4326, always_xy=True)
        x0, y0 = Transformer.from_crs(4326, 32650, always_xy=True).transform(*ORIGIN)

        def pt(x, y):
            return to_wgs.transform(x0 + x, y0 + y)

        def square(x, y, w, h):
            ring = [pt(x, y), pt(x + w, y), pt(x + w, y + h), pt(x, y + h), pt(x, y)]
            return MultiPolygon(Polygon(ring, srid=4326), srid=4326)

        district = District.objects.create(
            code="BENCH",
            name="bench",
            geom=square(0, 0, SIZE_M, SIZE_M),
            boundary_source="synthetic",
        )
        third = SIZE_M / 3
        Subdistrict.objects.bulk_create(
            [
                Subdistrict(
                    district=district,
                    code=f"S{i}{j}",
                    name=f"S{i}{j}",
                    geom=square(i * third, j * third, third, third),
                )
                for i in range(3)
                for j in range(3)
            ]
        )
        lines = []
        for k in range(SIZE_M // STEP_M):
            c = k * STEP_M + STEP_M / 2
            lines.append(((0, c), (SIZE_M, c)))
            lines.append(((c, 0), (c, SIZE_M)))
        Road.objects.bulk_create(
            [
                Road(
                    code=f"R{i}",
                    name=f"R{i}",
                    road_class="branch",
                    status="in_service",
                    geom=MultiLineString(LineString([pt(*a), pt(*b)], srid=4326), srid=4326),
                )
                for i, (a, b) in enumerate(lines)
            ]
        )
        rng = random.Random(7)
        n = SIZE_M // CELL_M
        PopulationArea.objects.bulk_create(
            [
                PopulationArea(
                    code=f"P{i}-{j}",
                    kind="grid",
                    population=rng.randint(0, 400),
                    geom=square(i * CELL_M, j * CELL_M, CELL_M, CELL_M),
                )
                for i in range(n)
                for j in range(n)
            ],
            batch_size=5000,
        )
        for model in (PopulationArea,):
            assets_assign_subdistrict(model=model)

        def toilets(count):
            Toilet.objects.all().delete()
            Toilet.objects.bulk_create(
                [
                    Toilet(
                        code=f"T{i}",
                        name=f"T{i}",
                        category="city",
                        status="open",
                        geom=Point(*pt(rng.uniform(0, SIZE_M), rng.uniform(0, SIZE_M)), srid=4326),
                    )
                    for i in range(count)
                ],
                batch_size=5000,
            )

        started = time.perf_counter()
        build = network.network_build(force=True)
        build_s = time.perf_counter() - started
        rows = []
        cells = PopulationArea.objects.count()
        for count, mode in (
            (3000, "straight"),
            (300, "straight"),
            (300, "network"),
            (3000, "network"),
        ):
            toilets(count)
            last = {}

            def ours(mode=mode, last=last):
                last["r"] = engine.coverage_get(layer_slug="toilets", mode=mode, refresh=True)

            ours_s = median_time(ours, runs=3 if mode == "straight" else 1)
            if mode == "straight":

                def reference():
                    with connection.cursor() as cur:
                        cur.execute(
                            "SELECT ST_Area(ST_Union(ST_Buffer(geom::geography, 500)"
                            "::geometry)) FROM toilets_toilet"
                        )

                ref_name = "PostGIS union of geography buffers"
            else:
                vertices = [
                    v
                    for v, _ in network.snap_points(
                        [
                            engine.shapely.to_wkb(p)
                            for p in engine.facilities_metric(engine.registry.get("toilets"))
                        ],
                        300,
                    )
                    if v is not None
                ]

                def reference(vertices=vertices):
                    with connection.cursor() as cur:
                        cur.execute("SET max_parallel_workers_per_gather = 0")
                        cur.execute(
                            "SELECT count(*) FROM pgr_drivingDistance(%s, %s::bigint[], "
                            "500, directed => false, equicost => true)",
                            [network.EDGES_SQL, vertices],
                        )

                ref_name = "bare pgr_drivingDistance (no polygons, no stats)"
            ref_s = median_time(reference, runs=3 if mode == "straight" else 1)
            timings = last["r"].stats["timings"]
            total = sum(timings.values()) or 1
            shares = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in timings.items())
            rows.append((mode, count, ours_s, ref_name, ref_s, shares))

        print(
            f"Data: {SIZE_M / 1000:.1f} km square, {len(lines)} streets -> "
            f"{build.edges:,} network edges / {build.vertices:,} vertices "
            f"(built in {build_s:.1f} s), {cells:,} population cells."
        )
        print(
            f"{'mode':9} {'facilities':>10} {'ours (s)':>9} {'reference (s)':>13} "
            f"{'ratio':>6}  reference / steps"
        )
        for mode, count, ours_s, ref_name, ref_s, shares in rows:
            print(
                f"{mode:9} {count:>10,} {ours_s:>9.2f} {ref_s:>13.2f} "
                f"{ours_s / ref_s:>6.2f}  {ref_name}\n{'':52}steps: {shares}"
            )
        print("Targets: straight-line, 3,000 facilities < 2 s; network, 300 facilities < 20 s.")
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(url)


if __name__ == "__main__":
    main()
