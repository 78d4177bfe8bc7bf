"""Reading an import file into attribute columns and shapely geometries, nothing more.

Supported: zipped Shapefile, a loose .shp set (CLI), GeoPackage, GeoJSON (collection,
single feature or bare geometry), KML, CSV/XLSX with longitude/latitude (or WKT) columns.
The encoding and the CRS are decided here by GeoCM's rules (``encoding``, ``crs``), never
by GDAL's guess. Geometries come back in the *source* CRS; validate.py transforms them.
"""

import io
import json
import logging
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyogrio.raw
import shapely
import shapely.errors
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from .crs import ALLOWED, AllowedCRS, CRSError, crs_from_authority, crs_from_prj, crs_from_user
from .encoding import Encoding, EncodingError, encoding_detect_dbf, encoding_of_bytes
from .safety import UnsafeFile, limit, zip_check, zip_extract

logger = logging.getLogger(__name__)


class ReadError(ValueError):
    """The file cannot be read as a layer (a 400 with the reason; nothing was written).

    ``unexpected`` marks a failure of a library that none of the known failure classes
    covers: the user still gets a sentence, the log gets the traceback, and the fuzz tests
    count it as a crash to fix.
    """

    unexpected = False


# What the libraries under the readers raise on damaged or hostile input: zip and zlib
# (xlsx, kmz), struct (binary headers), decoding, JSON nesting (RecursionError), XML
# (openpyxl, GDAL's KML), GDAL through pyogrio, GEOS through shapely, pandas' CSV parser.
READ_FAILURES = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    UnicodeError,
    RecursionError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
    MemoryError,
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
    pyogrio.errors.FeatureError,
    shapely.errors.ShapelyError,
    SyntaxError,  # xml.etree's ParseError
    InvalidFileException,
)


def _damaged(kind: str) -> str:
    return _("The file could not be read as %(driver)s; is it complete and not damaged?") % {
        "driver": kind
    }


# Choosing every layer of a KML file at once (its folders are often one data set).
ALL_LAYERS = "*"


@dataclass(frozen=True)
class FileLayer:
    """One layer of a multi-layer file (GeoPackage table, KML folder)."""

    name: str
    geometry_type: str
    count: int

    def label(self) -> str:
        return _("%(name)s (%(type)s, %(n)d features)") % {
            "name": self.name, "type": self.geometry_type, "n": self.count
        }  # fmt: skip


class SeveralLayers(ReadError):
    """The file holds several layers and none was chosen: the message lists them, and
    ``layers`` lets the pages offer the choice."""

    def __init__(self, message: str, layers: list[FileLayer], allow_all: bool = False):
        super().__init__(message)
        self.layers = layers
        self.allow_all = allow_all


def file_layers(path: Path) -> list[FileLayer]:
    """The layers with geometries in a GeoPackage or KML file (name, type, count)."""
    try:
        listed = [(str(n), str(g)) for n, g in pyogrio.list_layers(path)]
    except Exception as exc:
        driver = {".gpkg": "GeoPackage", ".kml": "KML"}.get(path.suffix.lower(), "GIS")
        raise ReadError(
            _("The file could not be read as %(driver)s; is it complete and not damaged?")
            % {"driver": driver}
        ) from exc
    out = []
    for name, geometry_type in listed:
        if not geometry_type or geometry_type == "None":
            continue
        try:
            count = int(pyogrio.read_info(path, layer=name).get("features") or 0)
        except Exception:  # noqa: BLE001 - a broken layer shows as empty; reading it says why
            count = 0
        out.append(FileLayer(name, geometry_type, count))
    return out


