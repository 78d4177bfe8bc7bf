"""Vector tiles at a city's size: N street lights, our tiles over HTTP against raw ST_AsMVT.

Builds a scratch database (geocm_bench_tiles) beside the development one, loads the Pukou
demo and then N street lights (1,000,000 by default; TILES_BENCH_N to change) spread
uniformly over the subdistricts, ANALYZEs, and starts gunicorn with the production profile
(DEBUG off, gthread, 1 worker, persistent database connections) on a free loopback port.
Then, medians of RUNS:

- a fresh tile (built by PostGIS, not from any cache: the layer's data version is bumped
  before each request) at z14, z12 and z10 over the densest part, as the map asks for it
  (``properties=status``), over HTTP with a keep-alive connection;
- the same SQL statement run by hand through psycopg2 (the floor for that answer), and the
  naive reference: ``ST_AsMVT`` of every point in the tile (what a tile server without
  aggregation sends);
- a repeated tile: a 304 on ``If-None-Match``, and a 200 from the tile cache;
- tile sizes at z8..z14;
- the staff overview map in headless Chromium (1440x900): time until every tile in view is
  drawn, bytes transferred, and frames per second while panning.

Everything runs against servers started here on 127.0.0.1, bounded in requests and time.
Prints Markdown tables.
"""

import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import dj_database_url
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks._scratch import scratch_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")

BENCH_DB = "geocm_bench_tiles"
N = int(os.environ.get("TILES_BENCH_N", "1000000"))
RUNS = int(os.environ.get("TILES_BENCH_RUNS", "5"))
# The densest part of the demo district (Jiangpu / Taishan): tiles are taken here.
CENTER = (118.63, 32.07)
LAYER = "street-lights"


def load_lights(cursor, n: int) -> None:
    """``n`` lights uniform over the subdistricts, each with its subdistrict, in one INSERT."""
    cursor.execute("SELECT setseed(0.15)")
    cursor.execute(
        """
        CREATE TEMP TABLE parts AS
        SELECT s.id AS subdistrict_id, ST_Subdivide(s.geom, 64) AS g FROM geo_cm_subdistrict s;
        CREATE INDEX ON parts USING gist (g);
        """
    )
    cursor.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(g) e FROM parts) x"
    )
    xmin, ymin, xmax, ymax = cursor.fetchone()
    # The district fills about half of its bounding box: draw twice as many and keep n.
    cursor.execute(
        """
        INSERT INTO streets_streetlight (code, source, created_at, updated_at, version,
            lamp_type, power_w, smart_controller, status, geom, subdistrict_id)
        SELECT 'BL-' || lpad(row_number() OVER ()::text, 7, '0'), 'bench-tiles', now(), now(), 1,
               CASE WHEN random() < 0.7 THEN 'led' ELSE 'hps' END, 100, false,
               CASE WHEN random() < 0.04 THEN 'fault' ELSE 'working' END, c.p, parts.subdistrict_id
        FROM (
            SELECT ST_SetSRID(ST_MakePoint(%s + random() * %s, %s + random() * %s), 4326) AS p
            FROM generate_series(1, %s)
        ) c
        JOIN parts ON ST_Intersects(parts.g, c.p)
        LIMIT %s
        """,
        [xmin, xmax - xmin, ymin, ymax - ymin, int(n * 2.6), n],
    )
    cursor.execute("ANALYZE streets_streetlight")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(database_url: str, port: int, static_root: str) -> dict:
    env = {**os.environ}
    for line in (ROOT / "deploy" / "production.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    env.update(
        {
            "DJANGO_SECRET_KEY": "bench-" + os.urandom(16).hex(),
            "DATABASE_URL": database_url,
            "GEOCM_ALLOWED_HOSTS": "127.0.0.1",
            "GEOCM_CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
            # Plain HTTP on loopback: no TLS proxy in front of this bench server.
            "GEOCM_TLS_PROXY": "0",
            "GEOCM_SSL_REDIRECT": "0",
            "GEOCM_HSTS_SECONDS": "0",
            "GEOCM_STATIC_ROOT": static_root,
            "GEOCM_BIND": f"127.0.0.1:{port}",
            "GEOCM_WEB_WORKERS": "1",
            "GEOCM_WEB_THREADS": "4",
            "GEOCM_ACCESS_LOG": "/dev/null",
            "GEOCM_LOG_LEVEL": "WARNING",
        }
    )
    return env


@contextlib.contextmanager
def gunicorn(env: dict, port: int):
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "gunicorn.conf.py",
            "geo_cm.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz?scope=web")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("gunicorn did not start")
        yield
    finally:
        process.terminate()
        process.wait(20)


