"""Citizens' reports and 12345/12319 hotline work orders (工单), EPSG:4326 points.

A work order is a case, not a thing on the street: it has a workflow (received ->
dispatched -> replied -> resolved -> closed, reopened and rejected beside it) whose steps
are taken in ``workorders.services``, each leaving a ``WorkOrderEvent``. The asset it
concerns (a street light, a toilet) is found through the layer registry and stored
generically as a layer slug and the asset's id and code: this app imports no other.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from geo_cm.models import Asset, ChangeRecord, Subdistrict
from geo_cm.state import StateMachine


class Category(models.TextChoices):
    STREET_LIGHT = "street_light", pgettext_lazy("work order category", "street light")
    TOILET = "toilet", pgettext_lazy("work order category", "public toilet")
    PARKING = "parking", pgettext_lazy("work order category", "parking")
    ROAD = "road", pgettext_lazy("work order category", "road")
    ALLEY = "alley", pgettext_lazy("work order category", "back alley")
    GREENWAY = "greenway", pgettext_lazy("work order category", "greenway")
    SANITATION = "sanitation", pgettext_lazy("work order category", "sanitation")
    OTHER = "other", pgettext_lazy("work order category", "other")


class Channel(models.TextChoices):
    HOTLINE_12345 = "12345", _("12345 citizen hotline")
    HOTLINE_12319 = "12319", _("12319 urban-management hotline")
    WEB = "web", _("public report form")
    FIELD = "field", _("field team")


# Orders from the two hotlines are the "hot" orders the plan's R7-R9 targets count.
HOTLINE_CHANNELS = (Channel.HOTLINE_12345, Channel.HOTLINE_12319)


class Satisfaction(models.TextChoices):
    NOT_RATED = "", pgettext_lazy("work order", "not rated yet")
    SATISFIED = "satisfied", pgettext_lazy("work order", "satisfied")
    BASICALLY = "basically", pgettext_lazy("work order", "basically satisfied")
    UNSATISFIED = "unsatisfied", pgettext_lazy("work order", "unsatisfied")
    NONE = "none", pgettext_lazy("work order", "no rating given")


class Datum(models.TextChoices):
    """The datum the reporter's coordinates came in; stored coordinates are always WGS84."""

    WGS84 = "wgs84", _("WGS84 (GPS)")
    GCJ02 = "gcj02", _("GCJ-02 (Amap, Tencent)")
    BD09 = "bd09", _("BD-09 (Baidu)")


class WorkOrderStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("work order status", "received")
    DISPATCHED = "dispatched", pgettext_lazy("work order status", "dispatched")
    REPLIED = "replied", pgettext_lazy("work order status", "replied")
    RESOLVED = "resolved", pgettext_lazy("work order status", "resolved")
    CLOSED = "closed", pgettext_lazy("work order status", "closed")
    REOPENED = "reopened", pgettext_lazy("work order status", "reopened")
    REJECTED = "rejected", pgettext_lazy("work order status", "rejected")


S = WorkOrderStatus
# Open: someone still has to act on it.
OPEN_STATUSES = (S.RECEIVED, S.DISPATCHED, S.REPLIED, S.REOPENED)
# What the handling steps set (workorders.services): the status, its times and texts.
HANDLING_FIELDS = (
    "status",
    "team",
    "dispatched_at",
    "replied_at",
    "reply",
    "resolved_at",
    "resolution",
    "closed_at",
    "satisfaction",
    "reopened_at",
    "reopen_count",
    "rejection_reason",
)


