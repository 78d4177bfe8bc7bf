from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    """Plans, targets and the metrics registry (part of the platform core)."""

    name = "geo_cm.plans"
    label = "plans"
    verbose_name = _("Plans and targets")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Like layers.py: every installed app may declare plan metrics in metrics.py.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("metrics")
