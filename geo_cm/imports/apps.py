from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """GIS imports and exports of every registered layer (part of the platform core)."""

    name = "geo_cm.imports"
    label = "imports"
    verbose_name = _("Imports and exports")
    default_auto_field = "django.db.models.BigAutoField"
