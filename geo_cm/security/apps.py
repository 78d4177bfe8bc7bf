from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """Throttling and login lockout: counters in PostgreSQL, shared by every web worker."""

    name = "geo_cm.security"
    label = "security"
    verbose_name = _("Throttling and lockout")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the OpenAPI description of LockoutBasicAuthentication.
        from . import schema  # noqa: F401
