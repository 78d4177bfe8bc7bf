"""A city's worth of data: 1,000,000 street lights and millions of occupancy reports, and
the table of issue 15 measured on it — ours against a reference in the same run.

Data lives in a scratch database beside the development one (``geocm_scale`` on the
private cluster, or on the server of DATABASE_URL), built once and reused by later runs
(``--rebuild`` builds it again, ``--drop`` removes it). Building: migrate, the demo
(district, subdistricts, roads, car parks), then LIGHTS street lights placed inside the
district outline by ``ST_GeneratePoints`` and REPORTS occupancy reports spread over the
last 12 months of the 62 demo car parks, one INSERT … SELECT per month (each month lands in
its partition; the latest-count trigger runs once per statement).

Rows are measured when this checkout has what they measure, and say "skipped" otherwise,
so the same file runs before and after the tiles and feature-API work is merged:

  items limit=10000      gunicorn (production profile) vs the FeatureCollection in one SQL
  items, 1 km² bbox      the same, for the densest square kilometre
  tile z14 / z12         /ogc/collections/street-lights/tiles/… vs ST_AsMVT in one SQL
  dark roads             coverage of street lights, computed fresh (time-limited)
  latest count / car park  parking_occupancylatest vs the newest report searched per car park
  monthly aggregates     parking_occupancymonthly vs GROUP BY over the reports
  admin reports list     one page of /admin/parking/occupancyreport/ vs count(*) alone
  50 users               benchmarks/load_bench.py's rows against this database

Usage:
  python benchmarks/scale_bench.py [--lights 1000000] [--reports 10000000] [--runs 3]
                                   [--skip-load] [--dark-timeout 240] [--rebuild | --drop]

Medians of RUNS runs after one warm-up. Other processes on the machine take CPU from both
sides of each comparison alike; the load average is printed with the table.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import dj_database_url
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import load_bench  # noqa: E402

SCALE_DB = "geocm_scale"
LIGHTS = "street-lights"


def _server_url(base_url: str, db: str) -> str:
    return base_url.rsplit("/", 1)[0] + "/" + db


def _admin_conn(base_url: str):
    cfg = dj_database_url.parse(base_url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=cfg["USER"],
        password=cfg["PASSWORD"],
        host=cfg["HOST"],
        port=cfg["PORT"],
    )
    conn.autocommit = True
    return conn


def database_exists(base_url: str) -> bool:
    conn = _admin_conn(base_url)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [SCALE_DB])
        found = cur.fetchone() is not None
    conn.close()
    return found


def drop_database(base_url: str) -> None:
    conn = _admin_conn(base_url)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {SCALE_DB} WITH (FORCE)")
    conn.close()


def manage(url: str, *args: str, timeout: int = 1800) -> None:
    env = {**os.environ, "DATABASE_URL": url, "GEOCM_DEBUG": "1", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=timeout
    )


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def build(base_url: str, *, lights: int, reports: int) -> str:
    """The scratch database with the data; reused when it holds what was asked for."""
    url = _server_url(base_url, SCALE_DB)
    if not database_exists(base_url):
        conn = _admin_conn(base_url)
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {SCALE_DB}")
        conn.close()
    say(f"schema and demo data in {SCALE_DB}")
    manage(url, "migrate", "--noinput", "-v", "0")
    conn = psycopg2.connect(url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM parking_facility")
    if cur.fetchone()[0] == 0:
        manage(url, "load_demo")
    cur.execute("SELECT count(*) FROM streets_streetlight WHERE code LIKE 'LD-S%%'")
    have = cur.fetchone()[0]
    if have != lights:
        say(f"{lights:,} street lights inside the district outline")
        started = time.monotonic()
        cur.execute("DELETE FROM streets_streetlight WHERE code LIKE 'LD-S%%'")
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'streets_streetlight' AND is_generated = 'NEVER' AND column_name NOT IN "
            "('id', 'code', 'geom')"
        )
        columns = [r[0] for r in cur.fetchall()]
        copied = ", ".join(f"t.{c}" for c in columns)
        cur.execute(
            f"""
            INSERT INTO streets_streetlight (code, geom, {", ".join(columns)})
            SELECT 'LD-S' || lpad(p.n::text, 7, '0'), p.geom, {copied}
            FROM (SELECT row_number() OVER () AS n, d.geom
                  FROM ST_Dump(ST_GeneratePoints(
                       (SELECT ST_Union(geom) FROM geo_cm_subdistrict), %s, 15)) d) p
            CROSS JOIN (SELECT * FROM streets_streetlight ORDER BY id LIMIT 1) t
            """,
            [lights],
        )
        cur.execute("ANALYZE streets_streetlight")
        say(f"  {time.monotonic() - started:.0f} s")
    cur.execute("SELECT count(*) FROM parking_facility")
    facilities = cur.fetchone()[0]
    # Whole series per car park: the count made is the asked one rounded down to that.
    per_month_facility = max(1, reports // 12 // facilities)
    reports = per_month_facility * facilities * 12
    cur.execute("SELECT count(*) FROM parking_occupancyreport WHERE source = 'bench'")
    have = cur.fetchone()[0]
    if have != reports:
        say(f"{reports:,} occupancy reports over 12 months (one INSERT per month)")
        started = time.monotonic()
        cur.execute("DELETE FROM parking_occupancyreport WHERE source = 'bench'")
        this_month = dt.date.today().replace(day=1)
        months = [
            dt.date(
                (this_month.year * 12 + this_month.month - 1 - k) // 12,
                (this_month.year * 12 + this_month.month - 1 - k) % 12 + 1,
                1,
            )
            for k in range(12, 0, -1)
        ]
        # Partitions first (the maintenance function of the app, run on this database).
        month_list = ", ".join(f"dt.date({m.year}, {m.month}, 1)" for m in months)
        env_code = (
            "import django, datetime as dt; django.setup(); from parking import partitions; "
            f"[partitions.occupancy_partition_create(month=m) for m in [{month_list}]]"
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "GEOCM_DEBUG": "1",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "geo_cm.settings",
        }
        subprocess.run([sys.executable, "-c", env_code], cwd=ROOT, env=env, check=True)
        per_facility = per_month_facility
        for month in months:
            cur.execute(
                """
                INSERT INTO parking_occupancyreport
                    (observed_at, free_berths, occupied_berths, source, received_at, facility_id)
                SELECT ts, (random() * f.total_berths)::int, NULL, 'bench', ts, f.id
                FROM (SELECT id, total_berths, row_number() OVER (ORDER BY id) AS k
                      FROM parking_facility) f
                CROSS JOIN LATERAL (
                    SELECT (%s::timestamp AT TIME ZONE 'Asia/Shanghai')
                           + (s + f.k / 100.0) * ((%s::date - %s::date) * interval '1 day') / %s
                           AS ts
                    FROM generate_series(0, %s - 1) s) t
                """,
                [month, _next_month(month), month, per_facility, per_facility],
            )
            print(f"    {month:%Y-%m}: {cur.rowcount:,}", flush=True)
        cur.execute("ANALYZE parking_occupancyreport")
        say(f"  {time.monotonic() - started:.0f} s")
        summarise = (
            "import django, datetime as dt; django.setup(); from parking import partitions; "
            + "; ".join(
                f"partitions.occupancy_monthly_refresh(month=dt.date({m.year}, {m.month}, 1))"
                for m in months
            )
        )
        subprocess.run([sys.executable, "-c", summarise], cwd=ROOT, env=env, check=True)
    conn.close()
    return url


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def timed(fn, runs: int) -> float:
    """Median wall time of ``fn`` in ms, after one warm-up call."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def sql_timer(url: str):
    conn = psycopg2.connect(url)
    conn.autocommit = True
    cur = conn.cursor()

    def run(sql, params=None, settings=()):
        def go():
            for s in settings:
                cur.execute(s)
            cur.execute(sql, params)
            return cur.fetchall()

        return go

    return conn, cur, run


