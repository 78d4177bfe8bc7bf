from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GreenwaysConfig(AppConfig):
    name = "greenways"
    verbose_name = _("Greenways")
    default_auto_field = "django.db.models.BigAutoField"
