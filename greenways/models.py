"""Greenway routes and their segments (绿道). Segments are MultiLineString, EPSG:4326."""

from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from geo_cm.fields import geodesic_length_field
from geo_cm.models import Asset
from geo_cm.state import StateMachine


class Route(models.Model):
    """A named greenway route made of segments (it has no geometry of its own)."""

    code = models.CharField(_("route code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("greenway route")
        verbose_name_plural = _("greenway routes")
        ordering = ["code"]

    def __str__(self):
        return self.name


class SegmentStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    UNDER_CONSTRUCTION = "under_construction", _("under construction")
    COMPLETED = "completed", _("completed")


class Segment(Asset):
    """A greenway segment. ``length_m`` is geodesic metres generated from ``geom``."""

    class Surface(models.TextChoices):
        ASPHALT = "asphalt", _("asphalt")
        PERMEABLE = "permeable", _("permeable concrete")
        PAVERS = "pavers", _("pavers")
        TIMBER = "timber", _("timber boardwalk")
        GRAVEL = "gravel", _("gravel")

    status_machine = StateMachine.build(
        SegmentStatus,
        {
            SegmentStatus.PLANNED: [SegmentStatus.UNDER_CONSTRUCTION],
            SegmentStatus.UNDER_CONSTRUCTION: [SegmentStatus.COMPLETED, SegmentStatus.PLANNED],
            SegmentStatus.COMPLETED: [SegmentStatus.UNDER_CONSTRUCTION],
        },
        initial=SegmentStatus.PLANNED,
    )

    route = models.ForeignKey(
        Route, on_delete=models.PROTECT, related_name="segments", verbose_name=_("route")
    )
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SegmentStatus.choices,
        default=SegmentStatus.PLANNED,
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    surface = models.CharField(_("surface"), max_length=20, choices=Surface.choices, blank=True)
    width_m = models.DecimalField(
        _("width (m)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    geom = models.MultiLineStringField(_("line"), srid=4326)
    length_m = geodesic_length_field(verbose_name=_("length (m)"))

    class Meta:
        verbose_name = _("greenway segment")
        verbose_name_plural = _("greenway segments")
        ordering = ["code"]
