"""Public toilets (公厕), EPSG:4326 points."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from geo_cm.models import Asset
from geo_cm.state import StateMachine


class ToiletStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    UNDER_CONSTRUCTION = "under_construction", _("under construction")
    OPEN = "open", _("open")
    CLOSED_FOR_REPAIR = "closed_for_repair", _("closed for repair")
    REMOVED = "removed", _("removed")


class Toilet(Asset):
    """A public toilet. ``geom`` is its entrance (Point, EPSG:4326)."""

    class Category(models.TextChoices):
        CITY = "city", _("city public toilet")
        SCENIC = "scenic", _("scenic-area toilet")
        RURAL = "rural", _("rural public toilet")
        ALLIANCE = "alliance", _("open-alliance social unit")
        UNKNOWN = "unknown", _("unknown")

    class Grade(models.TextChoices):
        CLASS_1 = "1", _("class I")
        CLASS_2 = "2", _("class II")
        CLASS_3 = "3", _("class III")
        UNGRADED = "none", _("ungraded")

    class Project(models.TextChoices):
        NONE = "", _("none")
        NEW = "new", _("newly built")
        RENOVATED = "renovated", _("renovated")

    status_machine = StateMachine.build(
        ToiletStatus,
        {
            ToiletStatus.PLANNED: [ToiletStatus.UNDER_CONSTRUCTION, ToiletStatus.REMOVED],
            ToiletStatus.UNDER_CONSTRUCTION: [ToiletStatus.OPEN, ToiletStatus.PLANNED],
            ToiletStatus.OPEN: [
                ToiletStatus.CLOSED_FOR_REPAIR,
                ToiletStatus.UNDER_CONSTRUCTION,
                ToiletStatus.REMOVED,
            ],
            ToiletStatus.CLOSED_FOR_REPAIR: [ToiletStatus.OPEN, ToiletStatus.REMOVED],
            ToiletStatus.REMOVED: [],
        },
        initial=ToiletStatus.PLANNED,
    )

    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.UNKNOWN
    )
    grade = models.CharField(
        _("grade"), max_length=4, choices=Grade.choices, default=Grade.UNGRADED
    )
    open_24h = models.BooleanField(_("open 24 hours"), default=False)
    opening_hours = models.CharField(
        _("opening hours"), max_length=100, blank=True, help_text=_("e.g. 06:00-22:00")
    )
    accessible = models.BooleanField(_("accessible toilet"), default=False)
    family_room = models.BooleanField(_("family / third toilet"), default=False)
    baby_change = models.BooleanField(_("baby changing"), default=False)
    free = models.BooleanField(_("free of charge"), default=True)
    managing_unit = models.CharField(_("managing unit"), max_length=200, blank=True)
    manager_phone = models.CharField(_("manager phone (internal)"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ToiletStatus.choices, default=ToiletStatus.PLANNED
    )
    project = models.CharField(
        _("project"), max_length=10, choices=Project.choices, default=Project.NONE, blank=True
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    last_verified_on = models.DateField(_("last verified on"), null=True, blank=True)
    geom = models.PointField(_("location"), srid=4326)

    class Meta:
        verbose_name = _("public toilet")
        verbose_name_plural = _("public toilets")
        ordering = ["code"]
