from django.contrib import admin

from geo_cm.admin import AssetAdmin

from .models import Route, Segment


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Segment)
class SegmentAdmin(AssetAdmin):
    list_display = ("code", "name", "route", "status", "completed_on", "length_m", "subdistrict")
    list_filter = ("status", "route", "surface", "subdistrict")
    list_select_related = ("subdistrict", "route")
    search_fields = ("code", "name", "route__name")
