"""The import flow in one place for the CLI and the pages: read, inspect, validate, commit.

``import_file`` is what ``manage.py import_layer`` and the commit page call; both get an
ImportRecord back (committed, rejected or a dry run) and never a half-written layer.
"""

import hashlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo_cm.registry import registry

from . import crs as crs_module
from .commit import DATABASE_ERRORS, CommitError, bulk_write_for, refused, stage_chunk
from .models import ImportRecord
from .readers import ReadError, Source, file_layers, source_read
from .safety import UnsafeFile
from .validate import (
    MappingError,
    Validated,
    Validation,
    _area_geom,
    mapping_propose,
    required_for_new,
)

# Errors a user can fix; each carries one sentence (a 400 on the pages, exit 1 in the CLI).
USER_ERRORS = (ReadError, UnsafeFile, MappingError, CommitError, PermissionError)
# Rows validated and written per chunk: reading and checking the next chunk (in a thread)
# overlaps the database's work on this one, and a million rows never sit in memory twice.
CHUNK_ROWS = 25_000


class LayerUnknown(MappingError):
    pass


@dataclass
class Outcome:
    record: ImportRecord
    validated: Validated
    source: Source


def layer_for_import(*, slug: str):
    layer = registry.get(slug)
    if layer is None:
        raise LayerUnknown(
            _("There is no layer %(slug)s; layers: %(all)s.")
            % {"slug": slug, "all": ", ".join(lay.slug for lay in registry.all())}
        )
    return layer


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def import_inspect(*, layer, source: Source, samples: int = 3) -> dict:
    """What the inspection page shows: encoding, CRS (and whether the coordinates fit it),
    geometry types, count, extent (EPSG:4326 after the declared CRS), whether it falls in
    the district, fields with sample values, the proposed mapping and the fields a new
    record needs."""
    geoms = source.geoms[~shapely.is_missing(source.geoms)]
    extent, inside, fit = None, None, None
    district = _area_geom("district")
    if len(geoms):
        region = tuple(shapely.bounds(district)) if district is not None else None
        fit = crs_module.crs_fit_problem(geoms=geoms, declared=source.crs, region=region)
        try:
            wgs = crs_module.geometries_to_wgs84(shapely.force_2d(geoms), crs=source.crs)
            b = shapely.bounds(wgs)
            with np.errstate(invalid="ignore"):
                extent = [
                    float(np.nanmin(b[:, 0])),
                    float(np.nanmin(b[:, 1])),
                    float(np.nanmax(b[:, 2])),
                    float(np.nanmax(b[:, 3])),
                ]
            if not np.isfinite(extent).all():
                extent = None
            if district is not None:
                inside = float(shapely.intersects(district, wgs).mean())
        except Exception:  # noqa: BLE001 - absurd coordinates for the CRS: "no extent"
            extent = None
    fields = []
    for col in source.frame.columns:
        values = [v for v in source.frame[col].head(50) if v is not None and str(v).strip() != ""]
        fields.append({"name": str(col), "samples": [str(v)[:60] for v in values[:samples]]})
    return {
        "file_name": source.file_name,
        "driver": source.driver,
        "layer": source.layer,
        "encoding": source.encoding.name if source.encoding else "",
        "encoding_reason": source.encoding.reason if source.encoding else "",
        "crs": f"EPSG:{source.crs.epsg}",
        "crs_title": source.crs.title,
        "crs_reason": source.crs_reason,
        "crs_fit": fit,
        "geometry_types": source.geometry_types,
        "count": source.count,
        "extent": extent,
        "inside_district_share": inside,
        "fields": fields,
        "mapping": mapping_propose(
            layer=layer, columns=[str(c) for c in source.frame.columns], frame=source.frame
        ),
        "required": [f.name for f in required_for_new(layer)],
        "warnings": source.warnings,
    }


# The first part is small, so that the database starts writing soon after the file opens.
FIRST_CHUNK_ROWS = 5_000


def _slices(source: Source, size: int):
    """(first row number, stop, start) per part of the file: a small first part, then
    ``size`` rows each."""
    start = 0
    step = min(size, FIRST_CHUNK_ROWS)
    while start < source.count:
        stop = min(start + step, source.count)
        yield start + 1, stop, start
        start, step = stop, size


