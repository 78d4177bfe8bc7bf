"""Feature API at a city's size: our item pages over HTTP against one SQL statement.

ROWS street lights (1,000,000 by default; ``python benchmarks/items_bench.py 100000`` for
fewer) in a scratch database (geocm_bench_items, dropped afterwards). Ours is gunicorn
with the production settings (DEBUG off, gunicorn.conf.py, one worker, two threads)
asked over HTTP on 127.0.0.1 by urllib, as an anonymous client: the whole stack, the
body read to its end. The reference is the same page written by hand as one SQL
statement building the whole FeatureCollection (psycopg2, no Django, no HTTP): the floor
for this answer in this database.

Rows measured (medians of RUNS):
- the first page of 10,000 (``limit=10000``), ours and the reference;
- a deep page of 10,000 (around 80 % of the table): ours by the next link's cursor,
  the reference as keyset SQL, and the deep OFFSET the API used to run, as SQL;
- the same first page gzipped (the bytes on the wire), and asked again with the ETag
  (``If-None-Match``: 304);
- ``numberMatched``: exact ``count(*)`` against the planner's estimate (EXPLAIN);
- ``/ogc/collections``: the extents computed (first call after a write) and cached.
"""

import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from statistics import median

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks._scratch import scratch_database  # noqa: E402

BENCH_DB = "geocm_bench_items"
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
PAGE = 10_000
RUNS = 7
HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}


def _load(url):
    """ROWS street lights over the district in one INSERT ... SELECT, then ANALYZE."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "geo_cm.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=1)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT setseed(0.15)")
        cur.execute(
            """
            INSERT INTO streets_streetlight (code, lamp_type, smart_controller, status, source,
                created_at, updated_at, version, geom)
            SELECT 'LD-' || lpad(i::text, 7, '0'),
                   (ARRAY['led', 'hps', 'other', 'unknown'])[1 + i %% 4], i %% 3 = 0,
                   (ARRAY['working', 'working', 'working', 'fault'])[1 + i %% 4], 'bench',
                   now(), now(), 1,
                   ST_SetSRID(ST_MakePoint(118.45 + random() * 0.45,
                                           31.95 + random() * 0.3), 4326)
            FROM generate_series(1, %s) AS i
            """,
            [ROWS],
        )
        cur.execute("VACUUM ANALYZE streets_streetlight")
        # Written outside geo_cm.assets: give the table its data version by hand.
        cur.execute(
            "INSERT INTO geo_cm_dataversion (model, version, changed_at) "
            "VALUES ('streets.streetlight', nextval('geo_cm_data_version_seq'), now())"
        )
    conn.close()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(url):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "geo_cm.settings",
        "GEOCM_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DATABASE_URL": url,
        "GEOCM_ALLOWED_HOSTS": "127.0.0.1",
        "GEOCM_TLS_PROXY": "1",
        "GEOCM_BIND": f"127.0.0.1:{port}",
        "GEOCM_WEB_WORKERS": "1",
        "GEOCM_WEB_THREADS": "2",
        "GEOCM_ACCESS_LOG": "/dev/null",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py",
         "geo_cm.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                _get(base + "/healthz?scope=web")
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(15)


def _get(url, headers=None):
    request = urllib.request.Request(url, headers={**HEADERS, **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return 304, error.headers, error.read()
        raise


def _feature_collection_sql(where: str, tail: str) -> str:
    """One statement: the FeatureCollection text of a page of public street-light fields."""
    return f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features',
               COALESCE(json_agg(f ORDER BY id), '[]'::json))::text FROM (
          SELECT t.id, json_build_object('type', 'Feature', 'id', t.id,
                 'geometry', ST_AsGeoJSON(t.geom, 7)::json,
                 'properties', json_build_object('code', t.code, 'lamp_type', t.lamp_type,
                     'status', t.status, 'subdistrict', s.code)) AS f
          FROM streets_streetlight t LEFT JOIN geo_cm_subdistrict s ON s.id = t.subdistrict_id
          {where} ORDER BY t.id {tail}) page"""


def _interleaved(paths: dict, runs=RUNS) -> dict:
    """label -> (median seconds, last output); the paths take turns in each round, so a
    busy spell of this shared machine slows all of them alike rather than one."""
    for fn in paths.values():
        fn()  # warm: plans, PROJ, the connection
    seconds = {label: [] for label in paths}
    outputs = {}
    for _ in range(runs):
        for label, fn in paths.items():
            start = time.perf_counter()
            outputs[label] = fn()
            seconds[label].append(time.perf_counter() - start)
    return {label: (median(seconds[label]), outputs[label]) for label in paths}


