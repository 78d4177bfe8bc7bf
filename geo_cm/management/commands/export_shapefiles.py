"""``manage.py export_shapefiles``: one ESRI Shapefile per registered layer, plus the areas.

Shapefiles are EPSG:4326 (a .prj is written), text is UTF-8 (a .cpg saying so is written)
and field names are at most 10 characters: each ``<slug>.shp`` comes with a
``<slug>.fields.csv`` mapping its field names back to the model's fields.
"""

import csv
from decimal import Decimal
from pathlib import Path

import geopandas
import pandas as pd
import pyogrio
import shapely
from django.conf import settings
from django.contrib.gis.db.models.functions import AsWKB
from django.core.management.base import BaseCommand
from django.db import models
from django.db.models import F, FloatField, Func
from django.utils import timezone, translation

from geo_cm.models import Subdistrict
from geo_cm.registry import registry
from geo_cm.spreadsheets import csv_row

DBF_NAME_MAX = 10
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".fields.csv")


def shapefile_names(names: list[str]) -> dict[str, str]:
    """Model field name -> DBF field name (at most 10 characters), deterministic.

    Names that fit are kept; longer ones are cut to 10 characters; a cut that collides
    with an earlier name becomes its first 8 characters and a two-digit number.
    """
    out: dict[str, str] = {}
    for name in names:
        short, n = name[:DBF_NAME_MAX], 1
        while short in out.values():
            short, n = f"{name[: DBF_NAME_MAX - 2]}{n:02d}", n + 1
        out[name] = short
    return out


def _column(model, name: str) -> tuple[str, str, str]:
    """(queryset lookup, type written, meaning) for one model field.

    A foreign key is written as the related record's code (its id when it has none).
    """
    field = model._meta.get_field(name)
    with translation.override("en"):
        meaning = str(field.verbose_name)
        if field.many_to_one:
            related = field.related_model
            has_code = any(f.name == "code" for f in related._meta.fields)
            what = "code" if has_code else "id"
            label = str(related._meta.verbose_name)
            return (
                f"{name}__{what}" if has_code else f"{name}_id",
                "text",
                f"{meaning}: the {label}'s {what}",
            )
    kind = field.get_internal_type()
    if isinstance(field, models.GeneratedField):
        kind = field.output_field.get_internal_type()
    types = {
        "DateField": "date (text, YYYY-MM-DD)",
        "DateTimeField": "date and time (text, ISO 8601, Asia/Shanghai)",
        "BooleanField": "logical (T/F)",
        "DecimalField": "real",
        "FloatField": "real",
    }
    if kind.endswith("IntegerField"):
        written = "integer"
    else:
        written = types.get(kind, "text")
    return name, written, meaning


def _to_frame(rows: list[dict], columns: dict[str, tuple[str, str, str]]) -> pd.DataFrame:
    """Query rows -> a DataFrame with DBF-friendly types (dates and times as ISO text)."""
    data = {}
    for name, (lookup, written, _) in columns.items():
        values = [row[lookup] for row in rows]
        if written.startswith("date and time"):
            values = [
                timezone.localtime(v).isoformat(timespec="seconds") if v else None for v in values
            ]
        elif written.startswith("date"):
            values = [v.isoformat() if v else None for v in values]
        elif written == "real":
            values = [float(v) if isinstance(v, Decimal) else v for v in values]
        dtype = {"integer": "Int64", "logical (T/F)": "boolean", "real": "Float64"}.get(
            written, object
        )
        series = pd.Series(values, dtype=dtype)
        data[name] = series
    return pd.DataFrame(data)


def write_shapefile(
    queryset, *, path: Path, geometry_field: str, fields: list[str], extra: dict | None = None
) -> int:
    """Write ``queryset`` (one SQL query) to ``path`` (.shp) and its .fields.csv.

    ``extra`` adds computed columns: name -> (expression, type written, meaning).
    Returns the number of features written; writes nothing for an empty queryset.
    """
    model = queryset.model
    columns = {name: _column(model, name) for name in fields}
    annotations = {"_wkb": AsWKB(geometry_field)}
    for name, (expression, written, meaning) in (extra or {}).items():
        annotations[f"_x_{name}"] = expression
        columns[name] = (f"_x_{name}", written, meaning)
    lookups = [lookup for lookup, _, _ in columns.values() if not lookup.startswith("_x_")]
    rows = list(queryset.order_by("code").values(*lookups, **annotations))
    for suffix in SHAPEFILE_PARTS:  # no stale parts from an earlier export
        path.with_suffix(suffix).unlink(missing_ok=True)
    if not rows:
        return 0
    frame = _to_frame(rows, columns)
    names = shapefile_names(list(columns))
    frame = frame.rename(columns=names)
    geometry = shapely.from_wkb([bytes(row["_wkb"]) for row in rows])
    gdf = geopandas.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    # RESIZE shrinks text fields to their longest value (GDAL's default is 80 bytes each).
    pyogrio.write_dataframe(
        gdf, path, driver="ESRI Shapefile", encoding="UTF-8", layer_options={"RESIZE": "YES"}
    )
    with path.with_suffix(".fields.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["shapefile_field", "model_field", "type", "meaning"])
        for name, (_, written, meaning) in columns.items():
            writer.writerow(csv_row([names[name], name, written, meaning]))
    return len(rows)


class Command(BaseCommand):
    help = (
        "Write one ESRI Shapefile per registered layer (EPSG:4326, UTF-8 with .cpg; field "
        "names mapped in <slug>.fields.csv) and subdistricts.shp."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            default=str(Path(settings.BASE_DIR) / "data" / "shapefiles"),
            help="Output folder (default data/shapefiles).",
        )
        parser.add_argument(
            "--omit",
            action="append",
            default=[],
            metavar="FIELD",
            help="Leave out a field everywhere, e.g. --omit updated_at for reproducible files.",
        )

    def handle(self, *args, out, omit, **options):
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for layer in registry.all():
            fields = [f for f in layer.staff_fields if f not in omit]
            if "code" not in fields:
                fields.insert(0, "code")
            path = folder / f"{layer.slug}.shp"
            n = write_shapefile(
                layer.model.objects.all(),
                path=path,
                geometry_field=layer.geometry_field,
                fields=fields,
            )
            self._report(layer.slug, path, n)
        area_km2 = Func(
            F("geom"),
            template="ST_Area(%(expressions)s::geography) / 1e6",
            output_field=FloatField(),
        )
        path = folder / "subdistricts.shp"
        n = write_shapefile(
            Subdistrict.objects.all(),
            path=path,
            geometry_field="geom",
            fields=[
                "code",
                "code_old",
                "name",
                "name_en",
                "managed_by",
                "district",
                "geometry_is_synthetic",
            ],
            extra={
                "area_km2": (area_km2, "real", "area in km² on the WGS84 ellipsoid (geography)")
            },
        )
        self._report("subdistricts", path, n)

    def _report(self, slug, path, n):
        if n:
            size = sum(path.with_suffix(s).stat().st_size for s in SHAPEFILE_PARTS)
            self.stdout.write(f"{slug:20} {n:6,} features  {size / 1024:8.0f} KiB  {path}")
        else:
            self.stdout.write(f"{slug:20}      0 features  (no file written)")