def _choose_layer(path: Path, chosen: str | None, *, kind: str, allow_all: bool) -> list[str]:
    """The names of the layers to read: the chosen one, or the only one; SeveralLayers
    when there are several and none (or an unknown one) was chosen."""
    layers = file_layers(path)
    if not layers:
        raise ReadError(_("The %(kind)s holds no layer with geometries.") % {"kind": kind})
    names = [layer.name for layer in layers]
    if chosen == ALL_LAYERS and allow_all:
        return names
    if chosen in names:
        return [chosen]
    if len(layers) == 1 and not chosen:
        return names
    listing = "; ".join(layer.label() for layer in layers)
    if chosen:
        text = _("The %(kind)s has no layer %(name)s; its layers: %(list)s.") % {
            "kind": kind, "name": control_escape(str(chosen))[:60], "list": listing}  # fmt: skip
    else:
        text = _(
            "The %(kind)s holds %(n)d layers: %(list)s. Choose one (--source-layer NAME, or "
            "the layer list on the import page)."
        ) % {"kind": kind, "n": len(layers), "list": listing}
    if allow_all:
        text += " " + _("Choose * to import all of them together.")
    raise SeveralLayers(text, layers, allow_all)


@dataclass
class Source:
    """One layer read from a file: attributes (object columns) and geometries (source CRS)."""

    file_name: str
    driver: str
    frame: pd.DataFrame
    geoms: np.ndarray  # shapely geometries or None, in ``crs``
    crs: AllowedCRS
    crs_reason: str
    encoding: Encoding | None = None
    warnings: list[str] = field(default_factory=list)
    layer: str = ""  # the layer read from a multi-layer file (GeoPackage, KML)
    # A file read in parts (``source_read(lazy=True)``): how many features it holds, and
    # read_rows(skip, n) -> (frame, geoms) for a part; frame and geoms hold the first rows.
    total: int | None = None
    read_rows: Callable | None = None
    renamed: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.geoms)

    def rows(self, start: int, stop: int) -> "Source":
        """Rows start..stop-1 (0-based) as a Source of their own (read now, if lazy)."""
        if self.read_rows is None:
            frame, geoms = self.frame.iloc[start:stop], self.geoms[start:stop]
        else:
            _meta, frame, geoms = self.read_rows(skip_features=start, max_features=stop - start)
            frame = frame.rename(columns=self.renamed) if self.renamed else frame
        return Source(self.file_name, self.driver, frame, geoms, self.crs, self.crs_reason,
                      self.encoding, self.warnings, self.layer)  # fmt: skip

    @property
    def geometry_types(self) -> list[str]:
        kinds = shapely.get_type_id(self.geoms[~shapely.is_missing(self.geoms)])
        names = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
                 5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}  # fmt: skip
        return sorted({names.get(int(k), "Geometry") for k in np.unique(kinds)})


SHAPEFILE_PARTS = (".shp", ".shx", ".dbf")
VECTOR_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".kml", ".csv", ".xlsx"}
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "jd")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "wd")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")
# C0 control characters other than tab, newline and carriage return: PostgreSQL text and
# jsonb cannot hold NUL, and the others are invisible or rewrite a terminal.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_escape(text: str) -> str:
    """``text`` with each control character written as a visible escape (NUL -> \\x00)."""
    return CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _sibling(path: Path, suffix: str) -> Path | None:
    """The file next to ``path`` with ``suffix``, matched case-insensitively (X.SHP, x.Dbf)."""
    for candidate in path.parent.iterdir():
        if candidate.stem == path.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _decide_crs(
    *, declared: AllowedCRS | None, user: str | None, where: str
) -> tuple[AllowedCRS, str, list[str]]:
    notes = []
    if user:
        chosen = crs_from_user(user)
        if declared is not None and declared.epsg != chosen.epsg:
            notes.append(
                _("The file says EPSG:%(file)d but EPSG:%(user)d was given; the given one is used.")
                % {"file": declared.epsg, "user": chosen.epsg}
            )
        reason = _("given by the user")
    elif declared is not None:
        chosen, reason = declared, where
    else:
        raise ReadError(
            _(
                "The file has no coordinate system (no .prj); GeoCM will not guess it. "
                "Give it with --crs (for example --crs 4490 or --crs 4549)."
            )
        )
    if chosen.warning:
        notes.append(chosen.warning)
    return chosen, reason, notes


