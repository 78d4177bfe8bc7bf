"""Platform core models: administrative areas, the abstract asset, and change history.

All geometries are EPSG:4326 (WGS84 longitude/latitude) with a spatial index.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    """A district (区), e.g. Pukou 320111. ``geom`` is a MultiPolygon in EPSG:4326."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    geom = models.MultiPolygonField(_("boundary"), srid=4326)
    # Areas differ between boundary sources (Amap vs Tianditu: ~15 km2), so every
    # area-based percentage names the boundary version it was computed on.
    boundary_source = models.CharField(_("boundary source"), max_length=200)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Subdistrict(models.Model):
    """A subdistrict (街道) with its statistical codes. ``geom`` is a MultiPolygon, EPSG:4326."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="subdistricts")
    # The current 12-digit statistical code (some moved to 320192xxx, Jiangbei New Area).
    code = models.CharField(_("code"), max_length=12, unique=True)
    # The code before the Jiangbei New Area re-coding; both are kept, both are searchable.
    code_old = models.CharField(_("former code"), max_length=12, blank=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    # The letters of the subdistrict in generated asset codes (GC-JP-0042 for 江浦 JP).
    abbreviation = models.CharField(
        _("abbreviation"),
        max_length=6,
        blank=True,
        help_text=_("Capital letters used in generated asset codes, e.g. JP for 江浦街道."),
    )
    managed_by = models.CharField(_("managed by"), max_length=100, blank=True)
    geom = models.MultiPolygonField(_("boundary"), srid=4326)
    geometry_is_synthetic = models.BooleanField(
        _("synthetic boundary"),
        default=False,
        help_text=_("True when no official polygon exists and the outline is a demo partition."),
    )

    class Meta:
        verbose_name = _("subdistrict")
        verbose_name_plural = _("subdistricts")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def code_letters(self) -> str:
        """The abbreviation, else the 3-digit township number of the code (004)."""
        return self.abbreviation or self.code[6:9]


class Asset(models.Model):
    """Fields every managed asset carries.

    ``code`` is the bureau's asset number, unique per layer and the key for import upserts.
    ``subdistrict`` is derived from the location by `geo_cm.assets` (never typed in).
    ``status`` is declared by each model with its choices and ``status_machine``.
    ``version`` increases on every change (optimistic concurrency, ETag).
    """

    code = models.CharField(_("asset code"), max_length=64, unique=True)
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("subdistrict"),
    )
    source = models.CharField(
        _("source"),
        max_length=200,
        default="manual",
        editable=False,
        help_text=_("The import or user that created the record."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        name = getattr(self, "name", "")
        return f"{self.code} {name}".strip()


class ChangeRecord(models.Model):
    """One change to one asset: who, when, what (field -> [old, new]), why and from where."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        STATUS = "status", _("status changed")
        DELETE = "delete", _("deleted")
        NOTE = "note", _("inspection note")

    # Looked up by (content_type, object_id): the composite index below serves both, so
    # the foreign key gets no index of its own (one index less on every bulk import).
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, db_index=False)
    object_id = models.BigIntegerField()
    object_code = models.CharField(_("asset code"), max_length=64)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("user"),
    )
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    # The asset's version after this change: lets a client see what happened since it read.
    asset_version = models.PositiveIntegerField(_("version"), null=True)
    # Where the person stood when they made the change (the phone's position), EPSG:4326.
    # Shown with the change, never searched by place: no spatial index to maintain.
    reported_from = models.PointField(
        _("reported from"), srid=4326, null=True, blank=True, spatial_index=False
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # The object that caused the change, when there is one (the work order whose
    # resolution repaired a light): set by ``asset_set_status(..., related=obj)``.
    # No database constraint: the related id itself cannot have one (it is generic), and a
    # constraint would cost every history row of a bulk import a trigger.
    related_type = models.ForeignKey(
        ContentType,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("related type"),
    )
    related_id = models.BigIntegerField(_("related id"), null=True, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change history")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"]),
            # Partial: the many unlinked rows of a bulk import cost this index nothing.
            models.Index(
                fields=["related_type", "related_id"],
                condition=models.Q(related_id__isnull=False),
                name="geocm_change_related",
            ),
        ]

    def __str__(self):
        return f"{self.object_code} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class StaffScope(models.Model):
    """The subdistricts a field-team member may change assets in (DESIGN: people)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="geocm_scope",
        verbose_name=_("user"),
    )
    subdistricts = models.ManyToManyField(
        Subdistrict, blank=True, related_name="+", verbose_name=_("subdistricts")
    )

    class Meta:
        verbose_name = _("work area")
        verbose_name_plural = _("work areas")

    def __str__(self):
        return str(self.user)


class IdempotencyRecord(models.Model):
    """The stored answer to a write sent with an ``Idempotency-Key`` (a retry replays it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="geocm_idempotency_user_key")
        ]


def _photo_path(instance, filename):
    # Content-addressed: the checksum names the file, so a photo is stored once.
    return f"photos/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class ChangePhoto(models.Model):
    """A photo taken with a change (a fault, a repair). Checked and checksummed on upload."""

    change = models.ForeignKey(
        ChangeRecord, on_delete=models.CASCADE, related_name="photos", verbose_name=_("change")
    )
    image = models.FileField(_("photo"), upload_to=_photo_path)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=50)
    extension = models.CharField(max_length=5)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(_("width (px)"))
    height = models.PositiveIntegerField(_("height (px)"))

    class Meta:
        verbose_name = _("change photo")
        verbose_name_plural = _("change photos")

    def __str__(self):
        return f"{self.change.object_code} {self.sha256[:12]}"


class DataVersion(models.Model):
    """The data version of one asset table: a number that changes on every write to it.

    Bumped by ``geo_cm.versions`` on ``assets_changed`` (inside the writer's transaction),
    read by whatever caches a derived answer per layer: the feature API's ETags, the
    collections' extents (kept here with the version they were computed for), tiles.
    Values come from one sequence, so a version is never reused, even after a reset.
    """

    model = models.CharField(max_length=100, primary_key=True)  # "app_label.model_name"
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True)
    # (minLon, minLat, maxLon, maxLat) in EPSG:4326, or null for an empty table.
    extent = models.JSONField(null=True)
    extent_version = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("data version")
