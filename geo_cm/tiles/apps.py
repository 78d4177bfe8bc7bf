from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilesConfig(AppConfig):
    """Vector tiles: OGC API – Tiles over every layer of the registry."""

    name = "geo_cm.tiles"
    label = "tiles"
    verbose_name = _("Vector tiles")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Tiles learn of asset writes by subscribing; the writers do not know them.
        from geo_cm.assets.signals import assets_changed

        from .services import tiles_on_assets_changed

        assets_changed.connect(tiles_on_assets_changed, dispatch_uid="geocm-tiles")
