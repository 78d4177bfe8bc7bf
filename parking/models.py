"""Parking facilities, berths, off-peak sharing windows (错时共享停车) and occupancy reports.

Geometries are EPSG:4326.
"""

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from geo_cm.models import Asset
from geo_cm.state import StateMachine


class FacilityStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    UNDER_CONSTRUCTION = "under_construction", _("under construction")
    OPEN = "open", _("open")
    SUSPENDED = "suspended", _("suspended")
    REMOVED = "removed", _("removed")


class Facility(Asset):
    """A parking facility. ``geom`` is its entrance point; ``footprint`` its optional outline."""

    class Kind(models.TextChoices):
        ON_STREET = "on_street", _("on-street")
        SURFACE = "surface", _("surface lot")
        GARAGE = "garage", _("multi-storey garage")
        UNDERGROUND = "underground", _("underground")
        MECHANICAL = "mechanical", _("mechanical")
        UNKNOWN = "unknown", _("unknown")

    class Ownership(models.TextChoices):
        PUBLIC = "public", _("public")
        INSTITUTION = "institution", _("institution")
        COMMERCIAL = "commercial", _("commercial")
        RESIDENTIAL = "residential", _("residential")
        UNKNOWN = "unknown", _("unknown")

    status_machine = StateMachine.build(
        FacilityStatus,
        {
            FacilityStatus.PLANNED: [FacilityStatus.UNDER_CONSTRUCTION, FacilityStatus.REMOVED],
            FacilityStatus.UNDER_CONSTRUCTION: [FacilityStatus.OPEN, FacilityStatus.PLANNED],
            FacilityStatus.OPEN: [FacilityStatus.SUSPENDED, FacilityStatus.REMOVED],
            FacilityStatus.SUSPENDED: [FacilityStatus.OPEN, FacilityStatus.REMOVED],
            FacilityStatus.REMOVED: [],
        },
        initial=FacilityStatus.PLANNED,
    )

    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # A map export (Amap) gives name, place and berths; kind and ownership come later.
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.UNKNOWN)
    ownership = models.CharField(
        _("ownership"), max_length=20, choices=Ownership.choices, default=Ownership.UNKNOWN
    )
    total_berths = models.PositiveIntegerField(_("total berths"))
    ev_berths = models.PositiveIntegerField(_("EV charging berths"), default=0)
    accessible_berths = models.PositiveIntegerField(_("accessible berths"), default=0)
    fee_summary = models.CharField(_("fees"), max_length=300, blank=True)
    operator = models.CharField(_("operator"), max_length=200, blank=True)
    public_phone = models.CharField(_("public contact phone"), max_length=40, blank=True)
    operator_contact = models.CharField(
        _("operator contact (internal)"), max_length=200, blank=True
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=FacilityStatus.choices, default=FacilityStatus.PLANNED
    )
    geom = models.PointField(_("location"), srid=4326)
    footprint = models.MultiPolygonField(_("footprint"), srid=4326, null=True, blank=True)

    class Meta:
        verbose_name = _("parking facility")
        verbose_name_plural = _("parking facilities")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ev_berths__lte=F("total_berths"))
                & Q(accessible_berths__lte=F("total_berths")),
                name="parking_facility_special_berths_within_total",
            )
        ]


class BerthStatus(models.TextChoices):
    AVAILABLE = "available", _("in service")
    OUT_OF_SERVICE = "out_of_service", _("out of service")
    REMOVED = "removed", _("removed")


