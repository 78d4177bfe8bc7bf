"""The worst uploads we could find, and what each costs the web process (and the worker).

Each case is a file a careless user or an attacker can send to ``/imports/``: a small .xlsx
whose sheet unpacks to tens of megabytes (a zip bomb of its own kind), a large GeoJSON,
deeply nested JSON, a zip whose deflate stream is damaged, a zip with lying size headers,
a .kmz bomb and a large zipped shapefile. For every case a fresh Python process plays the
web process (Django's test client against the development database, logged in as a
superuser of its own): it posts the upload, opens the page the upload leads to and opens
it once more (a second view). Wall time and the rise of the process's peak memory
(ru_maxrss over the warmed-up baseline) are measured in that process alone. When the
upload queued an inspection job, another fresh process plays the worker and runs it; its
time and peak memory are reported beside, and a last web process opens the inspection
page once the file is read (the cached result). Every process has a time limit (TIMEOUT_S).

Reference in the same run: a plain upload of a small valid zipped shapefile (5 points),
the cost a normal user sees. The table gives each case's size, HTTP statuses, times,
memory and the ratio of its web time to the reference's.

    python benchmarks/upload_bench.py            # all cases (about 2-5 minutes)
    python benchmarks/upload_bench.py --scale 3  # larger files
The uploads and the bench user are deleted afterwards.
"""

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")

BENCH_USER = "upload-bench"
TIMEOUT_S = 300


# --- the files -------------------------------------------------------------------------
def _xlsx_bomb(path: Path, rows: int) -> Path:
    """A valid .xlsx whose one sheet holds ``rows`` rows of 12 inline-string cells: a few
    hundred KB on disk, tens of MB of XML once unpacked."""
    cells = "".join(
        f'<c r="{col}{{r}}" t="inlineStr"><is><t>x</t></is></c>' for col in "ABCDEFGHIJKL"
    )
    sheet_head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>lon</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>lat</t></is></c></row>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="'
            'application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName'
            '="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            '//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            '//schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(sheet_head.encode())
            block = []
            for r in range(2, rows + 2):
                block.append(f'<row r="{r}">' + cells.replace("{r}", str(r)) + "</row>")
                if len(block) == 5000:
                    sheet.write("".join(block).encode())
                    block = []
            sheet.write(("".join(block) + "</sheetData></worksheet>").encode())
    return path