def _check_count(n: int):
    if n == 0:
        raise ReadError(_("The file holds no features."))
    if n > limit("IMPORT_MAX_FEATURES"):
        raise ReadError(
            _(
                "The file holds %(n)d features; at most %(max)d are accepted per import "
                "(GEOCM_IMPORT_MAX_FEATURES)."
            )
            % {"n": n, "max": limit("IMPORT_MAX_FEATURES")}
        )


# Rows read for the inspection of a file read in parts (the mapping proposal, samples).
LAZY_HEAD = 1000


def _read_ogr(
    path: Path,
    *,
    encoding: str | None = None,
    layer=None,
    driver_label: str,
    skip_features: int = 0,
    max_features: int | None = None,
):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta, _fids, wkb, columns = pyogrio.raw.read(
                path,
                encoding=encoding,
                layer=layer,
                skip_features=skip_features,
                max_features=max_features,
            )
    except Exception as exc:  # pyogrio raises several classes for unreadable input
        raise ReadError(
            _("The file could not be read as %(driver)s; is it complete and not damaged?")
            % {"driver": driver_label}
        ) from exc
    names = [str(n) for n in meta["fields"]]
    frame = pd.DataFrame(
        {n: pd.Series(c, dtype=object) for n, c in zip(names, columns, strict=False)}
    )
    geoms = shapely.from_wkb(wkb) if wkb is not None else np.full(len(frame), None, dtype=object)
    return meta, frame, np.asarray(geoms, dtype=object)


def _lazy(source: Source, path: Path, **read) -> Source:
    """Make ``source`` read its rows in parts: ``count`` from the file's header, the first
    LAZY_HEAD rows in frame and geoms, the rest on demand (``Source.rows``)."""
    try:
        info = pyogrio.read_info(path, layer=read.get("layer"), encoding=read.get("encoding"))
    except Exception as exc:  # pyogrio raises several classes (even its own bugs, e.g. an
        # UnboundLocalError for a .prj that is not UTF-8) for a damaged header
        raise ReadError(_damaged(read.get("driver_label") or "GIS")) from exc
    source.total = int(info.get("features") or 0)
    source.read_rows = partial(_read_ogr, path, **read)
    _meta, source.frame, source.geoms = source.read_rows(max_features=LAZY_HEAD)
    return source


def _read_shapefile(path: Path, *, encoding, crs, file_name, lazy=False) -> Source:
    for suffix in (".shx", ".dbf"):
        if _sibling(path, suffix) is None:
            raise ReadError(
                _("The shapefile is incomplete: %(name)s is missing; add it and try again.")
                % {"name": path.stem + suffix}
            )
    try:
        enc = encoding_detect_dbf(dbf=_sibling(path, ".dbf"), override=encoding)
    except EncodingError as exc:
        raise ReadError(str(exc)) from exc
    prj = _sibling(path, ".prj")
    declared = None
    if prj is not None:
        try:
            declared = crs_from_prj(prj.read_bytes()[:20000].decode("utf-8", errors="replace"))
        except CRSError:
            if not crs:
                raise
    chosen, reason, notes = _decide_crs(declared=declared, user=crs, where=_("from the .prj file"))
    if lazy:
        source = Source(file_name, "ESRI Shapefile", None, None, chosen, reason, enc, notes)
        return _lazy(source, path, encoding=enc.name, driver_label="Shapefile")
    _meta, frame, geoms = _read_ogr(path, encoding=enc.name, driver_label="Shapefile")
    return Source(file_name, "ESRI Shapefile", frame, geoms, chosen, reason, enc, notes)


def _read_gpkg(path: Path, *, crs, file_name, layer=None, lazy=False) -> Source:
    name = _choose_layer(path, layer, kind=_("GeoPackage"), allow_all=False)[0]
    info = pyogrio.read_info(path, layer=name)
    declared = None
    if info.get("crs"):
        try:
            declared = crs_from_authority(str(info["crs"]))
        except CRSError:
            if not crs:
                raise
    chosen, reason, notes = _decide_crs(declared=declared, user=crs, where=_("from the GeoPackage"))
    if lazy:
        source = Source(file_name, "GPKG", None, None, chosen, reason, None, notes, name)
        return _lazy(source, path, layer=name, driver_label="GeoPackage")
    _meta, frame, geoms = _read_ogr(path, layer=name, driver_label="GeoPackage")
    return Source(file_name, "GPKG", frame, geoms, chosen, reason, None, notes, name)


