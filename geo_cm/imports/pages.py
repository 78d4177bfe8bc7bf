"""GIS staff's import pages: upload, inspect and map fields, validate, commit in the
background, and the result.

Every refusal is a 4xx page with the sentence the importer wrote; nothing is written to a
layer before the commit job, and the commit is one transaction.
"""

import csv
import io
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from geo_cm.basemaps import basemap_config
from geo_cm.jobs.models import Job
from geo_cm.registry import registry

from .forms import ImportOptionsForm, UploadForm
from .models import ImportRecord, ImportUpload, UploadInspection
from .readers import SeveralLayers
from .report_csv import report_csv_rows
from .services import USER_ERRORS
from .uploads import (
    import_permission_check,
    inspection_error,
    inspection_for_page,
    layers_importable_by,
    upload_check_active,
    upload_commit_enqueue,
    upload_inspection,
    upload_job_active,
    upload_store,
    upload_validate_enqueue,
)
from .validate import INFO, WARNING, importable_fields

REPORT_ROWS_SHOWN = 500
READ_OPTIONS = ("encoding", "crs", "offset", "source_layer")
CHOICES = ("mode", "subdistrict", "repair", "centroids")


def _importer(request):
    layers = layers_importable_by(request.user)
    if not layers:
        raise PermissionDenied(_("Importing is for GIS staff."))
    return layers


def _upload(request, pk, *, content=False) -> ImportUpload:
    """The request user's upload (404 for anyone else's); its bytes only when asked."""
    uploads = ImportUpload.objects.select_related("validation", "job", "check_job", "result")
    upload = (uploads if content else uploads.defer("content")).filter(pk=pk).first()
    if upload is None or (upload.user_id != request.user.pk and not request.user.is_superuser):
        raise Http404(_("No such upload."))
    return upload


def _record(request, pk) -> ImportRecord:
    record = ImportRecord.objects.select_related("user").filter(pk=pk).first()
    layer = registry.get(record.layer) if record else None
    allowed = record is not None and (
        record.user_id == request.user.pk
        or layer is not None
        and layer.is_staff_reader(request.user)
    )
    if not allowed:
        raise Http404(_("No such import."))
    return record


@login_required
@require_http_methods(["GET", "POST"])
def imports_home(request):
    """Upload form and the latest imports."""
    layers = _importer(request)
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, layers=layers)
        if form.is_valid():
            try:
                upload = upload_store(
                    user=request.user,
                    layer_slug=form.cleaned_data["layer"],
                    uploaded=form.cleaned_data["file"],
                    options=form.cleaned_data,
                )
            except USER_ERRORS as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("import-inspect", pk=upload.pk)
        status = 400
    else:
        form = UploadForm(layers=layers)
    titles = {lay.slug: lay.title for lay in registry.all()}
    records = list(
        ImportRecord.objects.select_related("user").filter(layer__in=[lay.slug for lay in layers])[
            :20
        ]
    )
    uploads = list(
        ImportUpload.objects.filter(user=request.user, result=None).defer("content")[:10]
    )
    for item in (*records, *uploads):
        item.layer_title = titles.get(item.layer, item.layer)
    context = {"form": form, "records": records, "uploads": uploads}
    return render(request, "imports/home.html", context, status=status)


def _options_form(upload, inspection, data=None, *, read_error=None):
    """The options form; without an inspection (the file could not be read with these
    options) only the read options, and the file's layers when that was the reason."""
    layer = registry.get(upload.layer)
    initial = {
        "encoding": upload.encoding,
        "crs": upload.crs,
        "offset": upload.offset,
        "source_layer": upload.source_layer,
        "mode": upload.mode,
        "subdistrict": upload.subdistrict,
        "repair": upload.repair,
        "centroids": upload.centroids,
    }
    if inspection is None:
        several = read_error if isinstance(read_error, SeveralLayers) else None
        return ImportOptionsForm(
            data,
            initial=initial,
            layers=several.layers if several else (),
            allow_all=several.allow_all if several else False,
        )
    return ImportOptionsForm(
        data,
        initial=initial,
        mapping=inspection["mapping"],
        fields=importable_fields(layer),
        columns=inspection["columns"],
        layers=inspection["layers"],
        allow_all=inspection["allow_all"],
        required=inspection["required"],
    )


