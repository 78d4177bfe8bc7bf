from django.contrib import admin

from geo_cm.admin import AssetAdmin

from .models import Toilet


@admin.register(Toilet)
class ToiletAdmin(AssetAdmin):
    list_display = (
        "code",
        "name",
        "category",
        "grade",
        "open_24h",
        "status",
        "project",
        "completed_on",
        "subdistrict",
    )
    list_filter = ("status", "category", "grade", "project", "open_24h", "subdistrict")
    search_fields = ("code", "name", "address", "managing_unit")
