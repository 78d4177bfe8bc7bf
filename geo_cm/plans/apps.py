from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    """Plans, targets and the metrics registry (part of the platform core)."""

    name = "geo_cm.plans"
    label = "plans"
    verbose_name = _("Plans and targets")
    default_auto_field = "django.db.models.BigAutoField"
