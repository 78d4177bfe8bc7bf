"""Validating a whole import file against a layer before a single row is written.

Everything is vectorised (pandas columns, shapely 2 arrays): the report is complete for
the whole file in about the time it takes to read it. A *row error* blocks the commit (a
failing row means nothing is written); a *warning* (repaired geometry, outside the
district, a datum without an official shift) is reported and does not block.

Row numbers are 1-based feature numbers in the file (for CSV/XLSX the first data row is 1).
Geometries leave here as hex WKB in EPSG:4326 (x = longitude).
"""

import datetime as dt
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

    @property
    def ok(self) -> bool:
        return self.error_rows == 0 and not any(
            p.row == 0 and p.severity == ERROR for p in self.problems
        )

    @property
    def codes(self) -> pd.Series:
        return self.values["code"]

    def report(self) -> list[dict]:
        return [p.as_dict() for p in self.problems[:REPORT_MAX]]


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


def mapping_check(*, layer, mapping: dict[str, str], columns: list[str]) -> dict[str, str]:
    names = {f.name for f in importable_fields(layer)}
    for target, column in mapping.items():
        if target not in names:
            raise MappingError(
                _("The mapping names %(field)s, which is not an importable field of %(layer)s.")
                % {"field": control_escape(str(target)), "layer": layer.slug}
            )
        if column not in columns:
            raise MappingError(
                _(
                    "The mapping maps %(field)s to the column %(column)s, "
                    "which the file does not have."
                )
                % {"field": target, "column": control_escape(str(column))}
            )
    if "code" not in mapping:
        raise MappingError(
            _(
                "No column is mapped to the asset code (code); "
                "map the column holding the asset numbers."
            )
        )
    return dict(mapping)


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
        allowed = ", ".join(str(v) for v, _label in f.flatchoices if v != "")
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


