"""The imports' background job: commit an uploaded file (queued by the import pages)."""

from django.db import transaction

from geo_cm.jobs.queue import job_report, task

from .models import ImportRecord, ImportUpload
from .services import USER_ERRORS, import_file
from .uploads import upload_file

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
                item.content = b""  # the layer holds the data now; the record keeps the hash
            else:
                # The data changed since the check (e.g. a code now exists): the new report
                # stands as the upload's validation, and the user can adjust and try again.
                item.validation = record
            item.save(update_fields=["result", "content", "validation"])
    except USER_ERRORS as exc:
        # Nothing was written; the sentence is the job's message (the page shows it).
        raise RuntimeError(str(exc)) from exc
    return {"record": record.pk, "status": record.status}
