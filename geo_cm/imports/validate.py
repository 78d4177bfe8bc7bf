"""Validating a whole import file against a layer before a single row is written.

Everything is vectorised (pandas columns, shapely 2 arrays): the report is complete for
the whole file in about the time it takes to read it. A *row error* blocks the commit (a
failing row means nothing is written); a *warning* (repaired geometry, outside the
district, a datum without an official shift) is reported and does not block.

Row numbers are 1-based feature numbers in the file (for CSV/XLSX the first data row is 1).
Geometries leave here as hex WKB in EPSG:4326 (x = longitude).
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import shapely
from django.contrib.gis.db import models as gis_models
from django.db import connection, models
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from pandas.api.types import infer_dtype

from geo_cm import gcj02

from . import crs as crs_module
from .readers import CONTROL_CHARS, Source, control_escape

ERROR, WARNING = "error", "warning"
# Fields every asset derives itself: never mapped from a file.
DERIVED = {"subdistrict", "source", "created_at", "updated_at", "version", "length_m", "id"}
# Most problems kept in the stored report (the counts are always complete).
REPORT_MAX = 5000
TRUE_WORDS = {"1", "true", "t", "yes", "y", "是", "有", "√", "on"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "否", "无", "×", "off"}
OFFSETS = ("gcj02", "bd09")
MODES = ("create", "upsert", "replace")


class MappingError(ValueError):
    """The mapping names a field or column that does not exist (a 400 naming it)."""


@dataclass
class Problem:
    row: int  # 1-based feature number; 0 for the whole file
    field: str
    value: str
    problem: str
    severity: str = ERROR

    def as_dict(self) -> dict:
        # Values come from the file: escaped, so the report (jsonb) can always be stored.
        return {"row": self.row, "field": self.field, "value": control_escape(str(self.value)),
                "problem": self.problem, "severity": self.severity}  # fmt: skip


@dataclass
class Validated:
    """The outcome of validation: clean columns for the rows that passed, and the report."""

    layer: object
    mapping: dict[str, str]
    rows: np.ndarray  # 1-based row numbers of the clean rows
    values: dict[str, pd.Series]  # model field name -> clean values (None for null), per row
    wkb: np.ndarray  # hex WKB, EPSG:4326 (no SRID in the bytes), per clean row
    problems: list[Problem] = field(default_factory=list)
    total: int = 0
    error_rows: int = 0
    warnings: list[str] = field(default_factory=list)
    extent: tuple[float, float, float, float] | None = None
    outside_district: int = 0
    # Per clean row: whether its code was generated here (the file gave none).
    generated: np.ndarray | None = None
    # Field -> COPY cells of the clean rows, where already built (``copy_cells``).
    cells: dict = field(default_factory=dict)
    # The staging table's COPY lines of the clean rows (``geo_cm.assets.copy_lines``).
    lines: list | None = None

    @property
    def ok(self) -> bool:
        return self.error_rows == 0 and not any(
            p.row == 0 and p.severity == ERROR for p in self.problems
        )

    @property
    def codes(self) -> pd.Series:
        return self.values["code"]

    def report(self) -> list[dict]:
        """Errors and warnings (at most REPORT_MAX), then the notes on codes."""
        return [p.as_dict() for p in self.problems]


def importable_fields(layer) -> list:
    """The model fields a file may set: editable, concrete, not derived, not a second geometry."""
    model = layer.model
    out = []
    for f in model._meta.concrete_fields:
        if f.primary_key or not f.editable or getattr(f, "generated", False) or f.name in DERIVED:
            continue
        if isinstance(f, gis_models.GeometryField):
            continue
        if isinstance(f, models.ForeignKey) and not any(
            rf.name == "code" for rf in f.related_model._meta.fields
        ):
            continue
        out.append(f)
    return out


def _norm(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_")


def _has_value(series: pd.Series) -> bool:
    """Whether any cell holds a value (stops at the first one: usually the first row)."""
    return any(v is not None and str(v).strip() not in ("", "nan") for v in series)


def mapping_propose(
    *, layer, columns: list[str], frame: pd.DataFrame | None = None
) -> dict[str, str]:
    """Model field -> source column, from names, the layer's import_aliases, verbose names
    (Chinese and English) and 10-character DBF cuts of field names (our own shapefiles).
    With ``frame``, columns holding no value at all (KML's empty Name) are not proposed."""
    by_norm = {}
    for col in columns:
        if frame is not None and col in frame and not _has_value(frame[col]):
            continue
        by_norm.setdefault(_norm(col), col)
    proposal = {}
    for f in importable_fields(layer):
        candidates = [f.name, f.name[:10], *layer.import_aliases.get(f.name, ())]
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                candidates.append(str(f.verbose_name))
        for cand in candidates:
            col = by_norm.get(_norm(cand))
            if col is not None and col not in proposal.values():
                proposal[f.name] = col
                break
    return proposal


# --- value converters: (series of raw values) -> (clean series, bad mask, problem text) ---


def _one_text(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime | dt.date | pd.Timestamp):
        return (
            v.isoformat()[:10]
            if getattr(v, "hour", 0) == 0 == getattr(v, "minute", 0)
            else v.isoformat()
        )
    text = str(v).strip()
    return text or None


def _as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped text, None for empty; whole columns of text or integers at once."""
    arr = series.to_numpy(dtype=object)
    kind = infer_dtype(arr, skipna=True)
    if kind not in ("string", "integer", "empty"):
        return _objects([_one_text(v) for v in arr], series.index)
    missing = pd.isna(arr)
    out = np.full(len(arr), None, dtype=object)
    if kind == "string":
        texts = [v.strip() for v in arr[~missing]]
    else:
        texts = [str(v) for v in arr[~missing]]
    if texts:
        out[np.flatnonzero(~missing)] = _objects(texts, None).to_numpy()
        out[out == ""] = None
    return pd.Series(out, index=series.index, dtype=object)


def _is_bad(values) -> np.ndarray:
    return np.fromiter((v is _BAD for v in values), dtype=bool, count=len(values))


def _objects(values, index) -> pd.Series:
    """An object Series that keeps None as None (pandas may turn it into NaN otherwise)."""
    values = list(values)
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return pd.Series(arr, index=index, dtype=object)


def _blank(series: pd.Series, mask) -> pd.Series:
    """``series`` with None where ``mask`` is true, and NaN/NaT turned into None."""
    arr = series.to_numpy(dtype=object).copy()
    arr[np.asarray(mask, dtype=bool)] = None
    arr[pd.isna(arr)] = None
    return pd.Series(arr, index=series.index, dtype=object)


def _convert_text(f, raw):
    text = _as_text(raw)
    if f.choices:
        lookup = {}
        for value, label in f.flatchoices:
            for lang in ("zh-hans", "en"):
                with translation.override(lang):
                    lookup[str(label).lower()] = value
            lookup[str(value).lower()] = value
        clean = _objects(
            [None if v is None else lookup.get(v.lower(), _BAD) for v in text], text.index
        )
        bad = pd.Series(_is_bad(clean), index=text.index)
        # Labels, as people see them (the converter takes the Chinese or English label or
        # the stored value, so any of them works in the file).
        allowed = _(", ").join(str(label) for v, label in f.flatchoices if v != "")
        return _blank(clean, bad), bad, _("not one of the allowed values (%(v)s)") % {"v": allowed}
    lengths = text.str.len().fillna(0).to_numpy()
    too_long = pd.Series(lengths > (f.max_length or 10**9), index=text.index)
    return text, too_long, _("longer than %(n)s characters") % {"n": f.max_length}


_BAD = object()


def _has_control(text: pd.Series) -> np.ndarray:
    """Which text cells hold a control character (one scan of the joined column first)."""
    present = text.notna().to_numpy()
    cells = text.to_numpy(dtype=object)[present]
    mask = np.zeros(len(text), dtype=bool)
    if len(cells) and CONTROL_CHARS.search("".join(cells)):
        mask[np.flatnonzero(present)] = [CONTROL_CHARS.search(c) is not None for c in cells]
    return mask


def _convert_int(f, raw):
    text = _as_text(raw)
    nums = pd.to_numeric(text, errors="coerce")
    present = text.notna()
    bad = present & (nums.isna() | (nums % 1 != 0))
    low, high = None, None
    if isinstance(
        f,
        models.PositiveIntegerField
        | models.PositiveSmallIntegerField
        | models.PositiveBigIntegerField,
    ):
        low = 0
    for v in f.validators:
        limit_value = getattr(v, "limit_value", None)
        if v.__class__.__name__ == "MinValueValidator":
            low = limit_value
        elif v.__class__.__name__ == "MaxValueValidator":
            high = limit_value
    out_of_range = pd.Series(False, index=raw.index)
    if low is not None:
        out_of_range |= nums < low
    if high is not None:
        out_of_range |= nums > high
    bad = bad | out_of_range
    clean = _objects([None if pd.isna(v) else int(v) for v in nums], nums.index)
    sentence = _("not a whole number")
    if low is not None or high is not None:
        sentence = _("not a whole number in %(lo)s..%(hi)s") % {
            "lo": low if low is not None else "",
            "hi": high if high is not None else "",
        }
    return _blank(clean, bad), bad, sentence


def _convert_decimal(f, raw):
    text = _as_text(raw)
    nums = pd.to_numeric(text, errors="coerce")
    present = text.notna()
    bad = present & nums.isna()
    if isinstance(f, models.DecimalField):
        bad |= nums.abs() >= 10 ** (f.max_digits - f.decimal_places)
        for v in f.validators:
            if v.__class__.__name__ == "MinValueValidator":
                bad |= nums < v.limit_value
        places = f.decimal_places
        clean = _objects(
            [None if pd.isna(v) else Decimal(f"{v:.{places}f}") for v in nums], nums.index
        )
        return (
            _blank(clean, bad),
            bad,
            _("not a number with at most %(d)s digits") % {"d": f.max_digits},
        )
    clean = _objects([None if pd.isna(v) else float(v) for v in nums], nums.index)
    return _blank(clean, bad), bad, _("not a number")


def _convert_bool(f, raw):
    words = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}

    def one(text):
        if text is None:
            return None
        text = text.lower()
        if text.endswith(".0"):
            text = text[:-2]
        return words.get(text, _BAD) if text else None

    # Text first: True/False cells (GeoPackage booleans) become "True"/"False".
    clean = _objects([one(v) for v in _as_text(raw)], raw.index)
    bad = pd.Series(_is_bad(clean), index=raw.index)
    return _blank(clean, bad), bad, _("not yes/no (是/否, 1/0, true/false)")


def _convert_date(f, raw):
    def norm(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, dt.date | pd.Timestamp | np.datetime64):
            return pd.Timestamp(v).strftime("%Y-%m-%d")
        text = str(v).strip()
        if not text:
            return None
        text = (
            text.replace("年", "-")
            .replace("月", "-")
            .replace("日", "")
            .replace("/", "-")
            .replace(".", "-")
        )
        text = text.split("T")[0].split(" ")[0]
        if len(text) == 8 and text.isdigit():
            text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
        return text

    texts = raw.map(norm)
    parsed = pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce")
    bad = texts.notna() & parsed.isna()
    clean = _objects([None if pd.isna(v) else v.date() for v in parsed], parsed.index)
    return _blank(clean, bad), bad, _("not a date (use YYYY-MM-DD)")


def _convert_datetime(f, raw):
    """Times as the hotline systems write them (2023-06-01 09:05, 2023/6/1 9:05:30,
    2023年6月1日 9时5分, Excel date-times, ISO 8601 with an offset). Without an offset a time
    is local (Asia/Shanghai): never read as UTC by the database."""
    zone = timezone.get_default_timezone()

    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            return None
        if isinstance(v, pd.Timestamp | dt.datetime | np.datetime64):
            value = pd.Timestamp(v).to_pydatetime()
        elif isinstance(v, dt.date):
            value = dt.datetime.combine(v, dt.time.min)
        else:
            text = str(v).strip()
            if not text:
                return None
            for old, new in (("年", "-"), ("月", "-"), ("日", " "), ("时", ":"), ("分", ":"),
                             ("秒", ""), ("/", "-"), ("  ", " ")):  # fmt: skip
                text = text.replace(old, new)
            text = text.strip().rstrip(":")
            try:
                value = parse_datetime(text)
                if value is None and parse_date(text) is not None:
                    value = dt.datetime.combine(parse_date(text), dt.time.min)
            except ValueError:  # well formed but impossible, e.g. month 13
                value = None
            if value is None:
                return _BAD
        return timezone.make_aware(value, zone) if timezone.is_naive(value) else value

    clean = _objects([one(v) for v in raw], raw.index)
    bad = pd.Series(_is_bad(clean), index=raw.index)
    return _blank(clean, bad), bad, _("not a date and time (use YYYY-MM-DD HH:MM, local time)")


def _convert_fk(f, raw):
    codes = _as_text(raw)
    # A code with control characters matches nothing (and a NUL cannot be sent).
    wanted = sorted({c for c in codes if c is not None and not CONTROL_CHARS.search(c)})
    found = dict(f.related_model.objects.filter(code__in=wanted).values_list("code", "pk"))
    clean = _objects([None if v is None else found.get(v, _BAD) for v in codes], codes.index)
    bad = pd.Series(_is_bad(clean), index=codes.index)
    what = str(f.related_model._meta.verbose_name)
    return _blank(clean, bad), bad, _("no %(what)s has this code") % {"what": what}


def _converter(f):
    if isinstance(f, models.ForeignKey):
        return _convert_fk
    if isinstance(f, models.BooleanField):
        return _convert_bool
    if isinstance(f, models.DateTimeField):
        return _convert_datetime
    if isinstance(f, models.DateField):
        return _convert_date
    if isinstance(f, models.IntegerField):
        return _convert_int
    if isinstance(f, models.DecimalField | models.FloatField):
        return _convert_decimal
    return _convert_text


# --- geometry ---

_MULTI_OF = {"POINT": "MULTIPOINT", "LINESTRING": "MULTILINESTRING", "POLYGON": "MULTIPOLYGON"}
_TYPE_IDS = {
    "POINT": 0,
    "LINESTRING": 1,
    "POLYGON": 3,
    "MULTIPOINT": 4,
    "MULTILINESTRING": 5,
    "MULTIPOLYGON": 6,
}
_DIMENSION = {
    "POINT": 0,
    "MULTIPOINT": 0,
    "LINESTRING": 1,
    "MULTILINESTRING": 1,
    "POLYGON": 2,
    "MULTIPOLYGON": 2,
}


def _fit_type(geoms: np.ndarray, want: str) -> tuple[np.ndarray, np.ndarray]:
    """Promote single to multi (or a one-part multi to single) to match ``want``.
    Returns (geometries, wrong-type mask)."""
    kinds = shapely.get_type_id(geoms)
    if want == "GEOMETRY":
        return geoms, kinds == 7
    want_id = _TYPE_IDS[want]
    out = geoms.copy()
    wrong = kinds != want_id
    if want.startswith("MULTI"):
        single_id = _TYPE_IDS[want[5:]]
        promote = kinds == single_id
        if promote.any():
            maker = {4: shapely.multipoints, 5: shapely.multilinestrings, 6: shapely.multipolygons}[
                want_id
            ]
            out[promote] = [maker([g]) for g in geoms[promote]]
            wrong &= ~promote
    else:
        multi_id = _TYPE_IDS[_MULTI_OF[want]]
        demote = (kinds == multi_id) & (shapely.get_num_geometries(geoms) == 1)
        if demote.any():
            out[demote] = shapely.get_geometry(geoms[demote], 0)
            wrong &= ~demote
    return out, wrong


def _keep_dimension(geom, want: str, original_dim: int):
    """After make_valid: keep the parts of the wanted dimension (a polygon's stray lines go)."""
    if geom is None:
        return geom
    dim = original_dim if want == "GEOMETRY" else _DIMENSION[want]
    parts = [p for p in shapely.get_parts(geom) if shapely.get_dimensions(p) == dim]
    if not parts:
        return None
    if dim == 2:
        merged = shapely.union_all(parts)
        return merged
    return shapely.union_all(parts) if dim == 1 else shapely.multipoints(parts)


# One 2D point in little-endian WKB: byte order, type, x, y (21 bytes, no padding).
_POINT_WKB = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def _hex_wkb(geoms: np.ndarray) -> list[str]:
    """Hex WKB of each geometry. Points (most asset layers) are packed with numpy, six times
    faster than GEOS's writer; anything else goes through shapely."""
    if len(geoms) and (shapely.get_type_id(geoms) == 0).all() and not shapely.has_z(geoms).any():
        coords = shapely.get_coordinates(geoms)
        if len(coords) == len(geoms):  # no empty point
            packed = np.empty(len(geoms), dtype=_POINT_WKB)
            packed["order"], packed["type"] = 1, 1
            packed["x"], packed["y"] = coords[:, 0], coords[:, 1]
            text = packed.tobytes().hex()
            width = 2 * _POINT_WKB.itemsize
            return [text[i : i + width] for i in range(0, len(text), width)]
    return list(shapely.to_wkb(geoms, hex=True))


def _area_geom(model, **lookup):
    from geo_cm.models import District, Subdistrict

    row = (
        (District if model == "district" else Subdistrict)
        .objects.filter(**lookup)
        .values_list("geom", flat=True)
        .first()
    )
    if row is None:
        return None
    geom = shapely.from_wkb(bytes(row.wkb))
    shapely.prepare(geom)
    return geom


def _stored_statuses(layer, codes: pd.Series) -> dict:
    """code -> stored status of the layer's records whose code is in ``codes``.

    One query with the codes as one array parameter: an IN list of 100,000 Django
    parameters costs more than the query.
    """
    model = layer.model
    wanted = [c for c in codes.dropna().unique() if isinstance(c, str)]
    if not wanted:
        return {}
    status = model._meta.get_field(layer.status_field).column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # An empty layer (a first import) has nothing stored: skip sending every code.
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(model._meta.db_table)})")  # noqa: S608
        if not cursor.fetchone()[0]:
            return {}
        cursor.execute(
            f"SELECT code, {quote(status)} FROM {quote(model._meta.db_table)} "  # noqa: S608
            "WHERE code = ANY(%s::text[])",
            [wanted],
        )
        return dict(cursor.fetchall())


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)[:200]


