from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreetsConfig(AppConfig):
    name = "streets"
    verbose_name = _("Streets and lighting")
    default_auto_field = "django.db.models.BigAutoField"
