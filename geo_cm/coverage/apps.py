from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoverageConfig(AppConfig):
    """Coverage analysis: service areas, gaps, dark road stretches, site proposals."""

    name = "geo_cm.coverage"
    label = "coverage"
    verbose_name = _("Coverage")
    default_auto_field = "django.db.models.BigAutoField"