def tile_path(z: int, query: str = "properties=status") -> str:
    from geo_cm.tiles import tms

    row, col = tms.lonlat_to_tile(CENTER[0], CENTER[1], z)
    return f"/ogc/collections/{LAYER}/tiles/WebMercatorQuad/{z}/{row}/{col}?{query}"


def timed(fn, runs=RUNS):
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return median(times), out


def main():  # noqa: PLR0915 - one linear script
    base = os.environ.get("DATABASE_URL") or (ROOT / "var/pg/database_url").read_text().strip()
    static_root = tempfile.mkdtemp(prefix="geocm-bench-static-")
    with scratch_database(base, BENCH_DB) as url:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from geo_cm.registry import registry
        from geo_cm.tiles import selectors as tile_selectors
        from geo_cm.versions import data_version_bump

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        call_command("load_demo", verbosity=0)
        with connection.cursor() as cursor:
            load_lights(cursor, N)
            cursor.execute("SELECT count(*) FROM streets_streetlight")
            total = cursor.fetchone()[0]
        data_version_bump(model=registry.get(LAYER).model)
        print(
            f"data: {total:,} street lights ({N:,} generated + the demo's), loaded in "
            f"{time.perf_counter() - started:.0f} s; medians of {RUNS} runs"
        )
        layer = registry.get(LAYER)

        # The statements our code sends, by hand through psycopg2 (no Django in the way).
        from django.contrib.auth.models import AnonymousUser

        cfg = dj_database_url.parse(url)
        raw = psycopg2.connect(
            dbname=cfg["NAME"],
            user=cfg["USER"],
            password=cfg["PASSWORD"],
            host=cfg["HOST"],
            port=cfg["PORT"],
        )
        raw.autocommit = False

        def raw_sql(sql, params):
            def run():
                with raw.cursor() as cur:
                    cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                    cur.execute("SET LOCAL jit = off")
                    cur.execute(sql, params)
                    data = cur.fetchone()[0]
                raw.commit()
                return bytes(data or b"")

            return run

        from geo_cm.tiles import tms

        statements = {}
        for z in (14, 12, 10, 8):
            row, col = tms.lonlat_to_tile(CENTER[0], CENTER[1], z)
            query = tile_selectors.TileQuery(z=z, row=row, col=col, properties=("status",))
            grid = 16
            base_qs = tile_selectors._base_queryset(layer, query, 1.0 / grid)
            clustered = tile_selectors._too_many_points(base_qs, 10000)
            if clustered:
                sql, params = tile_selectors._clusters_sql(layer, AnonymousUser(), query, grid)
            else:
                sql, params = tile_selectors._features_sql(
                    layer, AnonymousUser(), query, 1.0 / grid, 4096 // grid
                )
            naive = (
                "SELECT ST_AsMVT(m, 'street-lights', 4096, 'geom', 'id') FROM ("
                "SELECT l.id, l.status, ST_AsMVTGeom(ST_Transform(l.geom, 3857), "
                "ST_TileEnvelope(%s, %s, %s), 4096, 256, true) AS geom FROM streets_streetlight l "
                "WHERE l.geom && ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326)) m "
                "WHERE m.geom IS NOT NULL"
            )
            statements[z] = (
                clustered,
                raw_sql(sql, params),
                raw_sql(naive, [z, col, row, z, col, row]),
            )

        port = free_port()
        env = production_env(url, port, static_root)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
        )
        connection.close()
        rows = []
        with gunicorn(env, port):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

            def get(path, headers=None):
                # gunicorn closes an idle keep-alive connection after 5 s: open a new one then.
                for attempt in (1, 2):
                    try:
                        conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
                        response = conn.getresponse()
                        return response.status, response.getheader("ETag"), response.read()
                    except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionError):
                        conn.close()
                        if attempt == 2:
                            raise
                return None

            for z in (14, 12, 10, 8):
                path = tile_path(z)
                get(path)  # warm: the worker's connection, PROJ, plans

                def fresh(path=path):
                    # A new ETag: no cache can answer.
                    data_version_bump(model=registry.get(LAYER).model)
                    start = time.perf_counter()
                    status, _etag, body = get(path)
                    elapsed = time.perf_counter() - start
                    assert status == 200, (status, body[:200])
                    return elapsed, body

                times = [fresh() for _ in range(RUNS)]
                ours = median(t for t, _b in times)
                body = times[-1][1]
                clustered, ours_sql, naive_sql = statements[z]
                ours_sql()
                naive_sql()
                sql_t, sql_body = timed(ours_sql)
                naive_t, naive_body = timed(naive_sql, runs=3 if z <= 10 else RUNS)
                status, etag, _ = get(path)
                t304, st = timed(lambda p=path, e=etag: get(p, {"If-None-Match": e})[0])
                assert st == 304
                tcached, st = timed(lambda p=path: get(p)[0])
                assert st == 200
                rows.append(
                    (
                        z,
                        clustered,
                        ours,
                        len(body),
                        sql_t,
                        len(sql_body),
                        naive_t,
                        len(naive_body),
                        t304,
                        tcached,
                    )
                )
            conn.close()
            raw.close()
            browser = browser_map_load(port, url)
        print()
        print(
            "| zoom | tile | ours over HTTP, fresh | same SQL by hand | ratio | "
            "naive ST_AsMVT (every point) | 304 (If-None-Match) | 200 from tile cache |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for z, clustered, ours, size, sql_t, sql_size, naive_t, naive_size, t304, tc in rows:
            kind = "clusters" if clustered else "points"
            print(
                f"| z{z} | {kind}, {size / 1000:.1f} kB | {ours * 1000:.1f} ms | "
                f"{sql_t * 1000:.1f} ms ({sql_size / 1000:.1f} kB) | {ours / sql_t:.2f} | "
                f"{naive_t * 1000:.0f} ms, {naive_size / 1e6:.2f} MB | {t304 * 1000:.1f} ms | "
                f"{tc * 1000:.1f} ms |"
            )
        if browser:
            print()
            print("| staff overview map, 1440x900, headless Chromium | value |")
            print("|---|---|")
            for key, value in browser.items():
                print(f"| {key} | {value} |")
    shutil.rmtree(static_root, ignore_errors=True)


def browser_map_load(port: int, database_url: str) -> dict | None:
    """The staff overview map with the lights: load time, bytes, frames per second."""
    if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
        print("(no chromium: the browser measurement is skipped)")
        return None
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from geo_cm.roles import roles_sync
    from tests.browser.conftest import chromium, chromium_quit

    roles_sync()
    user = get_user_model().objects.create_user("bench-gis", password="bench-pw-gis-1")  # noqa: S106
    user.groups.add(Group.objects.get(name="gis_staff"))
    connection.close()
    driver, profile = chromium()
    base = f"http://127.0.0.1:{port}"
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        )
        driver.get(base + "/accounts/login/")
        driver.find_element("name", "username").send_keys("bench-gis")
        driver.find_element("name", "password").send_keys("bench-pw-gis-1")
        driver.find_element("css selector", "form.login button").click()
        time.sleep(1)
        results = []
        for _ in range(3):
            driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            driver.get(base + "/")
            deadline = time.monotonic() + 120
            done = None
            while time.monotonic() < deadline and done is None:
                done = driver.execute_script(
                    """
                    var config = document.getElementById('map-config').textContent;
                    var layers = JSON.parse(config).layers;
                    var map = window.geocmMap, groups = window.geocmGroups || {};
                    for (var i = 0; i < layers.length; i++) {
                      var l = layers[i], g = groups[l.slug];
                      if (!g || !map.hasLayer(g)) continue;
                      if (l.tiles ? !((window.geocmTiles[l.slug] || {}).loads)
                                  : window.geocmLayers[l.slug] === undefined) return null;
                    }
                    var bytes = performance.getEntriesByType('resource')
                      .reduce(function (s, e) { return s + (e.transferSize || 0); }, 0);
                    return [performance.now(), bytes,
                            performance.getEntriesByType('resource').length];
                    """
                )
                if done is None:
                    time.sleep(0.05)
            results.append(done)
        fps = driver.execute_async_script(
            """
            var done = arguments[arguments.length - 1], map = window.geocmMap;
            var frames = 0, start = performance.now(), step = 0;
            function frame() {
              frames += 1;
              if (performance.now() - start < 3000) requestAnimationFrame(frame);
              else done(frames / ((performance.now() - start) / 1000));
            }
            requestAnimationFrame(frame);
            var pan = setInterval(function () {
              step += 1;
              map.panBy([step % 20 < 10 ? 120 : -120, 40 * (step % 2 ? 1 : -1)],
                        {animate: true, duration: 0.25});
              if (performance.now() - start > 2900) clearInterval(pan);
            }, 300);
            """
        )
        loads = sorted(r[0] for r in results if r)
        last = results[-1]
        load_time = f"{median(loads) / 1000:.2f} s" if loads else "did not finish"
        return {
            "time to every tile in view drawn (median of 3, cold cache)": load_time,
            "bytes transferred (last load)": f"{last[1] / 1e6:.2f} MB" if last else "—",
            "requests (last load)": str(last[2]) if last else "—",
            "frames per second while panning (3 s)": f"{fps:.0f}",
        }
    finally:
        chromium_quit(driver, profile)


if __name__ == "__main__":
    main()
