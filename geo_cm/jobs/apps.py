from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "geo_cm.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Like layers.py: apps declare their job functions in tasks.py.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
