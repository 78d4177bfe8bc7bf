"""Admin for the platform core, and the base class every domain app's admin derives from.

Asset edits made in the admin go through `geo_cm.assets`, like every other write: the
status passes the state machine, the subdistrict is derived and the history is kept.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from . import assets, selectors
from .basemaps import leaflet_tiles
from .labels import change_rows, local_time_text
from .models import ChangePhoto, ChangeRecord, District, StaffScope, Subdistrict
from .registry import registry

# The admin speaks of GeoCM, not of the framework it is built with.
admin.site.site_header = _("GeoCM administration")
admin.site.site_title = _("GeoCM administration")
admin.site.index_title = _("Records and settings")


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
    """Rejects a status the state machine does not allow, on the status field itself, in
    the statuses' labels; asks for the reason of a change, kept as the history's note."""

    change_note = forms.CharField(
        label=_("Reason for this change"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Kept in the change history with who changed what and when."),
    )

    def clean(self):
        data = super().clean()
        instance = self.instance
        new_status = data.get("status")
        if instance.pk and new_status and new_status != instance.status:
            machine = type(instance).status_machine
            try:
                machine.check(instance.status, new_status)
            except ValidationError:
                reachable = machine.allowed(instance.status)
                allowed = [machine.label(s) for s in machine.states if s in reachable]
                self.add_error(
                    "status",
                    _(
                        "The status cannot change from “%(current)s” to “%(target)s”. "
                        "From “%(current)s” it may change to: %(allowed)s."
                    )
                    % {
                        "current": machine.label(instance.status),
                        "target": machine.label(new_status),
                        "allowed": "、".join(allowed) if allowed else _("none (final state)"),
                    },
                )
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
        """The latest changes: local time (Asia/Shanghai), who, what (before → after, in
        labels) and why."""
        if obj is None or obj.pk is None:
            return "-"
        model = type(obj)
        rows = []
        for r in selectors.asset_history(asset=obj, limit=20):
            what = (
                "; ".join(
                    f"{row['label']}: {row['before']} → {row['after']}"
                    for row in change_rows(model=model, changes=r.changes)
                )
                if r.action != "create"
                else ""
            )
            rows.append(
                (
                    local_time_text(r.at),
                    r.get_action_display(),
                    r.user or r.source or "-",
                    what,
                    r.note,
                )
            )
        return (
            format_html_join(
                "\n",
                "<div class='geocm-history'><b>{}</b> · {} · {} · {} <i>{}</i></div>",
                rows,
            )
            or "-"
        )

    def save_model(self, request, obj, form, change):
        values = {
            name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
        }
        note = form.cleaned_data.get("change_note", "")
        values.pop("change_note", None)
        if change:
            stored = type(obj).objects.get(pk=obj.pk)
            saved = assets.asset_update(
                asset=stored, values=values, by=request.user, source="admin", note=note
            )
        else:
            values = {
                name: form.cleaned_data[name]
                for name in form.cleaned_data
                if name in {f.name for f in obj._meta.concrete_fields}
            }
            saved = assets.asset_create(
                model=type(obj),
                values=values,
                by=request.user,
                source=f"admin:{request.user}",
                note=note,
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


class AssetLayerFilter(admin.SimpleListFilter):
    """Filter change records by asset layer: only the registry's layers, by their titles
    (not every content type Django knows: logins, sessions, permissions)."""

    title = _("layer")
    parameter_name = "layer"

    def lookups(self, request, model_admin):
        return [(layer.slug, layer.title) for layer in registry.all()]

    def queryset(self, request, queryset):
        layer = registry.get(self.value() or "")
        if layer is None:
            return queryset
        return queryset.filter(content_type=ContentType.objects.get_for_model(layer.model))


@admin.register(ChangeRecord)
class ChangeRecordAdmin(LargeTableAdmin):
    inlines = [ChangePhotoInline]
    list_display = ("at", "object_code", "layer", "action", "user", "source", "note")
    list_filter = ("action", AssetLayerFilter)
    fields = (
        "at",
        "object_code",
        "content_type",
        "action",
        "user",
        "source",
        "note",
        "before_after",
        "asset_version",
    )
    readonly_fields = ("before_after",)

    @admin.display(description=_("layer"))
    def layer(self, obj):
        layer = registry.for_model(obj.content_type.model_class())
        return layer.title if layer else obj.content_type.name

    @admin.display(description=_("before → after"))
    def before_after(self, obj):
        model = obj.content_type.model_class()
        rows = [
            (row["label"], row["before"], row["after"])
            for row in change_rows(model=model, changes=obj.changes)
        ]
        return format_html_join("\n", "<div>{}: {} → {}</div>", rows) or "-"

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
