"""Helpers for the import/export tests: build GIS files the way contractors deliver them."""

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from django.utils import translation

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "data" / "reference" / "nanjing_districts_amap_wgs84.geojson"


def toilet_frame(n=5, *, start=1, lon0=118.61, lat0=32.01, step=0.01):
    """``n`` toilets with Chinese column names, inside the test district (WGS84)."""
    rows = []
    for i in range(start, start + n):
        rows.append(
            {
                "编号": f"GC-{i:04d}",
                "名称": f"浦口公厕{i}号",
                "地址": f"江浦街道文德路{i}号",
                "category": "city",
                "status": "open",
                "completed_on": "2023-05-01",
                "open_24h": "是" if i % 2 else "否",
                "geometry": shapely.Point(lon0 + step * (i % 8), lat0 + step * (i // 8)),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def write_shapefile(
    frame, folder: Path, name="公厕", *, epsg=4549, encoding="GBK", cpg=False, prj=True
):
    """A shapefile as ArcGIS exports it: GBK text, optionally without .cpg/.prj."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    with warnings.catch_warnings():  # completed_on -> completed_ (DBF names), as in ArcGIS
        warnings.simplefilter("ignore")
        frame.to_crs(epsg).to_file(path, encoding=encoding, engine="pyogrio")
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    if not prj:
        path.with_suffix(".prj").unlink()
    return path


def zip_folder(folder: Path, target: Path, *, stem=None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.iterdir()):
            if stem is None or part.stem == stem:
                zf.write(part, part.name)
    return target


@pytest.fixture(autouse=True)
def english():
    """These tests read the importer's English sentences; the default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def toilet_shp(tmp_path):
    return write_shapefile(toilet_frame(), tmp_path / "shp")
