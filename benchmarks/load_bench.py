"""50 users at once on the public answers, under the production profile.

Starts gunicorn (gunicorn.conf.py, GEOCM_DEBUG=0, WhiteNoise, static files collected once
into var/bench-static) on a free port of 127.0.0.1 against the development database (the
private cluster in var/pg, or DATABASE_URL), then runs locust headless once per row: USERS
users for SECONDS seconds, each asking its path again as soon as it has the answer (no
think time: the harshest case). Prints, per row, requests, req/s, p50, p95, p99 and
errors, and whether the target (p95 < 300 ms, no error) is met.

Rows (a row whose endpoint this checkout lacks is skipped and says so):
  /api/parking/open              the public "open now" answer
  /parking/                      the public page
  items, 1 km² bbox              /ogc/collections/street-lights/items?bbox=… around the
                                 densest lights
  tiles z14                      /ogc/collections/street-lights/tiles/WebMercatorQuad/14/…
                                 (the 3x3 tiles around the same place, round-robin)

Usage:
  python benchmarks/load_bench.py [--users 50] [--seconds 20] [--url http://127.0.0.1:8000]
    [--only parking-api,parking-page,items-bbox,tiles]

--url uses a server already running on this machine instead of starting one (loopback
only: this tool never loads anyone else's server). Locust (pinned in pyproject.toml's dev
extra) runs in a process of its own and takes CPU from the same cores as the server: the
figures are what one 2-core machine does serving and loading at once.
"""

import argparse
import csv
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
TARGET_P95_MS = 300
HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
LIGHTS = "street-lights"
# Settings for the server under load: the production profile on loopback. Each locust
# user presents its own client address (X-Forwarded-For, believed from one proxy), so the
# API throttles count 50 clients as in real life, and the anonymous rate is set above
# what a user asking without pause reaches, so counting costs what it costs but never
# answers 429.
SERVER_ENV = {
    "GEOCM_DEBUG": "0",
    "GEOCM_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "GEOCM_TLS_PROXY": "1",
    "GEOCM_LOG_LEVEL": "WARNING",
    "GEOCM_ACCESS_LOG": "/dev/null",
    "GEOCM_PROXY_COUNT": "1",
    "GEOCM_API_ANON_RATE": "100000/min",
    "GEOCM_API_USER_RATE": "100000/min",
}


def database_url() -> str:
    """DATABASE_URL, else the private cluster's URL written by scripts/pg.sh."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    path = ROOT / "var" / "pg" / "database_url"
    if not path.exists():
        sys.exit("No database: run `make bootstrap` (private cluster) or set DATABASE_URL.")
    return path.read_text().strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, headers: dict | None = None, timeout: float = 30):
    """(status, headers, body) of a GET, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    # Only http://127.0.0.1 URLs this tool built reach here.
    request = urllib.request.Request(url, headers={**HEADERS, **(headers or {})})  # noqa: S310
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


STATIC = ROOT / "var" / "bench-static"


def _static_stale() -> bool:
    """True when var/bench-static lacks the manifest or a static source file is newer."""
    manifest = STATIC / "staticfiles.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [p for p in ROOT.glob("*/static/**/*") if p.is_file() and ".venv" not in p.parts]
    return any(p.stat().st_mtime > built for p in sources)


class Server:
    """gunicorn with the production profile on a free loopback port (a context manager)."""

    def __init__(self, *, db_url: str, extra_env: dict | None = None):
        self.db_url = db_url
        self.extra_env = extra_env or {}
        self.process = None

    def __enter__(self):
        port = _free_port()
        env = {
            **os.environ,
            **SERVER_ENV,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": self.db_url,
            "GEOCM_STATIC_ROOT": str(STATIC),
            "GEOCM_BIND": f"127.0.0.1:{port}",
            **self.extra_env,
        }
        if _static_stale():
            # Hashing and compressing every static file takes minutes on a busy machine:
            # done once into var/bench-static, again only when a static file changed.
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=ROOT,
                env=env,
                check=True,
                timeout=1800,
            )
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", "geo_cm.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped:\n" + self.process.stderr.read()[-3000:])
            try:
                if http_get(self.url + "/healthz?scope=web", timeout=5)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not answer /healthz within 90 s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def dense_spot(db_url: str) -> tuple[float, float] | None:
    """(lon, lat) of the middle of the street lights (EPSG:4326), None without lights."""
    import psycopg2

    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_X(geom)),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Y(geom))"
            " FROM streets_streetlight"
        )
        lon, lat = cur.fetchone()
    conn.close()
    return None if lon is None else (lon, lat)