def import_validate(
    *,
    layer,
    source: Source,
    mapping: dict[str, str],
    mode: str = "upsert",
    offset: str | None = None,
    repair: bool = False,
    subdistrict: str | None = None,
    progress=None,
) -> Validated:
    """Check every row of ``source`` against ``layer`` with ``mapping`` (field -> column).

    ``offset`` "gcj02"/"bd09" declares Amap/Baidu coordinates (converted to WGS84);
    ``repair`` repairs invalid geometries with make_valid (reported) instead of rejecting
    them; ``mode`` create refuses codes that exist; replace needs ``subdistrict`` (a code)
    and refuses rows outside it. Nothing is written.
    """
    if mode not in MODES:
        raise MappingError(_("The mode must be create, upsert or replace."))
    if offset not in (None, *OFFSETS):
        raise MappingError(_("The coordinate offset must be gcj02 or bd09."))
    mapping = mapping_check(layer=layer, mapping=mapping, columns=list(source.frame.columns))
    model = layer.model
    n = source.count
    problems: list[Problem] = []
    bad_rows = np.zeros(n, dtype=bool)
    rownum = np.arange(1, n + 1)
    frame = source.frame.reset_index(drop=True)
    fields = {f.name: f for f in importable_fields(layer)}
    values: dict[str, pd.Series] = {}

    def flag(mask, fname, raw, text, severity=ERROR):
        mask = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(mask)
        if severity == ERROR:
            bad_rows[idx] = True
        room = REPORT_MAX - len(problems)
        for i in idx[: max(room, 0)]:
            problems.append(
                Problem(
                    int(rownum[i]),
                    fname,
                    _fmt(raw.iloc[i] if raw is not None else None),
                    text,
                    severity,
                )
            )
        if len(idx) > room > -1:
            problems.extend([])  # counts stay exact through bad_rows; the list is capped

    for name, column in mapping.items():
        f = fields[name]
        raw = frame[column].astype(object)
        converter = _converter(f)
        clean, bad, text = converter(f, raw)
        flag(bad.to_numpy(dtype=bool), name, raw, text)
        if converter is _convert_text and not f.choices:
            # Other kinds refuse such cells already (not a number, not an allowed value).
            control = _has_control(clean) & ~bad.to_numpy(dtype=bool)
            flag(control, name, raw, _("contains control characters"))
            # Blanked: a code with a NUL must not reach the stored-code lookup's query.
            clean = _blank(clean, control)
            bad = bad | control
        missing = clean.isna().to_numpy() & ~bad.to_numpy(dtype=bool)
        if not f.null and not f.blank and not f.has_default():
            flag(missing, name, raw, _("required, but empty"))
        elif not f.null and missing.any():
            # An empty cell in a NOT NULL column means the field's default ("" for text).
            fill = f.get_default()
            if fill is not None:
                arr = clean.to_numpy(dtype=object).copy()
                arr[missing] = fill
                clean = pd.Series(arr, index=clean.index, dtype=object)
        values[name] = clean
        if progress:
            progress(1)

    # Checks across the fields of a row that the layer declares (a closed work order needs
    # its closing time): each gives a mask of failing rows, the field and a sentence.
    if layer.import_check is not None:
        for mask, fname, text in layer.import_check(values):
            column = mapping.get(fname)
            flag(mask, fname, frame[column].astype(object) if column else None, text)

    # Asset codes: required, and unique inside the file (never a silent last-one-wins).
    codes = values["code"]
    raw_codes = frame[mapping["code"]].astype(object)
    dup = codes.notna() & codes.duplicated(keep="first")
    if dup.any():
        first = {c: i for i, c in reversed(list(enumerate(codes))) if c is not None}
        for i in np.flatnonzero(dup.to_numpy()):
            if len(problems) < REPORT_MAX:
                text = _("duplicate code: row %(r)d has it too") % {"r": first[codes.iloc[i]] + 1}
                problems.append(Problem(int(rownum[i]), "code", _fmt(codes.iloc[i]), text))
        bad_rows[dup.to_numpy()] = True

    existing = _stored_statuses(layer, codes)
    is_existing = codes.isin(list(existing)).to_numpy(dtype=bool)
    if mode == "create":
        flag(
            is_existing,
            "code",
            raw_codes,
            _("already exists; import with mode upsert to update it"),
        )

    # Required fields that are not mapped: new records cannot be created without them.
    for name, f in fields.items():
        if name in mapping or f.null or f.blank or f.has_default() or name == layer.status_field:
            continue
        flag(
            ~is_existing, name, None, _("required for a new record, but no column is mapped to it")
        )

    # Status: a known value, and for existing records a transition the state machine allows.
    machine = layer.status_machine
    if layer.status_field in values and machine is not None:
        status = values[layer.status_field]
        stored = codes.map(existing).to_numpy(dtype=object)
        given = status.to_numpy(dtype=object)
        illegal = np.zeros(n, dtype=bool)
        # Only rows of stored records whose status changes need the machine's word.
        for i in np.flatnonzero(is_existing & (given != stored) & pd.notna(given)):
            if isinstance(given[i], str) and given[i] not in machine.allowed(stored[i]):
                illegal[i] = True
        flag(illegal, layer.status_field, status,
             _("this status change is not allowed by the layer's state machine"))  # fmt: skip

    # --- geometry ---
    geoms = source.geoms.copy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    flag(empty, "geometry", None, _("empty geometry"))
    geoms[empty] = None
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    if offset:
        if not source.crs.geographic:
            text = _("GCJ-02/BD-09 coordinates are longitude/latitude; the file is projected.")
            problems.append(Problem(0, "geometry", f"EPSG:{source.crs.epsg}", text))
        else:
            geoms = gcj02.geometries_to_wgs84(geoms, offset=offset)
    try:
        geoms = crs_module.geometries_to_wgs84(geoms, crs=source.crs)
    except Exception:  # noqa: BLE001 - PROJ errors on absurd input become range errors below
        geoms = np.full(n, None, dtype=object)
    present = ~shapely.is_missing(geoms)
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        out_of_range = present & ~(
            (bounds[:, 0] >= -180)
            & (bounds[:, 2] <= 180)
            & (bounds[:, 1] >= -90)
            & (bounds[:, 3] <= 90)
        )
        out_of_range |= present & ~np.isfinite(bounds).all(axis=1)
    text = _(
        "coordinates out of range for longitude/latitude: is the coordinate system (CRS) right?"
    )
    flag(out_of_range, "geometry", None, text)
    geoms[out_of_range] = None
    present &= ~out_of_range

    geom_field = model._meta.get_field(layer.geometry_field)
    want = geom_field.geom_type
    geoms[present], wrong = _fit_type(geoms[present], want)
    wrong_full = np.zeros(n, dtype=bool)
    wrong_full[np.flatnonzero(present)[wrong]] = True
    kinds = shapely.get_type_id(source.geoms)
    type_names = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
                  6: "MultiPolygon", 7: "GeometryCollection"}  # fmt: skip
    want_name = geom_field.geom_class.__name__ if geom_field.geom_class else "Geometry"
    for i in np.flatnonzero(wrong_full):
        if len(problems) < REPORT_MAX:
            text = _("wrong geometry type; this layer takes %(want)s") % {"want": want_name}
            value = type_names.get(int(kinds[i]), "?")
            problems.append(Problem(int(rownum[i]), "geometry", value, text))
    bad_rows |= wrong_full
    present &= ~wrong_full
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        if repair:
            fixed = shapely.make_valid(geoms[invalid])
            dims = shapely.get_dimensions(geoms[invalid])
            fixed = np.array(
                [_keep_dimension(g, want, d) for g, d in zip(fixed, dims, strict=False)],
                dtype=object,
            )
            fixed, still_wrong = (
                _fit_type(fixed, want) if len(fixed) else (fixed, np.zeros(0, bool))
            )
            for j, i in enumerate(np.flatnonzero(invalid)):
                if fixed[j] is None or still_wrong[j]:
                    bad_rows[i] = True
                    problems.append(
                        Problem(
                            int(rownum[i]),
                            "geometry",
                            reasons[j],
                            _("invalid geometry that could not be repaired"),
                        )
                    )
                else:
                    problems.append(
                        Problem(
                            int(rownum[i]),
                            "geometry",
                            reasons[j],
                            _("invalid geometry, repaired (MakeValid)"),
                            WARNING,
                        )
                    )
            geoms[invalid] = fixed
        else:
            text = _("invalid geometry; choose repair to fix it with MakeValid, or correct it")
            for j, i in enumerate(np.flatnonzero(invalid)):
                problems.append(Problem(int(rownum[i]), "geometry", reasons[j], text))
            bad_rows[invalid] = True

    # Outside the district: usually a CRS or offset mistake, so it is flagged, not refused.
    ok_geom = present & ~bad_rows
    extent = None
    outside = 0
    if ok_geom.any():
        b = shapely.bounds(geoms[ok_geom])
        extent = (
            float(b[:, 0].min()),
            float(b[:, 1].min()),
            float(b[:, 2].max()),
            float(b[:, 3].max()),
        )
        district = _area_geom("district")
        if district is not None:
            out_mask = np.zeros(n, dtype=bool)
            out_mask[ok_geom] = ~shapely.intersects(district, geoms[ok_geom])
            outside = int(out_mask.sum())
            flag(
                out_mask,
                "geometry",
                None,
                _("outside the district (is the CRS or GCJ-02 offset right?)"),
                WARNING,
            )
        if mode == "replace":
            area = _area_geom("subdistrict", code=subdistrict) if subdistrict else None
            if area is None:
                problems.append(
                    Problem(
                        0,
                        "subdistrict",
                        subdistrict or "",
                        _("replace needs an existing subdistrict code"),
                    )
                )
            else:
                elsewhere = np.zeros(n, dtype=bool)
                elsewhere[ok_geom] = ~shapely.intersects(
                    area, shapely.point_on_surface(geoms[ok_geom])
                )
                flag(elsewhere, "geometry", None, _("outside the subdistrict this import replaces"))

    keep = ~bad_rows
    # Plain WKB: the staging column is typed EPSG:4326, which PostGIS gives an SRID-less
    # geometry (setting SRIDs here would copy every geometry once more).
    wkb = _hex_wkb(geoms[keep])
    problems.sort(key=lambda p: (p.row, p.field))
    return Validated(
        layer=layer,
        mapping=mapping,
        rows=rownum[keep],
        values={k: v[keep].reset_index(drop=True) for k, v in values.items()},
        wkb=np.asarray(wkb, dtype=object),
        problems=problems,
        total=n,
        error_rows=int(bad_rows.sum()),
        warnings=list(source.warnings),
        extent=extent,
        outside_district=outside,
    )