def _json_value(value):
    # DataV files carry arrays and objects as properties; keep them as JSON text.
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _text_size_check(path: Path, kind: str) -> None:
    """Text formats (GeoJSON, KML, CSV) are parsed whole, in memory: their size is bounded
    on its own, below the upload limit, before they are opened."""
    size = path.stat().st_size
    if size > limit("IMPORT_MAX_TEXT_BYTES"):
        raise UnsafeFile(
            _(
                "The %(kind)s file is %(mb)d MB; %(kind)s is read whole, so at most %(max)d MB "
                "are accepted (GEOCM_IMPORT_MAX_TEXT_BYTES). Send large layers as a "
                "GeoPackage or a zipped shapefile."
            )
            % {
                "kind": kind,
                "mb": size // 1_000_000,
                "max": limit("IMPORT_MAX_TEXT_BYTES") // 1_000_000,
            }
        )


# A JSON string (with escapes), matched without backtracking; brackets inside strings
# do not count as nesting.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_DEPTH_BLOCK = 1 << 23


def json_depth_check(raw: bytes) -> None:
    """Refuse JSON nested deeper than IMPORT_MAX_JSON_DEPTH before it is parsed (the parser
    would recurse once per level). Strings are blanked first, then the running depth of
    ``[{`` minus ``]}`` is summed in blocks with numpy."""
    most = limit("IMPORT_MAX_JSON_DEPTH")
    opened = raw.count(b"[") + raw.count(b"{")
    if opened <= most:
        return  # cannot be deeper than the number of brackets
    data = np.frombuffer(_JSON_STRING.sub(b'""', raw), dtype=np.uint8)
    depth = 0
    for start in range(0, len(data), _DEPTH_BLOCK):
        part = data[start : start + _DEPTH_BLOCK]
        step = (
            (part == ord("[")).astype(np.int32)
            + (part == ord("{"))
            - (part == ord("]"))
            - (part == ord("}"))
        )
        running = np.cumsum(step) + depth
        if running.size and int(running.max()) > most:
            raise UnsafeFile(
                _(
                    "The JSON is nested more than %(max)d levels deep; GeoJSON needs far fewer, "
                    "so it is refused (GEOCM_IMPORT_MAX_JSON_DEPTH)."
                )
                % {"max": most}
            )
        if running.size:
            depth = int(running[-1])


def _read_geojson(path: Path, *, crs, file_name) -> Source:
    _text_size_check(path, "GeoJSON")
    raw = path.read_bytes()
    json_depth_check(raw)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ReadError(_("The file is not valid JSON.")) from exc
    del raw
    if not isinstance(data, dict) or "type" not in data:
        raise ReadError(_('The file is JSON but not GeoJSON (no "type").'))
    kind = data["type"]
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise ReadError(_('The FeatureCollection has no "features" list.'))
        # Counted before a feature is turned into a row or a geometry.
        _check_count(len(features))
    elif kind == "Feature":
        features = [data]
    elif kind in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection"):  # fmt: skip
        features = [{"type": "Feature", "properties": {}, "geometry": data}]
    else:
        raise ReadError(
            _("The GeoJSON type %(type)s is not a feature or geometry.") % {"type": str(kind)[:30]}
        )
    rows, geoms = [], []
    for index, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise ReadError(_("Feature %(n)d is not an object.") % {"n": index})
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        rows.append({str(k): _json_value(v) for k, v in props.items()})
        geometry = feature.get("geometry")
        if geometry is None:
            geoms.append(None)
            continue
        try:
            geoms.append(shapely.from_geojson(json.dumps(geometry)))
        except Exception as exc:  # shapely.errors.GEOSException and friends
            raise ReadError(_("Feature %(n)d has an unreadable geometry.") % {"n": index}) from exc
    declared = ALLOWED[4326]
    where = _("GeoJSON is WGS84 by definition")
    if isinstance(data.get("crs"), dict):
        name = (data["crs"].get("properties") or {}).get("name", "")
        try:
            declared = crs_from_authority(str(name))
            where = _("from the GeoJSON crs member")
        except CRSError:
            if not crs:
                raise
    chosen, reason, notes = _decide_crs(declared=declared, user=crs, where=where)
    frame = pd.DataFrame(rows, dtype=object)
    return Source(
        file_name, "GeoJSON", frame, np.array(geoms, dtype=object), chosen, reason, None, notes
    )


