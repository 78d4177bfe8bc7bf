"""The imports' background jobs: inspect an uploaded file, commit it (both queued by the
import pages), and purge the uploads nobody imported."""

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo_cm.jobs.queue import job_report, periodic, task

from .models import ImportRecord, ImportUpload, UploadInspection
from .readers import SeveralLayers
from .services import USER_ERRORS, import_file
from .uploads import (
    inspection_compute,
    upload_file,
    upload_parts_clear,
    upload_validate,
    uploads_purge,
)


@task("imports.inspect")
def import_inspect_job(job, *, inspection: int):
    """Read an upload with one set of read options and keep what the inspection page shows
    (or the sentence saying why it cannot be read). The page polls the job and shows the
    kept result on every later view without reading the file again."""
    row = UploadInspection.objects.select_related("upload", "upload__user").filter(pk=inspection)
    row = row.first()
    if row is None:  # the upload was purged or deleted meanwhile
        return {"status": "gone"}
    if row.status != UploadInspection.Status.QUEUED:
        return {"status": row.status}  # run again after it finished: nothing to redo

    def progress(value, step):
        job_report(job, progress=value, message=step)

    with translation.override(row.options.get("language") or None):
        try:
            row.result = inspection_compute(
                upload=row.upload, options=row.options, progress=progress
            )
            row.status = UploadInspection.Status.DONE
        except USER_ERRORS as exc:
            row.status, row.error = UploadInspection.Status.FAILED, str(exc)
            if isinstance(exc, SeveralLayers):
                row.layers = [
                    {"name": i.name, "geometry_type": i.geometry_type, "count": i.count}
                    for i in exc.layers
                ]
                row.allow_all = exc.allow_all
        except Exception:
            row.status = UploadInspection.Status.FAILED
            row.error = _(
                "The file could not be read; the error is in the worker's log. Is it complete "
                "and not damaged?"
            )
            row.finished_at = timezone.now()
            row.save(update_fields=["status", "error", "finished_at"])
            raise  # the job fails with the traceback, for the operator
    row.finished_at = timezone.now()
    row.save(update_fields=["result", "status", "error", "layers", "allow_all", "finished_at"])
    return {"status": row.status}


@task("imports.validate")
def import_validate_job(job, *, upload: int, options: dict, language: str = ""):
    """Check the whole file with the choices it was queued with (a dry run) and keep the
    record as the upload's validation; the validation page follows the job."""
    reached = {"value": 0.05}

    def progress(step, done=0, total=0):
        reached["value"] = max(reached["value"], step_progress(step, done, total))
        job_report(job, progress=reached["value"], message=step)

    item = ImportUpload.objects.select_related("user").filter(pk=upload).first()
    if item is None:
        return {"status": "gone"}
    with translation.override(language or None):
        try:
            record = upload_validate(item, options=options, progress=progress)
        except USER_ERRORS as exc:
            # Nothing was written; the sentence is the job's message (the page shows it).
            raise RuntimeError(str(exc)) from exc
    if record is None:
        return {"status": "stale"}
    return {"record": record.pk, "status": record.status}


@periodic("imports.purge_uploads")
@task("imports.purge_uploads")
def import_purge_uploads_job(job):
    """Delete the uploads that were not imported within GEOCM["IMPORT_UPLOAD_EXPIRY_DAYS"]
    (their bytes, choices and cached inspections)."""
    return {"deleted": uploads_purge()}


# How far along the job is: the file read, then the rows validated and written chunk by
# chunk (between ROWS_FROM and ROWS_TO), then the record kept.
READ_PROGRESS, ROWS_FROM, ROWS_TO = 0.1, 0.1, 0.95


def step_progress(step: str, done: int, total: int) -> float:
    """The job's progress (0..1) when ``import_file`` reports ``step``."""
    if step == "read":
        return READ_PROGRESS
    if step == "rows" and total:
        return ROWS_FROM + (ROWS_TO - ROWS_FROM) * done / total
    return ROWS_TO


@task("imports.commit")
def import_commit_job(job, *, upload: int, options: dict):
    """Commit an uploaded file with the choices that were checked: read, validate again,
    write. The import and the upload's result are one transaction, and the upload's row is
    locked meanwhile, so a job run again (its worker died) finds the import done instead of
    importing twice or reporting a committed file as failed."""
    reached = {"value": 0.05}

    def progress(step, done=0, total=0):
        reached["value"] = max(reached["value"], step_progress(step, done, total))
        job_report(job, progress=reached["value"], message=step)

    job_report(job, progress=0.05, message="start")
    try:
        with transaction.atomic():
            item = (
                ImportUpload.objects.select_for_update(of=("self",))
                .select_related("user", "result")
                .get(pk=upload)
            )
            if item.result_id is not None:
                return {"record": item.result_id, "status": item.result.status}
            with upload_file(item) as path:
                outcome = import_file(path=path, by=item.user, progress=progress, **options)
            record = outcome.record
            if record.status == ImportRecord.Status.COMMITTED:
                item.result = record
                upload_parts_clear(item)  # the layer holds the data now; the record keeps the hash
            else:
                # The data changed since the check (e.g. a code now exists): the new report
                # stands as the upload's validation, and the user can adjust and try again.
                item.validation = record
            item.save(update_fields=["result", "validation"])
    except USER_ERRORS as exc:
        # Nothing was written; the sentence is the job's message (the page shows it).
        raise RuntimeError(str(exc)) from exc
    return {"record": record.pk, "status": record.status}
