from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from geo_cm.admin import AssetAdmin, AssetAdminForm, ChangePhotoInline
from geo_cm.models import Subdistrict

from . import services
from .models import HANDLING_FIELDS, Satisfaction, WorkOrder, WorkOrderEvent, WorkOrderPhoto

CONTACT = ("reporter_name", "reporter_phone")
# Set by the handling steps (services) and the asset confirmation, never typed here.
WORKFLOW = (*HANDLING_FIELDS, "asset_layer", "asset_code", "asset_distance_m", "asset_confirmed")


class EventInline(admin.TabularInline):
    model = WorkOrderEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_label", "to_label", "user", "source", "note",
              "satisfaction", "asset_change")  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("from"))
    def from_label(self, obj):
        return WorkOrder.status_machine.label(obj.from_status) if obj.from_status else "-"

    @admin.display(description=_("to"))
    def to_label(self, obj):
        return WorkOrder.status_machine.label(obj.to_status) if obj.to_status else "-"

    def has_add_permission(self, request, obj=None):
        return False


class PhotoInline(ChangePhotoInline):
    """The order's photos, shown like those of asset changes."""

    model = WorkOrderPhoto
    fields = ("preview", "event", "content_type", "size_bytes", "width", "height")
    readonly_fields = fields


STEPS = {
    "dispatched": "workorder_dispatch",
    "replied": "workorder_reply",
    "resolved": "workorder_resolve",
    "closed": "workorder_close",
    "reopened": "workorder_reopen",
    "rejected": "workorder_reject",
}


class StepForm(AssetAdminForm):
    """The order's record, plus its next handling step (taken through the services)."""

    step = forms.ChoiceField(label=_("next step"), required=False)
    step_text = forms.CharField(
        label=_("text for the reporter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The reply, the resolution, or the reason for reopening or rejecting."),
    )
    step_satisfaction = forms.ChoiceField(
        label=_("satisfaction"),
        required=False,
        choices=[("", "—"), *[c for c in Satisfaction.choices if c[0]]],
        help_text=_("The reporter's rating, when closing."),
    )
    step_team = forms.ModelChoiceField(
        label=_("dispatch to"),
        required=False,
        queryset=Subdistrict.objects.order_by("code"),
        help_text=_("Default: the subdistrict the order lies in."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        machine = WorkOrder.status_machine
        current = self.instance.status if self.instance.pk else machine.initial
        self.fields["step"].choices = [("", _("no step now"))] + [
            (s, machine.label(s)) for s in machine.states if s in machine.allowed(current)
        ]

    def clean(self):
        data = super().clean()
        step = data.get("step")
        if (
            step in ("replied", "resolved", "reopened", "rejected")
            and not (data.get("step_text") or "").strip()
        ):
            self.add_error("step_text", _("This step needs a text for the reporter."))
        if step == "closed" and not data.get("step_satisfaction"):
            self.add_error(
                "step_satisfaction", _("Choose satisfied, basically, unsatisfied or none.")
            )
        return data


@admin.register(WorkOrder)
class WorkOrderAdmin(AssetAdmin):
    """Work orders: what was reported is editable; the handling is done in its steps (the
    "next step" fields below the record, or the field app and the API)."""

    form = StepForm

    list_display = ("code", "category", "channel", "status", "received_at", "subdistrict",
                    "team", "satisfaction", "asset_code")  # fmt: skip
    list_filter = ("status", "category", "channel", "satisfaction", "subdistrict")
    search_fields = ("code", "address", "description", "asset_code")
    date_hierarchy = "received_at"
    inlines = [EventInline, PhotoInline]
    actions = ["dispatch_to_subdistrict", "confirm_proposed_asset"]

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
        step = ["step", "step_text", "step_satisfaction", "step_team"]
        kept = [f for f in fields if f not in hidden and f not in step]
        return kept + (step if obj is not None else [])

    def save_model(self, request, obj, form, change):
        # The record's own fields through the asset services (AssetAdmin), then the step.
        form.changed_data[:] = [n for n in form.changed_data if not n.startswith("step")]
        super().save_model(request, obj, form, change)
        step = request.POST.get("step")
        if not (change and step in STEPS):
            return
        text = request.POST.get("step_text", "").strip()
        kwargs = {
            "dispatched": {"team": Subdistrict.objects.filter(
                pk=request.POST.get("step_team") or None).first(), "note": text},
            "replied": {"text": text},
            "resolved": {"resolution": text},
            "closed": {"satisfaction": request.POST.get("step_satisfaction", ""), "note": text},
            "reopened": {"reason": text},
            "rejected": {"reason": text},
        }[step]  # fmt: skip
        try:
            getattr(services, STEPS[step])(order=obj, by=request.user, **kwargs)
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(
                request, "; ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR
            )
        obj.refresh_from_db()

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

    @admin.action(description=_("Confirm the proposed asset"))
    def confirm_proposed_asset(self, request, queryset):
        done = 0
        for order in queryset.exclude(asset_layer="").filter(asset_confirmed=False):
            services.workorder_asset_confirm(
                order=order,
                layer_slug=order.asset_layer,
                asset_code=order.asset_code,
                by=request.user,
            )
            done += 1
        self.message_user(
            request,
            ngettext("%(n)d asset confirmed.", "%(n)d assets confirmed.", done) % {"n": done},
        )