class WorkOrder(Asset):
    """A report of a problem at a place (Point, EPSG:4326), and how it was handled.

    ``code`` is the work-order number (the hotline's own for imported orders).
    ``subdistrict`` (from the location) is the responsible subdistrict; ``team`` is the
    subdistrict team it was dispatched to (normally the same). Times are instants (stored
    in UTC, shown in Asia/Shanghai). ``replied_at`` is the first reply to the reporter and
    stays when the order is reopened; ``resolved_at``, ``closed_at`` and ``satisfaction``
    are those of the latest resolution and close.
    """

    # Forward steps may be skipped (a hotline export reports an order closed that this
    # platform last saw received); the services ask for what each step needs.
    status_machine = StateMachine.build(
        WorkOrderStatus,
        {
            S.RECEIVED: [S.DISPATCHED, S.REPLIED, S.RESOLVED, S.CLOSED, S.REJECTED],
            S.DISPATCHED: [S.REPLIED, S.RESOLVED, S.CLOSED, S.REJECTED],
            S.REPLIED: [S.RESOLVED, S.CLOSED, S.REJECTED],
            S.RESOLVED: [S.CLOSED, S.REOPENED],
            S.CLOSED: [S.REOPENED],
            S.REOPENED: [S.DISPATCHED, S.REPLIED, S.RESOLVED, S.CLOSED, S.REJECTED],
            # A rejection found wrong is reopened, not rewritten.
            S.REJECTED: [S.REOPENED],
        },
        initial=S.RECEIVED,
    )

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    address = models.CharField(_("address as reported"), max_length=300, blank=True)
    # Private: never in a public answer, a feature-API property, an export or a map popup.
    reporter_name = models.CharField(_("reporter's name"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=40, blank=True)
    # A photo link sent by a reporting app (Open311 media_url); staff only, never fetched.
    media_url = models.CharField(
        _("photo link"),
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    reported_datum = models.CharField(
        _("datum reported in"), max_length=5, choices=Datum.choices, default=Datum.WGS84
    )
    status = models.CharField(
        _("status"), max_length=12, choices=WorkOrderStatus.choices, default=S.RECEIVED
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    team = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("dispatched to"),
    )
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("first replied at"), null=True, blank=True)
    reply = models.TextField(_("reply"), max_length=2000, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), max_length=2000, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True, default=""
    )
    reopened_at = models.DateTimeField(_("last reopened at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    rejection_reason = models.TextField(_("rejection reason"), max_length=1000, blank=True)
    # The asset the order concerns: proposed from location and category, confirmed by staff.
    asset_layer = models.CharField(_("asset layer"), max_length=50, blank=True, editable=False)
    asset_id = models.BigIntegerField(_("asset id"), null=True, blank=True, editable=False)
    asset_code = models.CharField(_("asset"), max_length=64, blank=True, editable=False)
    asset_distance_m = models.FloatField(
        _("asset distance (m)"), null=True, blank=True, editable=False
    )
    asset_confirmed = models.BooleanField(_("asset confirmed"), default=False, editable=False)
    geom = models.PointField(_("location"), srid=4326)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-received_at", "-id"]
        permissions = [("view_reporter_contact", _("Can see reporters' names and phones"))]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["category", "received_at"]),
        ]

    def clean(self):
        """What each status needs, and times in order (the feature API and admin run this;
        the services set these fields themselves)."""
        errors = {}
        status = self.status
        needs = {
            S.DISPATCHED: "dispatched_at",
            S.REPLIED: "replied_at",
            S.RESOLVED: "resolved_at",
            S.CLOSED: "closed_at",
            S.REOPENED: "reopened_at",
        }
        name = needs.get(status)
        if name and getattr(self, name) is None:
            errors[name] = _("A work order with status %(status)s needs this time.") % {
                "status": self.get_status_display()
            }
        if status == S.REJECTED and not self.rejection_reason.strip():
            errors["rejection_reason"] = _("Say why the work order is rejected.")
        if status == S.CLOSED and not self.satisfaction:
            errors["satisfaction"] = _(
                "Record the reporter's satisfaction when closing (or 'no rating given')."
            )
        if self.satisfaction and self.closed_at is None:
            errors["satisfaction"] = _("Satisfaction is recorded only for closed work orders.")
        for name in ("dispatched_at", "replied_at", "resolved_at", "closed_at", "reopened_at"):
            value = getattr(self, name)
            if value is not None and self.received_at is not None and value < self.received_at:
                errors.setdefault(name, _("This time is before the order was received."))
        if errors:
            raise ValidationError(errors)


class WorkOrderEvent(models.Model):
    """One step in a work order's handling: who, when, from and to which status, why."""

    class Action(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("work order step", "received")
        DISPATCHED = "dispatched", pgettext_lazy("work order step", "dispatched")
        REPLIED = "replied", pgettext_lazy("work order step", "replied")
        RESOLVED = "resolved", pgettext_lazy("work order step", "resolved")
        CLOSED = "closed", pgettext_lazy("work order step", "closed")
        REOPENED = "reopened", pgettext_lazy("work order step", "reopened")
        REJECTED = "rejected", pgettext_lazy("work order step", "rejected")
        ASSET = "asset", pgettext_lazy("work order step", "asset confirmed")

    order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="events", verbose_name=_("work order")
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The rating given with a close: every rating is kept here, the order keeps the latest.
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True, default=""
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("user"),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    # The status change of the concerned asset made in the same step (resolving a dark
    # light repairs it): the asset's own history row, so each side links to the other.
    asset_change = models.ForeignKey(
        ChangeRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asset change"),
    )
    # Where the person stood (a field team's phone), EPSG:4326; never searched by place.
    reported_from = models.PointField(
        _("reported from"), srid=4326, null=True, blank=True, spatial_index=False
    )
    at = models.DateTimeField(_("time"), db_index=True)
    # The order's version after this step: a client sees what happened since it read.
    order_version = models.PositiveIntegerField(_("version"), null=True)

    class Meta:
        verbose_name = _("work order event")
        verbose_name_plural = _("work order events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.order.code} {self.get_action_display()} {localtime(self.at):%Y-%m-%d %H:%M}"


def _photo_path(instance, filename):
    # Content-addressed like the field app's photos: the checksum names the file.
    return f"workorders/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class WorkOrderPhoto(models.Model):
    """A photo sent with a report or a handling step; checked and checksummed on upload.

    Staff only: a citizen's photo may show faces and number plates, so none is public.
    """

    order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="photos", verbose_name=_("work order")
    )
    event = models.ForeignKey(
        WorkOrderEvent,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("event"),
    )
    image = models.FileField(_("photo"), upload_to=_photo_path)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=50)
    extension = models.CharField(max_length=5)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(_("width (px)"))
    height = models.PositiveIntegerField(_("height (px)"))

    class Meta:
        verbose_name = _("work order photo")
        verbose_name_plural = _("work order photos")

    def __str__(self):
        return f"{self.order.code} {self.sha256[:12]}"