def _validate_and_write(*, check: Validation, source: Source, writer, chunk_rows: int, tick):
    """Validate ``source`` chunk by chunk and hand each clean chunk to ``writer`` (if any)
    while the file is clean so far. The next chunk is prepared in a thread (no database
    work there) while the database works on this one."""
    language = translation.get_language()
    total = source.count

    def prepare(first, stop, start):
        # Reading the part (a lazy Source reads the file here) and the work without the
        # database, in the thread: the database meanwhile writes the previous part.
        with translation.override(language):
            return check.prepare(source.rows(start, stop), first)

    done = 0
    with ThreadPoolExecutor(max_workers=1) as pool, connection.cursor() as cursor:
        if writer is not None:
            writer.begin(cursor)
        pieces = iter(_slices(source, chunk_rows))
        ahead = None
        first_piece = next(pieces, None)
        if first_piece is not None:
            ahead = pool.submit(prepare, *first_piece)
        while ahead is not None:
            prepared = ahead.result()
            following = next(pieces, None)
            ahead = pool.submit(prepare, *following) if following is not None else None
            clean = check.settle(prepared)
            done += clean.total
            if writer is not None and check.clean_so_far():
                stage_chunk(writer, cursor, clean)
            del prepared, clean
            tick("rows", done, total)
        if writer is not None and check.clean_so_far():
            writer.finish(cursor)


def import_file(
    *,
    layer_slug: str,
    path: Path,
    file_name: str | None = None,
    by=None,
    encoding: str | None = None,
    crs: str | None = None,
    offset: str | None = None,
    mapping: dict | None = None,
    constants: dict | None = None,
    mode: str = "upsert",
    subdistrict: str | None = None,
    repair: bool = False,
    source_layer: str | None = None,
    centroids: bool = False,
    dry_run: bool = False,
    progress=None,
    chunk_rows: int = CHUNK_ROWS,
) -> Outcome:
    """Read, validate and (unless ``dry_run`` or a row failed) commit one file.

    ``mapping`` is the proposal from the column names when None; ``constants`` (field ->
    value) set fields to one value for the whole file on top of it. ``source_layer``
    chooses a layer of a GeoPackage or KML file (``*``: every layer of a KML);
    ``centroids`` puts a point inside each shape when a point layer receives lines or
    polygons. A dry run also counts what a commit would create, update, leave unchanged and
    delete. Always returns an Outcome whose ImportRecord says what happened (validated,
    rejected or committed). Raises one of USER_ERRORS when the file cannot be read or
    written at all. ``progress(step, done, total)`` hears of each step and chunk.
    """
    with tempfile.TemporaryDirectory(prefix="geocm-import-") as workdir:
        return _import(
            layer=layer_for_import(slug=layer_slug), path=Path(path), workdir=Path(workdir),
            file_name=file_name, by=by, encoding=encoding, crs=crs, offset=offset,
            mapping=mapping, constants=constants, mode=mode, subdistrict=subdistrict,
            repair=repair, source_layer=source_layer, centroids=centroids, dry_run=dry_run,
            tick=progress or (lambda *_a, **_k: None), chunk_rows=chunk_rows,
        )  # fmt: skip


