"""The record of every import: who, when, what file, how it was read, and what it did."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportRecord(models.Model):
    """One import of one file into one layer. Imported assets carry ``import:<id>`` as source."""

    class Status(models.TextChoices):
        VALIDATED = "validated", _("validated (dry run)")
        REJECTED = "rejected", _("rejected (row errors)")
        COMMITTED = "committed", _("committed")
        FAILED = "failed", _("failed")

    class Mode(models.TextChoices):
        CREATE = "create", _("create")
        UPSERT = "upsert", _("upsert by code")
        REPLACE = "replace", _("replace a subdistrict")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    layer = models.CharField(_("layer"), max_length=100)
    file_name = models.CharField(_("file name"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    driver = models.CharField(_("format"), max_length=40, blank=True)
    source_layer = models.CharField(_("layer in the file"), max_length=200, blank=True)
    encoding = models.CharField(_("encoding"), max_length=40, blank=True)
    crs = models.CharField(_("coordinate system"), max_length=40, blank=True)
    offset = models.CharField(_("coordinate offset"), max_length=10, blank=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    subdistrict = models.CharField(_("subdistrict replaced"), max_length=12, blank=True)
    repair = models.BooleanField(_("repair invalid geometries"), default=False)
    centroids = models.BooleanField(_("a point inside each shape"), default=False)
    # {field: "column"}, {field: {"column": c, "default": v}} or {field: {"constant": v}}.
    mapping = models.JSONField(_("field mapping"), default=dict)
    total = models.PositiveIntegerField(_("features in the file"), default=0)
    # For a dry run (status validated): what a commit would do.
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    rejected = models.PositiveIntegerField(_("rejected rows"), default=0)
    report = models.JSONField(_("row report"), default=list)
    warnings = models.JSONField(_("warnings"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"import:{self.pk} {self.layer} {self.file_name}"

    @property
    def source_label(self) -> str:
        return f"import:{self.pk}"


class ImportUpload(models.Model):
    """A file a GIS staff member uploaded on the import pages, with the choices made so far.

    The bytes live in the database, not on a shared disk, so the worker that commits the
    import (another process, maybe another machine) reads exactly what was inspected. They
    are kept in parts (``ImportUploadPart``), so neither the upload request nor a worker
    holds a whole file in memory to store or fetch it; ``content`` holds the bytes of
    uploads made before that. Both are cleared once the import is committed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    layer = models.CharField(_("layer"), max_length=100)
    file_name = models.CharField(_("file name"), max_length=300)
    source_layer = models.CharField(_("layer in the file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("content"), editable=False, default=b"", blank=True)
    encoding = models.CharField(_("encoding"), max_length=40, blank=True)
    crs = models.CharField(_("coordinate system"), max_length=40, blank=True)
    offset = models.CharField(_("coordinate offset"), max_length=10, blank=True)
    mode = models.CharField(
        _("mode"), max_length=10, choices=ImportRecord.Mode.choices, default="upsert"
    )
    subdistrict = models.CharField(_("subdistrict replaced"), max_length=12, blank=True)
    repair = models.BooleanField(_("repair invalid geometries"), default=False)
    centroids = models.BooleanField(_("a point inside each shape"), default=False)
    # None until the user edits it: the proposal from the layer's declaration applies.
    mapping = models.JSONField(_("field mapping"), null=True, blank=True)
    validation = models.ForeignKey(
        ImportRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validation"),
    )
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The whole-file check (a dry run, ``imports.validate``) queued last for this upload.
    check_job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.ForeignKey(
        ImportRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("result"),
    )

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"upload:{self.pk} {self.layer} {self.file_name}"

    def options(self) -> dict:
        """The keyword arguments of ``import_file`` these choices stand for."""
        return {
            "layer_slug": self.layer,
            "file_name": self.file_name,
            "encoding": self.encoding or None,
            "crs": self.crs or None,
            "offset": self.offset or None,
            "mapping": self.mapping,
            "mode": self.mode,
            "subdistrict": self.subdistrict or None,
            "repair": self.repair,
            "source_layer": self.source_layer or None,
            "centroids": self.centroids,
        }


class ImportUploadPart(models.Model):
    """One part (at most PART_BYTES) of an uploaded file's bytes, in order."""

    upload = models.ForeignKey(ImportUpload, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["upload", "number"], name="imports_one_part_per_number")
        ]

    def __str__(self):
        return f"upload:{self.upload_id} part {self.number}"


class UploadInspection(models.Model):
    """What the inspection page shows for one upload read with one set of read options,
    computed once by the job worker (``imports.inspect``) and kept for every later view.

    ``key`` is the SHA-256 of the read options and the language the sentences are in; a
    change of options makes a new row (and a new job), so going back to earlier options
    finds their inspection ready.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("being read")
        DONE = "done", _("read")
        FAILED = "failed", _("could not be read")

    upload = models.ForeignKey(ImportUpload, on_delete=models.CASCADE, related_name="inspections")
    key = models.CharField(max_length=64)
    options = models.JSONField(_("read options"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # The page's facts, preview and proposed mapping (geo_cm.imports.uploads).
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(_("why it could not be read"), blank=True)
    # When the file holds several layers and none was chosen: [{name, geometry_type, count}].
    layers = models.JSONField(default=list, blank=True)
    allow_all = models.BooleanField(default=False)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inspection of an upload")
        verbose_name_plural = _("inspections of uploads")
        constraints = [
            models.UniqueConstraint(fields=["upload", "key"], name="imports_one_inspection_per_key")
        ]

    def __str__(self):
        return f"inspection:{self.pk} upload:{self.upload_id} {self.status}"