def _read_kml(path: Path, *, crs, file_name, layer=None) -> Source:
    _text_size_check(path, "KML")
    names = _choose_layer(path, layer, kind=_("KML file"), allow_all=True)
    frames, all_geoms = [], []
    for name in names:
        _meta, frame, geoms = _read_ogr(path, layer=name, driver_label="KML")
        frames.append(frame)
        all_geoms.append(geoms)
    chosen, reason, notes = _decide_crs(
        declared=ALLOWED[4326], user=crs, where=_("KML is WGS84 by definition")
    )
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return Source(
        file_name,
        "KML",
        frame.astype(object),
        np.concatenate(all_geoms),
        chosen,
        reason,
        None,
        notes,
        layer or names[0],
    )


# CSV rows parsed per part; the counts are checked after each part.
TABLE_CHUNK_ROWS = 20_000


class _TableCount:
    """Rows and cells of a table counted while it is read; refuses at the first part past
    IMPORT_MAX_FEATURES rows or IMPORT_MAX_TABLE_CELLS cells."""

    def __init__(self):
        self.rows = 0
        self.cells = 0

    def add(self, rows: int, cells: int) -> None:
        self.rows += rows
        self.cells += cells
        if self.rows > limit("IMPORT_MAX_FEATURES"):
            raise ReadError(
                _(
                    "The file holds more than %(max)d rows; at most %(max)d are accepted per "
                    "import (GEOCM_IMPORT_MAX_FEATURES)."
                )
                % {"max": limit("IMPORT_MAX_FEATURES")}
            )
        if self.cells > limit("IMPORT_MAX_TABLE_CELLS"):
            raise UnsafeFile(
                _(
                    "The table holds more than %(max)d cells (rows times columns, empty cells "
                    "included); it is refused (GEOCM_IMPORT_MAX_TABLE_CELLS). Remove unused "
                    "columns or send a GeoPackage."
                )
                % {"max": limit("IMPORT_MAX_TABLE_CELLS")}
            )


def _geometry_columns(frame: pd.DataFrame) -> np.ndarray:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    lon = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
    if lon is not None and lat is not None:
        x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
        geoms = shapely.points(x, y)
        geoms[np.isnan(x) | np.isnan(y)] = None
        return geoms.astype(object)
    wkt = next((lower[n] for n in WKT_NAMES if n in lower), None)
    if wkt is not None:
        texts = frame[wkt].where(frame[wkt].notna(), None).astype(object).to_numpy()
        try:
            return np.asarray(shapely.from_wkt(texts, on_invalid="ignore"), dtype=object)
        except Exception as exc:
            raise ReadError(
                _("The %(col)s column does not hold WKT geometries.") % {"col": wkt}
            ) from exc
    raise ReadError(
        _(
            "No coordinate columns found: name them lon and lat (or 经度 and 纬度), "
            "or give a WKT column."
        )
    )


