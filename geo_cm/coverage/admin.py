from django.contrib import admin

from geo_cm.admin import AssetAdmin

from .models import CoverageResult, CoverageRule, PopulationArea


@admin.register(PopulationArea)
class PopulationAreaAdmin(AssetAdmin):
    list_display = ("code", "name", "kind", "population", "year", "status", "subdistrict")
    list_filter = ("status", "kind", "subdistrict")
    search_fields = ("code", "name")


@admin.register(CoverageRule)
class CoverageRuleAdmin(admin.ModelAdmin):
    """Planners set the distances; each change is a new data version for the results."""

    list_display = ("layer", "area_kind", "distance_m", "standard", "updated_at")
    list_filter = ("layer",)


@admin.register(CoverageResult)
class CoverageResultAdmin(admin.ModelAdmin):
    list_display = ("layer", "mode", "distance_m", "subdistrict", "seconds", "computed_at")
    list_filter = ("layer", "mode")
    readonly_fields = [f.name for f in CoverageResult._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