def _inspect_page(request, upload, inspection, form, *, status=200, error=None):
    layer = registry.get(upload.layer)
    return render(
        request,
        "imports/inspect.html",
        {
            "upload": upload,
            "layer": layer,
            "inspection": inspection,
            "form": form,
            "error": error,
            "config": {
                "basemap": basemap_config(),
                "areas": reverse("district-boundary"),
                "preview": inspection["preview"] if inspection else None,
            },
        },
        status=status,
    )


def _inspect_wait(request, upload, row):
    """The file is being read by the worker: a progress bar; the page reloads when done."""
    return render(
        request,
        "imports/inspect_wait.html",
        {
            "upload": upload,
            "layer": registry.get(upload.layer),
            "job": row.job,
            "config": {"job": reverse("job", kwargs={"pk": row.job_id}), "reload": True},
        },
        status=202,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_inspect(request, pk):
    """Inspection, preview map, read options and the mapping editor. POST with
    ``action=reread`` re-reads with new options; ``action=validate`` checks the whole file.

    The file is read by the job worker (``imports.inspect``), once per set of read
    options; until it is done the page shows the job's progress (202), then the kept
    result on every view."""
    _importer(request)
    upload = _upload(request, pk)
    if upload.result_id is not None:
        return redirect("import-record", pk=upload.result_id)
    if upload_job_active(upload):
        # The import is under way with the choices that were checked: they stay as they are.
        if request.method == "GET":
            return redirect("import-progress", pk=upload.pk)
        message = _("This file is being imported; its options can no longer be changed.")
        return render(
            request, "imports/refused.html", {"message": message, "upload": upload}, status=409
        )
    row = upload_inspection(upload)
    if row.status == UploadInspection.Status.QUEUED:
        if request.method == "POST":  # a form of an earlier page: look again when read
            return redirect("import-inspect", pk=upload.pk)
        return _inspect_wait(request, upload, row)
    if row.status == UploadInspection.Status.DONE:
        inspection, problem = inspection_for_page(upload, row), None
    else:
        inspection, problem = None, inspection_error(row)
    read_error = str(problem) if problem is not None else None
    if request.method == "GET":
        form = _options_form(upload, inspection, read_error=problem)
        status = 400 if inspection is None else 200
        return _inspect_page(request, upload, inspection, form, status=status, error=read_error)

    form = _options_form(upload, inspection, request.POST, read_error=problem)
    if not form.is_valid():
        return _inspect_page(request, upload, inspection, form, status=400, error=read_error)
    data = form.cleaned_data
    reread = any((data.get(name) or "") != getattr(upload, name) for name in READ_OPTIONS)
    for name in (*READ_OPTIONS, *CHOICES):
        if name in data:
            setattr(upload, name, data[name] if data[name] is not None else "")
    # New read options may rename the columns: the mapping is proposed afresh.
    upload.mapping = None if reread or inspection is None else form.mapping()
    try:
        import_permission_check(user=request.user, layer_slug=upload.layer, mode=upload.mode)
    except USER_ERRORS as exc:
        return _inspect_page(request, upload, inspection, form, status=400, error=str(exc))
    upload.validation = None
    upload.save(update_fields=[*READ_OPTIONS, *CHOICES, "mapping", "validation"])
    if reread or request.POST.get("action") != "validate":
        if reread:
            upload_inspection(upload)  # queued now: the worker reads while the page loads
        return redirect("import-inspect", pk=upload.pk)
    upload_validate_enqueue(upload)  # the worker checks the whole file; the page follows
    return redirect("import-validation", pk=upload.pk)


def _highlights(record) -> bool:
    """Whether the overview map can highlight what the import wrote (it wrote something)."""
    return record.status == ImportRecord.Status.COMMITTED and record.created + record.updated > 0


def _map_url(record) -> str:
    """The overview map with the import's layer alone and, when it wrote records, those
    records highlighted and framed (``?import=``)."""
    query = {"layer": record.layer}
    if _highlights(record):
        query["import"] = record.pk
    return f"{reverse('map')}?{urlencode(query)}"


def _record_page(request, record, *, upload=None):
    layer = registry.get(record.layer)
    can_commit = (
        upload is not None
        and upload.result_id is None
        and record.status == ImportRecord.Status.VALIDATED
    )
    errors = sum(1 for p in record.report if p.get("severity") == "error")
    warnings = sum(1 for p in record.report if p.get("severity") == WARNING)
    notes = [p for p in record.report if p.get("severity") == INFO]
    return render(
        request,
        "imports/record.html",
        {
            "record": record,
            "upload": upload,
            "layer": layer,
            "can_commit": can_commit,
            "rows": [p for p in record.report if p.get("severity") != INFO][:REPORT_ROWS_SHOWN],
            "more_rows": max(0, errors + warnings - REPORT_ROWS_SHOWN),
            "error_count": errors,
            "warning_count": warnings,
            "notes": notes[:REPORT_ROWS_SHOWN],
            "more_notes": max(0, len(notes) - REPORT_ROWS_SHOWN),
            "map_url": _map_url(record),
            "highlight": _highlights(record),
        },
    )


@login_required
def import_validation(request, pk):
    """The validation report of an upload, with the commit button when it is clean; while
    the worker checks the file, its progress (202); why, when the file could not be read."""
    _importer(request)
    upload = _upload(request, pk)
    if upload_check_active(upload):
        return render(
            request,
            "imports/check_wait.html",
            {
                "upload": upload,
                "layer": registry.get(upload.layer),
                "job": upload.check_job,
                "config": {
                    "job": reverse("job", kwargs={"pk": upload.check_job_id}),
                    "reload": True,
                },
            },
            status=202,
        )
    if upload.validation is None:
        if upload.check_job is not None and upload.check_job.status == Job.Status.FAILED:
            message = upload.check_job.message
            return render(
                request, "imports/refused.html", {"message": message, "upload": upload}, status=400
            )
        return redirect("import-inspect", pk=upload.pk)
    return _record_page(request, upload.validation, upload=upload)


@login_required
@require_POST
def import_commit(request, pk):
    _importer(request)
    upload = _upload(request, pk)
    try:
        import_permission_check(user=request.user, layer_slug=upload.layer, mode=upload.mode)
        upload_commit_enqueue(upload)
    except USER_ERRORS as exc:
        return render(
            request, "imports/refused.html", {"message": str(exc), "upload": upload}, status=409
        )
    return redirect("import-progress", pk=upload.pk)


@login_required
def import_progress(request, pk):
    """A live progress bar for the commit job; moves on to the result when it is done."""
    _importer(request)
    upload = _upload(request, pk)
    if upload.job_id is None:
        return redirect("import-inspect", pk=upload.pk)
    return render(
        request,
        "imports/progress.html",
        {
            "upload": upload,
            "job": upload.job,
            "config": {
                "job": reverse("job", kwargs={"pk": upload.job_id}),
                "record": reverse("import-record", kwargs={"pk": 0}),
                "inspect": reverse("import-inspect", kwargs={"pk": upload.pk}),
            },
        },
    )


@login_required
def import_record(request, pk):
    """The record of one import (from the pages or the CLI): counts, warnings, report."""
    record = _record(request, pk)
    return _record_page(request, record)


@login_required
def import_report_csv(request, pk):
    """The row report as CSV (UTF-8 with a BOM, so Excel shows the Chinese)."""
    record = _record(request, pk)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_("row"), _("field"), _("value"), _("problem"), _("severity")])
    writer.writerows(report_csv_rows(record.report))  # values from the file: never formulas
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{record.pk}-report.csv"'
    return response
