"""Work-order benchmark: the plan's hotline rates and the hotspot map on a city's year.

Builds a scratch database (geocm_bench_workorders) next to the development one, fills it
with 100,000 synthetic orders of one year spread over a 30 km square in 9 subdistricts
(bulk inserts, no services), then times our paths against a reference in the same run:

- R7-R9 for the year: one aggregate query (ours) against reading every order into Python
  and judging its deadlines there;
- R7-R9 for each subdistrict and month (the dashboard's table and trend, 9 + 12 calls);
- the hotspot map: counts per 500 m square built in PostGIS (ours) against sending every
  order as a GeoJSON point ("100,000 pins"), with the size of each answer.

Prints a table with the ratio (reference time / ours) and the data size.

    make bench            (or: .venv/bin/python benchmarks/workorders_bench.py)
"""

import datetime as dt
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

BENCH_DB = "geocm_bench_workorders"
ORDERS = 100_000
YEAR = 2023
ORIGIN = (118.45, 31.92)  # south-west corner, WGS84
SIZE_DEG = 0.3  # about 28 km x 33 km


def _admin_sql(url, *statements):
    cfg = dj_database_url.parse(url)
    admin = psycopg2.connect(dbname="postgres", user=cfg["USER"], password=cfg["PASSWORD"],
                             host=cfg["HOST"], port=cfg["PORT"])  # fmt: skip
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


