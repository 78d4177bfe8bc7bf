from django.contrib import admin

from geo_cm.admin import AssetAdmin

from .models import BackAlleyProject, LightingRetrofit, Road, StreetLight


@admin.register(Road)
class RoadAdmin(AssetAdmin):
    list_display = ("code", "name", "road_class", "status", "length_m", "subdistrict")
    list_filter = ("status", "road_class", "subdistrict")
    search_fields = ("code", "name")


@admin.register(BackAlleyProject)
class BackAlleyProjectAdmin(AssetAdmin):
    list_display = (
        "code",
        "name",
        "plan_year",
        "status",
        "boutique",
        "completed_on",
        "length_m",
        "subdistrict",
    )
    list_filter = ("status", "plan_year", "boutique", "subdistrict")
    search_fields = ("code", "name", "contractor")


@admin.register(StreetLight)
class StreetLightAdmin(AssetAdmin):
    list_display = ("code", "road", "lamp_type", "power_w", "status", "subdistrict")
    list_filter = ("status", "lamp_type", "smart_controller", "subdistrict")
    list_select_related = ("subdistrict", "road")
    search_fields = ("code", "road__name")
    autocomplete_fields = ("road",)


@admin.register(LightingRetrofit)
class LightingRetrofitAdmin(AssetAdmin):
    list_display = (
        "code",
        "road",
        "year",
        "status",
        "lamps",
        "power_before_w",
        "power_after_w",
        "completed_on",
        "subdistrict",
    )
    list_filter = ("status", "year", "subdistrict")
    list_select_related = ("subdistrict", "road")
    search_fields = ("code", "road__name")
    autocomplete_fields = ("road",)