INFO = "info"


@dataclass(frozen=True)
class FieldSource:
    """Where a field's values come from: a column (with a default for its empty cells) or
    one constant for the whole file."""

    column: str | None = None
    constant: object = None
    default: object = None


def mapping_sources(mapping: dict) -> dict[str, FieldSource]:
    """The mapping's JSON (``"column"``, ``{"column": c, "default": v}`` or
    ``{"constant": v}`` per field) as FieldSources."""
    out = {}
    for name, spec in mapping.items():
        if isinstance(spec, dict):
            if "constant" in spec:
                out[name] = FieldSource(constant=spec["constant"])
            else:
                out[name] = FieldSource(column=spec.get("column"), default=spec.get("default"))
        else:
            out[name] = FieldSource(column=spec)
    return out


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def mapping_check(*, layer, mapping: dict, columns: list[str]) -> dict:
    """The mapping in its stored form, after checking that every field is importable, every
    column exists and each entry has one of the accepted shapes (else MappingError).

    No field is required here: without a code column GeoCM generates codes, and the fields
    a new record needs are checked against the rows that will be new."""
    if not isinstance(mapping, dict):
        raise MappingError(_("The mapping must be a JSON object of field to column."))
    names = {f.name for f in importable_fields(layer)}
    out = {}
    for target, spec in mapping.items():
        if target not in names:
            raise MappingError(
                _("The mapping names %(field)s, which is not an importable field of %(layer)s.")
                % {"field": control_escape(str(target)), "layer": layer.slug}
            )
        if isinstance(spec, dict):
            keys = set(spec)
            if keys == {"constant"}:
                if _is_blank(spec["constant"]):
                    raise MappingError(
                        _("The constant for %(field)s is empty; give a value or leave it out.")
                        % {"field": target}
                    )
                out[target] = {"constant": spec["constant"]}
                continue
            if "column" not in spec or not keys <= {"column", "default"}:
                raise MappingError(
                    _(
                        'The mapping of %(field)s must be a column name, {"column": ..., '
                        '"default": ...} or {"constant": ...}.'
                    )
                    % {"field": target}
                )
            column = spec["column"]
        elif isinstance(spec, str):
            column = spec
        else:
            raise MappingError(
                _("The mapping of %(field)s must be a column name or an object.")
                % {"field": target}
            )
        if column not in columns:
            raise MappingError(
                _(
                    "The mapping maps %(field)s to the column %(column)s, "
                    "which the file does not have."
                )
                % {"field": target, "column": control_escape(str(column))}
            )
        if isinstance(spec, dict) and not _is_blank(spec.get("default")):
            out[target] = {"column": column, "default": spec["default"]}
        else:
            out[target] = column
    return out


