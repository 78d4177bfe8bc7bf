from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from geo_cm.admin import AssetAdmin

from . import services
from .models import WorkOrder, WorkOrderEvent, WorkOrderPhoto

CONTACT = ("reporter_name", "reporter_phone")
# Set by the handling steps (services), never typed in the admin.
WORKFLOW = (
    "status",
    "team",
    "dispatched_at",
    "replied_at",
    "reply",
    "resolved_at",
    "resolution",
    "closed_at",
    "satisfaction",
    "reopened_at",
    "reopen_count",
    "rejection_reason",
    "asset_layer",
    "asset_code",
    "asset_distance_m",
    "asset_confirmed",
)


class EventInline(admin.TabularInline):
    model = WorkOrderEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_status", "to_status", "user", "source", "note",
              "satisfaction", "asset_change")  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PhotoInline(admin.TabularInline):
    model = WorkOrderPhoto
    extra = 0
    can_delete = False
    fields = ("preview", "event", "content_type", "size_bytes", "width", "height")
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def preview(self, obj):
        return format_html(
            '<a href="{0}"><img src="{0}" style="max-height:120px"></a>', obj.image.url
        )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(AssetAdmin):
    """Work orders: what was reported is editable; the handling is done in its steps."""

    list_display = ("code", "category", "channel", "status", "received_at", "subdistrict",
                    "team", "satisfaction", "asset_code")  # fmt: skip
    list_filter = ("status", "category", "channel", "satisfaction", "subdistrict")
    search_fields = ("code", "address", "description", "asset_code")
    date_hierarchy = "received_at"
    inlines = [EventInline, PhotoInline]
    actions = ["dispatch_to_subdistrict"]

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), *WORKFLOW]
        if not request.user.has_perm("workorders.view_reporter_contact"):
            readonly += CONTACT
        return readonly

    def get_exclude(self, request, obj=None):
        # Staff without the permission do not see reporters' names and phones at all.
        if request.user.has_perm("workorders.view_reporter_contact"):
            return ()
        return CONTACT

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        hidden = set(self.get_exclude(request, obj) or ())
        return [f for f in fields if f not in hidden]

    @admin.action(description=_("Dispatch to the subdistrict they lie in"))
    def dispatch_to_subdistrict(self, request, queryset):
        done, failed = 0, []
        for order in queryset.select_related("subdistrict"):
            try:
                services.workorder_dispatch(order=order, by=request.user, note="admin")
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                failed.append(f"{order.code}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}")
        if done:
            self.message_user(
                request,
                ngettext("%(n)d work order dispatched.", "%(n)d work orders dispatched.", done)
                % {"n": done},
            )
        if failed:
            self.message_user(request, " | ".join(failed[:10]), messages.WARNING)
