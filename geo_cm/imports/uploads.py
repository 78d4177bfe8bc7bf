"""The import pages' side of the flow: keep an upload, inspect it, validate it, commit it in
the background.

An ImportUpload holds the file's bytes and the choices made on the pages (encoding, CRS,
offset, mapping, mode). Every step reads the bytes into a fresh temporary folder, so what
is validated and what the worker commits are the very file that was inspected.
"""

import contextlib
import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from geo_cm import gcj02
from geo_cm.jobs.models import Job
from geo_cm.jobs.queue import job_enqueue
from geo_cm.registry import registry

from . import crs as crs_module
from .models import ImportRecord, ImportUpload, ImportUploadPart, UploadInspection
from .readers import FileLayer, ReadError, SeveralLayers, source_read
from .safety import UnsafeFile, limit, zip_check
from .services import import_file, import_inspect, import_layers, layer_for_import

PREVIEW_FEATURES = 300
# Formats that are zip archives inside (their central directory is checked on upload).
ZIP_SUFFIXES = {".zip": None, ".kmz": "KMZ", ".xlsx": _lazy("Excel workbook (.xlsx)")}
# Suffixes a browser upload may have (a loose .shp needs its siblings: upload a zip).
UPLOAD_SUFFIXES = (".zip", ".gpkg", ".geojson", ".json", ".kml", ".kmz", ".csv", ".xlsx")


class UploadRefused(UnsafeFile):
    """The upload itself is refused (size, suffix, permission): a 4xx with the reason."""


def layers_importable_by(user) -> list:
    """The layers this user may import into: adding and changing records of the layer."""
    return [
        layer
        for layer in registry.all()
        if user.has_perm(layer.perm("add")) and user.has_perm(layer.perm("change"))
    ]


def import_permission_check(*, user, layer_slug: str, mode: str = "upsert") -> None:
    layer = layer_for_import(slug=layer_slug)
    needed = ["add", "change"] + (["delete"] if mode == "replace" else [])
    if not all(user.has_perm(layer.perm(action)) for action in needed):
        raise UploadRefused(
            _("You may not import into %(layer)s (in this mode).") % {"layer": layer.title}
        )


# Bytes per stored part of an upload: what the request and the worker hold at a time.
PART_BYTES = 4 << 20


@contextlib.contextmanager
def upload_file(upload: ImportUpload):
    """The upload's bytes as a file in a temporary folder (removed afterwards), written
    part by part."""
    with tempfile.TemporaryDirectory(prefix="geocm-upload-") as folder:
        # Our own name: the user's file name may hold anything; only the suffix matters.
        path = Path(folder) / f"upload{Path(upload.file_name).suffix.lower()}"
        parts = ImportUploadPart.objects.filter(upload_id=upload.pk).order_by("number")
        with path.open("wb") as out:
            ids = list(parts.values_list("pk", flat=True))
            for pk in ids:
                out.write(bytes(ImportUploadPart.objects.values_list("data", flat=True).get(pk=pk)))
            if not ids:  # an upload stored whole, before the parts
                out.write(
                    bytes(
                        ImportUpload.objects.values_list("content", flat=True).get(pk=upload.pk)
                        or b""
                    )
                )
        yield path


def upload_parts_clear(upload: ImportUpload) -> None:
    """Forget the upload's bytes (its import is committed; the record keeps the hash)."""
    ImportUploadPart.objects.filter(upload_id=upload.pk).delete()
    ImportUpload.objects.filter(pk=upload.pk).update(content=b"")