def _big_geojson(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"type":"FeatureCollection","features":[')
        for i in range(n):
            if i:
                fh.write(",")
            lon, lat = 118.6 + (i % 1000) * 1e-4, 32.0 + (i // 1000 % 1000) * 1e-4
            fh.write(
                f'{{"type":"Feature","properties":{{"编号":"GC-{i:07d}","名称":"浦口区第{i}号公共厕所",'
                f'"地址":"江浦街道文德路{i % 997}号","category":"city"}},'
                f'"geometry":{{"type":"Point","coordinates":[{lon:.6f},{lat:.6f}]}}}}'
            )
        fh.write("]}")
    return path


def _nested_json(path: Path, depth: int) -> Path:
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"x":'
        + "[" * depth
        + "]" * depth
        + '},"geometry":null}]}'
    )
    return path


def _shapefile_zip(path: Path, n: int) -> Path:
    import numpy as np
    import pandas as pd
    import pyogrio

    with tempfile.TemporaryDirectory() as folder:
        shp = Path(folder) / "lights.shp"
        rng = np.random.default_rng(1)
        lon, lat = rng.uniform(118.55, 118.75, n), rng.uniform(31.98, 32.15, n)
        import geopandas as gpd

        frame = gpd.GeoDataFrame(
            {
                "编号": pd.Series([f"LD-{i:07d}" for i in range(n)]),
                "备注": pd.Series([f"路灯{i}号 {'巡检记录' * 6}" for i in range(n)]),
            },
            geometry=gpd.points_from_xy(lon, lat),
            crs=4326,
        )
        pyogrio.write_dataframe(frame, shp, encoding="UTF-8")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for part in sorted(Path(folder).iterdir()):
                zf.write(part, part.name)
    return path


def _corrupt_deflate(path: Path) -> Path:
    """A zipped GeoJSON whose deflate stream is damaged half-way (headers intact)."""
    body = _big_geojson(path.with_suffix(".tmp.geojson"), 2000).read_bytes()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("points.geojson", body)
    data = bytearray(path.read_bytes())
    start = 30 + len("points.geojson")
    for i in range(start + 200, start + 260):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    path.with_suffix(".tmp.geojson").unlink()
    return path


def _lying_sizes(path: Path) -> Path:
    """A zip whose local and central headers say 10 bytes where 4 MB of deflate follow."""
    payload = b'{"type":"FeatureCollection","features":[' + b" " * 4_000_000 + b"]}"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("points.geojson", payload)
    data = bytearray(path.read_bytes())
    # Rewrite "uncompressed size" in the local header (offset 22) and the central one.
    struct.pack_into("<I", data, 22, 10)
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)
    path.write_bytes(bytes(data))
    return path


def _kmz_bomb(path: Path, mb: int) -> Path:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("doc.kml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>')
            chunk = b"<!--" + b" " * (1 << 20) + b"-->"
            for _ in range(mb):
                fh.write(chunk)
            fh.write(b"</Document></kml>")
    del comp
    return path


def _padded_zip(path: Path, mb: int) -> Path:
    """A 5-point zipped shapefile beside ``mb`` MB of incompressible bytes (stored): an
    upload near the 200 MB limit that is perfectly acceptable."""
    from tests.imports.conftest import toilet_frame, write_shapefile

    with tempfile.TemporaryDirectory() as folder:
        shp = write_shapefile(toilet_frame(5), Path(folder) / "shp")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
            for part in sorted(shp.parent.iterdir()):
                zf.write(part, part.name)
            with zf.open("photos.bin", "w", force_zip64=True) as fh:
                for _ in range(mb):
                    fh.write(os.urandom(1 << 20))
    return path


def _reference(path: Path) -> Path:
    from tests.imports.conftest import toilet_frame, write_shapefile, zip_folder

    with tempfile.TemporaryDirectory() as folder:
        shp = write_shapefile(toilet_frame(5), Path(folder) / "shp")
        return zip_folder(shp.parent, path)


def build_cases(folder: Path, scale: float, only: str | None = None) -> list[tuple[str, Path]]:
    """The cases' files (the reference always, the others when their name holds ``only``)."""
    import django

    django.setup()
    cases = [
        ("reference: 5-point zipped shapefile", lambda: _reference(folder / "公厕.zip")),
        ("xlsx zip bomb", lambda: _xlsx_bomb(folder / "bomb.xlsx", int(200_000 * scale))),
        ("large GeoJSON", lambda: _big_geojson(folder / "big.geojson", int(250_000 * scale))),
        ("nested JSON (depth 100k)", lambda: _nested_json(folder / "deep.geojson", 100_000)),
        ("zip, corrupt deflate", lambda: _corrupt_deflate(folder / "corrupt.zip")),
        ("zip, lying size headers", lambda: _lying_sizes(folder / "lying.zip")),
        ("kmz bomb", lambda: _kmz_bomb(folder / "bomb.kmz", int(300 * scale))),
        (
            "large zipped shapefile",
            lambda: _shapefile_zip(folder / "lights.zip", int(600_000 * scale)),
        ),
        ("190 MB zip (shapefile + padding)", lambda: _padded_zip(folder / "padded.zip", 181)),
    ]
    return [
        (name, make())
        for name, make in cases
        if only is None or only in name or name.startswith("reference")
    ]


# --- one process per measurement ----------------------------------------------------------
def _peak_kb() -> int:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: Linux carries that over
    from the parent across exec, so a child would start at the bench's own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _bench_user():
    from django.contrib.auth import get_user_model

    user, _created = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_superuser": True, "is_staff": True}
    )
    return user


def web_process(path: Path) -> dict:
    """Upload ``path``, open the page it leads to, open it again; time and peak memory."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    client.force_login(_bench_user())
    client.get("/imports/")  # warm: templates, translations, the database connection
    base = _peak_kb()
    data = path.read_bytes()
    upload = SimpleUploadedFile(path.name, data)
    del data
    base = max(base, _peak_kb())
    started = time.perf_counter()
    response = client.post("/imports/", {"layer": "toilets", "file": upload})
    post_s = time.perf_counter() - started
    out = {"post": response.status_code, "post_s": post_s, "view": None, "view_s": None}
    location = response.get("Location", "")
    if response.status_code == 302 and "/uploads/" in location:
        out["upload"] = int(location.rstrip("/").split("/")[-1])
        started = time.perf_counter()
        view = client.get(location)
        out["view"], out["view_s"] = view.status_code, time.perf_counter() - started
        started = time.perf_counter()
        again = client.get(location)
        out["again"], out["again_s"] = again.status_code, time.perf_counter() - started
    out["mem_mb"] = (_peak_kb() - base) / 1024
    return out


def view_process(upload: int) -> dict:
    """Open the inspection page of ``upload`` once the worker has read it."""
    import django

    django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    client.force_login(_bench_user())
    client.get("/imports/")
    base = _peak_kb()
    started = time.perf_counter()
    page = client.get(f"/imports/uploads/{upload}/")
    return {
        "read_view": page.status_code,
        "read_view_s": time.perf_counter() - started,
        "read_view_mem_mb": (_peak_kb() - base) / 1024,
    }


def worker_process() -> dict:
    """Run the queued inspection jobs of the bench user's uploads; time and peak memory."""
    import django

    django.setup()
    from geo_cm.jobs.models import Job
    from geo_cm.jobs.queue import job_run_next

    base = _peak_kb()
    started = time.perf_counter()
    ran, statuses = 0, []
    while (job := job_run_next(worker="upload-bench")) is not None:
        ran += 1
        # The job's own outcome, or what it says of the file (an inspection that refused
        # the file is a job done with {"status": "failed"}).
        outcome = (job.result or {}).get("status") if job.status == Job.Status.DONE else None
        statuses.append(f"{job.name.split('.')[-1]}:{outcome or job.status}")
        if job.status == Job.Status.FAILED:
            statuses.append(job.message[:80])
    return {
        "jobs": ran,
        "statuses": statuses,
        "work_s": time.perf_counter() - started,
        "work_mem_mb": (_peak_kb() - base) / 1024,
    }


def _child(args: list[str]) -> dict:
    try:
        run = subprocess.run(
            [sys.executable, __file__, *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout {TIMEOUT_S} s"}
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if run.returncode or not lines:
        return {"error": (run.stderr.strip().splitlines() or ["?"])[-1][:100]}
    return json.loads(lines[-1])


def _cleanup():
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from geo_cm.imports.models import ImportRecord, ImportUpload
    from geo_cm.jobs.models import Job

    user = get_user_model().objects.filter(username=BENCH_USER).first()
    if user is not None:
        ImportUpload.objects.filter(user=user).delete()
        ImportRecord.objects.filter(user=user).delete()
        Job.objects.filter(requested_by=user).delete()
        user.delete()


def _pending_jobs() -> int:
    import django

    django.setup()
    from geo_cm.jobs.models import Job

    return Job.objects.filter(requested_by__username=BENCH_USER, status="queued").count()


def _fmt(value, spec=".1f"):
    return "-" if value is None else format(value, spec)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--web", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--view", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--only", help="run the cases whose name contains this")
    args = parser.parse_args()
    if args.web:
        print(json.dumps(web_process(Path(args.web))))
        return
    if args.worker:
        print(json.dumps(worker_process()))
        return
    if args.view:
        print(json.dumps(view_process(args.view)))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="geocm-upload-bench-") as folder:
        cases = build_cases(Path(folder), args.scale, args.only)
        _cleanup()
        try:
            for name, path in cases:
                web = _child(["--web", str(path)])
                work = _child(["--worker"]) if _pending_jobs() else {}
                if work and web.get("upload"):  # the page once the worker has read the file
                    work.update(_child(["--view", str(web["upload"])]))
                rows.append((name, path.stat().st_size, web, work))
                print(f"  {name}: {web} {work}", file=sys.stderr)
        finally:
            _cleanup()
    ref_s = None
    if rows and "post_s" in rows[0][2]:
        ref_s = rows[0][2]["post_s"] + (rows[0][2].get("view_s") or 0)
    header = (
        f"| {'case':36} | {'size':>9} | POST | view | {'web s':>7} | {'2nd view s':>10} "
        f"| {'web +MB':>7} | {'x ref':>6} | {'worker s':>8} | {'worker +MB':>10} | worker jobs "
        f"| view once read | view s |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for name, size, web, work in rows:
        if "error" in web:
            print(f"| {name:36} | {size / 1e6:7.2f}MB | {web['error']} |")
            continue
        web_s = web["post_s"] + (web.get("view_s") or 0)
        ratio = web_s / ref_s if ref_s else None
        print(
            f"| {name:36} | {size / 1e6:7.2f}MB | {web['post']:4} | {web.get('view') or '-':>4} "
            f"| {web_s:7.2f} | {_fmt(web.get('again_s'), '10.2f'):>10} | {web['mem_mb']:7.0f} "
            f"| {_fmt(ratio, '6.1f'):>6} | {_fmt(work.get('work_s'), '8.2f'):>8} "
            f"| {_fmt(work.get('work_mem_mb'), '10.0f'):>10} "
            f"| {' '.join(work.get('statuses', [])) or work.get('error', '-')} "
            f"| {work.get('read_view', '-')} | {_fmt(work.get('read_view_s'), '.2f')} |"
        )


if __name__ == "__main__":
    main()
