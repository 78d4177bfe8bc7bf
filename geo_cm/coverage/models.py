"""Coverage: demand (population areas), editable rules, the routing network, cached results.

Demand and results are EPSG:4326 like every stored geometry. The routing network is a
derived table in EPSG:32650 (UTM 50N, metres) because its edge costs are metres and
pgRouting reads geometry and cost from the same rows; it is rebuilt from the road layer.
"""

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from geo_cm.models import Asset, Subdistrict
from geo_cm.registry import registry
from geo_cm.state import StateMachine

METRIC_SRID = 32650  # WGS84 / UTM zone 50N: Pukou lies 1.3-1.8 degrees east of its meridian


class PopulationStatus(models.TextChoices):
    CURRENT = "current", _("current")
    ARCHIVED = "archived", _("archived")


class PopulationArea(Asset):
    """Where people live or gather: a grid cell or a residential area, with a head count."""

    class Kind(models.TextChoices):
        GRID = "grid", _("population grid cell")
        RESIDENTIAL = "residential", _("residential area")
        PUBLIC_PLACE = "public_place", _("busy public place")

    status_machine = StateMachine.build(
        PopulationStatus,
        {
            PopulationStatus.CURRENT: [PopulationStatus.ARCHIVED],
            PopulationStatus.ARCHIVED: [PopulationStatus.CURRENT],
        },
        initial=PopulationStatus.CURRENT,
    )

    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    population = models.PositiveIntegerField(_("population"))
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PopulationStatus.choices,
        default=PopulationStatus.CURRENT,
    )
    geom = models.MultiPolygonField(_("area"), srid=4326)

    class Meta:
        verbose_name = _("population area")
        verbose_name_plural = _("population areas")
        ordering = ["code"]


class CoverageRule(models.Model):
    """A planner's rule for one layer, overriding the layer's default (CoverageSpec)."""

    layer = models.CharField(_("layer"), max_length=50)
    area_kind = models.CharField(
        _("applies to demand of kind"),
        max_length=20,
        blank=True,
        choices=PopulationArea.Kind.choices,
        help_text=_("Empty: every demand area without a more specific rule."),
    )
    distance_m = models.FloatField(_("distance (m)"), validators=[MinValueValidator(1)])
    standard = models.CharField(_("standard or source"), max_length=300)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("coverage rule")
        verbose_name_plural = _("coverage rules")
        constraints = [
            models.UniqueConstraint(fields=["layer", "area_kind"], name="coverage_rule_unique")
        ]

    def __str__(self):
        return f"{self.layer} {self.area_kind or '*'} {self.distance_m:g} m"

    def clean(self):
        layer = registry.get(self.layer)
        if layer is None or layer.coverage is None:
            names = ", ".join(lay.slug for lay in registry.all() if lay.coverage is not None)
            raise ValidationError(
                {"layer": _("Choose a layer with a coverage rule: %(names)s.") % {"names": names}}
            )


class NetworkVertex(models.Model):
    """A node of the walking network (EPSG:32650)."""

    geom = models.PointField(srid=METRIC_SRID)


class NetworkEdge(models.Model):
    """An edge of the walking network; ``cost`` is its length in metres (EPSG:32650)."""

    source = models.BigIntegerField(db_index=True)
    target = models.BigIntegerField(db_index=True)
    cost = models.FloatField()
    geom = models.LineStringField(srid=METRIC_SRID)


class NetworkBuild(models.Model):
    """Which road data the network tables were built from (rebuilt when it changes)."""

    data_version = models.CharField(max_length=64)
    edges = models.PositiveIntegerField()
    vertices = models.PositiveIntegerField()
    seconds = models.FloatField()
    built_at = models.DateTimeField(auto_now=True)


class CoverageResult(models.Model):
    """A computed coverage answer, cached by layer, rule and the version of its inputs."""

    cache_key = models.CharField(max_length=64, unique=True)
    layer = models.CharField(max_length=50)
    mode = models.CharField(max_length=10)
    distance_m = models.FloatField()
    subdistrict = models.ForeignKey(Subdistrict, null=True, blank=True, on_delete=models.CASCADE)
    data_version = models.CharField(max_length=64)
    stats = models.JSONField()
    geojson = models.TextField()
    seconds = models.FloatField()
    computed_at = models.DateTimeField(auto_now=True)
