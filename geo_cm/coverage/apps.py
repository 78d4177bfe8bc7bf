from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoverageConfig(AppConfig):
    """Coverage analysis: service areas, gaps, dark road stretches, site proposals."""

    name = "geo_cm.coverage"
    label = "coverage"
    verbose_name = _("Coverage")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Coverage learns of asset writes by subscribing; the writers do not know it.
        from geo_cm.assets.signals import assets_changed

        from .tasks import coverage_on_assets_changed

        assets_changed.connect(coverage_on_assets_changed, dispatch_uid="geocm-coverage")