def required_for_new(layer) -> list:
    """The fields a new record cannot do without: not nullable, not blank, no default.
    The code (generated when missing) and the status (the machine's initial state) are
    never among them."""
    return [
        f
        for f in importable_fields(layer)
        if not (f.null or f.blank or f.has_default()) and f.name not in ("code", layer.status_field)
    ]


def _converted_constant(f, value):
    """A mapping's constant or default through the field's own converter; MappingError
    naming the field when it is not a valid value."""
    raw = pd.Series([value], dtype=object)
    clean, bad, text = _converter(f)(f, raw)
    if bool(bad.iloc[0]) or clean.iloc[0] is None:
        raise MappingError(
            _("The value %(value)s given for %(field)s is %(problem)s.")
            % {"value": control_escape(str(value))[:60], "field": f.name, "problem": text}
        )
    return clean.iloc[0]


GEOMETRY_NAMES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint",
                  5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}  # fmt: skip


def geometry_label(name: str) -> str:
    """A geometry type as people read it ("Polygon" -> 面 in Chinese), for messages."""
    labels = {
        "Point": _("point"),
        "MultiPoint": _("multipoint"),
        "LineString": _("lines"),
        "MultiLineString": _("multiline"),
        "Polygon": _("polygon"),
        "MultiPolygon": _("multipolygon"),
        "GeometryCollection": _("geometry collection"),
        "Geometry": _("any geometry"),
    }
    return labels.get(name, name)


