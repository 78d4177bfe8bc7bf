"""The import flow in one place for the CLI and the pages: read, inspect, validate, commit.

``import_file`` is what ``manage.py import_layer`` and the commit page call; both get an
ImportRecord back (committed, rejected or a dry run) and never a half-written layer.
"""

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.utils import timezone
from django.utils.translation import gettext as _

from geo_cm.registry import registry

from .commit import CommitError, import_commit
from .models import ImportRecord
from .readers import ReadError, Source, source_read
from .safety import UnsafeFile
from .validate import MappingError, Validated, _area_geom, import_validate, mapping_propose

# Errors a user can fix; each carries one sentence (a 400 on the pages, exit 1 in the CLI).
USER_ERRORS = (ReadError, UnsafeFile, MappingError, CommitError)


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
    """What the inspection page shows: encoding, CRS, geometry types, count, extent (EPSG:4326
    after the declared CRS), whether it falls in the district, fields with sample values and
    the proposed mapping."""
    from .crs import geometries_to_wgs84

    geoms = source.geoms[~shapely.is_missing(source.geoms)]
    extent, inside = None, None
    if len(geoms):
        try:
            wgs = geometries_to_wgs84(shapely.force_2d(geoms), crs=source.crs)
            b = shapely.bounds(wgs)
            extent = [
                float(np.nanmin(b[:, 0])),
                float(np.nanmin(b[:, 1])),
                float(np.nanmax(b[:, 2])),
                float(np.nanmax(b[:, 3])),
            ]
            district = _area_geom("district")
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
        "encoding": source.encoding.name if source.encoding else "",
        "encoding_reason": source.encoding.reason if source.encoding else "",
        "crs": f"EPSG:{source.crs.epsg}",
        "crs_title": source.crs.title,
        "crs_reason": source.crs_reason,
        "geometry_types": source.geometry_types,
        "count": source.count,
        "extent": extent,
        "inside_district_share": inside,
        "fields": fields,
        "mapping": mapping_propose(
            layer=layer, columns=[str(c) for c in source.frame.columns], frame=source.frame
        ),
        "warnings": source.warnings,
    }


def import_file(
    *,
    layer_slug: str,
    path: Path,
    file_name: str | None = None,
    by=None,
    encoding: str | None = None,
    crs: str | None = None,
    offset: str | None = None,
    mapping: dict[str, str] | None = None,
    mode: str = "upsert",
    subdistrict: str | None = None,
    repair: bool = False,
    dry_run: bool = False,
    progress=None,
) -> Outcome:
    """Read, validate and (unless ``dry_run`` or a row failed) commit one file.

    Always returns an Outcome whose ImportRecord says what happened (validated, rejected or
    committed). Raises one of USER_ERRORS when the file cannot be read or written at all.
    """
    layer = layer_for_import(slug=layer_slug)
    path = Path(path)
    tick = progress or (lambda *_a, **_k: None)
    with tempfile.TemporaryDirectory(prefix="geocm-import-") as workdir:
        source = source_read(
            path=path, workdir=Path(workdir), file_name=file_name, encoding=encoding, crs=crs
        )
        tick("read")
        if mapping is None:
            mapping = mapping_propose(
                layer=layer, columns=[str(c) for c in source.frame.columns], frame=source.frame
            )
        validated = import_validate(
            layer=layer, source=source, mapping=mapping, mode=mode, offset=offset,
            repair=repair, subdistrict=subdistrict,
        )  # fmt: skip
        tick("validated")
    record = ImportRecord(
        user=by if getattr(by, "pk", None) else None,
        layer=layer.slug,
        file_name=(file_name or path.name)[:300],
        sha256=file_sha256(path),
        driver=source.driver,
        encoding=source.encoding.name if source.encoding else "",
        crs=f"EPSG:{source.crs.epsg}",
        offset=offset or "",
        mode=mode,
        subdistrict=subdistrict or "",
        repair=repair,
        mapping=validated.mapping,
        total=validated.total,
        rejected=validated.error_rows,
        report=validated.report(),
        warnings=validated.warnings,
    )
    if not validated.ok:
        record.status = ImportRecord.Status.REJECTED
        record.message = _("%(n)d of %(total)d rows have errors; nothing was written.") % {
            "n": validated.error_rows,
            "total": validated.total,
        }
        if not validated.error_rows:
            record.message = next(p.problem for p in validated.problems if p.row == 0)
        record.finished_at = timezone.now()
        record.save()
        return Outcome(record, validated, source)
    if dry_run:
        record.status = ImportRecord.Status.VALIDATED
        record.message = _("Dry run: %(n)d rows are valid; nothing was written.") % {
            "n": validated.total
        }
        record.finished_at = timezone.now()
        record.save()
        return Outcome(record, validated, source)
    record.status = ImportRecord.Status.FAILED
    record.save()
    try:
        import_commit(
            validated=validated,
            record=record,
            by=by,
            mode=mode,
            subdistrict=subdistrict,
            progress=tick,
        )
    except CommitError as exc:
        ImportRecord.objects.filter(pk=record.pk).update(
            status=ImportRecord.Status.FAILED, message=str(exc), finished_at=timezone.now()
        )
        raise
    return Outcome(record, validated, source)