class Berth(Asset):
    """One parking berth: a point or its painted polygon (EPSG:4326)."""

    class Kind(models.TextChoices):
        STANDARD = "standard", _("standard")
        EV = "ev", _("EV charging")
        ACCESSIBLE = "accessible", _("accessible")
        LOADING = "loading", _("loading")
        MOTORCYCLE = "motorcycle", _("motorcycle")

    status_machine = StateMachine.build(
        BerthStatus,
        {
            BerthStatus.AVAILABLE: [BerthStatus.OUT_OF_SERVICE, BerthStatus.REMOVED],
            BerthStatus.OUT_OF_SERVICE: [BerthStatus.AVAILABLE, BerthStatus.REMOVED],
            BerthStatus.REMOVED: [],
        },
        initial=BerthStatus.AVAILABLE,
    )

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="berths", verbose_name=_("facility")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STANDARD)
    level = models.SmallIntegerField(
        _("level"), null=True, blank=True, help_text=_("Floor in a garage; negative underground.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=BerthStatus.choices, default=BerthStatus.AVAILABLE
    )
    geom = models.GeometryField(_("location"), srid=4326)

    class Meta:
        verbose_name = _("parking berth")
        verbose_name_plural = _("parking berths")
        ordering = ["code"]


class SharingWindow(models.Model):
    """A weekly time window in which a facility shares berths (错时共享停车).

    ``weekdays`` are ISO numbers (1 = Monday .. 7 = Sunday) of the day the window *starts*.
    A window whose ``end_time`` is not after ``start_time`` runs across midnight
    (19:00-07:30 ends on the next morning). Times are local (Asia/Shanghai).
    """

    class Audience(models.TextChoices):
        PUBLIC = "public", _("general public")
        RESIDENTS = "residents", _("nearby residents")

    facility = models.ForeignKey(
        Facility,
        on_delete=models.CASCADE,
        related_name="sharing_windows",
        verbose_name=_("facility"),
    )
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(7)]),
        verbose_name=_("weekdays"),
        help_text=_("ISO weekdays the window starts on: 1 = Monday ... 7 = Sunday."),
    )
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"))
    berths_shared = models.PositiveIntegerField(_("berths shared"))
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    price = models.CharField(_("price"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sharing window")
        verbose_name_plural = _("sharing windows")
        ordering = ["facility", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(start_time=F("end_time")), name="parking_window_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(weekdays__len__gt=0), name="parking_window_has_weekdays"
            ),
        ]

    @property
    def crosses_midnight(self) -> bool:
        return self.end_time <= self.start_time

    def __str__(self):
        return f"{self.facility.code} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class OccupancyReport(models.Model):
    """A count of free (and occupied) berths at a facility at a moment, from a feed or a person.

    The table grows forever (a city's gates report every few minutes), so it is partitioned
    by month of ``observed_at`` (local time) in PostgreSQL (migration 0004,
    parking/partitions.py). PostgreSQL requires a partitioned table's primary key to hold
    the partition key, so the table's key is (id, observed_at); Django keeps ``id`` as the
    model's primary key, which stays unique because every id comes from one sequence (no
    writer sets ids). Admin pages, ``save()``, ``delete()`` and lookups by id work as before:
    a lookup by id alone reads every partition's (id, observed_at) index, one probe each.
    """

    facility = models.ForeignKey(
        Facility,
        on_delete=models.CASCADE,
        related_name="occupancy_reports",
        verbose_name=_("facility"),
    )
    observed_at = models.DateTimeField(_("observed at"), db_index=True)
    free_berths = models.PositiveIntegerField(_("free berths"))
    occupied_berths = models.PositiveIntegerField(_("occupied berths"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("occupancy report")
        verbose_name_plural = _("occupancy reports")
        ordering = ["-observed_at"]
        indexes = [models.Index(fields=["facility", "-observed_at"])]

    def __str__(self):
        return f"{self.facility.code} {self.observed_at:%Y-%m-%d %H:%M} {self.free_berths}"


class OccupancyLatest(models.Model):
    """The newest report of each facility, kept by triggers on the reports (migration 0004).

    Reading the latest count of every facility is then a join on a small table instead of
    a search through every month of reports; the triggers handle inserts, corrections and
    deletions, so every writer (feed, admin, imports, the demo) keeps it right.
    """

    facility = models.OneToOneField(
        Facility,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="occupancy_latest",
        verbose_name=_("facility"),
    )
    report_id = models.BigIntegerField(_("report"))
    observed_at = models.DateTimeField(_("observed at"))
    free_berths = models.PositiveIntegerField(_("free berths"))
    occupied_berths = models.PositiveIntegerField(_("occupied berths"), null=True, blank=True)

    class Meta:
        verbose_name = _("latest occupancy")
        verbose_name_plural = _("latest occupancy")


class OccupancyMonthly(models.Model):
    """Occupancy of one facility over one local calendar month, for the charts.

    A summary table refreshed per month by ``parking.partitions.occupancy_monthly_refresh``
    (the daily maintenance refreshes this month and the last; closed months do not change).
    ``occupied_share_avg`` is the mean of 1 - free/total berths over the month's reports.
    """

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="+", verbose_name=_("facility")
    )
    month = models.DateField(_("month"), help_text=_("First day of the month (local time)."))
    reports = models.PositiveIntegerField(_("reports"))
    free_avg = models.FloatField(_("mean free berths"))
    free_min = models.PositiveIntegerField(_("fewest free berths"))
    free_max = models.PositiveIntegerField(_("most free berths"))
    occupied_share_avg = models.FloatField(_("mean occupied share"), null=True)

    class Meta:
        verbose_name = _("monthly occupancy")
        verbose_name_plural = _("monthly occupancy")
        ordering = ["facility", "month"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "month"], name="parking_monthly_once")
        ]
