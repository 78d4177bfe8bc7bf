from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkOrdersConfig(AppConfig):
    name = "workorders"
    verbose_name = _("Work orders")
    default_auto_field = "django.db.models.BigAutoField"
