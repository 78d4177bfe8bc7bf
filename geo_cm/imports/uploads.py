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
import shapely
from django.db import transaction
from django.utils.translation import gettext as _

from geo_cm import gcj02
from geo_cm.jobs.queue import job_enqueue
from geo_cm.registry import registry

from . import crs as crs_module
from .models import ImportRecord, ImportUpload
from .readers import SeveralLayers, source_read
from .safety import UnsafeFile, limit
from .services import import_file, import_inspect, import_layers, layer_for_import

PREVIEW_FEATURES = 300
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


@contextlib.contextmanager
def upload_file(upload: ImportUpload):
    """The upload's bytes as a file in a temporary folder (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="geocm-upload-") as folder:
        # Our own name: the user's file name may hold anything; only the suffix matters.
        path = Path(folder) / f"upload{Path(upload.file_name).suffix.lower()}"
        path.write_bytes(bytes(upload.content))
        yield path


def _read(upload: ImportUpload, workdir: Path, path: Path):
    return source_read(
        path=path,
        workdir=workdir,
        file_name=upload.file_name,
        encoding=upload.encoding or None,
        crs=upload.crs or None,
        layer=upload.source_layer or None,
    )


def upload_store(*, user, layer_slug: str, uploaded, options: dict) -> ImportUpload:
    """Check and keep an uploaded file. Raises one of USER_ERRORS (nothing kept) when the
    file is refused or cannot be read with the given options."""
    import_permission_check(user=user, layer_slug=layer_slug)
    # The name is shown and recorded: no path, no control characters (a NUL cannot be stored).
    name = "".join(ch for ch in Path(uploaded.name or "").name if ch.isprintable())[:300]
    if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise UploadRefused(
            _(
                "Upload a zipped shapefile (.zip with .shp, .shx, .dbf and .prj), a GeoPackage, "
                "GeoJSON, KML, KMZ, CSV or XLSX file."
            )
        )
    if uploaded.size > limit("IMPORT_MAX_UPLOAD_BYTES"):
        raise UploadRefused(
            _("The file is larger than the %(mb)d MB limit.")
            % {"mb": limit("IMPORT_MAX_UPLOAD_BYTES") // 1_000_000}
        )
    digest = hashlib.sha256()
    chunks = []
    for chunk in uploaded.chunks():
        digest.update(chunk)
        chunks.append(chunk)
    upload = ImportUpload(
        user=user,
        layer=layer_slug,
        file_name=name,
        size=uploaded.size,
        sha256=digest.hexdigest(),
        content=b"".join(chunks),
        encoding=options.get("encoding") or "",
        crs=options.get("crs") or "",
        offset=options.get("offset") or "",
    )
    with upload_file(upload) as path, tempfile.TemporaryDirectory() as workdir:
        try:
            _read(upload, Path(workdir), path)  # refuses what cannot be read, before keeping it
        except SeveralLayers:
            pass  # readable: the inspection page asks which layer
    upload.save()
    return upload


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


def upload_inspect(upload: ImportUpload) -> dict:
    """What the inspection page shows: import_inspect, the preview and the mapping in use.
    Raises one of USER_ERRORS when the file cannot be read with the upload's options."""
    layer = layer_for_import(slug=upload.layer)
    with upload_file(upload) as path, tempfile.TemporaryDirectory() as workdir:
        source = _read(upload, Path(workdir), path)
        inspection = import_inspect(layer=layer, source=source)
        inspection["preview"] = preview_geojson(source, offset=upload.offset or None)
        inspection["layers"] = import_layers(path=path, file_name=upload.file_name)
    inspection["allow_all"] = upload.file_name.lower().endswith(".kml")
    inspection["proposed_mapping"] = inspection["mapping"]
    if upload.mapping is not None:
        inspection["mapping"] = upload.mapping
    inspection["columns"] = [f["name"] for f in inspection["fields"]]
    return inspection


def upload_validate(upload: ImportUpload) -> ImportRecord:
    """Validate the whole file with the upload's choices (a dry run: nothing is written to
    the layer) and remember the outcome on the upload."""
    with upload_file(upload) as path:
        outcome = import_file(path=path, by=upload.user, dry_run=True, **upload.options())
    upload.validation = outcome.record
    upload.save(update_fields=["validation"])
    return outcome.record


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
