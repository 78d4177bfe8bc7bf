from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .models import Plan, PlanChange, ReportedValue, Target
from .services import ReadingError, plan_change_record, plan_snapshot, reported_value_check


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


class ReadOnlyMixin:
    """History is written by the save paths only: nobody adds, edits or deletes it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.display(description=_("changes"))
def changes_display(change: PlanChange):
    """One line per field: name, value before, value after."""
    return format_html_join(
        "",
        "<div><code>{}</code>: {} → {}</div>",
        (
            (field, "—" if old is None else old, "—" if new is None else new)
            for field, (old, new) in change.changes.items()
        ),
    )


class PlanChangeInline(ReadOnlyMixin, admin.TabularInline):
    model = PlanChange
    fk_name = "plan"
    fields = ("at", "user", "target_code", "action", changes_display)
    readonly_fields = fields
    extra = 0
    max_num = 0
    ordering = ("-at", "-pk")
    verbose_name_plural = _("plan history")


def _target_snapshots(targets) -> dict:
    return {t.pk: plan_snapshot(t) for t in targets}


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Plans with their targets inline; every save or delete writes a PlanChange."""

    list_display = ("year", "title", "issuing_body")
    inlines = [TargetInline, PlanChangeInline]

    def save_model(self, request, obj, form, change):
        # The form has already written its values onto ``obj``: read the stored row.
        before = plan_snapshot(Plan.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        plan_change_record(plan=obj, before=before, after=plan_snapshot(obj), user=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Target:
            return super().save_formset(request, form, formset, change)
        pks = [f.instance.pk for f in formset.forms if f.instance.pk]
        before = _target_snapshots(Target.objects.filter(pk__in=pks))
        super().save_formset(request, form, formset, change)
        plan = form.instance
        for target in formset.new_objects:
            plan_change_record(
                plan=plan,
                target_code=target.code,
                before=None,
                after=plan_snapshot(target),
                user=request.user,
            )
        for target, _fields in formset.changed_objects:
            plan_change_record(
                plan=plan,
                target_code=target.code,
                before=before.get(target.pk),
                after=plan_snapshot(target),
                user=request.user,
            )
        for target in formset.deleted_objects:
            snapshot = before.get(target.pk) or plan_snapshot(target)
            plan_change_record(
                plan=plan,
                target_code=snapshot["code"],
                before=snapshot,
                after=None,
                user=request.user,
            )

    def delete_model(self, request, obj):
        self._record_deleted(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._record_deleted(request, list(queryset))
        super().delete_queryset(request, queryset)

    def _record_deleted(self, request, plans):
        # Kept before the delete, so the rows can point at the plan until it goes
        # (SET_NULL then keeps them, labelled).
        for plan in plans:
            for target in plan.targets.all():
                plan_change_record(
                    plan=plan,
                    target_code=target.code,
                    before=plan_snapshot(target),
                    after=None,
                    user=request.user,
                )
            plan_change_record(plan=plan, before=plan_snapshot(plan), after=None, user=request.user)


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    """One target at a time; writes the same history as the plan's inline."""

    list_display = ("code", "title_zh", "plan", "target_value", "unit", "kind", "metric_key")
    list_filter = ("plan", "kind")
    search_fields = ("code", "title_zh", "title_en")

    def get_readonly_fields(self, request, obj=None):
        # A target stays in the plan it was created in: moving it would change two plans'
        # history at once, which the history has no row for.
        return ("plan",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        before = plan_snapshot(Target.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        plan_change_record(
            plan=obj.plan,
            target_code=obj.code,
            before=before,
            after=plan_snapshot(obj),
            user=request.user,
        )

    def delete_model(self, request, obj):
        self._record_deleted(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._record_deleted(request, list(queryset.select_related("plan")))
        super().delete_queryset(request, queryset)

    def _record_deleted(self, request, targets):
        for target in targets:
            plan_change_record(
                plan=target.plan,
                target_code=target.code,
                before=plan_snapshot(target),
                after=None,
                user=request.user,
            )


@admin.register(PlanChange)
class PlanChangeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "plan_label", "target_code", "action", "user")
    list_filter = ("action", "plan")
    search_fields = ("target_code", "plan_label")
    fields = ("at", "plan", "plan_label", "target_code", "action", changes_display, "user", "note")
    readonly_fields = fields


class ReportedValueForm(forms.ModelForm):
    """The admin's reading form runs the readings API's checks (reported_value_check)."""

    class Meta:
        model = ReportedValue
        fields = ("target", "value", "measured_on", "scope", "evidence")

    def clean(self):
        data = super().clean()
        target, value, measured_on = (data.get(k) for k in ("target", "value", "measured_on"))
        if target is not None and value is not None and measured_on is not None:
            try:
                reported_value_check(
                    target=target,
                    value=value,
                    measured_on=measured_on,
                    scope=data.get("scope") or "",
                    evidence=data.get("evidence") or "",
                )
            except ReadingError as error:
                field = error.field if error.field in self.fields else None
                self.add_error(field, error.message)
        return data


@admin.register(ReportedValue)
class ReportedValueAdmin(admin.ModelAdmin):
    form = ReportedValueForm
    list_display = ("target", "value", "measured_on", "scope", "reported_by")
    list_filter = ("target__plan",)
    readonly_fields = ("reported_by",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Targets measured from the assets take no readings (as in the readings API).
        if db_field.name == "target":
            kwargs["queryset"] = Target.objects.filter(kind=Target.Kind.REPORTED).select_related(
                "plan"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.reported_by = request.user
        super().save_model(request, obj, form, change)
