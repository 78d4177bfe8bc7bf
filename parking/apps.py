from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParkingConfig(AppConfig):
    name = "parking"
    verbose_name = _("Parking")
    default_auto_field = "django.db.models.BigAutoField"