def _read_table(path: Path, *, encoding, crs, file_name, kind: str) -> Source:
    enc = None
    if kind == "CSV":
        _text_size_check(path, "CSV")
        raw = path.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            enc = (
                Encoding(encoding_normalise_safe(encoding), _("given by the user"))
                if encoding
                else encoding_of_bytes(raw, where=file_name)
            )
            text = raw.decode(enc.codec)
        except (EncodingError, UnicodeDecodeError) as exc:
            raise ReadError(str(exc)) from exc
        del raw
        count = _TableCount()
        try:
            parts = []
            reader = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, chunksize=TABLE_CHUNK_ROWS
            )
            for part in reader:
                count.add(len(part), part.size)  # refuses at the limits, while reading
                parts.append(part)
        except (ReadError, UnsafeFile):
            raise
        except Exception as exc:
            raise ReadError(_("The file could not be read as CSV.")) from exc
        if not parts:
            raise ReadError(_("The file holds no features."))
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        frame = frame.astype(object).where(frame != "", None)
    else:
        from openpyxl import load_workbook

        # A workbook is a zip: its declared sizes and ratio are checked before it is opened
        # (a lying header fails openpyxl's checksum while reading).
        infos = zip_check(path=path, kind=_("Excel workbook (.xlsx)"))
        # The sheets' XML is what openpyxl parses, at about 20,000 cells a second: its
        # declared size is bounded like a text format's (a smaller lie fails the checksum).
        xml = sum(
            i.file_size
            for i in infos
            if i.filename.startswith("xl/worksheets/") or i.filename == "xl/sharedStrings.xml"
        )
        if xml > limit("IMPORT_MAX_TEXT_BYTES"):
            raise UnsafeFile(
                _(
                    "The workbook's sheets unpack to %(mb)d MB of XML; at most %(max)d MB are "
                    "read (GEOCM_IMPORT_MAX_TEXT_BYTES). Send large layers as a GeoPackage or "
                    "a zipped shapefile."
                )
                % {"mb": xml // 1_000_000, "max": limit("IMPORT_MAX_TEXT_BYTES") // 1_000_000}
            )
        count = _TableCount()
        try:
            book = load_workbook(path, read_only=True, data_only=True)
            rows = book.worksheets[0].iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                raise ReadError(_("The file holds no features."))
            count.add(0, len(header))
            names = [
                str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header)
            ]
            kept = []
            for row in rows:
                count.add(1, len(row))  # refuses at the limits, while reading
                kept.append(row[: len(names)] if len(row) > len(names) else row)
            frame = pd.DataFrame(kept, columns=names, dtype=object)
            del kept
            book.close()
        except (ReadError, UnsafeFile):
            raise
        except Exception as exc:
            raise ReadError(_("The file could not be read as an Excel workbook (.xlsx).")) from exc
    geoms = _geometry_columns(frame)
    chosen, reason, notes = _decide_crs(
        declared=ALLOWED[4326],
        user=crs,
        where=_("coordinate columns are taken as WGS84 unless --crs is given"),
    )
    return Source(file_name, kind, frame, geoms, chosen, reason, enc, notes)


def encoding_normalise_safe(value: str) -> str:
    from .encoding import encoding_normalise

    return encoding_normalise(value)


def _find_dataset(files: list[Path]) -> Path:
    found = [p for p in files if p.suffix.lower() in VECTOR_SUFFIXES - {".csv", ".xlsx"}]
    shps = [p for p in found if p.suffix.lower() == ".shp"]
    if len(shps) == 1:
        return shps[0]
    if len(shps) > 1:
        raise ReadError(
            _("The archive holds %(n)d shapefiles; upload one layer per archive.")
            % {"n": len(shps)}
        )
    if len(found) == 1:
        return found[0]
    if not found:
        names = {p.suffix.lower() for p in files}
        if ".dbf" in names or ".shx" in names:
            raise ReadError(_("The shapefile is incomplete: the .shp file is missing."))
        raise ReadError(_("The archive holds no shapefile, GeoPackage, GeoJSON or KML file."))
    raise ReadError(_("The archive holds several layers; upload one layer per archive."))


