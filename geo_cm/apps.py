from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoCMConfig(AppConfig):
    name = "geo_cm"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Like admin.autodiscover(): every installed app may declare layers.py.
        from django.utils.module_loading import autodiscover_modules

        from . import checks  # noqa: F401  (registers the system checks)

        autodiscover_modules("layers")

        # Per-layer data versions (ETags, cached extents, tiles) follow every asset write.
        from .assets.signals import assets_changed
        from .versions import data_version_on_assets_changed

        assets_changed.connect(data_version_on_assets_changed, dispatch_uid="geocm-versions")
