"""Import speed: our full import (read, encoding/CRS decisions, whole-file validation, COPY
into staging, set-based upsert, subdistricts, history) against ``ogr2ogr -f PostgreSQL``
(COPY, no validation) on the same 100,000-point shapefile, in the same run.

The shapefile is what contractors deliver: GBK text without a .cpg, Chinese field names
(编号, 名称, 地址), CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549). Builds a scratch
database (geocm_bench_import) next to the development one and drops it afterwards.
Target: at least half of ogr2ogr's rate, peak memory under 1 GB.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import dj_database_url
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")

BENCH_DB = "geocm_bench_import"
N = 100_000


def _admin_sql(url, *statements):
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


def _shapefile(folder: Path) -> Path:
    import geopandas as gpd
    import numpy as np

    rng = np.random.default_rng(42)
    lon = rng.uniform(118.55, 118.75, N)
    lat = rng.uniform(31.98, 32.15, N)
    frame = gpd.GeoDataFrame(
        {
            "编号": [f"GC-{i:06d}" for i in range(N)],
            "名称": [f"浦口区第{i}号公共厕所" for i in range(N)],
            "地址": [f"江浦街道文德路{i % 997}号" for i in range(N)],
            "category": rng.choice(["city", "scenic", "rural"], N),
            "status": "open",
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    ).to_crs(4549)
    path = folder / "公厕.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as ArcGIS 9/10 exports: no .cpg
    return path


def main():
    base = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    _admin_sql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}", f"CREATE DATABASE {BENCH_DB}")
    url = base.rsplit("/", 1)[0] + "/" + BENCH_DB
    os.environ["DATABASE_URL"] = url
    try:
        import django

        django.setup()
        from django.contrib.gis.geos import MultiPolygon, Polygon
        from django.core.management import call_command
        from django.db import connection

        from geo_cm.imports.services import import_file
        from geo_cm.models import District, Subdistrict

        call_command("migrate", verbosity=0)
        district = District.objects.create(
            code="320111", name="浦口区", boundary_source="bench square",
            geom=MultiPolygon(Polygon.from_bbox((118.5, 31.9, 118.8, 32.2)), srid=4326),
        )  # fmt: skip
        for code, box in (
            ("320111004000", (118.5, 31.9, 118.65, 32.2)),
            ("320111005000", (118.65, 31.9, 118.8, 32.2)),
        ):
            Subdistrict.objects.create(
                district=district,
                code=code,
                name=code,
                geom=MultiPolygon(Polygon.from_bbox(box), srid=4326),
            )
        with tempfile.TemporaryDirectory() as tmp:
            shp = _shapefile(Path(tmp))
            size = sum(p.stat().st_size for p in Path(tmp).iterdir())

            steps = []
            start = start_ours = time.perf_counter()
            outcome = import_file(
                layer_slug="toilets",
                path=shp,
                progress=lambda step: steps.append((step, time.perf_counter())),
            )
            ours = time.perf_counter() - start
            assert outcome.record.created == N, outcome.record.message
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

            start = time.perf_counter()
            again = import_file(layer_slug="toilets", path=shp)
            reimport = time.perf_counter() - start
            assert again.record.unchanged == N

            cfg = dj_database_url.parse(url)
            pg = f"PG:dbname={cfg['NAME']} host={cfg['HOST']} port={cfg['PORT']} user={cfg['USER']}"
            if cfg["PASSWORD"]:
                pg += f" password={cfg['PASSWORD']}"
            command = [
                "ogr2ogr", "-f", "PostgreSQL", pg, str(shp), "-nln", "bench_ogr_scratch",
                "-oo", "ENCODING=GB18030", "-t_srs", "EPSG:4326", "-lco", "GEOMETRY_NAME=geom",
                "-lco", "SPATIAL_INDEX=GIST", "--config", "PG_USE_COPY", "YES", "-overwrite",
            ]  # fmt: skip
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            ogr = time.perf_counter() - start
            with connection.cursor() as cur:
                cur.execute("SELECT count(*) FROM bench_ogr_scratch")
                assert cur.fetchone()[0] == N
                cur.execute("DROP TABLE bench_ogr_scratch")
        ogr_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"data: {N:,} points, shapefile {size / 1e6:.1f} MB (GBK, no .cpg, EPSG:4549)")
        print(
            f"ours (read + full validation + COPY/upsert + subdistricts + history): {ours:.2f} s = {N / ours:,.0f} rows/s"
        )
        print(
            f"ours, re-import of the same file (all unchanged): {reimport:.2f} s = {N / reimport:,.0f} rows/s"
        )
        print(f"ogr2ogr -f PostgreSQL (COPY, no validation): {ogr:.2f} s = {N / ogr:,.0f} rows/s")
        marks = [start_ours, *(t for _s, t in steps)]
        print(
            "ours by step: "
            + ", ".join(f"{s} {b - a:.2f} s" for (s, b), a in zip(steps, marks, strict=False))
        )
        print(f"ratio ours/ogr2ogr: {ogr / ours:.2f} (target >= 0.5)")
        print(f"peak memory: ours {peak_mb:.0f} MB (target < 1024), ogr2ogr {ogr_peak:.0f} MB")
    finally:
        from django.db import connections

        connections.close_all()
        _admin_sql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    main()