def median_time(fn, runs=3):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    base = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    url = scratch_database_url()
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.core.management import call_command
    from django.db import connection

    from geo_cm.models import District, Subdistrict
    from geo_cm.services import assets_assign_subdistrict
    from workorders.deadlines import deadline_spans
    from workorders.models import WorkOrder
    from workorders.selectors import hot_orders, hotline_rates, hotspot_cells_geojson

    try:
        call_command("migrate", verbosity=0)

        def square(x, y, size):
            lon, lat = ORIGIN[0] + x, ORIGIN[1] + y
            ring = [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size),
                    (lon, lat)]  # fmt: skip
            return MultiPolygon(Polygon(ring, srid=4326), srid=4326)

        district = District.objects.create(code="BENCH", name="bench",
                                           geom=square(0, 0, SIZE_DEG),
                                           boundary_source="synthetic")  # fmt: skip
        third = SIZE_DEG / 3
        Subdistrict.objects.bulk_create(
            [Subdistrict(district=district, code=f"S{i}{j}", name=f"S{i}{j}",
                         geom=square(i * third, j * third, third)) for i in range(3)
             for j in range(3)]
        )  # fmt: skip
        rng = random.Random(14)
        zone = dt.timezone(dt.timedelta(hours=8))
        categories = ["street_light", "toilet", "parking", "road", "sanitation", "other"]
        rows = []
        for n in range(ORDERS):
            received = dt.datetime(YEAR, 1, 1, tzinfo=zone) + dt.timedelta(
                minutes=rng.randrange(365 * 24 * 60)
            )
            category = rng.choice(categories)
            reply_span, resolve_span = deadline_spans(category)
            order = WorkOrder(
                code=f"B{n:07d}", category=category, channel=rng.choice(["12345", "12319", "web"]),
                status="received", received_at=received, source="bench",
                # Clustered, as complaints are: around a few busy centres.
                geom=Point(ORIGIN[0] + min(max(rng.gauss(0.15, 0.06), 0), SIZE_DEG),
                           ORIGIN[1] + min(max(rng.gauss(0.15, 0.06), 0), SIZE_DEG), srid=4326),
            )  # fmt: skip
            roll = rng.random()
            if roll < 0.9:
                order.replied_at = received + reply_span * rng.uniform(0.1, 1.1)
                order.status = "replied"
            if roll < 0.85:
                order.resolved_at = order.replied_at + resolve_span * rng.uniform(0.1, 0.9)
                order.closed_at = order.resolved_at + dt.timedelta(hours=rng.uniform(1, 48))
                order.status = "closed"
                order.satisfaction = rng.choice(["satisfied"] * 8 + ["basically", "unsatisfied"])
            rows.append(order)
        WorkOrder.objects.bulk_create(rows, batch_size=5000)
        assets_assign_subdistrict(model=WorkOrder)
        with connection.cursor() as cur:
            cur.execute("ANALYZE workorders_workorder")
        start, end = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
        results = []

        def ours_year():
            return hotline_rates(start=start, end=end)

        def reference_year():
            as_of = dt.datetime(YEAR + 1, 1, 1, tzinfo=zone)
            due = on_time = close_due = closed = rated = content = 0
            for o in hot_orders(start=start, end=end).only(
                "category", "received_at", "replied_at", "status", "closed_at", "satisfaction"
            ):
                reply_span, resolve_span = deadline_spans(o.category)
                replied = o.replied_at is not None and o.replied_at < as_of
                if o.received_at + reply_span < as_of or replied:
                    due += 1
                    on_time += replied and o.replied_at <= o.received_at + reply_span
                is_closed = o.status == "closed" and o.closed_at < as_of
                if o.received_at + resolve_span < as_of or is_closed:
                    close_due += 1
                    closed += is_closed
                if is_closed and o.satisfaction in ("satisfied", "basically", "unsatisfied"):
                    rated += 1
                    content += o.satisfaction != "unsatisfied"
            return on_time / due, closed / close_due, content / rated

        ours = ours_year()
        reference = reference_year()
        assert abs(ours.reply_rate - 100 * reference[0]) < 0.01
        assert abs(ours.close_rate - 100 * reference[1]) < 0.01
        assert abs(ours.satisfaction_rate - 100 * reference[2]) < 0.01
        year_s, year_ref_s = median_time(ours_year), median_time(reference_year)
        results.append(("R7-R9 for the year", year_s, "every order judged in Python",
                        year_ref_s, "", ""))  # fmt: skip

        subdistricts = list(Subdistrict.objects.all())

        def ours_table():
            for s in subdistricts:
                hotline_rates(start=start, end=end, subdistrict=s)
            for month in range(1, 13):
                last = dt.date(YEAR + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
                hotline_rates(start=dt.date(YEAR, month, 1), end=last)

        results.append(("R7-R9 by subdistrict and month (21 calls)", median_time(ours_table),
                        "", None, "", ""))  # fmt: skip

        answer = {}

        def ours_hotspots():
            answer["ours"] = hotspot_cells_geojson(categories=[], start=start, end=end,
                                                   cell_m=500)  # fmt: skip

        def pins():
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT json_build_object('type', 'FeatureCollection', 'features', "
                    "json_agg(json_build_object('type', 'Feature', 'geometry', "
                    "ST_AsGeoJSON(geom, 6)::json, 'properties', json_build_object('category', "
                    "category))))::text FROM workorders_workorder"
                )
                answer["pins"] = cur.fetchone()[0]

        results.append(("hotspot squares, 500 m", median_time(ours_hotspots),
                        "every order as a GeoJSON pin", median_time(pins),
                        len(answer["ours"].encode()), len(answer["pins"].encode())))  # fmt: skip
    finally:
        connection.close()
        if not os.environ.get("BENCH_KEEP"):  # keep the scratch database to look into it
            _admin_sql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}")

    print(f"\nWork orders: {ORDERS:,} orders of {YEAR}, 9 subdistricts (medians of 3 runs)\n")
    print("| task | ours (s) | reference | reference (s) | ratio | answer bytes (ours / ref) |")
    print("|---|---:|---|---:|---:|---:|")
    for task, ours_s, ref_name, ref_s, ours_b, ref_b in results:
        ratio = f"{ref_s / ours_s:.1f}" if ref_s else "—"
        ref_text = f"{ref_s:.3f}" if ref_s else "—"
        size = f"{ours_b:,} / {ref_b:,}" if ours_b else "—"
        print(f"| {task} | {ours_s:.3f} | {ref_name or '—'} | {ref_text} | {ratio} | {size} |")


if __name__ == "__main__":
    main()
