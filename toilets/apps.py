from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ToiletsConfig(AppConfig):
    name = "toilets"
    verbose_name = _("Public toilets")
    default_auto_field = "django.db.models.BigAutoField"
