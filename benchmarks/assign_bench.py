"""Subdistrict assignment of every street light: the set-based UPDATE against the
per-record one it replaced, in the same run.

A scratch database (geocm_bench_assign, dropped afterwards) with the district's real
outline and synthetic subdistricts (``load_areas``) and LIGHTS street lights spread over
the district. Ours is ``geo_cm.assets.assets_assign_subdistrict(model=StreetLight)``
after the subdistricts were cleared; the reference is the previous statement (one UPDATE
whose subquery looks each row's subdistrict up by itself: ``REFERENCE_SQL``). Both must
give every light the same subdistrict. Usage: ``python benchmarks/assign_bench.py [LIGHTS]``.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REFERENCE_SQL = """
    UPDATE streets_streetlight t SET subdistrict_id = (
        SELECT min(d.id) FROM geo_cm_subdistrict d
        WHERE ST_Intersects(d.geom, ST_PointOnSurface(t.geom)))"""


def main():
    lights = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    from benchmarks.darkroads_bench import scratch_database

    base = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    with scratch_database(base, "geocm_bench_assign") as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from geo_cm.assets import assets_assign_subdistrict
        from geo_cm.demo import load_areas
        from streets.models import StreetLight

        call_command("migrate", verbosity=0)
        load_areas()
        with connection.cursor() as cur:
            cur.execute("SELECT setseed(0.3)")
            cur.execute(
                """
                INSERT INTO streets_streetlight (code, lamp_type, smart_controller, status,
                    source, created_at, updated_at, version, geom)
                SELECT 'LD-' || lpad(i::text, 7, '0'), 'led', false, 'working', 'bench',
                       now(), now(), 1,
                       ST_SetSRID(ST_MakePoint(118.45 + random() * 0.45,
                                               31.95 + random() * 0.3), 4326)
                FROM generate_series(1, %s) AS i""",
                [lights],
            )
            cur.execute("VACUUM ANALYZE streets_streetlight")
            cur.execute("SET jit = off")
            started = time.perf_counter()
            cur.execute(REFERENCE_SQL)
            reference_s = time.perf_counter() - started
            cur.execute("SELECT id, subdistrict_id FROM streets_streetlight")
            expected = dict(cur.fetchall())
            cur.execute("UPDATE streets_streetlight SET subdistrict_id = NULL")
            cur.execute("VACUUM ANALYZE streets_streetlight")
        started = time.perf_counter()
        written = assets_assign_subdistrict(model=StreetLight)
        ours_s = time.perf_counter() - started
        got = dict(StreetLight.objects.values_list("pk", "subdistrict_id"))
        assert got == expected, "the two assignments differ"
        inside = sum(1 for v in expected.values() if v is not None)
        started = time.perf_counter()
        again = assets_assign_subdistrict(model=StreetLight)
        again_s = time.perf_counter() - started
    print(f"{lights:,} lights over the district ({inside:,} inside a subdistrict)")
    print("| what | s | rows written |")
    print("|---|---|---|")
    print(f"| previous: one UPDATE, a lookup per row | {reference_s:.1f} | {lights:,} |")
    print(f"| ours: subdivided outlines joined by index | {ours_s:.1f} | {written:,} |")
    print(f"| ours again, nothing changed | {again_s:.1f} | {again:,} |")
    print(f"ratio ours / previous: {ours_s / reference_s:.2f}")


if __name__ == "__main__":
    main()
