from django.contrib import admin
from django.contrib.gis.db import models as gis_models
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property
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


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered list from the planner's statistics instead of count(*).

    Counting tens of millions of reports took seconds per page; the sum of the
    partitions' ``reltuples`` (kept by autovacuum/ANALYZE) is free and near enough for
    "page 3 of ~40,000". A filtered list (a facility, a date range) is counted exactly:
    partition pruning and the indexes keep that cheap.
    """

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint FROM pg_inherits i"
                    " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                estimate = cursor.fetchone()[0]
            # Fresh tables have no statistics yet: count them, they are small.
            if estimate > 10_000:
                return estimate
        return super().count


@admin.register(OccupancyReport)
class OccupancyReportAdmin(LargeTableAdmin):
    list_display = ("facility", "observed_at", "free_berths", "occupied_berths", "source")
    list_select_related = ("facility",)
    # No date_hierarchy: its year and month links are a DISTINCT over every report. Fixed
    # ranges (today, past 7 days, this month, this year) prune to one or a few partitions.
    list_filter = (("observed_at", admin.DateFieldListFilter),)
    autocomplete_fields = ("facility",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
