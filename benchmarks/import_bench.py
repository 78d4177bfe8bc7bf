"""Import speed: our full import (read, encoding/CRS decisions, whole-file validation,
COPY into staging, set-based upsert, subdistricts, history, foreign keys) against
``ogr2ogr -f PostgreSQL`` (COPY, no validation) on the same shapefile, in the same run.

Two data sets, each what a contractor delivers: GBK text without a .cpg, Chinese field
names, CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549):
- 100,000 toilets (编号, 名称, 地址, category, status), medians of three runs, with a
  re-import of the same file (all unchanged). Target: at least half of ogr2ogr's rate.
- 1,000,000 street lights (编号, 灯具类型, 功率): a city's lights in one file, one run.
  Target: under 60 s with our peak memory under 1 GB.
Builds a scratch database (geocm_bench_import) next to the development one and drops it
afterwards. Prints one table: ours and ogr2ogr, the ratio of rates, the data size and the
peak memory of each.
"""

import os
import resource
import shutil
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
BIG = 1_000_000
# Runs of the 100k import; the medians are reported (other work on the machine adds noise).
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


def _write(frame, path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_crs(4549).to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as ArcGIS 9/10 exports: no .cpg
    return path


def _toilets(folder: Path) -> Path:
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
    )
    return _write(frame, folder / "公厕.shp")


def _lights(folder: Path) -> Path:
    import geopandas as gpd
    import numpy as np

    rng = np.random.default_rng(7)
    lon = rng.uniform(118.55, 118.75, BIG)
    lat = rng.uniform(31.98, 32.15, BIG)
    frame = gpd.GeoDataFrame(
        {
            "编号": [f"LD-{i:07d}" for i in range(BIG)],
            "灯具类型": rng.choice(["LED", "高压钠灯"], BIG),
            "功率": rng.choice([60, 100, 150, 250], BIG),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    return _write(frame, folder / "路灯.shp")


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


def _ours(shp: Path, layer: str) -> float:
    from geo_cm.imports.services import import_file

    start = time.perf_counter()
    outcome = import_file(layer_slug=layer, path=shp)
    seconds = time.perf_counter() - start
    assert outcome.record.status == "committed", outcome.record.message
    return seconds, outcome.record


def main():
    only_100k = "--only-100k" in sys.argv  # while tuning: skip the million
    base = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    _admin_sql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}", f"CREATE DATABASE {BENCH_DB}")
    url = base.rsplit("/", 1)[0] + "/" + BENCH_DB
    os.environ["DATABASE_URL"] = url
    # A million lights with three fields is ~130 MB of shapefile: above the upload limit
    # for the pages, not for the command line that this measures.
    os.environ["GEOCM_IMPORT_MAX_UPLOAD_BYTES"] = str(2_000_000_000)
    rows = []
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        _setup_areas()
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "toilets"
            folder.mkdir()
            shp = _toilets(folder)
            size = sum(p.stat().st_size for p in folder.iterdir())
            ours, again, ogr, ogr_peaks, peaks = [], [], [], [], []
            for _run in range(RUNS):
                with connection.cursor() as cur:
                    cur.execute("TRUNCATE toilets_toilet, geo_cm_changerecord CASCADE")
                _peak_reset()
                seconds, record = _ours(shp, "toilets")
                peaks.append(_peak_mb())
                assert record.created == N
                ours.append(seconds)
                seconds, record = _ours(shp, "toilets")
                assert record.unchanged == N
                again.append(seconds)
                seconds, peak = _ogr2ogr(url, shp)
                ogr.append(seconds)
                ogr_peaks.append(peak)
            rows.append(("100,000 toilets", size, median(ours), median(ogr), max(peaks),
                         _max(ogr_peaks)))  # fmt: skip
            rows.append(("100,000 toilets, re-import (all unchanged)", size, median(again),
                         median(ogr), max(peaks), _max(ogr_peaks)))  # fmt: skip
            shutil.rmtree(folder)
            if only_100k:
                _report(rows)
                return

            folder = Path(tmp) / "lights"
            folder.mkdir()
            shp = _lights(folder)
            size = sum(p.stat().st_size for p in folder.iterdir())
            with connection.cursor() as cur:
                cur.execute("TRUNCATE geo_cm_changerecord CASCADE")
            _peak_reset()
            seconds, record = _ours(shp, "street-lights")
            assert record.created == BIG
            peak = _peak_mb()
            ogr_seconds, ogr_peak = _ogr2ogr(url, shp)
            rows.append(("1,000,000 street lights", size, seconds, ogr_seconds, peak, ogr_peak))
            with connection.cursor() as cur:
                cur.execute("DROP TABLE IF EXISTS bench_ogr_scratch")
        _report(rows)
    finally:
        from django.db import connections

        connections.close_all()
        _admin_sql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}")


def _max(values):
    return None if None in values else max(values)


def _report(rows):
    print(f"medians of {RUNS} runs for 100,000 rows, one run for 1,000,000; shapefiles in GBK")
    print("without .cpg, EPSG:4549; ours = read + full validation + COPY/upsert + subdistricts")
    print("+ history + foreign keys; ogr2ogr = -f PostgreSQL with COPY, no validation")
    print()
    print("| data | size | ours s | ogr2ogr s | ours rows/s | ratio (rate ours/ogr2ogr) "
          "| ours peak MB | ogr2ogr peak MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for label, size, ours, ogr, peak, ogr_peak in rows:
        n = BIG if label.startswith("1,000,000") else N
        ogr_mb = "unmeasured" if ogr_peak is None else f"{ogr_peak:.0f}"
        print(
            f"| {label} | {size / 1e6:.1f} MB | {ours:.2f} | {ogr:.2f} | {n / ours:,.0f} "
            f"| {ogr / ours:.2f} | {peak:.0f} | {ogr_mb} |"
        )
    print()
    print("targets: ratio >= 0.5 on 100,000 toilets; 1,000,000 lights under 60 s and 1024 MB")


if __name__ == "__main__":
    main()
