"""Exporting a layer as GeoJSON, GeoPackage, Shapefile (zip), CSV or XLSX.

Rows are filtered by the same ItemFilters as the feature API (subdistrict, status, bbox)
and carry only the fields the user may read (``Layer.fields_for``). Geometries are
EPSG:4326 at full double precision by default, foreign keys are the related record's code,
and field names are the model's (cut to 10 characters in a .dbf, which the importer
recognises), so an export imported back gives the same records: the round-trip tests hold
us to that.

GIS staff may ask for another CRS from ``EXPORT_CRS``, a closed list (CGCS2000 and its
3-degree Gauss-Kruger zones around Pukou): the user's text is only matched against it
(``geo_cm.crs.crs_lookup``) and PostGIS transforms to the matched SRID, so no user string
reaches GDAL or PROJ. Files carry the CRS the usual way (a .prj, the GeoPackage's srs
table, GeoJSON's ``crs`` member); coordinates are x = east, y = north, as GIS files
store them. A zipped shapefile also holds ``fields.csv``: each DBF column's short name,
the full field name and its labels, since DBF names stop at 10 characters.
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
from django.contrib.gis.db.models.functions import AsWKB, Transform
from django.db.models import F, ForeignKey
from django.utils import translation
from django.utils.translation import gettext as _

from geo_cm.crs import Crs, crs_lookup
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
# The CRSs an export may be written in (EPSG codes from geo_cm.crs.OFFERED). Pukou lies
# across 117.5-118.9 E: the 120E zone (4549, or 4528 with the zone number in the easting)
# is the bureau's usual one; 4548/4527 (117E) serve data kept in the western zone.
EXPORT_CRS = (4326, 4490, 4549, 4548, 4528, 4527)
FIELD_MAP_NAME = "fields.csv"


def export_crs(value: str | None) -> Crs | None:
    """The export CRS named by ``value`` (``EPSG:4549``, ``4549`` or the OGC URI), or None
    when it is not offered. Absent: EPSG:4326."""
    if value is None or value == "":
        return crs_lookup("EPSG:4326")
    text = value.strip()
    found = crs_lookup(f"EPSG:{text}" if text.isdigit() else text)
    if found is None or found.srid not in EXPORT_CRS:
        return None
    # CRS84 names the same data as EPSG:4326 here: files store x = east either way.
    return crs_lookup(f"EPSG:{found.srid}")


def export_crs_choices() -> list[tuple[str, str]]:
    """(value, label) of every export CRS, for the pages' selects (labels translated)."""
    labels = {
        4326: _("WGS 84, degrees"),
        4490: _("CGCS2000, degrees"),
        4549: _("CGCS2000 Gauss–Krüger 3° zone, central meridian 120°E, metres"),
        4548: _("CGCS2000 Gauss–Krüger 3° zone, central meridian 117°E, metres"),
        4528: _("CGCS2000 Gauss–Krüger 3° zone 40 (zone number in the easting), metres"),
        4527: _("CGCS2000 Gauss–Krüger 3° zone 39 (zone number in the easting), metres"),
    }
    return [(f"EPSG:{srid}", f"EPSG:{srid} · {labels[srid]}") for srid in EXPORT_CRS]


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


def _frame(*, layer, fields, filters, srid: int = 4326) -> tuple[pd.DataFrame, list]:
    model = layer.model
    exprs = {}
    for name in fields:
        f = model._meta.get_field(name)
        if isinstance(f, ForeignKey):
            has_code = any(rf.name == "code" for rf in f.related_model._meta.fields)
            exprs[f"p_{name}"] = F(f"{name}__code") if has_code else F(f"{name}_id")
        else:
            exprs[f"p_{name}"] = F(name)
    geometry = layer.geometry_field if srid == 4326 else Transform(layer.geometry_field, srid)
    qs = layer_queryset(layer=layer, filters=filters).annotate(_wkb=AsWKB(geometry), **exprs)
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


def _table_rows(frame: pd.DataFrame, geoms: list, point_layer: bool, geographic: bool = True):
    """Header and rows for CSV/XLSX: lon/lat for points (full precision; easting/northing
    in metres in a projected CRS), else WKT."""
    xy = ["lon", "lat"] if geographic else ["easting", "northing"]
    header = list(frame.columns) + (xy if point_layer else ["wkt"])
    rows = []
    for values, geom in zip(frame.itertuples(index=False), geoms, strict=False):
        tail = [geom.x, geom.y] if point_layer else [shapely.to_wkt(geom, rounding_precision=-1)]
        rows.append([_plain(v) for v in values] + tail)
    return header, rows


def field_map_rows(layer, names: dict[str, str]) -> list[list[str]]:
    """Rows of ``fields.csv``: DBF name, field name, Chinese label, English label."""
    rows = [["dbf_name", "field", "label_zh", "label_en"]]
    for field, short in names.items():
        verbose = layer.model._meta.get_field(field).verbose_name
        labels = []
        for language in ("zh-hans", "en"):
            with translation.override(language):
                labels.append(str(verbose))
        rows.append([short, field, *labels])
    return rows


def layer_export(
    *, layer, user, fmt: str, filters=None, encoding: str = "utf-8", crs: Crs | None = None
) -> Export:
    """The layer's rows matching ``filters`` readable by ``user``, as ``fmt`` (FORMATS).

    ``encoding`` applies to shapefiles: "utf-8" (with a .cpg) or "gbk" (CP936, with a .cpg
    saying so, for old ArcGIS). ``crs``: one of ``EXPORT_CRS`` (:func:`export_crs`);
    EPSG:4326 (degrees) by default, the Gauss-Kruger zones in metres. A file in another CRS
    than EPSG:4326 is named after it (``toilets-EPSG4549.zip``).
    """
    if fmt not in FORMATS:
        raise ValueError(fmt)
    srid = crs.srid if crs is not None else 4326
    if srid not in EXPORT_CRS:
        raise ValueError(srid)
    geographic = srid in (4326, 4490)
    content_type, suffix = FORMATS[fmt]
    fields = [f for f in layer.fields_for(user)]
    frame, geoms = _frame(layer=layer, fields=fields, filters=filters, srid=srid)
    geom_type = layer.model._meta.get_field(layer.geometry_field).geom_type
    point_layer = geom_type == "POINT"
    name = layer.slug if srid == 4326 else f"{layer.slug}-EPSG{srid}"
    if fmt in ("csv", "xlsx"):
        header, rows = _table_rows(frame, geoms, point_layer, geographic)
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
        frame, geometry=gpd.GeoSeries(geoms, crs=srid) if geoms else gpd.GeoSeries([], crs=srid)
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
            names = dbf_names(list(frame.columns))
            renamed = gdf.rename(columns=names)
            path = folder / f"{name}.shp"
            renamed.to_file(path, driver="ESRI Shapefile", engine="pyogrio", encoding=shp_encoding)
            # The DBF's 10-character names, with the full name and labels beside them
            # (UTF-8 with a BOM, so Excel on a Chinese Windows shows the labels).
            table = io.StringIO()
            csv.writer(table).writerows(field_map_rows(layer, names))
            (folder / FIELD_MAP_NAME).write_bytes(("\ufeff" + table.getvalue()).encode("utf-8"))
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
    if param == "crs":
        return _("crs must be one of %(c)s.") % {
            "c": ", ".join(f"EPSG:{srid}" for srid in EXPORT_CRS)
        }
    return _("encoding must be utf-8 or gbk.")