def km2_bbox(lon: float, lat: float) -> str:
    """A 1 km x 1 km bbox (lon/lat, EPSG:4326) centred on the point."""
    half_lat = 0.5 / 111.32
    half_lon = half_lat / math.cos(math.radians(lat))
    return f"{lon - half_lon:.6f},{lat - half_lat:.6f},{lon + half_lon:.6f},{lat + half_lat:.6f}"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """(x, y) of the WebMercatorQuad tile holding the point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def rows(base: str, db_url: str) -> list[tuple[str, str, list[str] | None, str]]:
    """(key, label, paths or None when absent, note) for each row of the table."""
    spot = dense_spot(db_url)
    out = [
        ("parking-api", "/api/parking/open", ["/api/parking/open"], ""),
        ("parking-page", "/parking/", ["/parking/"], ""),
    ]
    if spot is None:
        out.append(("items-bbox", "items, 1 km² bbox", None, "no street lights"))
        out.append(("tiles", "tiles z14", None, "no street lights"))
        return out
    bbox = km2_bbox(*spot)
    out.append(
        (
            "items-bbox",
            "items, 1 km² bbox",
            [f"/ogc/collections/{LIGHTS}/items?" + urllib.parse.urlencode({"bbox": bbox})],
            f"bbox {bbox}",
        )
    )
    x, y = tile_of(*spot, 14)
    tiles = [
        f"/ogc/collections/{LIGHTS}/tiles/WebMercatorQuad/14/{y + dy}/{x + dx}"
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    ]
    status = http_get(base + tiles[4])[0]
    if status == 200 or status == 204:
        out.append(("tiles", "tiles z14 (3x3 around it)", tiles, f"z14 x={x} y={y}"))
    else:
        out.append(("tiles", "tiles z14", None, f"no tiles endpoint here ({status})"))
    return out


def run_locust(base: str, paths: list[str], *, users: int, seconds: int) -> dict:
    """Run locust headless on ``paths``; its aggregated figures (times in ms)."""
    with tempfile.TemporaryDirectory(prefix="geocm-locust-") as tmp:
        prefix = Path(tmp) / "run"
        env = {**os.environ, "GEOCM_LOAD_PATH": "|".join(paths)}
        result = subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "benchmarks" / "_locustfile.py"),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{seconds}s",
                "--stop-timeout",
                "10",
                "--host",
                base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "ERROR",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        stats = Path(f"{prefix}_stats.csv")
        if not stats.exists():
            raise RuntimeError("locust wrote no statistics:\n" + result.stderr[-3000:])
        with stats.open() as f:
            aggregated = [r for r in csv.DictReader(f) if r["Name"] == "Aggregated"][0]
        failures = Path(f"{prefix}_failures.csv")
        kinds = []
        if failures.exists():
            with failures.open() as f:
                kinds = [f"{r['Occurrences']}x {r['Error']}" for r in csv.DictReader(f)]
    return {
        "requests": int(aggregated["Request Count"]),
        "errors": int(aggregated["Failure Count"]),
        "rps": float(aggregated["Requests/s"]),
        "p50": float(aggregated["50%"]),
        "p95": float(aggregated["95%"]),
        "p99": float(aggregated["99%"]),
        "failure_kinds": kinds[:3],
    }


def table(results: list[tuple[str, dict | None, str]], *, users: int, seconds: int) -> str:
    """The Markdown table of the runs."""
    load = os.getloadavg()
    lines = [
        f"{users} users, {seconds} s each, no think time; gunicorn (gunicorn.conf.py) and "
        f"locust on {os.cpu_count()} cores; load average before: {load[0]:.1f}",
        "",
        "| what | requests | req/s | p50 ms | p95 ms | p99 ms | errors | p95 < 300 ms, 0 errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, r, note in results:
        if r is None:
            lines.append(f"| {label} | — | — | — | — | — | — | skipped: {note} |")
            continue
        met = "yes" if r["p95"] < TARGET_P95_MS and r["errors"] == 0 else "no"
        lines.append(
            f"| {label} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} "
            f"| {r['p99']:.0f} | {r['errors']} | {met} |"
        )
    for label, r, _ in results:
        if r and r["failure_kinds"]:
            lines.append(f"\n{label} errors: " + "; ".join(r["failure_kinds"]))
    return "\n".join(lines)


def bench(*, base: str, db_url: str, users: int, seconds: int, only: set[str] | None) -> str:
    results = []
    for key, label, paths, note in rows(base, db_url):
        if only and key not in only:
            continue
        if paths is None:
            results.append((label, None, note))
            continue
        # One request first: the answer must be a 200 before it is worth loading.
        status = http_get(base + paths[0])[0]
        if status != 200:
            results.append((label, None, f"answers {status}"))
            continue
        print(f"  {label}: {users} users for {seconds} s …", flush=True)
        results.append((label, run_locust(base, paths, users=users, seconds=seconds), note))
    return table(results, users=users, seconds=seconds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--url", help="a server already running on 127.0.0.1 (else one starts)")
    parser.add_argument("--only", help="comma-separated row keys")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 500 or not 5 <= args.seconds <= 600:
        parser.error("--users must be 1..500 and --seconds 5..600")
    only = set(args.only.split(",")) if args.only else None
    db_url = database_url()
    if args.url:
        host = urllib.parse.urlsplit(args.url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--url must be a server on this machine (127.0.0.1)")
        print(
            bench(
                base=args.url.rstrip("/"),
                db_url=db_url,
                users=args.users,
                seconds=args.seconds,
                only=only,
            )
        )
        return 0
    with Server(db_url=db_url) as server:
        print(f"==> gunicorn (production profile) on {server.url}", flush=True)
        print(
            bench(base=server.url, db_url=db_url, users=args.users, seconds=args.seconds, only=only)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