def source_read(
    *,
    path: Path,
    workdir: Path,
    file_name: str | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    lazy: bool = False,
) -> Source:
    """Read the one layer in ``path`` (a zip is checked, then unpacked into ``workdir``).

    ``lazy``: shapefiles and GeoPackages are read in parts (``Source.rows``), so a million
    features never sit in memory at once; ``workdir`` must outlive the Source then.

    ``encoding`` and ``crs`` are the user's overrides (names from the allow-lists).
    Raises ReadError, UnsafeFile or CRSError with a sentence for the user.
    """
    path = Path(path)
    file_name = file_name or path.name
    if not path.exists():
        raise ReadError(_("The file %(name)s does not exist.") % {"name": file_name})
    if path.stat().st_size > limit("IMPORT_MAX_UPLOAD_BYTES"):
        raise UnsafeFile(
            _("The file is larger than the %(mb)d MB limit.")
            % {"mb": limit("IMPORT_MAX_UPLOAD_BYTES") // 1_000_000}
        )
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        magic = fh.read(4)
    kind = _kind_of(suffix)
    try:
        if suffix in (".zip", ".kmz") or magic == b"PK\x03\x04" and suffix != ".xlsx":
            files = zip_extract(path=path, dest=workdir)
            path = _find_dataset(files)
            suffix = path.suffix.lower()
            kind = _kind_of(suffix)
        source = _read_format(
            path, suffix, encoding=encoding, crs=crs, file_name=file_name, layer=layer, lazy=lazy
        )
    except (ReadError, UnsafeFile):
        raise
    except CRSError as exc:
        raise ReadError(str(exc)) from exc
    except READ_FAILURES as exc:
        raise ReadError(_damaged(kind)) from exc
    except Exception as exc:  # noqa: BLE001 - a library's surprise is still the user's sentence
        logger.exception("unexpected failure reading %s as %s", file_name, kind)
        error = ReadError(_damaged(kind))
        error.unexpected = True
        raise error from exc
    _check_count(source.count)
    _escape_column_names(source)
    return source


def _kind_of(suffix: str) -> str:
    return {
        ".shp": _("Shapefile"),
        ".gpkg": "GeoPackage",
        ".geojson": "GeoJSON",
        ".json": "GeoJSON",
        ".kml": "KML",
        ".kmz": "KMZ",
        ".csv": "CSV",
        ".xlsx": _("Excel workbook (.xlsx)"),
        ".zip": _("zip archive"),
    }.get(suffix, _("GIS file"))


def _read_format(path: Path, suffix: str, *, encoding, crs, file_name, layer, lazy) -> Source:
    if suffix == ".shp":
        return _read_shapefile(path, encoding=encoding, crs=crs, file_name=file_name, lazy=lazy)
    if suffix == ".gpkg":
        return _read_gpkg(path, crs=crs, file_name=file_name, layer=layer, lazy=lazy)
    if suffix in (".geojson", ".json"):
        return _read_geojson(path, crs=crs, file_name=file_name)
    if suffix == ".kml":
        return _read_kml(path, crs=crs, file_name=file_name, layer=layer)
    if suffix == ".csv":
        return _read_table(path, encoding=encoding, crs=crs, file_name=file_name, kind="CSV")
    if suffix == ".xlsx":
        return _read_table(path, encoding=None, crs=crs, file_name=file_name, kind="XLSX")
    if suffix in (".dbf", ".shx", ".prj", ".cpg"):
        raise ReadError(_("Give the .shp file of the shapefile (or a zip of all its parts)."))
    raise ReadError(
        _(
            "GeoCM reads zipped shapefiles, .shp, GeoPackage, GeoJSON, KML, KMZ, CSV and "
            "XLSX; %(name)s is none of these."
        )
        % {"name": file_name}
    )


def _escape_column_names(source: Source) -> None:
    """Column names with control characters get visible escapes: the names travel into the
    mapping (jsonb), the pages and the terminal, none of which can take a NUL."""
    names = [str(c) for c in source.frame.columns]
    if not any(CONTROL_CHARS.search(n) for n in names):
        return
    taken = set(names)
    renamed = {}
    for name in names:
        if not CONTROL_CHARS.search(name):
            continue
        new = control_escape(name)
        while new in taken:  # a file that also has the escaped spelling as a column
            new += "_"
        taken.add(new)
        renamed[name] = new
    source.frame = source.frame.rename(columns=renamed)
    source.renamed = renamed