def upload_store(*, user, layer_slug: str, uploaded, options: dict) -> ImportUpload:
    """Check and keep an uploaded file, and queue its inspection. Raises one of USER_ERRORS
    (nothing kept) when the upload itself is refused.

    Only what costs no parsing happens here: the permission, the suffix, the size and, for
    the zip-based formats, the archive's central directory (zip bombs, paths outside the
    archive, links). Reading the file is the worker's (``imports.inspect``).
    """
    import_permission_check(user=user, layer_slug=layer_slug)
    # The name is shown and recorded: no path, no control characters (a NUL cannot be stored).
    name = "".join(ch for ch in Path(uploaded.name or "").name if ch.isprintable())[:300]
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise UploadRefused(
            _(
                "Upload a zipped shapefile (.zip with .shp, .shx, .dbf and .prj), a GeoPackage, "
                "GeoJSON, KML, KMZ, CSV or XLSX file."
            )
        )
    if uploaded.size > limit("IMPORT_MAX_UPLOAD_BYTES"):
        raise UploadRefused(
            _("The file is larger than the %(mb)d MB limit (GEOCM_IMPORT_MAX_UPLOAD_BYTES).")
            % {"mb": limit("IMPORT_MAX_UPLOAD_BYTES") // 1_000_000}
        )
    uploaded.seek(0)
    magic = uploaded.read(4)
    if suffix in ZIP_SUFFIXES or magic == b"PK\x03\x04" and suffix != ".xlsx":
        with tempfile.TemporaryDirectory(prefix="geocm-upload-") as folder:
            if hasattr(uploaded, "temporary_file_path"):  # large uploads are on disk already
                archive = Path(uploaded.temporary_file_path())
            else:
                archive = Path(folder) / f"upload{suffix}"
                with archive.open("wb") as out:
                    for chunk in uploaded.chunks(PART_BYTES):
                        out.write(chunk)
            zip_check(path=archive, kind=ZIP_SUFFIXES.get(suffix))
    upload = ImportUpload(
        user=user,
        layer=layer_slug,
        file_name=name,
        size=uploaded.size,
        sha256="",
        encoding=options.get("encoding") or "",
        crs=options.get("crs") or "",
        offset=options.get("offset") or "",
    )
    digest = hashlib.sha256()
    with transaction.atomic():
        upload.save()
        # Part by part: the request never holds more than PART_BYTES of the file.
        uploaded.seek(0)
        for number, chunk in enumerate(uploaded.chunks(PART_BYTES)):
            digest.update(chunk)
            ImportUploadPart.objects.create(upload=upload, number=number, data=chunk)
        upload.sha256 = digest.hexdigest()
        upload.save(update_fields=["sha256"])
        upload_inspection(upload)
    return upload


def upload_read_options(upload: ImportUpload) -> dict:
    """The choices that change what reading the file gives (and the page's language)."""
    return {
        "encoding": upload.encoding or "",
        "crs": upload.crs or "",
        "offset": upload.offset or "",
        "source_layer": upload.source_layer or "",
        "language": translation.get_language() or "",
    }


def upload_inspection(upload: ImportUpload) -> UploadInspection:
    """The inspection of ``upload`` with its current read options: the cached one, or a new
    one with its job queued (``imports.inspect``). Never reads the file itself."""
    options = upload_read_options(upload)
    key = hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()
    row = UploadInspection.objects.filter(upload=upload, key=key).select_related("job").first()
    if row is not None and row.status == UploadInspection.Status.QUEUED and row.job is not None:
        if row.job.status == Job.Status.FAILED:
            # Its worker died on it (twice): a file that kills workers is not read again.
            row.status = UploadInspection.Status.FAILED
            row.error = _(
                "Reading the file stopped its worker; it is not read again. Is it very large "
                "or damaged? (%(message)s)"
            ) % {"message": row.job.message[:200]}
            row.save(update_fields=["status", "error"])
            return row
    if row is not None and not _inspection_lost(row):
        return row
    with transaction.atomic():
        if row is None:
            row, created = UploadInspection.objects.get_or_create(
                upload=upload, key=key, defaults={"options": options}
            )
            if not created:  # another request queued it meanwhile
                return row
        row.job = (
            job_enqueue(name="imports.inspect", args={"inspection": row.pk}, by=upload.user)
            or Job.objects.filter(name="imports.inspect", args__inspection=row.pk).first()
        )
        row.status = UploadInspection.Status.QUEUED
        row.save(update_fields=["job", "status"])
    return row


def _inspection_lost(row: UploadInspection) -> bool:
    """A queued inspection whose job is gone (deleted, or finished without recording):
    queued again when the page is next opened."""
    if row.status != UploadInspection.Status.QUEUED:
        return False
    return row.job is None or row.job.status == Job.Status.DONE


def inspection_compute(*, upload: ImportUpload, options: dict, progress=None) -> dict:
    """Read ``upload`` with ``options`` (the worker's side): the facts, the preview and the
    proposed mapping as JSON. Raises one of USER_ERRORS when it cannot be read so."""
    tick = progress or (lambda *_a: None)
    layer = layer_for_import(slug=upload.layer)
    with upload_file(upload) as path, tempfile.TemporaryDirectory() as workdir:
        tick(0.1, "read")
        # Shapefiles and GeoPackages are read in parts: the count comes from the file's
        # header and only the first rows are taken for the samples and the preview.
        source = source_read(
            path=path,
            workdir=Path(workdir),
            file_name=upload.file_name,
            encoding=options.get("encoding") or None,
            crs=options.get("crs") or None,
            layer=options.get("source_layer") or None,
            lazy=True,
        )
        tick(0.6, "inspect")
        inspection = import_inspect(layer=layer, source=source)
        inspection["partial"] = source.read_rows is not None and source.count > len(source.geoms)
        if inspection["partial"]:
            # Samples and preview are of the first rows; the extent is the whole file's.
            inspection["extent"] = _whole_extent(source) or inspection["extent"]
        inspection["preview"] = preview_geojson(source, offset=options.get("offset") or None)
        tick(0.9, "layers")
        inspection["layers"] = [
            {"name": item.name, "geometry_type": item.geometry_type, "count": item.count}
            for item in import_layers(path=path, file_name=upload.file_name)
        ]
    inspection["allow_all"] = upload.file_name.lower().endswith((".kml", ".kmz"))
    return json.loads(json.dumps(inspection, default=str))


def _whole_extent(source) -> list[float] | None:
    """The extent (EPSG:4326) of every feature of a file read in parts, from the bounds
    GDAL keeps in the file's header or index (no feature is read)."""
    read = source.read_rows
    try:
        info = pyogrio.read_info(
            read.args[0], layer=read.keywords.get("layer"), force_total_bounds=True
        )
        x0, y0, x1, y1 = (float(v) for v in info["total_bounds"])
        box = np.array([shapely.box(x0, y0, x1, y1).segmentize(max(x1 - x0, y1 - y0) / 16)])
        wgs = crs_module.geometries_to_wgs84(box, crs=source.crs)
        bounds = [float(v) for v in shapely.bounds(wgs[0])]
    except Exception:  # noqa: BLE001 - no bounds in the header or absurd ones: keep the sample's
        return None
    return bounds if np.isfinite(bounds).all() else None


def inspection_for_page(upload: ImportUpload, row: UploadInspection) -> dict:
    """The cached inspection as the page uses it: the layers as FileLayer, the mapping the
    user edited (or the proposal) and the column names."""
    inspection = dict(row.result)
    inspection["layers"] = [FileLayer(**item) for item in inspection.get("layers", [])]
    inspection["proposed_mapping"] = inspection["mapping"]
    if upload.mapping is not None:
        inspection["mapping"] = upload.mapping
    inspection["columns"] = [f["name"] for f in inspection["fields"]]
    return inspection


def inspection_error(row: UploadInspection) -> ReadError:
    """Why the file could not be read with these options, as the reader said it (with the
    file's layers when the reason is that several were found)."""
    if row.layers:
        layers = [FileLayer(**item) for item in row.layers]
        return SeveralLayers(row.error, layers, row.allow_all)
    return ReadError(row.error)


def preview_geojson(source, *, offset: str | None, n: int = PREVIEW_FEATURES) -> dict:
    """The first ``n`` features in EPSG:4326 (after the declared offset) for the preview map,
    with their first few attributes."""
    geoms = shapely.force_2d(source.geoms[:n])
    if offset:
        geoms = gcj02.geometries_to_wgs84(geoms, offset=offset)
    try:
        geoms = crs_module.geometries_to_wgs84(geoms, crs=source.crs)
    except Exception:  # noqa: BLE001 - absurd coordinates for the CRS: nothing to preview
        geoms = np.full(len(geoms), None, dtype=object)
    columns = [str(c) for c in source.frame.columns[:6]]
    features = []
    with np.errstate(invalid="ignore", over="ignore"):
        # Absurd coordinates (1e308, NaN) have no place on the map, nor in JSON.
        drawable = np.isfinite(shapely.bounds(geoms)).all(axis=1)
    for i, geom in enumerate(geoms):
        if not drawable[i]:
            continue
        row = source.frame.iloc[i]
        features.append(
            {
                "type": "Feature",
                "id": i + 1,
                "geometry": json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-7))),
                "properties": {c: _short(row.iloc[k]) for k, c in enumerate(columns)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _short(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)[:80]


def upload_validate(upload: ImportUpload, *, options: dict | None = None, progress=None):
    """Validate the whole file with the upload's choices (a dry run: nothing is written to
    the layer) and remember the outcome on the upload (the worker's side of the check).
    ``options`` are the choices the check was queued with; when the upload's choices have
    changed since, the outcome is not kept (a newer check is queued). Returns the record,
    or None when it was not kept."""
    options = options if options is not None else upload.options()
    with upload_file(upload) as path:
        outcome = import_file(path=path, by=upload.user, dry_run=True, progress=progress, **options)
    with transaction.atomic():
        current = ImportUpload.objects.select_for_update().defer("content").get(pk=upload.pk)
        if current.options() != options or current.result_id is not None:
            return None
        current.validation = outcome.record
        current.save(update_fields=["validation"])
    upload.validation = outcome.record
    return outcome.record


def upload_validate_enqueue(upload: ImportUpload):
    """Queue the whole-file check of ``upload`` with its current choices (``imports.validate``)
    and forget the previous check; returns the job."""
    with transaction.atomic():
        job = job_enqueue(
            name="imports.validate",
            args={
                "upload": upload.pk,
                "options": upload.options(),
                "language": translation.get_language() or "",
            },
            by=upload.user,
        )
        if job is None:  # the same check is queued already
            job = Job.objects.filter(
                name="imports.validate", args__upload=upload.pk, status=Job.Status.QUEUED
            ).first()
        upload.validation = None
        upload.check_job = job
        upload.save(update_fields=["validation", "check_job"])
    return job


def upload_check_active(upload: ImportUpload) -> bool:
    """Whether the upload's whole-file check is queued or running."""
    return upload.check_job_id is not None and upload.check_job.status in (
        Job.Status.QUEUED,
        Job.Status.RUNNING,
    )


def upload_job_active(upload: ImportUpload) -> bool:
    """Whether the upload's commit job is queued or running (its choices are frozen)."""
    from geo_cm.jobs.models import Job

    return upload.job_id is not None and upload.job.status in (
        Job.Status.QUEUED,
        Job.Status.RUNNING,
    )


def upload_commit_enqueue(upload: ImportUpload):
    """Queue the commit of a validated upload; returns its job. A second click (even at
    the same moment) returns the same job.

    The job carries the choices that were checked, so what it writes is what the report
    showed; the pages refuse changes to the choices while it is queued or running.
    """
    from geo_cm.jobs.models import Job

    with transaction.atomic():
        item = (
            ImportUpload.objects.select_for_update(of=("self",))
            .select_related("job", "validation")
            .defer("content")
            .get(pk=upload.pk)
        )
        if upload_job_active(item):
            return item.job
        if item.result_id is not None:
            raise UploadRefused(_("This file is imported already; upload it again to re-import."))
        if item.validation is None or item.validation.status != ImportRecord.Status.VALIDATED:
            raise UploadRefused(
                _("Check the whole file first; only a file without errors is imported.")
            )
        job = job_enqueue(
            name="imports.commit",
            args={"upload": item.pk, "options": item.options()},
            by=item.user,
        )
        if job is None:  # queued already by a path other than this upload's row
            job = Job.objects.filter(
                name="imports.commit",
                args__upload=item.pk,
                status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
            ).first()
        item.job = job
        item.save(update_fields=["job"])
    upload.job = job
    return job


def uploads_purge(*, now=None) -> int:
    """Delete the uploads older than GEOCM["IMPORT_UPLOAD_EXPIRY_DAYS"] that were not
    imported and whose commit is not queued or running; returns how many. Their bytes,
    choices and cached inspections go with them; the ImportRecords of their checks stay
    (the history of what was tried)."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    cutoff = (now or timezone.now()) - dt.timedelta(
        days=float(settings.GEOCM["IMPORT_UPLOAD_EXPIRY_DAYS"])
    )
    busy = [Job.Status.QUEUED, Job.Status.RUNNING]
    expired = list(
        ImportUpload.objects.filter(created_at__lt=cutoff, result__isnull=True)
        .exclude(job__status__in=busy)
        .values_list("pk", flat=True)
    )
    if expired:
        ImportUpload.objects.filter(pk__in=expired).delete()
    return len(expired)