@dataclass
class Prepared:
    """One chunk after the work that needs no database (values, geometry)."""

    first: int  # 1-based number of the chunk's first row
    raw: pd.DataFrame
    values: dict
    geoms: np.ndarray
    bad: np.ndarray
    wkb: np.ndarray | None = None  # hex WKB (EPSG:4326) of the rows with a good geometry
    cells: dict = field(default_factory=dict)  # field -> COPY cells, built in the thread
    lines: np.ndarray | None = None  # the staging table's COPY line per row, when final


class Validation:
    """Validation of one file, chunk by chunk, with the state that spans chunks.

    ``prepare(chunk)`` does the per-row work that needs no database (value conversion,
    CRS transform, geometry checks) and may run in another thread; ``settle(prepared)``
    does what does (foreign keys, stored statuses, code matching and generation) on the
    caller's connection and returns the chunk's clean rows as a ``Validated``.
    ``summary()`` gives the whole file's report.
    """

    def __init__(
        self,
        *,
        layer,
        mapping: dict,
        columns: list[str],
        crs,
        mode: str = "upsert",
        offset: str | None = None,
        repair: bool = False,
        subdistrict: str | None = None,
        centroids: bool = False,
        total: int = 0,
        warnings: list[str] | None = None,
    ):
        if mode not in MODES:
            raise MappingError(_("The mode must be create, upsert or replace."))
        if offset not in (None, *OFFSETS):
            raise MappingError(_("The coordinate offset must be gcj02 or bd09."))
        self.layer = layer
        self.mapping = mapping_check(layer=layer, mapping=mapping, columns=columns)
        self.sources = mapping_sources(self.mapping)
        self.fields = {f.name: f for f in importable_fields(layer)}
        self.constants = {
            name: _converted_constant(self.fields[name], src.constant)
            for name, src in self.sources.items()
            if src.column is None
        }
        self.defaults = {
            name: _converted_constant(self.fields[name], src.default)
            for name, src in self.sources.items()
            if src.column is not None and not _is_blank(src.default)
        }
        self.crs = crs
        self.mode = mode
        self.offset = offset
        self.repair = repair
        self.subdistrict = subdistrict
        self.centroids = centroids
        self.total = total
        self.warnings = list(warnings or [])
        self.problems: list[Problem] = []
        self.infos: list[Problem] = []
        self.error_rows = 0
        self.rows_seen = 0
        self.extent = None
        self.outside = 0
        self.crs_checked = False
        self.crs_problem = False
        self.wrong_types: set[str] = set()
        self.centroid_count = 0
        self.new_rows = 0
        self.seen_codes: dict[str, int] = {}
        self.seen_keys: dict[tuple, int] = {}
        self.next_number: dict[str, int] = {}
        self.generated = 0
        self.matched = 0
        self.layer_was_empty: bool | None = None
        self._district = _area_geom("district")
        self._replaced = (
            _area_geom("subdistrict", code=subdistrict) if mode == "replace" and subdistrict
            else None
        )  # fmt: skip
        if mode == "replace" and self._replaced is None:
            self._file_problem("subdistrict", subdistrict or "",
                               _("replace needs an existing subdistrict code"))  # fmt: skip
        geom_field = layer.model._meta.get_field(layer.geometry_field)
        self.want = geom_field.geom_type
        self.want_name = geom_field.geom_class.__name__ if geom_field.geom_class else "Geometry"

    def clean_so_far(self) -> bool:
        """No row error and no file-level error yet."""
        return self.error_rows == 0 and not any(
            p.row == 0 and p.severity == ERROR for p in self.problems
        )

    def staged_names(self) -> list[str]:
        """The fields an import writes: the mapped ones (columns, constants) and the code."""
        return [f for f in self.fields if f in self.sources or f == "code"]

    def staged_fields(self) -> list:
        """The model fields of ``staged_names``, in the bulk writer's order."""
        return [self.fields[name] for name in self.staged_names()]

    # --- reporting ----------------------------------------------------------------------

    def _file_problem(self, field_name, value, text, severity=ERROR):
        self.problems.append(Problem(0, field_name, str(value), text, severity))

    def _flag(self, bad, mask, first, field_name, raw, text, severity=ERROR):
        mask = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(mask)
        if severity == ERROR:
            bad[idx] = True
        room = max(REPORT_MAX - len(self.problems), 0)
        for i in idx[:room]:
            value = raw.iloc[i] if raw is not None else None
            self.problems.append(Problem(first + int(i), field_name, _fmt(value), text, severity))

    def _info(self, row: int, value: str, text: str):
        if len(self.infos) < REPORT_MAX:
            self.infos.append(Problem(row, "code", value, text, INFO))

    # --- work without the database -------------------------------------------------------

    def prepare(self, chunk: Source, first: int = 1) -> Prepared:
        """Values and geometry of one chunk (rows ``first``.. of the file)."""
        n = chunk.count
        frame = chunk.frame.reset_index(drop=True)
        bad = np.zeros(n, dtype=bool)
        values: dict[str, pd.Series] = {}
        for name, src in self.sources.items():
            f = self.fields[name]
            if src.column is None:
                values[name] = _objects([self.constants[name]] * n, None)
                continue
            if isinstance(f, models.ForeignKey):
                continue  # needs the database: settle()
            values[name] = self._column(f, frame[src.column].astype(object), bad, first)
        geoms = self._geometry(chunk, bad, first)
        if "code" in values:
            self._file_codes(values["code"], bad, first)
        wkb = np.full(n, None, dtype=object)
        good_geom = ~shapely.is_missing(geoms) & ~bad
        if good_geom.any():
            wkb[good_geom] = _hex_wkb(geoms[good_geom])
        # The staging table's cells of the columns that are final now (not the code, which
        # may be generated, nor foreign keys, looked up in the database).
        from geo_cm.assets import copy_cells, copy_lines

        cells = {
            name: np.asarray(
                copy_cells(series.to_numpy(dtype=object), self.fields[name].get_internal_type()),
                dtype=object,
            )
            for name, series in values.items()
            if name != "code"
        }
        lines = None
        staged = self.staged_fields()
        if not any(isinstance(f, models.ForeignKey) for f in staged):
            # Every cell but generated codes is final: the COPY lines are made here, in the
            # thread, and settle() only redoes those of rows whose code it generates.
            code = values.get("code")
            cells["code"] = np.asarray(
                copy_cells(code.to_numpy(dtype=object), "CharField")
                if code is not None
                else ["\\N"] * n,
                dtype=object,
            )
            lines = np.asarray(
                copy_lines(range(first, first + n), [False] * n,
                           [cells[f.name] for f in staged], [w or "" for w in wkb]),
                dtype=object,
            )  # fmt: skip
        return Prepared(first=first, raw=frame, values=values, geoms=geoms, bad=bad, wkb=wkb,
                        cells=cells, lines=lines)  # fmt: skip

    def _file_codes(self, codes: pd.Series, bad, first) -> None:
        """Codes unique in the whole file, across chunks (never a silent last-one-wins)."""
        arr = codes.to_numpy(dtype=object)
        for i in np.flatnonzero(codes.notna().to_numpy()):
            code = arr[i]
            if code in self.seen_codes:
                bad[i] = True
                if len(self.problems) < REPORT_MAX:
                    text = _("duplicate code: row %(r)d has it too") % {"r": self.seen_codes[code]}
                    self.problems.append(Problem(first + int(i), "code", _fmt(code), text))
            else:
                self.seen_codes[code] = first + int(i)

    def _column(self, f, raw: pd.Series, bad, first) -> pd.Series:
        converter = _converter(f)
        clean, wrong, text = converter(f, raw)
        self._flag(bad, wrong.to_numpy(dtype=bool), first, f.name, raw, text)
        if converter is _convert_text and not f.choices:
            # Other kinds refuse such cells already (not a number, not an allowed value).
            control = _has_control(clean) & ~wrong.to_numpy(dtype=bool)
            self._flag(bad, control, first, f.name, raw, _("contains control characters"))
            # Blanked: a code with a NUL must not reach the stored-code lookup's query.
            clean = _blank(clean, control)
            wrong = wrong | control
        missing = clean.isna().to_numpy() & ~wrong.to_numpy(dtype=bool)
        fill = self.defaults.get(f.name)
        if fill is None and not f.null and f.name != "code":
            # An empty cell in a NOT NULL column means the field's default ("" for text).
            fill = f.get_default() if f.has_default() or f.blank else None
        if fill is not None and missing.any():
            arr = clean.to_numpy(dtype=object).copy()
            arr[missing] = fill
            clean = pd.Series(arr, index=clean.index, dtype=object)
        elif not f.null and not f.blank and not f.has_default() and f.name != "code":
            self._flag(bad, missing, first, f.name, raw, _("required, but empty"))
        return clean

    def _geometry(self, chunk: Source, bad, first) -> np.ndarray:
        n = chunk.count
        geoms = chunk.geoms.copy()
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        self._flag(bad, empty, first, "geometry", None, _("empty geometry"))
        geoms[empty] = None
        if shapely.has_z(geoms).any():
            geoms = shapely.force_2d(geoms)
        if not self.crs_checked:
            self.crs_checked = True
            district = self._district
            region = tuple(shapely.bounds(district)) if district is not None else None
            text = crs_module.crs_fit_problem(geoms=geoms, declared=self.crs, region=region)
            if text:
                self.crs_problem = True
                self._file_problem("geometry", f"EPSG:{self.crs.epsg}", text)
        if self.offset:
            if not self.crs.geographic:
                if not any(p.row == 0 and p.field == "offset" for p in self.problems):
                    text = _(
                        "GCJ-02/BD-09 coordinates are longitude/latitude; the file is projected."
                    )
                    self._file_problem("offset", f"EPSG:{self.crs.epsg}", text)
            else:
                geoms = gcj02.geometries_to_wgs84(geoms, offset=self.offset)
        try:
            geoms = crs_module.geometries_to_wgs84(geoms, crs=self.crs)
        except Exception:  # noqa: BLE001 - PROJ errors on absurd input become range errors below
            geoms = np.full(n, None, dtype=object)
        present = ~shapely.is_missing(geoms)
        bounds = shapely.bounds(geoms)
        with np.errstate(invalid="ignore"):
            out_of_range = present & ~(
                (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180)
                & (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90)
            )  # fmt: skip
            out_of_range |= present & ~np.isfinite(bounds).all(axis=1)
        if self.crs_problem:
            bad[out_of_range] = True  # the file-level sentence says why; no row noise
        else:
            text = _(
                "coordinates out of range for longitude/latitude: "
                "is the coordinate system (CRS) right?"
            )
            self._flag(bad, out_of_range, first, "geometry", None, text)
        geoms[out_of_range] = None
        present &= ~out_of_range

        kinds = shapely.get_type_id(chunk.geoms)
        if self.centroids and self.want in ("POINT", "MULTIPOINT"):
            shapes = present & (shapely.get_dimensions(geoms) > 0)
            if shapes.any():
                # A point inside each shape (on the line, in the polygon), not the centroid,
                # which may fall outside a bent line or a concave polygon.
                geoms[shapes] = shapely.point_on_surface(geoms[shapes])
                self.centroid_count += int(shapes.sum())
        geoms[present], wrong = _fit_type(geoms[present], self.want)
        wrong_full = np.zeros(n, dtype=bool)
        wrong_full[np.flatnonzero(present)[wrong]] = True
        for i in np.flatnonzero(wrong_full):
            self.wrong_types.add(GEOMETRY_NAMES.get(int(kinds[i]), "?"))
            if len(self.problems) < REPORT_MAX:
                text = _("wrong geometry type (%(found)s); this layer takes %(want)s") % {
                    "found": geometry_label(GEOMETRY_NAMES.get(int(kinds[i]), "?")),
                    "want": geometry_label(self.want_name),
                }
                value = GEOMETRY_NAMES.get(int(kinds[i]), "?")
                self.problems.append(Problem(first + int(i), "geometry", value, text))
        bad |= wrong_full
        present &= ~wrong_full
        invalid = present & ~shapely.is_valid(geoms)
        if invalid.any():
            self._invalid(geoms, invalid, bad, first)

        # Outside the district: usually a CRS or offset mistake, so it is flagged, not refused.
        ok_geom = present & ~bad
        if ok_geom.any():
            b = shapely.bounds(geoms[ok_geom])
            chunk_extent = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
            if self.extent is None:
                self.extent = tuple(float(v) for v in chunk_extent)
            else:
                self.extent = (
                    float(min(self.extent[0], chunk_extent[0])),
                    float(min(self.extent[1], chunk_extent[1])),
                    float(max(self.extent[2], chunk_extent[2])),
                    float(max(self.extent[3], chunk_extent[3])),
                )
            if self._district is not None and not self.crs_problem:
                out_mask = np.zeros(n, dtype=bool)
                out_mask[ok_geom] = ~shapely.intersects(self._district, geoms[ok_geom])
                self.outside += int(out_mask.sum())
                text = _("outside the district (is the CRS or GCJ-02 offset right?)")
                self._flag(bad, out_mask, first, "geometry", None, text, WARNING)
            if self._replaced is not None:
                elsewhere = np.zeros(n, dtype=bool)
                elsewhere[ok_geom] = ~shapely.intersects(
                    self._replaced, shapely.point_on_surface(geoms[ok_geom])
                )
                self._flag(bad, elsewhere, first, "geometry", None,
                           _("outside the subdistrict this import replaces"))  # fmt: skip
        return geoms

    def _invalid(self, geoms, invalid, bad, first) -> None:
        reasons = shapely.is_valid_reason(geoms[invalid])
        if not self.repair:
            text = _("invalid geometry; choose repair to fix it with MakeValid, or correct it")
            for j, i in enumerate(np.flatnonzero(invalid)):
                if len(self.problems) < REPORT_MAX:
                    self.problems.append(Problem(first + int(i), "geometry", reasons[j], text))
            bad[invalid] = True
            return
        fixed = shapely.make_valid(geoms[invalid])
        dims = shapely.get_dimensions(geoms[invalid])
        fixed = np.array(
            [_keep_dimension(g, self.want, d) for g, d in zip(fixed, dims, strict=False)],
            dtype=object,
        )
        fixed, still_wrong = (
            _fit_type(fixed, self.want) if len(fixed) else (fixed, np.zeros(0, bool))
        )
        for j, i in enumerate(np.flatnonzero(invalid)):
            if fixed[j] is None or still_wrong[j]:
                bad[i] = True
                text, severity = _("invalid geometry that could not be repaired"), ERROR
            else:
                text, severity = _("invalid geometry, repaired (MakeValid)"), WARNING
            self.problems.append(Problem(first + int(i), "geometry", reasons[j], text, severity))
        geoms[invalid] = fixed

    # --- work with the database ----------------------------------------------------------

    def settle(self, prep: Prepared) -> Validated:
        """Foreign keys, codes (duplicates, generated, matched), stored records, statuses:
        the chunk's clean rows."""
        n = len(prep.bad)
        first, bad, frame, values = prep.first, prep.bad, prep.raw, prep.values
        given = values["code"].notna().to_numpy() if "code" in values else np.zeros(n, bool)
        for name, src in self.sources.items():
            f = self.fields[name]
            if src.column is not None and isinstance(f, models.ForeignKey):
                values[name] = self._column(f, frame[src.column].astype(object), bad, first)
        # Checks across the fields of a row that the layer declares (a closed work order
        # needs its closing time): each gives a mask of failing rows, the field, a sentence.
        if self.layer.import_check is not None:
            for mask, fname, text in self.layer.import_check(values):
                src = self.sources.get(fname)
                raw = frame[src.column].astype(object) if src and src.column else None
                self._flag(bad, mask, first, fname, raw, text)
        wkb = prep.wkb
        wkb[bad] = None
        if self.layer_was_empty is None:
            # Taken once, under the import's lock: rows an empty layer cannot match are never
            # looked up again (the file's own codes are unique, checked above).
            self.layer_was_empty = not self.layer.model.objects.exists()
        codes, generated = self._codes(prep, values, wkb, bad)
        values["code"] = codes
        existing = {} if self.layer_was_empty else _stored_statuses(self.layer, codes)
        is_existing = codes.isin(list(existing)).to_numpy(dtype=bool)
        raw_codes = (
            frame[self.sources["code"].column].astype(object)
            if "code" in self.sources and self.sources["code"].column
            else codes
        )
        if self.mode == "create":
            self._flag(bad, is_existing & ~generated, first, "code", raw_codes,
                       _("already exists; import with mode upsert to update it"))  # fmt: skip
        self.new_rows += int((~is_existing & ~bad).sum())
        self._status_changes(values, codes, existing, is_existing, bad, first)

        lines = prep.lines
        filled = codes.notna().to_numpy() & ~given  # generated, or a stored record's code
        if lines is not None and filled.any():
            from geo_cm.assets import copy_cells, copy_lines

            redo = np.flatnonzero(filled)
            cells = [
                copy_cells(codes.to_numpy(dtype=object)[redo], "CharField")
                if f.name == "code"
                else prep.cells[f.name][redo]
                for f in self.staged_fields()
            ]
            lines = lines.copy()
            lines[redo] = copy_lines(redo + first, generated[redo], cells, wkb[redo])
        keep = ~bad
        self.rows_seen += n
        self.error_rows += int(bad.sum())
        return Validated(
            layer=self.layer,
            mapping=self.mapping,
            rows=np.arange(first, first + n)[keep],
            values={k: v[keep].reset_index(drop=True) for k, v in values.items()},
            wkb=np.asarray(list(wkb[keep]), dtype=object),
            total=n,
            error_rows=int(bad.sum()),
            generated=generated[keep],
            cells={k: v[keep].tolist() for k, v in prep.cells.items() if k != "code"},
            lines=lines[keep].tolist() if lines is not None else None,
        )

    def _codes(self, prep: Prepared, values, wkb, bad) -> tuple[pd.Series, np.ndarray]:
        """Codes from the file, unique in the whole file; rows without one get the code of
        the record with the same name and location, else a new generated one."""
        n, first = len(bad), prep.first
        if "code" in values:
            codes = values["code"].copy()
        else:
            codes = _objects([None] * n, None)
        present = codes.notna().to_numpy()
        generated = np.zeros(n, dtype=bool)
        missing = ~present & ~bad & pd.notna(wkb)
        if "code" in self.sources and self.sources["code"].column is not None:
            # An empty cell that held something (control characters) is an error already.
            missing &= ~bad
        if not missing.any():
            return codes, generated
        idx = np.flatnonzero(missing)
        name_arr = values["name"].to_numpy(dtype=object) if "name" in values else None
        unique_idx = []
        for j in idx:
            key = (name_arr[j] if name_arr is not None else None, wkb[j])
            if key in self.seen_keys:
                bad[j] = True
                if len(self.problems) < REPORT_MAX:
                    text = _("no code, and the same name and location as row %(r)d") % {
                        "r": self.seen_keys[key]
                    }
                    self.problems.append(Problem(first + int(j), "code", "", text))
            else:
                self.seen_keys[key] = first + int(j)
                unique_idx.append(j)
        if not unique_idx:
            return codes, generated
        idx = np.asarray(unique_idx)
        names = [name_arr[j] for j in idx] if name_arr is not None else [None] * len(idx)
        matched = (
            [None] * len(idx)
            if self.layer_was_empty
            else self._matching_codes(names=names, wkb=wkb[idx])
        )
        arr = codes.to_numpy(dtype=object).copy()
        fresh = []
        for j, code in zip(idx, matched, strict=True):
            if code is None:
                fresh.append(j)
                continue
            arr[j] = code
            self.matched += 1
            if self.mode == "create":
                bad[j] = True
                if len(self.problems) < REPORT_MAX:
                    text = _(
                        "no code, and %(code)s has the same name and location: it was imported "
                        "already; import with mode upsert to update it"
                    ) % {"code": code}
                    self.problems.append(Problem(first + int(j), "code", code, text))
            else:
                self._info(first + int(j), code,
                           _("no code: the record with the same name and location"))  # fmt: skip
        if fresh:
            for j, code in zip(fresh, self._new_codes(wkb[np.asarray(fresh)]), strict=True):
                arr[j] = code
                generated[j] = True
                self.seen_codes[code] = first + int(j)
                self._info(first + int(j), code, _("no code: generated"))
            self.generated += len(fresh)
        return pd.Series(arr, index=codes.index, dtype=object), generated

    def _matching_codes(self, *, names, wkb) -> list[str | None]:
        """The code of the stored record with the same name (when the layer has one) and
        the same location (within 1e-7 degrees, ~1 cm), or None, for each row."""
        model = self.layer.model
        table = connection.ops.quote_name(model._meta.db_table)
        geom = connection.ops.quote_name(model._meta.get_field(self.layer.geometry_field).column)
        has_name = any(f.name == "name" for f in model._meta.concrete_fields)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
            if not cursor.fetchone()[0]:
                return [None] * len(wkb)
            same_name = "AND t.name IS NOT DISTINCT FROM r.name" if has_name else ""
            cursor.execute(
                f"""SELECT r.n, (SELECT t.code FROM {table} t
                        WHERE ST_DWithin(t.{geom}, r.g, 1e-7)
                        AND ST_HausdorffDistance(t.{geom}, r.g) < 1e-7 {same_name}
                        ORDER BY t.id LIMIT 1)
                    FROM (SELECT n, name, ST_SetSRID(ST_GeomFromWKB(decode(w, 'hex')), 4326) g
                          FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS x(w, name, n)
                         ) r ORDER BY r.n""",  # noqa: S608
                [list(wkb), [None if v is None else str(v) for v in names]],
            )
            return [row[1] for row in cursor.fetchall()]

    def _new_codes(self, wkb) -> list[str]:
        """Readable codes for new records: layer prefix, subdistrict letters, sequence
        (GC-JP-0042), continuing after the highest such code the layer (or file) has."""
        from geo_cm.assets import subdistricts_of
        from geo_cm.models import Subdistrict

        letters = {s.pk: s.code_letters for s in Subdistrict.objects.all()}
        prefix = self.layer.code_prefix or self.layer.slug[:2].upper()
        out = []
        for sid in subdistricts_of(wkb_hex=list(wkb)):
            stem = f"{prefix}-{letters.get(sid, 'X')}-"
            if stem not in self.next_number:
                self.next_number[stem] = self._highest(stem) + 1
            number = self.next_number[stem]
            while f"{stem}{number:04d}" in self.seen_codes:
                number += 1
            self.next_number[stem] = number + 1
            out.append(f"{stem}{number:04d}")
        return out

    def _highest(self, stem: str) -> int:
        table = connection.ops.quote_name(self.layer.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT max(substring(code FROM %s)::bigint) FROM {table} "  # noqa: S608
                "WHERE code LIKE %s",
                [f"^{re.escape(stem)}([0-9]{{1,9}})$", stem.replace("_", r"\_") + "%"],
            )
            stored = cursor.fetchone()[0] or 0
        return int(stored)

    def _status_changes(self, values, codes, existing, is_existing, bad, first) -> None:
        """A known status, and for stored records a change the state machine allows."""
        layer, machine = self.layer, self.layer.status_machine
        if layer.status_field not in values or machine is None:
            return
        status = values[layer.status_field]
        stored = codes.map(existing).to_numpy(dtype=object)
        given = status.to_numpy(dtype=object)
        illegal = np.zeros(len(given), dtype=bool)
        # Only rows of stored records whose status changes need the machine's word.
        for i in np.flatnonzero(is_existing & (given != stored) & pd.notna(given)):
            if isinstance(given[i], str) and given[i] not in machine.allowed(stored[i]):
                illegal[i] = True
        self._flag(bad, illegal, first, layer.status_field, status,
                   _("this status change is not allowed by the layer's state machine"))  # fmt: skip

    # --- the whole file ------------------------------------------------------------------

    def summary(self) -> Validated:
        """The whole file's report (no rows): problems, counts, extent, warnings."""
        problems = list(self.problems)
        missing = [f for f in required_for_new(self.layer) if f.name not in self.sources]
        if missing and self.new_rows:
            names = ", ".join(f"{f.verbose_name} ({f.name})" for f in missing)
            problems.append(
                Problem(
                    0,
                    missing[0].name,
                    "",
                    _(
                        "%(n)d rows are new records, and a new record needs %(fields)s: map a "
                        "column to it or give one value for the whole file."
                    )
                    % {"n": self.new_rows, "fields": names},
                )
            )
        if self.wrong_types:
            found = _(", ").join(geometry_label(name) for name in sorted(self.wrong_types))
            if self.want in ("POINT", "MULTIPOINT"):
                text = _(
                    "The file holds %(found)s geometries; the layer %(layer)s holds points. "
                    "Choose a point inside each line or polygon (the checkbox on the import "
                    "page, --centroids on the command line), or import the file into a layer "
                    "of its geometry type."
                )
            else:
                text = _(
                    "The file holds %(found)s geometries; the layer %(layer)s holds "
                    "%(want)s. Import the file into a layer of its geometry type."
                )
            problems.append(
                Problem(
                    0,
                    "geometry",
                    found,
                    text
                    % {
                        "found": found,
                        "layer": self.layer.title,
                        "want": geometry_label(self.want_name),
                    },
                )  # fmt: skip
            )
        warnings = list(self.warnings)
        if self.centroid_count:
            warnings.append(
                _("%(n)d shapes were replaced by a point inside each.") % {"n": self.centroid_count}
            )
        problems.sort(key=lambda p: (p.row, p.field))
        infos = sorted(self.infos, key=lambda p: p.row)
        return Validated(
            layer=self.layer,
            mapping=self.mapping,
            rows=np.zeros(0, dtype=int),
            values={},
            wkb=np.zeros(0, dtype=object),
            problems=problems + infos,
            total=self.rows_seen,
            error_rows=self.error_rows,
            warnings=warnings,
            extent=self.extent,
            outside_district=self.outside,
        )


