"""Admin for the platform core, and the base class every domain app's admin derives from.

Asset edits made in the admin go through `geo_cm.assets`, like every other write: the
status passes the state machine, the subdistrict is derived and the history is kept.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from . import assets, selectors
from .basemaps import leaflet_tiles
from .models import ChangePhoto, ChangeRecord, District, StaffScope, Subdistrict


class EstimatedCountPaginator(Paginator):
    """Admin pages of large tables (occupancy reports, history) without a full count.

    ``count(*)`` of ten million reports takes seconds on every page of the list. Up to
    ``GEOCM["API_EXACT_COUNT_MAX"]`` estimated rows the count is exact; above, the
    planner's estimate (EXPLAIN) stands in: the page links are then approximate, the
    rows on each page are not. Use with ``show_full_result_count = False``.
    """

    @cached_property
    def count(self):
        qs = self.object_list
        if not hasattr(qs, "query"):
            return super().count
        estimate = selectors.queryset_estimated_rows(qs=qs)
        if estimate > settings.GEOCM["API_EXACT_COUNT_MAX"]:
            return estimate
        return qs.count()


class LargeTableAdmin(admin.ModelAdmin):
    """A ModelAdmin for tables that grow without end: no full counts on the list."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False


class AssetAdminForm(forms.ModelForm):
    """Rejects a status the state machine does not allow, on the status field itself."""

    def clean(self):
        data = super().clean()
        instance = self.instance
        new_status = data.get("status")
        if instance.pk and new_status and new_status != instance.status:
            try:
                type(instance).status_machine.check(instance.status, new_status)
            except ValidationError as exc:
                self.add_error("status", exc.message_dict["status"])
        return data


class AssetAdmin(LeafletGeoAdmin):
    """Map widget, filters by subdistrict and status, writes through the asset-write module."""

    form = AssetAdminForm
    settings_overrides = {
        "TILES": leaflet_tiles(),
        "DEFAULT_CENTER": (32.05, 118.62),
        "DEFAULT_ZOOM": 11,
    }
    list_filter = ("status", "subdistrict")
    list_select_related = ("subdistrict",)
    search_fields = ("code",)
    readonly_fields = ("subdistrict", "source", "version", "created_at", "updated_at", "history")
    list_per_page = 50

    @admin.display(description=_("change history"))
    def history(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        rows = [
            (
                f"{r.at:%Y-%m-%d %H:%M}",
                r.get_action_display(),
                r.user or r.source or "-",
                ", ".join(sorted(r.changes)) if r.action != "create" else "",
                r.note,
            )
            for r in selectors.asset_history(asset=obj, limit=20)
        ]
        return format_html_join("\n", "<div>{} · {} · {} · {} {}</div>", rows) or "-"

    def save_model(self, request, obj, form, change):
        values = {
            name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
        }
        if change:
            stored = type(obj).objects.get(pk=obj.pk)
            saved = assets.asset_update(
                asset=stored, values=values, by=request.user, source="admin"
            )
        else:
            values = {
                name: form.cleaned_data[name]
                for name in form.cleaned_data
                if name in {f.name for f in obj._meta.concrete_fields}
            }
            saved = assets.asset_create(
                model=type(obj), values=values, by=request.user, source=f"admin:{request.user}"
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        try:
            assets.asset_delete(asset=obj, by=request.user)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(District)
class DistrictAdmin(LeafletGeoAdmin):
    settings_overrides = AssetAdmin.settings_overrides
    list_display = ("code", "name", "boundary_source")


@admin.register(Subdistrict)
class SubdistrictAdmin(LeafletGeoAdmin):
    settings_overrides = AssetAdmin.settings_overrides
    list_display = (
        "code",
        "code_old",
        "name",
        "abbreviation",
        "managed_by",
        "geometry_is_synthetic",
    )
    search_fields = ("code", "code_old", "name")


class ChangePhotoInline(admin.TabularInline):
    model = ChangePhoto
    extra = 0
    can_delete = False
    fields = ("preview", "sha256", "content_type", "size_bytes", "width", "height")
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def preview(self, obj):
        return format_html(
            '<a href="{0}"><img src="{0}" style="max-height:120px"></a>', obj.image.url
        )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ChangeRecord)
class ChangeRecordAdmin(LargeTableAdmin):
    inlines = [ChangePhotoInline]
    list_display = ("at", "object_code", "content_type", "action", "user", "source", "note")
    list_filter = ("action", "content_type")
    search_fields = ("object_code", "note")
    list_select_related = ("user", "content_type")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffScope)
class StaffScopeAdmin(admin.ModelAdmin):
    list_display = ("user",)
    filter_horizontal = ("subdistricts",)
    search_fields = ("user__username",)
