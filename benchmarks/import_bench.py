"""Import speed: our full import (read, encoding/CRS decisions, whole-file validation, COPY
into staging, set-based upsert, subdistricts, history) against ``ogr2ogr -f PostgreSQL``
(COPY, no validation) on the same 100,000-point shapefile, in the same run.

The shapefile is what contractors deliver: GBK text without a .cpg, Chinese field names
(编号, 名称, 地址), CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549). Builds a scratch
database (geocm_bench_import) next to the development one and drops it afterwards.
Target: at least half of ogr2ogr's rate, peak memory under 1 GB. Prints medians of three
runs and our time phase by phase.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from statistics import median

import dj_database_url
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")

BENCH_DB = "geocm_bench_import"
N = 100_000
# Runs of each import; the medians are reported (other work on the machine adds noise).
RUNS = 3


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


# Our phases, from the progress steps import_file reports (the last one ends at return).
PHASES = (
    ("read", "read: file, encoding, CRS"),
    ("validated", "validate: values, codes, geometry, CRS transform"),
    ("staged", "stage: COPY into a temporary table"),
    ("updated", "update changed rows + their history"),
    ("inserted", "insert new rows + subdistricts + history"),
    ("subdistricts", "(subdistricts: derived by the statements above)"),
    ("end", "commit: deferred foreign-key checks, import record"),
)


def _peak_reset():
    """Start measuring this process's peak memory afresh (Linux: clear VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup_areas():
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geo_cm.models import District, Subdistrict

    district = District.objects.create(
        code="320111",
        name="浦口区",
        boundary_source="bench square",
        geom=MultiPolygon(Polygon.from_bbox((118.5, 31.9, 118.8, 32.2)), srid=4326),
    )
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


def _ogr2ogr(url: str, shp: Path) -> tuple[float, float | None]:
    """Seconds and peak memory (MB; None without GNU time) of ogr2ogr loading ``shp``."""
    cfg = dj_database_url.parse(url)
    pg = f"PG:dbname={cfg['NAME']} host={cfg['HOST']} port={cfg['PORT']} user={cfg['USER']}"
    if cfg["PASSWORD"]:
        pg += f" password={cfg['PASSWORD']}"
    command = [
        "ogr2ogr", "-f", "PostgreSQL", pg, str(shp), "-nln", "bench_ogr_scratch",
        "-oo", "ENCODING=GB18030", "-t_srs", "EPSG:4326", "-lco", "GEOMETRY_NAME=geom",
        "-lco", "SPATIAL_INDEX=GIST", "--config", "PG_USE_COPY", "YES", "-overwrite",
    ]  # fmt: skip
    # A forked child starts with this process's resident size, so RUSAGE_CHILDREN would
    # report ours; GNU time measures ogr2ogr itself.
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        command = [str(gnu_time), "-f", "%M", *command]
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = None
    if gnu_time.exists():
        peak = int(done.stderr.strip().splitlines()[-1]) / 1024
    return seconds, peak


def main():
    base = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    _admin_sql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}", f"CREATE DATABASE {BENCH_DB}")
    url = base.rsplit("/", 1)[0] + "/" + BENCH_DB
    os.environ["DATABASE_URL"] = url
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from geo_cm.imports.services import import_file

        call_command("migrate", verbosity=0)
        _setup_areas()
        with tempfile.TemporaryDirectory() as tmp:
            shp = _shapefile(Path(tmp))
            size = sum(p.stat().st_size for p in Path(tmp).iterdir())
            ours, again, ogr, ogr_peaks, phases = [], [], [], [], []
            _peak_reset()
            for _run in range(RUNS):
                with connection.cursor() as cur:
                    cur.execute("TRUNCATE toilets_toilet, geo_cm_changerecord CASCADE")
                marks = [("start", time.perf_counter())]
                outcome = import_file(
                    layer_slug="toilets",
                    path=shp,
                    progress=lambda step, marks=marks: marks.append((step, time.perf_counter())),
                )
                marks.append(("end", time.perf_counter()))
                assert outcome.record.created == N, outcome.record.message
                ours.append(marks[-1][1] - marks[0][1])
                phases.append({b[0]: b[1] - a[1] for a, b in zip(marks, marks[1:], strict=False)})

                start = time.perf_counter()
                outcome = import_file(layer_slug="toilets", path=shp)
                again.append(time.perf_counter() - start)
                assert outcome.record.unchanged == N

                seconds, peak = _ogr2ogr(url, shp)
                ogr.append(seconds)
                ogr_peaks.append(peak)
                with connection.cursor() as cur:
                    cur.execute("SELECT count(*) FROM bench_ogr_scratch")
                    assert cur.fetchone()[0] == N
            peak_mb = _peak_mb()
            with connection.cursor() as cur:
                cur.execute("DROP TABLE bench_ogr_scratch")
        ogr_peak = None if None in ogr_peaks else max(ogr_peaks)
        _report(size, ours, again, ogr, phases, peak_mb, ogr_peak)
    finally:
        from django.db import connections

        connections.close_all()
        _admin_sql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}")


def _report(size, ours, again, ogr, phases, peak_mb, ogr_peak):
    ours_s, again_s, ogr_s = median(ours), median(again), median(ogr)
    print(f"data: {N:,} points, shapefile {size / 1e6:.1f} MB (GBK, no .cpg, EPSG:4549)")
    print(f"medians of {RUNS} runs, each run: ours, our re-import, ogr2ogr")
    print("| import | seconds | rows/s |")
    print("|---|---|---|")
    for label, seconds in (
        ("ours: read + full validation + COPY/upsert + subdistricts + history", ours_s),
        ("ours, re-import of the same file (all unchanged)", again_s),
        ("ogr2ogr -f PostgreSQL (COPY, no validation)", ogr_s),
    ):
        print(f"| {label} | {seconds:.2f} | {N / seconds:,.0f} |")
    print()
    print("| our phase (median) | seconds |")
    print("|---|---|")
    for key, label in PHASES:
        values = [p[key] for p in phases if key in p]
        if values:
            print(f"| {label} | {median(values):.2f} |")
    print()
    print(f"ratio ours/ogr2ogr (rows/s): {ogr_s / ours_s:.2f} (target >= 0.5)")
    ogr_mb = "unmeasured" if ogr_peak is None else f"{ogr_peak:.0f} MB"
    print(f"peak memory: ours {peak_mb:.0f} MB (target < 1024), ogr2ogr {ogr_mb}")


if __name__ == "__main__":
    main()