def import_validate(
    *,
    layer,
    source: Source,
    mapping: dict,
    mode: str = "upsert",
    offset: str | None = None,
    repair: bool = False,
    subdistrict: str | None = None,
    centroids: bool = False,
) -> Validated:
    """Check every row of ``source`` against ``layer`` with ``mapping`` in one piece.

    ``offset`` "gcj02"/"bd09" declares Amap/Baidu coordinates (converted to WGS84);
    ``repair`` repairs invalid geometries with make_valid (reported) instead of rejecting
    them; ``centroids`` puts a point inside each shape for a point layer; ``mode`` create
    refuses codes that exist; replace needs ``subdistrict`` (a code) and refuses rows
    outside it. Returns the clean rows with the whole report. Nothing is written.
    """
    check = Validation(
        layer=layer, mapping=mapping, columns=list(source.frame.columns), crs=source.crs,
        mode=mode, offset=offset, repair=repair, subdistrict=subdistrict, centroids=centroids,
        total=source.count, warnings=source.warnings,
    )  # fmt: skip
    clean = check.settle(check.prepare(source))
    whole = check.summary()
    clean.problems, clean.warnings = whole.problems, whole.warnings
    clean.total, clean.error_rows = whole.total, whole.error_rows
    clean.extent, clean.outside_district = whole.extent, whole.outside_district
    return clean
