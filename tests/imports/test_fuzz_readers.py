"""Fuzzing the readers: mutated copies of the real fixtures (tests/imports/fixtures, copied
from shared/data with their SOURCE notes) in every format GeoCM reads. Every input must
either be read or be refused with the reader's own error class and a sentence; anything
else (another exception class, or a ReadError marked ``unexpected``: a library failure no
known class covers) is a crash.

A bounded, deterministic run is part of ``make test`` (GEOCM_FUZZ_EXAMPLES per format,
default 15: about ten seconds); ``make fuzz`` runs many more with random seeds and prints the
counts (inputs tried, read, refused, crashes) kept in var/fuzz-summary.json.

Seeds, all from the real Nanjing districts (11 polygons): the GBK/CP936 shapefile in
EPSG:4549 (zipped), the DataV GeoJSON (GCJ-02, list properties) and the bare-geometry
GeoJSON as they are; converted from the 4490 shapefile here: a GeoPackage, a KML, a KMZ,
a CSV and an XLSX of the districts' name and an inner point. Mutations: flipped,
inserted and deleted bytes, truncation, a duplicated span; for the zip-based formats also
mutations of one member re-zipped (so the parser, not only the unzipper, sees them).
"""

import io
import json
import os
import tempfile
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_cm.imports.readers import ReadError, source_read
from geo_cm.imports.safety import UnsafeFile

from .conftest import FIXTURES

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("GEOCM_FUZZ_EXAMPLES", "15"))
RANDOM = os.environ.get("GEOCM_FUZZ_RANDOM") == "1"  # make fuzz: new inputs every run
SUMMARY = REPO / "var" / "fuzz-summary.json"
COUNTS: Counter = Counter()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _seeds() -> dict[str, tuple[str, dict[str, bytes] | bytes]]:
    """name -> (suffix, bytes or the members of a zip-based file)."""
    import geopandas as gpd

    shp_dir = FIXTURES / "cgcs2000_gk_cm120e_epsg4549_gbk_cpg"
    shapefile = {p.name: p.read_bytes() for p in sorted(shp_dir.iterdir())}
    datav = FIXTURES / "datav_gcj02_selfintersect"
    seeds: dict = {
        "shapefile.zip": (".zip", shapefile),
        "datav.geojson": (".geojson", (datav / "320111.json").read_bytes()),
        "bare.geojson": (".geojson", (datav / "cnmaps_320111_bare_geometry.geojson").read_bytes()),
    }
    frame = gpd.read_file(FIXTURES / "cgcs2000_geographic_epsg4490_utf8_cpg", engine="pyogrio")
    frame = frame.set_crs(4326, allow_override=True)  # CGCS2000 ~ WGS 84 at this scale
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gpkg, kml = Path(folder) / "d.gpkg", Path(folder) / "d.kml"
        frame.to_file(gpkg, driver="GPKG", engine="pyogrio")
        frame.to_file(kml, driver="KML", engine="pyogrio")
        seeds["districts.gpkg"] = (".gpkg", gpkg.read_bytes())
        seeds["districts.kml"] = (".kml", kml.read_bytes())
        seeds["districts.kmz"] = (".kmz", {"doc.kml": kml.read_bytes()})
    inner = frame.geometry.representative_point()
    table = frame.drop(columns="geometry").assign(lon=inner.x.round(6), lat=inner.y.round(6))
    seeds["districts.csv"] = (".csv", table.to_csv(index=False).encode("utf-8"))
    buffer = io.BytesIO()
    table.to_excel(buffer, index=False)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        seeds["districts.xlsx"] = (".xlsx", {i.filename: zf.read(i) for i in zf.infolist()})
    return seeds


SEEDS = _seeds()


def _mutations(max_size: int):
    position = st.integers(min_value=0, max_value=max(0, max_size - 1))
    return st.lists(
        st.one_of(
            st.tuples(st.just("flip"), position, st.integers(1, 255)),
            st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=16)),
            st.tuples(st.just("delete"), position, st.integers(1, 64)),
            st.tuples(st.just("truncate"), position, st.just(0)),
            st.tuples(st.just("repeat"), position, st.integers(1, 512)),
            st.tuples(
                st.just("special"),
                position,
                st.sampled_from(
                    [
                        b"\x00",
                        b"\xff" * 4,
                        b"[" * 100,
                        b"{",
                        b'"',
                        b"\\",
                        b"-1e999",
                        b"NaN",
                        b"\xe4\xb8",
                        b"<",
                        b"]]>",
                        b"\r\n",
                    ]  # fmt: skip
                ),
            ),
        ),
        min_size=1,
        max_size=6,
    )


def mutate(data: bytes, steps) -> bytes:
    out = bytearray(data)
    for kind, where, arg in steps:
        if not out:
            break
        where %= len(out)
        if kind == "flip":
            out[where] ^= arg
        elif kind in ("insert", "special"):
            out[where:where] = arg
        elif kind == "delete":
            del out[where : where + arg]
        elif kind == "truncate":
            del out[where:]
        elif kind == "repeat":
            out[where:where] = out[where : where + arg]
    return bytes(out)


def _input(seed: str, steps, member_index: int, inside: bool) -> tuple[str, bytes]:
    suffix, data = SEEDS[seed]
    if isinstance(data, dict):
        names = sorted(data)
        if inside:  # mutate one member, zip again: the parser sees the damage
            name = names[member_index % len(names)]
            data = _zip({**data, name: mutate(data[name], steps)})
        else:  # mutate the archive's own bytes: the unzipper sees it
            data = mutate(_zip(data), steps)
    else:
        data = mutate(data, steps)
    return suffix, data


def check_one(suffix: str, data: bytes) -> str:
    """Read one input as the import does; 'read' or 'refused', else the test fails."""
    with tempfile.TemporaryDirectory(prefix="geocm-fuzz-") as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        work = Path(folder) / "work"
        work.mkdir()
        try:
            source = source_read(path=path, workdir=work, crs=None, lazy=True)
            for start in range(0, source.count, 1000):  # the import's parts, read lazily
                source.rows(start, min(start + 1000, source.count))
        except (ReadError, UnsafeFile) as exc:
            assert str(exc).strip(), "a refusal without a sentence"
            assert not getattr(exc, "unexpected", False), f"a library failure: {exc.__cause__!r}"
            return "refused"
    return "read"


@pytest.fixture(scope="module", autouse=True)
def _summary():
    COUNTS.clear()
    yield
    SUMMARY.parent.mkdir(exist_ok=True)
    SUMMARY.write_text(json.dumps({"examples_per_format": EXAMPLES, **COUNTS}, sort_keys=True))


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_mutated_real_files_are_read_or_refused_with_a_sentence(seed):
    suffix, data = SEEDS[seed]
    size = max(len(v) for v in data.values()) if isinstance(data, dict) else len(data)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(steps=_mutations(size), member=st.integers(0, 20), inside=st.booleans())
    def run(steps, member, inside):
        kind, payload = _input(seed, steps, member, inside)
        try:
            outcome = check_one(kind, payload)
        except BaseException:
            COUNTS["crashes"] += 1
            raise
        COUNTS["inputs"] += 1
        COUNTS[outcome] += 1

    run()


def test_the_unmutated_seeds_are_read():
    """The seeds themselves are readable: the mutations start from working files."""
    for seed, (suffix, data) in SEEDS.items():
        payload = _zip(data) if isinstance(data, dict) else data
        crs = "4549" if seed == "shapefile.zip" else None
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"seed{suffix}"
            path.write_bytes(payload)
            source = source_read(path=path, workdir=Path(folder), crs=crs)
            assert source.count >= 1, seed
