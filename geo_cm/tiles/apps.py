from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilesConfig(AppConfig):
    """Vector tiles: OGC API – Tiles over every layer of the registry."""

    name = "geo_cm.tiles"
    label = "tiles"
    verbose_name = _("Vector tiles")
    default_auto_field = "django.db.models.BigAutoField"