def main():
    base_url = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    with scratch_database(base_url, BENCH_DB) as url:
        started = time.perf_counter()
        _load(url)
        load_s = time.perf_counter() - started
        conn = psycopg2.connect(url)
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute(
            "SELECT id FROM streets_streetlight ORDER BY id OFFSET %s LIMIT 1", [ROWS * 8 // 10]
        )
        deep_id = cur.fetchone()[0]

        def sql(statement):
            def run():
                cur.execute("SET jit = off")
                cur.execute(statement)
                return cur.fetchone()[0]

            return run

        items = "/ogc/collections/street-lights/items"
        with gunicorn(url) as base:

            def http(path, headers=None):
                return lambda: _get(base + path, headers)

            _, headers, _ = _get(base + f"{items}?limit={PAGE}")
            etag = headers["ETag"]

            # A write moves the data version: the next /collections computes the extent.
            def collections_cold():
                cur.execute(
                    "UPDATE geo_cm_dataversion SET version = nextval('geo_cm_data_version_seq') "
                    "WHERE model = 'streets.streetlight'"
                )
                return _get(base + "/ogc/collections")

            t = _interleaved(
                {
                    "first": http(f"{items}?limit={PAGE}"),
                    "first sql": sql(_feature_collection_sql("", f"LIMIT {PAGE}")),
                    "deep": http(f"{items}?limit={PAGE}&cursor={deep_id}"),
                    "deep sql": sql(
                        _feature_collection_sql(f"WHERE t.id > {deep_id}", f"LIMIT {PAGE}")
                    ),
                    "gzip": http(f"{items}?limit={PAGE}", {"Accept-Encoding": "gzip"}),
                    "304": http(f"{items}?limit={PAGE}", {"If-None-Match": etag}),
                    "count": sql("SELECT count(*) FROM streets_streetlight"),
                    "estimate": sql("EXPLAIN (FORMAT JSON) SELECT id FROM streets_streetlight"),
                    "collections warm": http("/ogc/collections"),
                }
            )
            t.update(_interleaved({"collections cold": collections_cold}, runs=3))
            offset_sql = _feature_collection_sql("", f"LIMIT {PAGE} OFFSET {ROWS * 8 // 10}")
            ref_offset = _interleaved({"offset": sql(offset_sql)}, runs=3)["offset"][0]
        body, ref_body = t["first"][1][2], t["first sql"][1]
        assert json.loads(body)["numberReturned"] == PAGE
        deep_body, ref_deep_body = t["deep"][1][2], t["deep sql"][1]
        assert json.loads(deep_body)["numberReturned"] == PAGE
        zheaders, zbody = t["gzip"][1][1], t["gzip"][1][2]
        assert zheaders["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(zbody))["numberReturned"] == PAGE
        assert t["304"][1][0] == 304
        ref_first = t["first sql"][0]
        rows = [
            ("first page of 10,000", t["first"][0], ref_first, len(body), len(ref_body)),
            (
                "deep page (cursor, ~80 %)",
                t["deep"][0],
                t["deep sql"][0],
                len(deep_body),
                len(ref_deep_body),
            ),
            ("first page, gzipped", t["gzip"][0], ref_first, len(zbody), len(ref_body)),
            ("first page again, If-None-Match: 304", t["304"][0], ref_first, 0, 0),
        ]
        count_s, estimate_s = t["count"][0], t["estimate"][0]
        cold, warm = t["collections cold"][0], t["collections warm"][0]
        conn.close()

    print(f"data: {ROWS:,} street lights (points), loaded in {load_s:.0f} s; medians of {RUNS}")
    print("ours: gunicorn over HTTP, production settings, anonymous; reference: one SQL (psycopg2)")
    print("| what | ours ms | one SQL ms | ratio | our bytes | SQL bytes |")
    print("|---|---|---|---|---|---|")
    for label, ours, ref, ours_b, ref_b in rows:
        print(
            f"| {label} | {ours * 1000:.1f} | {ref * 1000:.1f} | {ours / ref:.2f} "
            f"| {ours_b / 1e6:.2f} MB | {ref_b / 1e6:.2f} MB |"
        )
    print(f"| the deep page by OFFSET, as SQL | — | {ref_offset * 1000:.1f} | — | — | — |")
    print(
        f"| numberMatched: count(*) vs EXPLAIN estimate | {estimate_s * 1000:.2f} "
        f"| {count_s * 1000:.1f} | {estimate_s / count_s:.3f} | — | — |"
    )
    print(
        f"| /ogc/collections after a write vs cached | {warm * 1000:.1f} | {cold * 1000:.1f} "
        f"| {warm / cold:.2f} | — | — |"
    )


if __name__ == "__main__":
    main()
