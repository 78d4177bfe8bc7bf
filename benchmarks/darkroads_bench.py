"""Dark-road analysis (street lights against roads) at a city's size: ours against the
query it replaced, in the same run.

A scratch database (geocm_bench_darkroads, dropped afterwards) gets a synthetic street
grid over Pukou (ROADS roads of about 1 km, in service, main/secondary/branch) and LIGHTS
street lights: most placed every 25-45 m along the roads, 5 m off the centre line, with a
share of faults and gaps, the rest scattered. Ours is
``geo_cm.coverage.engine.coverage_get(layer_slug="street-lights")`` run by a job worker
(``job_run_next``, in this process) with the light layer's expression index; the
reference is the previous query (``REFERENCE_SQL``: the lights transformed inside a CTE,
so no index can be used), run only up to REFERENCE_MAX lights, since it grows with
roads x lights (211 s at a million on this machine in issue 15). Both must find the same
dark length. Usage: ``python benchmarks/darkroads_bench.py [LIGHTS ...]``.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks._scratch import scratch_database  # noqa: E402

BENCH_DB = "geocm_bench_darkroads"
DEFAULT_SIZES = [100_000, 1_000_000]
REFERENCE_MAX = 100_000
GRID = 45  # roads per direction: 2 x 45 x ~25 one-kilometre roads

# The query the engine ran before (the lights transformed inside a CTE: no index).
REFERENCE_SQL = """
    WITH r AS (
        SELECT t.id, t.code, t.name, t.subdistrict_id, d.path[1] AS part,
               ST_Transform(d.geom, 32650) AS g
        FROM streets_road t, ST_Dump(t.geom) d
        WHERE t.status = 'in_service' AND t.road_class IN ('main', 'secondary', 'branch')),
    l AS (SELECT ST_Transform(s.geom, 32650) AS g FROM streets_streetlight s
          WHERE s.status = 'working'),
    pos AS (
        SELECT r.id, r.part, ST_LineLocatePoint(r.g, l.g) * ST_Length(r.g) AS m
        FROM r JOIN l ON ST_DWithin(r.g, l.g, 25)),
    stops AS (
        SELECT r.id, r.part, ST_Length(r.g) AS len, p.m FROM r LEFT JOIN pos p
        ON p.id = r.id AND p.part = r.part),
    ordered AS (
        SELECT id, part, len, m, lag(m) OVER (PARTITION BY id, part ORDER BY m) AS prev
        FROM stops WHERE m IS NOT NULL),
    gaps AS (
        SELECT id, part, prev + %(s)s / 2 AS a, m - %(s)s / 2 AS b FROM ordered
        WHERE prev IS NOT NULL AND m - prev > %(s)s
        UNION ALL
        SELECT id, part, 0, min(m) - %(s)s / 2 FROM ordered GROUP BY id, part
        HAVING min(m) > %(s)s / 2
        UNION ALL
        SELECT id, part, max(m) + %(s)s / 2, max(len) FROM ordered GROUP BY id, part
        HAVING max(len) - max(m) > %(s)s / 2
        UNION ALL
        SELECT id, part, 0, len FROM stops GROUP BY id, part, len HAVING count(m) = 0)
    SELECT code, ST_Length(ST_Transform(piece, 4326)::geography) AS dark_m
    FROM (SELECT r.code, ST_LineSubstring(r.g, g.a / ST_Length(r.g), g.b / ST_Length(r.g))
                 AS piece
          FROM gaps g JOIN r ON r.id = g.id AND r.part = g.part WHERE g.b > g.a) d