def _import(
    *, layer, path, workdir, file_name, by, encoding, crs, offset, mapping, constants, mode,
    subdistrict, repair, source_layer, centroids, dry_run, tick, chunk_rows,
):  # fmt: skip
    source = source_read(
        path=path, workdir=workdir, file_name=file_name, encoding=encoding, crs=crs,
        layer=source_layer, lazy=True,
    )  # fmt: skip
    tick("read", 0, source.count)
    # The file's checksum (for the record) is computed beside the import, not before it.
    hashing = ThreadPoolExecutor(max_workers=1)
    digest = hashing.submit(file_sha256, path)
    if mapping is None:
        mapping = mapping_propose(
            layer=layer, columns=[str(c) for c in source.frame.columns], frame=source.frame
        )
    if constants:
        mapping = {**mapping, **{name: {"constant": v} for name, v in constants.items()}}
    check = Validation(
        layer=layer, mapping=mapping, columns=list(source.frame.columns), crs=source.crs,
        mode=mode, offset=offset, repair=repair, subdistrict=subdistrict, centroids=centroids,
        total=source.count, warnings=source.warnings,
    )  # fmt: skip
    record = ImportRecord(
        user=by if getattr(by, "pk", None) else None,
        layer=layer.slug,
        file_name=(file_name or path.name)[:300],
        sha256="",
        driver=source.driver,
        source_layer=(source.layer or "")[:200],
        encoding=source.encoding.name if source.encoding else "",
        crs=f"EPSG:{source.crs.epsg}",
        offset=offset or "",
        mode=mode,
        subdistrict=subdistrict or "",
        repair=repair,
        centroids=centroids,
        mapping=check.mapping,
        total=source.count,
        status=ImportRecord.Status.FAILED,
    )
    record.save()
    writer = None
    try:
        with transaction.atomic():
            if check.clean_so_far():
                writer = bulk_write_for(
                    layer=layer, fields_named=check.staged_names(), mode=mode, by=by,
                    source=record.source_label, subdistrict=subdistrict, dry=dry_run,
                )  # fmt: skip
            _validate_and_write(
                check=check, source=source, writer=writer, chunk_rows=chunk_rows, tick=tick
            )
            whole = check.summary()
            _record_outcome(record, whole, writer, dry_run=dry_run, sha256=digest.result())
            if record.status == ImportRecord.Status.COMMITTED:
                record.save()  # in the import's own transaction: committed with the rows
            else:
                transaction.set_rollback(True)  # a dry run or a refused file writes nothing
    except DATABASE_ERRORS as exc:
        error = refused(exc)
        _fail(record, str(error), digest.result())
        raise error from exc
    except CommitError as exc:
        _fail(record, str(exc), digest.result())
        raise
    finally:
        hashing.shutdown()
    if record.status != ImportRecord.Status.COMMITTED:
        record.save()
    # The rows are in the layer (or refused): only the description of the file is kept.
    source.frame, source.geoms, source.read_rows = source.frame.iloc[:0], source.geoms[:0], None
    tick("validated", whole.total, whole.total)
    return Outcome(record, whole, source)


def _record_outcome(record: ImportRecord, whole: Validated, writer, *, dry_run: bool, sha256):
    """Fill ``record`` with what the import did (or, for a dry run, would do)."""
    record.sha256 = sha256
    record.rejected = whole.error_rows
    record.report = whole.report()
    record.warnings = whole.warnings
    record.finished_at = timezone.now()
    if not whole.ok:
        record.status = ImportRecord.Status.REJECTED
        # A problem of the whole file (a wrong CRS, a geometry type) says more than a count.
        whole_file = [p.problem for p in whole.problems if p.row == 0 and p.severity == "error"]
        record.message = (
            " ".join(whole_file)
            if whole_file
            else _("%(n)d of %(total)d rows have errors; nothing was written.")
            % {"n": whole.error_rows, "total": whole.total}
        )
        return
    counts = writer.counts
    record.created, record.updated = counts.created, counts.updated
    record.unchanged, record.deleted = counts.unchanged, counts.deleted
    if dry_run:
        record.status = ImportRecord.Status.VALIDATED
        record.message = _(
            "Dry run: %(n)d rows are valid; nothing was written. An import would create "
            "%(created)d, update %(updated)d, leave %(unchanged)d unchanged and delete "
            "%(deleted)d records."
        ) % {"n": whole.total, **counts.__dict__}
    else:
        record.status = ImportRecord.Status.COMMITTED


def _fail(record: ImportRecord, message: str, sha256: str) -> None:
    ImportRecord.objects.filter(pk=record.pk).update(
        status=ImportRecord.Status.FAILED,
        message=message,
        finished_at=timezone.now(),
        sha256=sha256,
    )


def import_layers(*, path: Path, file_name: str | None = None) -> list:
    """The layers of a GeoPackage or KML file (``FileLayer``s); empty for other formats."""
    suffix = Path(file_name or path).suffix.lower()
    if suffix not in (".gpkg", ".kml"):
        return []
    return file_layers(Path(path))
