"""Feature API speed: a filtered, re-projected page of 10,000 features against the plain page
and against the same query written by hand in SQL, in the same run (and that SQL once more with
PostgreSQL's JIT left on, the reason the API turns it off for pages).

100,000 toilets spread over Pukou. The plain page is ``items?limit=10000`` (CRS84, no
filter). The filtered page asks for EPSG:4549 (CGCS2000 Gauss-Kruger CM 120E, northing
first) with a CQL2 filter holding a spatial and two attribute conditions, matching about
13,400 toilets, sorted by name. The hand-written SQL returns the same page (count +
json_agg with ST_Transform and ST_FlipCoordinates) through psycopg2, with no Django in the
way: the floor for this answer in this database.

Both API paths go through the whole Django stack in-process (URL routing, parameter and
CQL2 parsing, permission checks, SQL building, the response), without network. Builds a
scratch database (geocm_bench_ogc) beside the development one and drops it afterwards.
Prints medians of RUNS runs.
"""

import json
import os
import sys
import time
from pathlib import Path
from statistics import median
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks._scratch import scratch_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")

BENCH_DB = "geocm_bench_ogc"
N = 100_000
PAGE = 10_000
RUNS = 7
WEST_HALF = "POLYGON((118.50 31.95, 118.66 31.95, 118.66 32.20, 118.50 32.20, 118.50 31.95))"
FILTER = (
    f"S_INTERSECTS(geometry, {WEST_HALF}) AND accessible = TRUE AND category IN ('city', 'scenic')"
)
CRS_4549 = "http://www.opengis.net/def/crs/EPSG/0/4549"


def _load(cursor):
    """N toilets in one INSERT … SELECT: seeded positions over 118.5-118.8 E, 31.95-32.2 N."""
    cursor.execute("SELECT setseed(0.16)")
    cursor.execute(
        """
        INSERT INTO toilets_toilet (code, name, address, category, grade, open_24h,
            opening_hours, accessible, family_room, baby_change, free, managing_unit,
            manager_phone, status, project, source, created_at, updated_at, version, geom)
        SELECT 'GC-' || lpad(i::text, 6, '0'), '浦口区第' || i || '号公共厕所',
               '江浦街道文德路' || (i %% 997) || '号',
               (ARRAY['city', 'scenic', 'rural', 'alliance'])[1 + i %% 4],
               (ARRAY['1', '2', '3', 'none'])[1 + (i / 4) %% 4],
               i %% 3 = 0, '06:00-22:00', random() < 0.5, i %% 5 = 0, i %% 7 = 0, true,
               '环卫所', '025-0000', 'open', '', 'bench', now(), now(), 1,
               ST_SetSRID(ST_MakePoint(118.5 + random() * 0.3, 31.95 + random() * 0.25), 4326)
        FROM generate_series(1, %s) AS i
        """,
        [N],
    )
    cursor.execute("ANALYZE toilets_toilet")


RAW_SQL = f"""
    SELECT COALESCE(json_agg(f ORDER BY name, id), '[]'::json)::text FROM (
      SELECT t.id, t.name, json_build_object(
        'type', 'Feature', 'id', t.id,
        'geometry', ST_AsGeoJSON(ST_FlipCoordinates(ST_Transform(t.geom, 4549)), 3, 0)::json,
        'properties', json_build_object(
          'code', t.code, 'name', t.name, 'address', t.address, 'category', t.category,
          'grade', t.grade, 'open_24h', t.open_24h, 'opening_hours', t.opening_hours,
          'accessible', t.accessible, 'family_room', t.family_room,
          'baby_change', t.baby_change, 'free', t.free, 'status', t.status,
          'subdistrict', s.code)) AS f
      FROM toilets_toilet t LEFT JOIN geo_cm_subdistrict s ON s.id = t.subdistrict_id
      WHERE ST_Intersects(t.geom, ST_GeomFromText('{WEST_HALF}', 4326))
        AND t.accessible AND t.category IN ('city', 'scenic')
      ORDER BY t.name, t.id LIMIT {PAGE}
    ) page
"""
RAW_COUNT = f"""
    SELECT count(*) FROM toilets_toilet t
    WHERE ST_Intersects(t.geom, ST_GeomFromText('{WEST_HALF}', 4326))
      AND t.accessible AND t.category IN ('city', 'scenic')
"""


def _time(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main():
    base = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    with scratch_database(base, BENCH_DB) as url:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction
        from django.test import Client

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            _load(cursor)
        client = Client(HTTP_HOST="127.0.0.1")
        plain_url = f"/ogc/collections/toilets/items?limit={PAGE}"
        filtered_url = "/ogc/collections/toilets/items?" + urlencode(
            {"limit": PAGE, "crs": CRS_4549, "filter": FILTER, "sortby": "name"}
        )

        def api(url):
            def call():
                response = client.get(url)
                assert response.status_code == 200, response.content[:300]
                return response.content

            return call

        def raw(jit=False):
            with transaction.atomic(), connection.cursor() as cursor:
                if not jit:  # as the API runs it (geo_cm.selectors._page_transaction)
                    cursor.execute("SET LOCAL jit = off")
                cursor.execute(RAW_COUNT)
                matched = cursor.fetchone()[0]
                cursor.execute(RAW_SQL)
                return matched, cursor.fetchone()[0]

        reprojected_url = f"{plain_url}&" + urlencode({"crs": CRS_4549})
        filter_only_url = f"{plain_url}&" + urlencode({"filter": FILTER})
        paths = {
            "plain page (CRS84, no filter)": api(plain_url),
            "filtered + EPSG:4549 + sortby (API)": api(filtered_url),
            "the same, hand-written SQL (psycopg2)": raw,
            "the same SQL with PostgreSQL's default JIT on": lambda: raw(jit=True),
            "re-projected only (EPSG:4549, API)": api(reprojected_url),
            "filtered only (CRS84, API)": api(filter_only_url),
        }
        for fn in paths.values():  # warm up: PROJ start-up, plans, permissions
            fn()
        timings = {label: [] for label in paths}
        sizes, counts = {}, {}
        for _run in range(RUNS):
            for label, fn in paths.items():
                seconds, out = _time(fn)
                timings[label].append(seconds)
                if isinstance(out, tuple):
                    counts[label] = out[0]
                    sizes[label] = len(out[1].encode())
                else:
                    body = json.loads(out)
                    counts[label] = body["numberMatched"]
                    sizes[label] = len(out)
                    assert body["numberReturned"] == PAGE
    _report(timings, sizes, counts)


def _report(timings, sizes, counts):
    labels = list(timings)
    medians = [median(timings[label]) for label in labels]
    plain, raw = medians[0], medians[2]
    print(f"data: {N:,} toilets (points), pages of {PAGE:,} features; medians of {RUNS} runs")
    print(f"filter: {FILTER}")
    print("| path | ms | numberMatched | page bytes | vs plain | vs raw SQL |")
    print("|---|---|---|---|---|---|")
    for label, seconds in zip(labels, medians, strict=True):
        print(
            f"| {label} | {seconds * 1000:.0f} | {counts[label]:,} | {sizes[label] / 1e6:.2f} MB "
            f"| {seconds / plain:.2f} | {seconds / raw:.2f} |"
        )


if __name__ == "__main__":
    main()