"""


def reference_dark_rows(cursor, spacing_m: float) -> list[tuple[str, float]]:
    """(road code, dark metres) of every dark stretch, by the previous query."""
    cursor.execute(REFERENCE_SQL, {"s": spacing_m})
    return cursor.fetchall()


def _roads(cur):
    """A street grid over 118.45-118.90 E, 31.95-32.25 N, cut into ~1 km roads."""
    cur.execute(
        """
        INSERT INTO streets_road (code, name, road_class, status, source, created_at,
            updated_at, version, geom)
        SELECT 'DL-' || dir || '-' || i || '-' || k, '测试路' || i,
               (ARRAY['main', 'secondary', 'branch'])[1 + (i + k) %% 3], 'in_service',
               'bench', now(), now(), 1,
               ST_Multi(CASE WHEN dir = 'x'
                 THEN ST_MakeLine(ST_MakePoint(118.45 + k * 0.0105, 31.95 + i * 0.3 / %(g)s),
                                  ST_MakePoint(118.45 + (k + 1) * 0.0105, 31.95 + i * 0.3 / %(g)s))
                 ELSE ST_MakeLine(ST_MakePoint(118.45 + i * 0.45 / %(g)s, 31.95 + k * 0.009),
                                  ST_MakePoint(118.45 + i * 0.45 / %(g)s, 31.95 + (k + 1) * 0.009))
               END)::geometry(MultiLineString, 4326)
        FROM unnest(ARRAY['x', 'y']) AS dir, generate_series(0, %(g)s - 1) AS i,
             generate_series(0, 32) AS k
        WHERE (dir = 'x' AND k < 43) OR (dir = 'y' AND k < 33)
        """,
        {"g": GRID},
    )
    cur.execute("SELECT count(*), sum(length_m) / 1000 FROM streets_road")
    return cur.fetchone()


def _lights(cur, n):
    """``n`` lights: 90 % along the roads (25-45 m apart, 5 m off), 10 % scattered."""
    cur.execute("TRUNCATE streets_streetlight")
    cur.execute("SELECT setseed(0.15)")
    cur.execute(
        """
        INSERT INTO streets_streetlight (code, lamp_type, smart_controller, status, source,
            created_at, updated_at, version, geom)
        SELECT 'LD-' || lpad(i::text, 7, '0'), 'led', false,
               CASE WHEN random() < 0.05 THEN 'fault' ELSE 'working' END, 'bench',
               now(), now(), 1,
               CASE WHEN i %% 10 = 0
                 THEN ST_SetSRID(ST_MakePoint(118.45 + random() * 0.45,
                                              31.95 + random() * 0.3), 4326)
                 ELSE ST_Translate(ST_LineInterpolatePoint(ST_GeometryN(r.geom, 1),
                                   random()), 0.00004, 0.00004)
               END
        FROM generate_series(1, %(n)s) AS i
        JOIN LATERAL (SELECT geom FROM streets_road
                      WHERE id = (SELECT min(id) FROM streets_road)
                            + (i::bigint * 7919) %% (SELECT count(*) FROM streets_road)) r ON true
        """,
        {"n": n},
    )
    cur.execute("ANALYZE streets_streetlight")


def main():
    base = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    results = []
    sizes = [int(a) for a in sys.argv[1:]] or DEFAULT_SIZES
    with scratch_database(base, BENCH_DB) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from geo_cm.jobs.models import Job
        from geo_cm.jobs.queue import job_enqueue, job_run_next

        call_command("migrate", verbosity=0)
        with connection.cursor() as cur:
            roads, road_km = _roads(cur)
        for n in sizes:
            with connection.cursor() as cur:
                _lights(cur, n)
            Job.objects.all().delete()
            job = job_enqueue(
                name="coverage.refresh", args={"layer": "street-lights", "mode": "straight"}
            )
            started = time.perf_counter()
            done = job_run_next(worker="bench")
            ours = time.perf_counter() - started
            assert done.pk == job.pk and done.status == "done", done.message
            from geo_cm.coverage.models import CoverageResult

            stats = CoverageResult.objects.get(layer="street-lights").stats
            CoverageResult.objects.all().delete()
            ref, ref_dark = None, None
            if n <= REFERENCE_MAX:
                with connection.cursor() as cur:
                    cur.execute("SET jit = off")
                    started = time.perf_counter()
                    rows = reference_dark_rows(cur, stats["rule"]["distance_m"])
                    ref = time.perf_counter() - started
                ref_dark = sum(r[1] for r in rows)
                assert abs(ref_dark - stats["dark_length_m"]) < 1.0, (ref_dark, stats)
            query_s = stats["timings"]["dark_stretches_query"]
            results.append((n, ours, query_s, ref, stats["dark_length_m"], stats["dark_segments"]))

    print(f"roads: {roads:,} in service ({road_km:,.0f} km); lights 90 % along the roads")
    print("ours: the coverage.refresh job (job_run_next); reference: the previous query")
    print(
        "| lights | whole job s | our query s | previous query s | query ratio | dark km "
        "| dark stretches |"
    )
    print("|---|---|---|---|---|---|---|")
    for n, ours, query_s, ref, dark, segments in results:
        ref_text = f"{ref:.2f}" if ref is not None else "not run (> REFERENCE_MAX)"
        ratio = f"{query_s / ref:.3f}" if ref else "—"
        print(
            f"| {n:,} | {ours:.1f} | {query_s:.2f} | {ref_text} | {ratio} | {dark / 1000:,.1f} "
            f"| {segments:,} |"
        )


if __name__ == "__main__":
    main()
