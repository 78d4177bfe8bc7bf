"""Imports in the admin: read-only, the record of what each import did."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ImportRecord


@admin.register(ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "layer", "file_name", "status", "created", "updated",
                    "unchanged", "deleted", "rejected", "page")  # fmt: skip
    list_filter = ("layer", "status", "mode")
    search_fields = ("file_name", "sha256")
    exclude = ("report",)

    @admin.display(description=_("report"))
    def page(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("import-record", args=[obj.pk]), _("open the report")
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
