"""Exporting a layer as GeoJSON, GeoPackage, Shapefile (zip), CSV or XLSX.

Rows are filtered by the same ItemFilters as the feature API (subdistrict, status, bbox)
and carry only the fields the user may read (``Layer.fields_for``). Geometries are
EPSG:4326 at full double precision, foreign keys are the related record's code, and field
names are the model's (cut to 10 characters in a .dbf, which the importer recognises), so
an export imported back gives the same records: the round-trip tests hold us to that.
"""

import csv
import datetime as dt
import io
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from django.contrib.gis.db.models.functions import AsWKB
from django.db.models import F, ForeignKey
from django.utils.translation import gettext as _

from geo_cm.selectors import layer_queryset
from geo_cm.spreadsheets import csv_row, xlsx_row

FORMATS = {
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "shp": ("application/zip", "zip"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
SHAPEFILE_ENCODINGS = {"utf-8": "UTF-8", "gbk": "CP936"}
DBF_NAME_MAX = 10


@dataclass
class Export:
    content: bytes
    content_type: str
    filename: str
    count: int


def dbf_names(names: list[str]) -> dict[str, str]:
    """Field name -> DBF name (<= 10 characters), deterministic and collision-free."""
    out: dict[str, str] = {}
    for name in names:
        short, n = name[:DBF_NAME_MAX], 1
        while short in out.values():
            short, n = f"{name[: DBF_NAME_MAX - 2]}{n:02d}", n + 1
        out[name] = short
    return out


def _frame(*, layer, fields, filters) -> tuple[pd.DataFrame, list]:
    model = layer.model
    exprs = {}
    for name in fields:
        f = model._meta.get_field(name)
        if isinstance(f, ForeignKey):
            has_code = any(rf.name == "code" for rf in f.related_model._meta.fields)
            exprs[f"p_{name}"] = F(f"{name}__code") if has_code else F(f"{name}_id")
        else:
            exprs[f"p_{name}"] = F(name)
    qs = layer_queryset(layer=layer, filters=filters).annotate(
        _wkb=AsWKB(layer.geometry_field), **exprs
    )
    rows = list(qs.values_list("_wkb", *exprs))
    geoms = shapely.from_wkb([bytes(r[0]) for r in rows]) if rows else []
    frame = pd.DataFrame([r[1:] for r in rows], columns=list(fields), dtype=object)
    return frame, list(geoms)


def _plain(value):
    """A value every writer takes: Decimal -> float, datetimes -> ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _table_rows(frame: pd.DataFrame, geoms: list, point_layer: bool):
    """Header and rows for CSV/XLSX: lon/lat for points (full precision), else WKT."""
    header = list(frame.columns) + (["lon", "lat"] if point_layer else ["wkt"])
    rows = []
    for values, geom in zip(frame.itertuples(index=False), geoms, strict=False):
        tail = [geom.x, geom.y] if point_layer else [shapely.to_wkt(geom, rounding_precision=-1)]
        rows.append([_plain(v) for v in values] + tail)
    return header, rows


def layer_export(*, layer, user, fmt: str, filters=None, encoding: str = "utf-8") -> Export:
    """The layer's rows matching ``filters`` readable by ``user``, as ``fmt`` (FORMATS).

    ``encoding`` applies to shapefiles: "utf-8" (with a .cpg) or "gbk" (CP936, with a .cpg
    saying so, for old ArcGIS). Geometries are EPSG:4326.
    """
    if fmt not in FORMATS:
        raise ValueError(fmt)
    content_type, suffix = FORMATS[fmt]
    fields = [f for f in layer.fields_for(user)]
    frame, geoms = _frame(layer=layer, fields=fields, filters=filters)
    geom_type = layer.model._meta.get_field(layer.geometry_field).geom_type
    point_layer = geom_type == "POINT"
    name = layer.slug
    if fmt in ("csv", "xlsx"):
        header, rows = _table_rows(frame, geoms, point_layer)
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            # Cells that a spreadsheet would run as formulas are made text (one rule for
            # every spreadsheet GeoCM writes: geo_cm.spreadsheets).
            writer.writerow(csv_row(header))
            writer.writerows(csv_row(r) for r in rows)
            # A BOM so that Excel on a Chinese Windows opens UTF-8 correctly.
            content = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        else:
            from openpyxl import Workbook

            book = Workbook(write_only=True)
            sheet = book.create_sheet(name[:31])
            sheet.append(xlsx_row(sheet, header))
            for r in rows:
                sheet.append(xlsx_row(sheet, r))
            out = io.BytesIO()
            book.save(out)
            content = out.getvalue()
        return Export(content, content_type, f"{name}.{suffix}", len(frame))

    for column in frame.columns:
        frame[column] = frame[column].map(_plain).astype(object)
        values = frame[column].dropna()
        if len(values) and all(isinstance(v, bool) for v in values):
            # DBF and GPKG writers want one type per column: 1/0 survives every driver.
            frame[column] = frame[column].map(lambda v: None if v is None else int(v))
    gdf = gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(geoms, crs=4326) if geoms else gpd.GeoSeries([], crs=4326)
    )
    with tempfile.TemporaryDirectory(prefix="geocm-export-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = Path(tmp)
        if fmt == "geojson":
            path = folder / f"{name}.geojson"
            gdf.to_file(path, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=15)
            content = path.read_bytes()
        elif fmt == "gpkg":
            path = folder / f"{name}.gpkg"
            gdf.to_file(path, driver="GPKG", layer=name, engine="pyogrio")
            content = path.read_bytes()
        else:
            shp_encoding = SHAPEFILE_ENCODINGS.get(encoding.lower())
            if shp_encoding is None:
                raise ValueError(encoding)
            renamed = gdf.rename(columns=dbf_names(list(frame.columns)))
            path = folder / f"{name}.shp"
            renamed.to_file(path, driver="ESRI Shapefile", engine="pyogrio", encoding=shp_encoding)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
                for part in sorted(folder.iterdir()):
                    zf.write(part, part.name)
            content = buffer.getvalue()
    return Export(content, content_type, f"{name}.{suffix}", len(frame))


def export_formats_text() -> str:
    return ", ".join(FORMATS)


def export_error(param: str) -> str:
    if param == "format":
        return _("format must be one of %(f)s.") % {"f": export_formats_text()}
    return _("encoding must be utf-8 or gbk.")
