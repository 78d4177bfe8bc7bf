from django.contrib import admin
from django.contrib.gis.db import models as gis_models
from leaflet.forms.widgets import LeafletWidget

from geo_cm.admin import AssetAdmin, LargeTableAdmin

from .models import Berth, Facility, OccupancyReport, SharingWindow


class SharingWindowInline(admin.TabularInline):
    model = SharingWindow
    extra = 0


@admin.register(Facility)
class FacilityAdmin(AssetAdmin):
    list_display = ("code", "name", "kind", "ownership", "total_berths", "status", "subdistrict")
    list_filter = ("status", "kind", "ownership", "subdistrict")
    search_fields = ("code", "name", "address")
    inlines = [SharingWindowInline]
    formfield_overrides = {gis_models.MultiPolygonField: {"widget": LeafletWidget}}


@admin.register(Berth)
class BerthAdmin(AssetAdmin):
    list_display = ("code", "facility", "kind", "level", "status", "subdistrict")
    list_filter = ("status", "kind", "subdistrict")
    list_select_related = ("subdistrict", "facility")
    search_fields = ("code", "facility__code", "facility__name")
    autocomplete_fields = ("facility",)


@admin.register(SharingWindow)
class SharingWindowAdmin(admin.ModelAdmin):
    list_display = (
        "facility",
        "weekdays",
        "start_time",
        "end_time",
        "berths_shared",
        "audience",
        "price",
    )
    list_filter = ("audience",)
    list_select_related = ("facility",)
    autocomplete_fields = ("facility",)


@admin.register(OccupancyReport)
class OccupancyReportAdmin(LargeTableAdmin):
    list_display = ("facility", "observed_at", "free_berths", "occupied_berths", "source")
    list_select_related = ("facility",)
    # No date_hierarchy: its year and month links are a DISTINCT over every report. Fixed
    # ranges (today, past 7 days, this month, this year) prune to one or a few partitions.
    list_filter = (("observed_at", admin.DateFieldListFilter),)
    autocomplete_fields = ("facility",)