def public_fields(url: str) -> list[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "GEOCM_DEBUG": "1",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "geo_cm.settings",
    }
    code = (
        "import django, json; django.setup(); from geo_cm.registry import registry; "
        f"print(json.dumps(list(registry.get({LIGHTS!r}).public_fields)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def one_sql_collection(fields: list[str], where: str = "TRUE", limit: int = 10000) -> str:
    """The reference: a page of lights as a FeatureCollection built by PostgreSQL alone."""
    # Foreign keys leave as the related record's code, as the API writes them.
    related = {
        "subdistrict": "(SELECT code FROM geo_cm_subdistrict WHERE id = s.subdistrict_id)",
        "road": "(SELECT code FROM streets_road WHERE id = s.road_id)",
    }
    props = ", ".join(f"'{f}', {related.get(f, 's.' + f)}" for f in fields)
    return f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features',
               coalesce(json_agg(json_build_object('type', 'Feature', 'id', s.id,
               'geometry', ST_AsGeoJSON(s.geom, 7)::json,
               'properties', json_build_object({props}))), '[]'))::text
        FROM (SELECT * FROM streets_streetlight WHERE {where} ORDER BY id LIMIT {limit}) s
    """


def ratio(ours, reference):
    if ours is None or reference is None or reference <= 0:
        return "—"
    return f"{ours / reference:.2f}×"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lights", type=int, default=1_000_000)
    parser.add_argument("--reports", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-load", action="store_true", help="no 50-user run")
    parser.add_argument("--dark-timeout", type=int, default=240)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--drop", action="store_true", help=f"remove {SCALE_DB} and stop")
    args = parser.parse_args(argv)
    base_url = load_bench.database_url()
    if args.drop or args.rebuild:
        drop_database(base_url)
        say(f"{SCALE_DB} dropped")
        if args.drop:
            return 0
    url = build(base_url, lights=args.lights, reports=args.reports)
    conn, cur, sql = sql_timer(url)
    cur.execute("SELECT count(*) FROM streets_streetlight")
    n_lights = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM parking_occupancyreport")
    n_reports = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM parking_facility")
    n_facilities = cur.fetchone()[0]
    fields = public_fields(url)
    rows = []  # (what, ours ms, ours note, reference ms, reference note)
    spot = load_bench.dense_spot(url)
    bbox = load_bench.km2_bbox(*spot)
    west, south, east, north = (float(v) for v in bbox.split(","))
    envelope = f"ST_MakeEnvelope({west}, {south}, {east}, {north}, 4326)"

    with load_bench.Server(db_url=url) as server:
        say(f"gunicorn (production profile) on {server.url}, {n_lights:,} lights")

        def http(path, headers=None):
            def go():
                status, _, body = load_bench.http_get(server.url + path, headers, timeout=300)
                go.last = (status, len(body))
                return body

            return go

        page = http(f"/ogc/collections/{LIGHTS}/items?limit=10000")
        ours = timed(page, args.runs)
        ref_sql = sql(one_sql_collection(fields))
        ref = timed(ref_sql, args.runs)
        rows.append(
            (
                "items limit=10000",
                ours,
                f"{page.last[1] / 1e6:.2f} MB, HTTP {page.last[0]}",
                ref,
                f"{len(ref_sql()[0][0]) / 1e6:.2f} MB",
            )
        )
        small = http(f"/ogc/collections/{LIGHTS}/items?" + urllib.parse.urlencode({"bbox": bbox}))
        ours = timed(small, args.runs)
        ref_sql = sql(one_sql_collection(fields, where=f"geom && {envelope}", limit=100))
        ref = timed(ref_sql, args.runs)
        rows.append(("items, 1 km² bbox (default page)", ours, f"HTTP {small.last[0]}", ref, ""))
        for z in (14, 12):
            x, y = load_bench.tile_of(*spot, z)
            tile = http(f"/ogc/collections/{LIGHTS}/tiles/WebMercatorQuad/{z}/{y}/{x}")
            tile()
            mvt = sql(
                f"""SELECT length(ST_AsMVT(q, 'lights', 4096, 'geom')) FROM (
                    SELECT id, code, status, ST_AsMVTGeom(ST_Transform(geom, 3857),
                           ST_TileEnvelope({z}, {x}, {y}), 4096, 64, true) AS geom
                    FROM streets_streetlight
                    WHERE geom && ST_Transform(
                        ST_TileEnvelope({z}, {x}, {y}, margin => 0.015625), 4326)) q""",
                settings=("SET max_parallel_workers_per_gather = 0",),
            )
            ref = timed(mvt, args.runs)
            ref_note = f"{mvt()[0][0] / 1e3:.0f} kB"
            if tile.last[0] in (200, 204):
                ours = timed(tile, args.runs)
                rows.append(
                    (
                        f"tile z{z} (fresh + repeats)",
                        ours,
                        f"{tile.last[1] / 1e3:.0f} kB",
                        ref,
                        ref_note,
                    )
                )
            else:
                rows.append(
                    (f"tile z{z}", None, f"skipped: no tiles ({tile.last[0]})", ref, ref_note)
                )
        load_table = None
        if not args.skip_load:
            say(f"{args.users} users")
            load_table = load_bench.bench(
                base=server.url, db_url=url, users=args.users, seconds=args.seconds, only=None
            )

    # Occupancy at scale: the latest count per car park and monthly aggregates.
    ours = timed(sql("SELECT facility_id, free_berths FROM parking_occupancylatest"), args.runs)
    ref = timed(
        sql(
            "SELECT f.id, (SELECT free_berths FROM parking_occupancyreport r"
            " WHERE r.facility_id = f.id ORDER BY observed_at DESC LIMIT 1)"
            " FROM parking_facility f"
        ),
        args.runs,
    )
    rows.append(
        (
            f"latest count of {n_facilities} car parks",
            ours,
            "latest-state table",
            ref,
            "newest report per car park, every partition",
        )
    )
    ours = timed(
        sql("SELECT facility_id, month, free_avg FROM parking_occupancymonthly"), args.runs
    )
    ref = timed(
        sql(
            "SELECT facility_id, date_trunc('month', observed_at AT TIME ZONE 'Asia/Shanghai'),"
            " avg(free_berths) FROM parking_occupancyreport GROUP BY 1, 2"
        ),
        args.runs,
    )
    rows.append(("monthly aggregates, 12 months", ours, "summary table", ref, "GROUP BY reports"))
    admin_code = (
        "import django, time, statistics; django.setup(); "
        "from django.test import Client; from django.contrib.auth import get_user_model; "
        "u, _ = get_user_model().objects.get_or_create(username='scale-bench', "
        "defaults={'is_staff': True, 'is_superuser': True}); c = Client(HTTP_HOST='127.0.0.1'); "
        "c.force_login(u); c.get('/admin/parking/occupancyreport/'); t = []\n"
        f"for _ in range({args.runs}):\n"
        "    s = time.perf_counter(); r = c.get('/admin/parking/occupancyreport/?p=3'); "
        "t.append((time.perf_counter() - s) * 1000)\n"
        "print('ADMIN', statistics.median(t), r.status_code)"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "GEOCM_DEBUG": "1",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "geo_cm.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", admin_code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    line = [x for x in out.stdout.splitlines() if x.startswith("ADMIN")]
    count = timed(sql("SELECT count(*) FROM parking_occupancyreport"), args.runs)
    if line:
        _, ms, status = line[0].split()
        rows.append(
            (
                "admin occupancy list, page 3 (in-process)",
                float(ms),
                f"HTTP {status}",
                count,
                "count(*) alone",
            )
        )
    else:
        rows.append(("admin occupancy list", None, "failed: " + out.stderr[-200:], count, ""))

    # Dark roads: the coverage of street lights computed fresh, in a process of its own.
    dark_code = (
        "import django, time; django.setup(); from geo_cm.coverage import engine; "
        "s = time.perf_counter(); engine.coverage_get(layer_slug='street-lights', refresh=True); "
        "print('DARK', (time.perf_counter() - s) * 1000)"
    )
    say(f"dark roads (at most {args.dark_timeout} s)")
    try:
        out = subprocess.run(
            [sys.executable, "-c", dark_code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=args.dark_timeout,
        )
        line = [x for x in out.stdout.splitlines() if x.startswith("DARK")]
        if line:
            rows.append(("dark roads, fresh", float(line[0].split()[1]), "", None, ""))
        else:
            rows.append(("dark roads", None, "failed: " + out.stderr[-200:].strip(), None, ""))
    except subprocess.TimeoutExpired:
        rows.append(("dark roads, fresh", None, f"not done in {args.dark_timeout} s", None, ""))
    conn.close()

    load = os.getloadavg()
    print()
    print(
        f"{n_lights:,} street lights, {n_reports:,} occupancy reports, {n_facilities} car "
        f"parks; medians of {args.runs}; {os.cpu_count()} cores, load average {load[0]:.1f}"
    )
    print()
    print("| what | ours ms | | reference ms | | ratio |")
    print("|---|---|---|---|---|---|")
    for what, ours, note, ref, ref_note in rows:
        o = f"{ours:.1f}" if ours is not None else "—"
        r = f"{ref:.1f}" if ref is not None else "—"
        print(f"| {what} | {o} | {note} | {r} | {ref_note} | {ratio(ours, ref)} |")
    if load_table:
        print()
        print(load_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
